"""Shared argument validators. Used throughout helpers.

Every helper checks its arguments up front and fails with a message that names the
argument, the expected value and the value it got, rather than with a confusing
error deep inside numpy or torch. The validators return the checked value converted
to a plain Python or array type, so a call site reads ``n = check_int("n", n, low=1)``.

They raise ``TypeError`` for a value of the wrong type and ``ValueError`` for a value
of the right type that is out of range. ``bool`` is never accepted as a number, and
numpy scalars are accepted wherever the matching Python number is. ``torch`` and
``pandas`` are imported only by the validators that need them, so the numpy-only
helpers do not pay for importing them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import torch

__all__ = [
    "check_float_tensor",
    "check_frame",
    "check_int",
    "check_matrix",
    "check_positive_float",
    "check_positive_int",
    "check_real",
    "check_rng",
    "check_splits",
    "check_target",
]


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_int(name: str, value: object, *, low: int | None = None,
              high: int | None = None) -> int:
    """Check that ``value`` is an int within the inclusive bounds ``[low, high]``.

    Used throughout helpers.

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check: a Python or numpy integer, not a bool.
    low, high : int or None, default None
        Inclusive lower and upper bounds; None means unbounded.

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (a bool is not).
    ValueError
        If ``value`` is below ``low`` or above ``high``.
    """
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return int(value)


def check_positive_int(name: str, value: object) -> int:
    """Check that ``value`` is an int >= 1 (a count such as a batch size or a width).

    Used throughout helpers.

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check: a Python or numpy integer, not a bool.

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is smaller than 1.
    """
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int (at least 1), got {value}")
    return int(value)


def _interval(low: float, high: float, low_inclusive: bool, high_inclusive: bool) -> str:
    if not (low_inclusive or high_inclusive):
        return f"the open interval ({low}, {high})"
    return f"{'[' if low_inclusive else '('}{low}, {high}{']' if high_inclusive else ')'}"


def check_real(name: str, value: object, *, low: float | None = None,
               high: float | None = None, low_inclusive: bool = True,
               high_inclusive: bool = True, finite: bool = True) -> float:
    """Check that ``value`` is a real number, optionally finite and within bounds.

    Used throughout helpers. NaN never lies within bounds.

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check: a Python or numpy real number, not a bool.
    low, high : float or None, default None
        Lower and upper bounds; None means unbounded.
    low_inclusive, high_inclusive : bool, default True
        Whether ``value`` may equal ``low`` (respectively ``high``).
    finite : bool, default True
        Whether to reject infinity and NaN.

    Returns
    -------
    float
        ``value`` as a Python float.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is out of bounds, or not finite when ``finite`` is True.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    above_low = low is None or (value >= low if low_inclusive else value > low)
    below_high = high is None or (value <= high if high_inclusive else value < high)
    if low is not None and high is not None and not (above_low and below_high):
        interval = _interval(low, high, low_inclusive, high_inclusive)
        raise ValueError(f"{name} must lie in {interval}, got {value}")
    if not above_low:
        raise ValueError(f"{name} must be {'>=' if low_inclusive else '>'} {low}, got {value}")
    if not below_high:
        raise ValueError(f"{name} must be {'<=' if high_inclusive else '<'} {high}, got {value}")
    if finite and not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive_float(name: str, value: object) -> float:
    """Check that ``value`` is a positive finite number (a learning rate, an epsilon, ...).

    Used throughout helpers.

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check: a Python or numpy real number, not a bool.

    Returns
    -------
    float
        ``value`` as a Python float.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is zero, negative, infinite or NaN.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def check_rng(rng: object) -> np.random.Generator:
    """Check that ``rng`` is a ``numpy.random.Generator`` (seeds are not accepted).

    Used throughout helpers: functions that draw random numbers take the generator
    explicitly, so that the caller controls the stream.

    Parameters
    ----------
    rng : object
        The value to check.

    Returns
    -------
    numpy.random.Generator
        ``rng`` itself.

    Raises
    ------
    TypeError
        If ``rng`` is not a ``numpy.random.Generator``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def check_float_tensor(name: str, value: object, *, min_ndim: int = 1) -> torch.Tensor:
    """Check that ``value`` is a non-empty floating-point tensor without NaN.

    Used throughout helpers (attention, normalization).

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check.
    min_ndim : int, default 1
        The smallest number of axes ``value`` may have.

    Returns
    -------
    torch.Tensor
        ``value`` itself.

    Raises
    ------
    TypeError
        If ``value`` is not a floating-point ``torch.Tensor``.
    ValueError
        If ``value`` has fewer than ``min_ndim`` axes, no elements, or a NaN.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {value.dtype}")
    if value.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} axes, got shape "
                         f"{tuple(value.shape)}")
    if value.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(value.shape)})")
    if torch.isnan(value).any():
        raise ValueError(f"{name} contains NaN")
    return value


def check_frame(name: str, value: object) -> pd.DataFrame:
    """Check that ``value`` is a pandas DataFrame.

    Used throughout helpers (cleaning, integration, housing).

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check.

    Returns
    -------
    pandas.DataFrame
        ``value`` itself.

    Raises
    ------
    TypeError
        If ``value`` is not a DataFrame.
    """
    import pandas as pd

    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(value).__name__}")
    return value


def check_matrix(X: object, name: str = "X") -> np.ndarray:
    """Check a feature matrix: numeric, 2-D, at least one row and column, all finite.

    Used throughout helpers (trees, boosting, ensembles, stacking).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The value to check.
    name : str, default "X"
        The argument's name, for the error message.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, n_features)
        ``X`` as an array.

    Raises
    ------
    TypeError
        If ``X`` cannot be converted to floats (for example, it holds strings).
    ValueError
        If ``X`` is not 2-D, is empty, or holds NaN or infinity.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numeric (encode categorical columns first): "
                        f"{err}") from None
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; impute or drop those values first")
    return arr


