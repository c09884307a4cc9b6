"""Argument validation at the public boundary of helpers, built on scikit-learn.

Used throughout helpers. Arrays and scalars are checked with
:mod:`sklearn.utils.validation` (``check_array``, ``column_or_1d``,
``check_consistent_length``, ``check_scalar``, ``assert_all_finite``) and declarative
parameter constraints from scikit-learn (``Interval``, ``StrOptions``); this module
keeps only what scikit-learn lacks: torch tensors, ``numpy.random.Generator``,
pandas frames, (train, validation) index pairs, class labels with ``None`` or mixed
types, and the :func:`boundary` decorator.

:func:`boundary` validates a function's arguments *before* its body runs, so the
body -- what a lecture shows with :func:`helpers.show_source` -- is the algorithm
alone. Every error names the argument: ``TypeError`` for a value of the wrong type,
``ValueError`` for a value of the right type that is out of range, empty, not finite
or of the wrong shape. ``bool`` is never accepted as a number; numpy scalars are
accepted wherever the matching Python number is.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Callable, Iterable
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import (
    assert_all_finite,
    check_array,
    check_consistent_length,
    check_scalar,
    column_or_1d,
)

if TYPE_CHECKING:
    import pandas as pd
    import torch

__all__ = [
    "boundary",
    "check_float_tensor",
    "check_frame",
    "check_int",
    "check_labels",
    "check_matrix",
    "check_positive_float",
    "check_positive_int",
    "check_real",
    "check_rng",
    "check_same_length",
    "check_splits",
    "check_target",
    "check_vector",
    "one_of",
    "spec",
]

F = TypeVar("F", bound=Callable[..., Any])
Converter = Callable[[str, Any], Any]


# --------------------------------------------------------------------------- the decorator


def boundary(*, same_length: tuple[str, ...] = (),
             check: Callable[[dict[str, Any]], None] | None = None,
             **checks: object) -> Callable[[F], F]:
    """Validate a function's arguments at its public boundary, then run its body.

    Used throughout helpers, so that the source a lecture shows is the algorithm. The
    checks are a table, one entry per argument, as scikit-learn's
    ``_parameter_constraints``.

    Parameters
    ----------
    same_length : tuple of str, default ()
        Names of array arguments that must have the same number of rows (checked with
        ``sklearn.utils.validation.check_consistent_length`` after conversion).
    check : callable, optional
        Cross-argument check, called with the converted arguments by name (a dict it
        may update).
    **checks : str, list of scikit-learn constraints, or callable
        Per argument: a check written as text, such as ``"int >= 1"``,
        ``"real > 0.0 or None"`` or ``"matrix"`` (see :func:`spec`), or a converter
        ``(name, value) -> value`` such as :func:`one_of`, whose result replaces the
        argument; or a list of scikit-learn parameter constraints (``Interval``,
        ``StrOptions``, a type, ``None``...; the value is passed on unchanged).

    Returns
    -------
    callable
        A decorator; the decorated function keeps its signature, name and docstring,
        and ``__wrapped__`` is the undecorated algorithm.
    """
    constraints = {k: v for k, v in checks.items() if isinstance(v, list)}
    # scikit-learn's Interval(Integral, ...) lets True through (bool is an int)
    numbers = [k for k, v in constraints.items()
               if any(isinstance(c, Interval) for c in v) and "boolean" not in v]
    converters = {k: spec(v) if isinstance(v, str) else v for k, v in checks.items()
                  if not isinstance(v, list)}

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        unknown = set(checks) | set(same_length)
        unknown -= set(signature.parameters)
        if unknown:
            raise TypeError(f"boundary: {func.__qualname__} has no argument {sorted(unknown)}")
        arguments = _binder(signature)

        @functools.wraps(func)
        def validated(*args: Any, **kwargs: Any) -> Any:
            values, bound = arguments(args, kwargs)
            if constraints:
                validate_parameter_constraints(
                    constraints, {k: values[k] for k in constraints},
                    caller_name=func.__qualname__)
                for name in numbers:
                    _refuse_bool(name, values[name], "a number")
            for name, convert in converters.items():
                values[name] = convert(name, values[name])
            if same_length:
                check_same_length(**{k: values[k] for k in same_length})
            if check is not None:
                check(values)
            return func(**values) if bound is None else func(*bound.args, **bound.kwargs)

        return validated  # type: ignore[return-value]

    return decorate


def _binder(signature: inspect.Signature) -> Callable[[tuple, dict], tuple[dict, Any]]:
    """``signature.bind`` with defaults applied, without its cost (a few microseconds a
    call, paid by layers called in training loops) for the common signatures: no
    positional-only or variadic parameters. Returns the arguments by name, and the
    ``BoundArguments`` to call with when the signature is not a common one."""
    params = signature.parameters

    def bind(args: tuple, kwargs: dict) -> tuple[dict, Any]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.arguments, bound

    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params.values()):
        return bind
    positional = [k for k, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    defaults = {k: p.default for k, p in params.items() if p.default is not p.empty}
    names = set(params)

    def fast(args: tuple, kwargs: dict) -> tuple[dict, Any]:
        values = dict(zip(positional, args, strict=False))
        if len(args) > len(positional) or not kwargs.keys().isdisjoint(values):
            return bind(args, kwargs)  # raises signature.bind's TypeError
        values.update(kwargs)
        for name, default in defaults.items():
            values.setdefault(name, default)
        if len(values) != len(names) or not values.keys() <= names:
            return bind(args, kwargs)
        return values, None

    return fast


# --------------------------------------------------------------------------- scalars


def _refuse_bool(name: str, value: object, what: str) -> None:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be {what}, got bool")


def check_int(name: str, value: object, *, low: int | None = None,
              high: int | None = None) -> int:
    """Check that ``value`` is an int in ``[low, high]`` (``sklearn.utils.check_scalar``).

    Used throughout helpers. A Python or numpy integer is accepted, a bool is not.

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check.
    low, high : int or None, default None
        Inclusive bounds; None means unbounded.

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` lies outside ``[low, high]``.
    """
    _refuse_bool(name, value, "an int")
    return int(check_scalar(value, name, Integral, min_val=low, max_val=high))


def check_positive_int(name: str, value: object) -> int:
    """Check that ``value`` is an int >= 1 (a count such as a batch size).

    Used throughout helpers. See :func:`check_int`.
    """
    return check_int(name, value, low=1)


def check_real(name: str, value: object, *, low: float | None = None,
               high: float | None = None, low_inclusive: bool = True,
               high_inclusive: bool = True, finite: bool = True) -> float:
    """Check that ``value`` is a real number within bounds (``sklearn.utils.check_scalar``).

    Used throughout helpers. NaN never lies within bounds; infinity is refused when
    ``finite``.

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : object
        The value to check: a Python or numpy real number, not a bool.
    low, high : float or None, default None
        Bounds; None means unbounded.
    low_inclusive, high_inclusive : bool, default True
        Whether ``value`` may equal ``low`` (respectively ``high``).
    finite : bool, default True
        Whether to refuse infinity.

    Returns
    -------
    float
        ``value`` as a Python float.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, out of bounds, or infinite when ``finite``.
    """
    _refuse_bool(name, value, "a real number")
    left, right = low is not None and low_inclusive, high is not None and high_inclusive
    bounds = {(True, True): "both", (True, False): "left", (False, True): "right",
              (False, False): "neither"}[(left, right)]
    value = float(check_scalar(value, name, Real, min_val=low, max_val=high,
                               include_boundaries=bounds))
    if (math.isnan(value) and (finite or low is not None or high is not None)) or (
            finite and math.isinf(value)):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def check_positive_float(name: str, value: object) -> float:
    """Check that ``value`` is a positive finite number (a learning rate, an epsilon).

    Used throughout helpers. See :func:`check_real`.
    """
    return check_real(name, value, low=0.0, low_inclusive=False)


def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator``: ``rng`` itself, or one seeded by an int.

    Used throughout helpers. scikit-learn's ``check_random_state`` returns the legacy
    ``RandomState``; helpers draw from the ``Generator`` API, so this stays here. A
    seed is accepted as a Python or numpy integer >= 0, which makes every helper that
    takes ``rng`` accept a seed too.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        A generator, or a seed for a new one.
    name : str, default "rng"
        The argument's name, for the error message.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If ``rng`` is neither a generator nor an integer.
    ValueError
        If a seed is negative.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, Integral) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(check_int(name, rng, low=0))
    raise TypeError(f"{name} must be a numpy.random.Generator or an int seed, "
                    f"got {type(rng).__name__}")


def _optional(convert: Converter) -> Converter:
    return lambda name, value: None if value is None else convert(name, value)


def _rng(name: str, value: object) -> np.random.Generator:
    return check_rng(value, name)


_NUMBER = r"(-?\d+(?:\.\d*)?)"
_BOUNDED = re.compile(rf"(int|real)(?: (>=|>) {_NUMBER}| in ([\[(]){_NUMBER}, {_NUMBER}([\])]))?")


def _number(text: str | None) -> int | float | None:
    """A bound as written: ``0`` stays an int and ``0.0`` a float (as messages show it)."""
    return None if text is None else float(text) if "." in text else int(text)


def spec(text: str) -> Converter:
    """The converter :func:`boundary` uses for a check written as text.

    Used throughout helpers: ``@boundary(n="int >= 1", lr="real > 0.0",
    rng="rng", max_depth="int >= 1 or None", p="real in [0, 1)")``. The
    words are ``int`` (:func:`check_int`), ``real`` (:func:`check_real`), ``rng``
    (:func:`check_rng`), ``matrix``, ``vector``, ``labels`` (:func:`check_matrix`,
    :func:`check_vector`, :func:`check_labels`); bounds follow ``>=``, ``>`` or ``in``
    an interval; ``or None`` lets ``None`` through.

    Raises
    ------
    ValueError
        If ``text`` is not such a check.
    """
    if text.endswith(" or None"):
        return _optional(spec(text.removesuffix(" or None")))
    named = {"rng": _rng, "matrix": lambda name, value: check_matrix(value, name),
             "vector": lambda name, value: check_vector(value, name),
             "labels": lambda name, value: check_labels(value, name)}
    match = _BOUNDED.fullmatch(text)
    if text in named:
        return named[text]
    if match is None:
        raise ValueError(f"boundary: unknown check {text!r}")
    kind, op, low, left, a, b, right = match.groups()
    if kind == "int":
        if op == ">" or left == "(" or right == ")":
            raise ValueError(f"boundary: write int bounds with >= or [a, b], got {text!r}")
        return functools.partial(check_int, low=_number(low or a), high=_number(b))
    return functools.partial(check_real, low=_number(low or a), high=_number(b),
                             low_inclusive=op != ">" and left != "(", high_inclusive=right != ")")


def one_of(options: Iterable) -> Converter:
    """A :func:`boundary` converter that accepts only one of ``options`` (a string choice).

    Used throughout helpers, e.g. ``@boundary(method=one_of(METHODS))``.
    """
    def choose(name: str, value: object) -> object:
        if value not in options:
            raise ValueError(f"{name} must be one of {options}, got {value!r}")
        return value
    return choose


# --------------------------------------------------------------------------- arrays


def _named(name: str, err: Exception) -> str:
    """scikit-learn's message, led by the argument's name and what is wrong."""
    text = str(err).split("\n")[0]
    for needle, lead in (("Expected 2D", "must be 2-D"), ("Expected a 1D", "must be 1-D"),
                         ("NaN", "contains NaN or infinity"),
                         ("infinity", "contains NaN or infinity"),
                         ("minimum of", "is empty")):
        if needle in text:
            return f"{name} {lead}: {text}"
    return f"{name}: {text}"


def check_matrix(X: object, name: str = "X") -> np.ndarray:
    """Check a feature matrix with ``sklearn.utils.check_array``: numeric, 2-D, at least
    one row and column, all finite. Used throughout helpers.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The value to check.
    name : str, default "X"
        The argument's name, for the error message.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, n_features)

    Raises
    ------
    TypeError
        If ``X`` is None or cannot be converted to floats (strings, categories).
    ValueError
        If ``X`` is not 2-D, is empty, or holds NaN or infinity.
    """
    if X is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        return check_array(X, dtype=np.float64, ensure_2d=True, ensure_all_finite=True,
                           input_name=name)
    except ValueError as err:
        if "convert" in str(err):
            raise TypeError(f"{name} must be numeric (encode categorical columns first): "
                            f"{err}") from None
        raise ValueError(_named(name, err)) from None


def check_vector(x: object, name: str = "x", *, allow_nan: bool = False,
                 min_size: int = 1) -> np.ndarray:
    """Check a numeric 1-D array: float64, at least ``min_size`` entries, finite (NaN
    allowed when ``allow_nan``). Used throughout helpers.

    Parameters
    ----------
    x : array-like of shape (n,)
        The value to check.
    name : str, default "x"
        The argument's name, for the error message.
    allow_nan : bool, default False
        Whether NaN (a missing value) may appear; infinity never may.
    min_size : int, default 1
        The fewest entries ``x`` may have.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Raises
    ------
    TypeError
        If ``x`` is None or not numeric.
    ValueError
        If ``x`` is not 1-D, too short, or not finite.
    """
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        arr = check_array(x, dtype=np.float64, ensure_2d=False,
                          ensure_all_finite="allow-nan" if allow_nan else True,
                          ensure_min_samples=min_size, input_name=name)
    except ValueError as err:
        if "convert" in str(err):
            raise TypeError(f"{name} must be numeric: {err}") from None
        raise ValueError(_named(name, err)) from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def check_labels(y: object, name: str = "y") -> np.ndarray:
    """Check class labels: 1-D, non-empty, no NaN, infinity or None, one kind (all
    strings or all numbers). Used throughout helpers (metrics, trees, ensembles...).

    scikit-learn refuses such labels deep inside ``unique_labels``; this gives the
    argument's name.

    Parameters
    ----------
    y : array-like of shape (n,)
        The labels.
    name : str, default "y"
        The argument's name, for the error message.

    Returns
    -------
    numpy.ndarray of shape (n,)
        The labels as an array of their own dtype.

    Raises
    ------
    TypeError
        If ``y`` is None or a string, or mixes strings and numbers.
    ValueError
        If ``y`` is not 1-D, is empty, or holds NaN, infinity or None.
    """
    if y is None or isinstance(y, str | bytes):
        raise TypeError(f"{name} must be an array of labels, got {type(y).__name__}")
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    arr = column_or_1d(arr)
    if arr.dtype.kind in "fc":
        try:
            assert_all_finite(arr, input_name=name)
        except ValueError as err:
            raise ValueError(f"{name} contains missing labels (NaN) or infinity: {err}") from None
    elif arr.dtype.kind == "O":
        if any(v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(v))
               for v in arr):
            raise ValueError(f"{name} contains missing labels (None, NaN or infinity)")
        if len({isinstance(v, str) for v in arr}) > 1:
            raise TypeError(f"{name} mixes strings and numbers as labels")
    elif arr.dtype.kind not in "iubUS":
        raise TypeError(f"{name} must hold numbers or strings, got dtype {arr.dtype}")
    return arr


def check_same_length(**arrays: object) -> None:
    """Check that the arrays have the same number of rows
    (``sklearn.utils.validation.check_consistent_length``), naming them in the error.

    Used throughout helpers.

    Raises
    ------
    ValueError
        If the lengths differ.
    """
    try:
        check_consistent_length(*arrays.values())
    except ValueError:
        lengths = ", ".join(f"{k}: {len(v)}" for k, v in arrays.items())  # type: ignore[arg-type]
        raise ValueError(f"{' and '.join(arrays)} must have the same length, got "
                         f"{lengths}") from None


def check_target(y: object, n: int, *, numeric: bool) -> np.ndarray:
    """Check a target vector for ``n`` rows: regression targets (``numeric``) or labels.

    Used throughout helpers (trees, boosting, ensembles, stacking). Targets go through
    :func:`check_vector`, labels through :func:`check_labels`; the length is checked
    against ``n``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Class labels or regression targets.
    n : int
        The number of rows of the matching feature matrix.
    numeric : bool
        Whether ``y`` must be numeric (regression); it is then returned as float64.

    Returns
    -------
    numpy.ndarray of shape (n,)

    Raises
    ------
    TypeError
        If ``y`` is None, or not numeric when ``numeric``.
    ValueError
        If ``y`` is not 1-D, does not have ``n`` entries, or holds NaN, infinity or
        (for labels) None.
    """
    arr = np.asarray(y) if y is not None else None
    if arr is not None and arr.ndim == 2 and arr.shape[1] == 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}; pass y.ravel()")
    arr = check_vector(y, "y") if numeric else check_labels(y, "y")
    if len(arr) != n:
        raise ValueError(f"X and y must have the same number of rows, got {n} and {len(arr)}")
    return arr


# ------------------------------------------------------------------ what scikit-learn lacks


def check_float_tensor(name: str, value: object, *, min_ndim: int = 1) -> torch.Tensor:
    """Check that ``value`` (the argument ``name``) is a non-empty floating-point tensor
    without NaN or infinity. Used throughout helpers (attention, normalization).

    Parameters
    ----------
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
        If ``value`` has fewer than ``min_ndim`` axes, no elements, NaN or infinity.
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
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return value


def check_frame(name: str, value: object) -> pd.DataFrame:
    """Check that ``value`` is a pandas DataFrame.

    Used throughout helpers (cleaning, integration, housing).

    Raises
    ------
    TypeError
        If ``value`` is not a DataFrame.
    """
    import pandas as pd

    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(value).__name__}")
    return value


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