def check_target(y: object, n: int, *, numeric: bool) -> np.ndarray:
    """Check a target vector: 1-D, ``n`` entries, no NaN, infinity or missing labels.

    Used throughout helpers (trees, boosting, ensembles, stacking).

    Parameters
    ----------
    y : array-like of shape (n,)
        The value to check: class labels or regression targets.
    n : int
        The number of rows of the matching feature matrix.
    numeric : bool
        Whether ``y`` must be numeric (regression); it is then returned as float64.

    Returns
    -------
    numpy.ndarray of shape (n,)
        ``y`` as an array (float64 when ``numeric``, else its own dtype).

    Raises
    ------
    TypeError
        If ``numeric`` and ``y`` cannot be converted to floats.
    ValueError
        If ``y`` is not 1-D, does not have ``n`` entries, or holds NaN, infinity,
        or (for labels) None.
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}; pass y.ravel()")
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"X and y must have the same number of rows, got {n} and {len(arr)}")
    if numeric:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"y must be numeric: {err}") from None
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        raise ValueError("y contains NaN or infinity")
    if arr.dtype.kind == "O" and any(v is None or (isinstance(v, float) and math.isnan(v))
                                     for v in arr):
        raise ValueError("y contains missing labels (None or NaN)")
    return arr


def check_splits(splits: Iterable, n: int, *,
                 name: str = "splits") -> list[tuple[np.ndarray, np.ndarray]]:
    """Check (train, validation) index pairs into a data set of ``n`` examples.

    Used throughout helpers (complexity, validation).

    Parameters
    ----------
    splits : iterable of (array-like, array-like)
        The pairs ``(train_indices, val_indices)`` to check.
    n : int
        The number of examples the indices point into.
    name : str, default "splits"
        The argument's name, for the error message.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        The pairs as integer arrays.

    Raises
    ------
    ValueError
        If there is no pair, an item is not a pair, a side is not a non-empty 1-D
        integer array, an index lies outside ``[0, n)``, or the two sides overlap.
    """
    checked = []
    for k, split in enumerate(splits):
        try:
            train, val = split
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}[{k}] must be a pair (train_indices, val_indices)") from err
        train, val = np.asarray(train), np.asarray(val)
        for side, idx in (("train", train), ("validation", val)):
            if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
                raise ValueError(f"{name}[{k}]: {side} indices must be a non-empty 1-D "
                                 "integer array")
            if idx.min() < 0 or idx.max() >= n:
                raise ValueError(f"{name}[{k}]: {side} indices must lie in [0, {n})")
        if np.intersect1d(train, val).size:
            raise ValueError(f"{name}[{k}]: training and validation indices overlap (leakage)")
        checked.append((train, val))
    if not checked:
        raise ValueError(f"{name} is empty: give at least one (train, validation) pair")
    return checked
