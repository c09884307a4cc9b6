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
from sklearn.exceptions import NotFittedError
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
    "check_class_indices",
    "check_fitted",
    "check_fitted_X",
    "check_float_tensor",
    "check_indices",
    "check_frame",
    "check_int",
    "check_labels",
    "check_matrix",
    "check_params",
    "check_proba",
    "check_positive_float",
    "check_positive_int",
    "check_real",
    "check_rng",
    "check_same_length",
    "check_splits",
    "check_target",
    "check_tensor",
    "check_vector",
    "instance",
    "one_of",
    "optional",
    "spec",
    "with_options",
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
                check_params(constraints, values, func.__qualname__)
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


def check_params(constraints: dict[str, list], values: dict[str, Any], caller: str) -> None:
    """Check ``values`` against scikit-learn parameter constraints (``Interval``,
    ``StrOptions``, ``"boolean"``, ``None``...), refusing a bool where a number is expected.

    Used by :func:`boundary` and by estimators that check their hyper-parameters in
    ``fit`` (ensembles), as scikit-learn's ``_parameter_constraints``.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError`` and ``TypeError`` naming the parameter.
    """
    validate_parameter_constraints(constraints, {k: values[k] for k in constraints},
                                   caller_name=caller)
    for name, options in constraints.items():  # Interval(Integral, ...) lets True through
        if any(isinstance(c, Interval) for c in options) and "boolean" not in options:
            _refuse_bool(name, values[name], "a number")


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


def optional(convert: Converter) -> Converter:
    """A :func:`boundary` converter that lets ``None`` through and passes anything else to
    ``convert``. Used throughout helpers, e.g. ``optional(instance(torch.Generator))``."""
    return lambda name, value: None if value is None else convert(name, value)


def _rng(name: str, value: object) -> np.random.Generator:
    return check_rng(value, name)


def _module(name: str, value: object) -> torch.nn.Module:
    from torch import nn

    return instance(nn.Module, what="a torch.nn.Module")(name, value)


_NUMBER = r"(-?\d+(?:\.\d*)?)"
_TENSOR = re.compile(r"(?:(\d)-D )?(?:(float|int) )?tensor")
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
    :func:`check_vector`, :func:`check_labels`), ``tensor`` (:func:`check_tensor`, as in
    ``"2-D float tensor"`` or ``"int tensor"``), ``module`` (a ``torch.nn.Module``),
    ``callable``, ``str`` and ``bool`` (a Python or numpy bool); bounds follow ``>=``,
    ``>`` or ``in`` an interval; ``or None`` lets ``None`` through.

    Raises
    ------
    ValueError
        If ``text`` is not such a check.
    """
    if text.endswith(" or None"):
        return optional(spec(text.removesuffix(" or None")))
    named = {"rng": _rng, "matrix": with_options(check_matrix),
             "vector": with_options(check_vector), "labels": with_options(check_labels),
             "callable": _kind(callable, "callable"), "str": instance(str), "module": _module,
             "bool": instance(bool, np.bool_, what="a bool")}
    match, tensor = _BOUNDED.fullmatch(text), _TENSOR.fullmatch(text)
    if text in named:
        return named[text]
    if tensor:
        ndim, dtype = tensor.groups()
        return functools.partial(check_tensor, ndim=ndim and int(ndim), dtype=dtype)
    if match is None:
        raise ValueError(f"boundary: unknown check {text!r}")
    kind, op, low, left, a, b, right = match.groups()
    if kind == "int":
        if op == ">" or left == "(" or right == ")":
            raise ValueError(f"boundary: write int bounds with >= or [a, b], got {text!r}")
        return functools.partial(check_int, low=_number(low or a), high=_number(b))
    return functools.partial(check_real, low=_number(low or a), high=_number(b),
                             low_inclusive=op != ">" and left != "(", high_inclusive=right != ")")


def _kind(test: Callable[[object], bool], what: str) -> Converter:
    """A converter that refuses, with a ``TypeError``, a value failing ``test``."""
    def check(name: str, value: object) -> object:
        if not test(value):
            raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
        return value
    return check


def instance(*types: type, what: str | None = None) -> Converter:
    """A :func:`boundary` converter that accepts only instances of ``types``.

    Used throughout helpers, e.g. ``@boundary(space=instance(SearchSpace))``; the
    ``TypeError`` reads "space must be a SearchSpace, got ..." (or ``what``).
    """
    what = what or "a " + " or ".join(t.__name__ for t in types)
    return _kind(lambda value: isinstance(value, types), what)


def with_options(check: Callable[..., Any], **options: Any) -> Converter:
    """A :func:`boundary` converter calling an array checker ``check(value, name,
    **options)``, such as ``with_options(check_vector, allow_nan=True)``.

    Used throughout helpers.
    """
    def convert(name: str, value: object) -> object:
        return check(value, name, **options)
    return convert


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


def check_matrix(X: object, name: str = "X", *, one_d: str = "refuse") -> np.ndarray:
    """Check a feature matrix with ``sklearn.utils.check_array``: numeric, 2-D, at least
    one row and column, all finite. Used throughout helpers.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The value to check.
    name : str, default "X"
        The argument's name, for the error message.
    one_d : {"refuse", "column", "keep"}, default "refuse"
        What a 1-D ``X`` is: an error, one column (n points in one dimension), or a
        vector returned as such (:func:`check_vector`).

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
    if one_d != "refuse" and not isinstance(X, str) and np.ndim(X) == 1:
        if one_d == "keep":
            return check_vector(X, name)
        X = np.reshape(X, (-1, 1))
    try:
        return check_array(X, dtype=np.float64, ensure_2d=True, ensure_all_finite=True,
                           input_name=name)
    except ValueError as err:
        if "convert" in str(err):
            raise TypeError(f"{name} must be numeric (encode categorical columns first): "
                            f"{err}") from None
        raise ValueError(_named(name, err)) from None


def check_vector(x: object, name: str = "x", *, allow_nan: bool = False,
                 allow_inf: bool = False, min_size: int = 1) -> np.ndarray:
    """Check a numeric 1-D array: float64, at least ``min_size`` entries, finite (NaN
    allowed when ``allow_nan``, infinity when ``allow_inf``). Used throughout helpers.

    Parameters
    ----------
    x : array-like of shape (n,)
        The value to check.
    name : str, default "x"
        The argument's name, for the error message.
    allow_nan : bool, default False
        Whether NaN (a missing value) may appear; infinity never may.
    allow_inf : bool, default False
        Whether infinity may appear (scores that are only ranked, diverged losses).
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
        finite = False if allow_inf else "allow-nan" if allow_nan else True
        arr = check_array(x, dtype=np.float64, ensure_2d=False, ensure_all_finite=finite,
                          ensure_min_samples=min_size, input_name=name)
    except ValueError as err:
        if "convert" in str(err):
            raise TypeError(f"{name} must be numeric (real numbers): {err}") from None
        raise ValueError(_named(name, err)) from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if allow_inf and not allow_nan and np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN at index {int(np.flatnonzero(np.isnan(arr))[0])}")
    return arr


def check_proba(name: str, values: object, *, min_classes: int = 1) -> np.ndarray:
    """Check predicted class probabilities: a finite ``(n, k)`` matrix (:func:`check_matrix`)
    with ``k >= min_classes`` and non-negative rows summing to 1.

    Used throughout helpers (labeling, shift).

    Raises
    ------
    ValueError
        If ``values`` is not such a matrix.
    """
    proba = check_matrix(values, name)
    if proba.shape[1] < min_classes:
        raise ValueError(f"{name} needs at least {min_classes} classes (columns), got "
                         f"{proba.shape[1]}")
    if (proba < 0).any() or not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(f"{name} must hold probabilities: non-negative rows summing to 1")
    return proba


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


def check_tensor(name: str, value: object, *, ndim: int | None = None, min_ndim: int = 0,
                 dtype: str | None = None) -> torch.Tensor:
    """Check that ``value`` (the argument ``name``) is a non-empty torch tensor.

    Used throughout helpers (neural, linear, sgd, training, attention, normalization).

    Parameters
    ----------
    ndim : int, optional
        The number of axes ``value`` must have.
    min_ndim : int, default 0
        The smallest number of axes ``value`` may have.
    dtype : {"float", "int"}, optional
        ``"float"``: floating point without NaN or infinity; ``"int"``: integers (not
        bool); None: any.

    Returns
    -------
    torch.Tensor
        ``value`` itself.

    Raises
    ------
    TypeError
        If ``value`` is not a ``torch.Tensor``, or not of ``dtype``.
    ValueError
        If ``value`` has the wrong number of axes, no elements, NaN or infinity.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}")
    if dtype == "float" and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {value.dtype}")
    if dtype == "int" and (value.is_floating_point() or value.is_complex()
                           or value.dtype == torch.bool):
        raise TypeError(f"{name} must hold integers, got {value.dtype}")
    if value.ndim < min_ndim or ndim not in (None, value.ndim):
        axes = f"have at least {min_ndim} axes" if ndim is None else f"be {ndim}-D"
        raise ValueError(f"{name} must {axes}, got shape {tuple(value.shape)}")
    if value.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(value.shape)})")
    if dtype == "float" and not _all_finite(value):
        raise ValueError(f"{name} contains NaN or infinity")
    return value


def _all_finite(value: torch.Tensor) -> bool:
    """No NaN or infinity in ``value``. Layers check their input on every forward pass,
    so this is one pass without a tensor of booleans: the smallest and largest entries
    are NaN if any entry is, and hold any infinity (four times faster than
    ``isfinite(value).all()`` on a batch of activations, measured)."""
    import torch

    low, high = torch.aminmax(value.detach())
    return math.isfinite(low.item()) and math.isfinite(high.item())


def check_float_tensor(name: str, value: object, *, min_ndim: int = 1) -> torch.Tensor:
    """Check that ``value`` is a non-empty floating-point tensor of at least ``min_ndim``
    axes without NaN or infinity (:func:`check_tensor`). Used throughout helpers."""
    return check_tensor(name, value, min_ndim=min_ndim, dtype="float")


def check_class_indices(name: str, y: object, n: int,
                        num_classes: int | None = None) -> torch.Tensor:
    """Check ``n`` class labels as a 1-D integer tensor of indices in ``[0, num_classes)``.

    Used throughout helpers (linear, neural, transfer).

    Raises
    ------
    TypeError
        If ``y`` is not an integer tensor.
    ValueError
        If ``y`` is not 1-D, does not have ``n`` entries, or holds an index out of range.
    """
    y = check_tensor(name, y, ndim=1, dtype="int")
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} labels for {n} rows")
    if int(y.min()) < 0 or (num_classes is not None and int(y.max()) >= num_classes):
        raise ValueError(f"{name}: labels must lie in [0, {num_classes or 'num_classes'}), got "
                         f"[{int(y.min())}, {int(y.max())}]")
    return y


def check_fitted(model: object, fitted: str = "estimators_") -> None:
    """Raise scikit-learn's ``NotFittedError`` (a ``ValueError``) unless ``model`` has the
    attribute ``fitted``. Used throughout helpers (trees, ensembles, boosting): scikit-learn's
    ``check_is_fitted`` needs a ``BaseEstimator``."""
    if not hasattr(model, fitted):
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet; call fit first")


def check_fitted_X(model: object, X: object, fitted: str = "estimators_") -> np.ndarray:
    """Check that ``model`` is fitted (:func:`check_fitted`) and that ``X`` is a feature
    matrix with the ``n_features_in_`` columns it was fitted on (as scikit-learn's
    ``validate_data(reset=False)``). Used throughout helpers (trees, ensembles, boosting).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted (a ``ValueError``).
    ValueError
        If ``X`` is not a finite matrix with the fitted number of columns.
    """
    check_fitted(model, fitted)
    X = check_matrix(X)
    if X.shape[1] != model.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(model).__name__} was "
                         f"fitted with {model.n_features_in_}")
    return X


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


def check_indices(name: str, indices: object, n: float, *,
                  allow_empty: bool = False) -> np.ndarray:
    """Check indices into ``n`` examples: a 1-D integer array with entries in ``[0, n)``,
    non-empty unless ``allow_empty`` (an empty list is then an empty int array).

    Used throughout helpers (:func:`check_splits`, ensembles, validation).

    Raises
    ------
    ValueError
        If ``indices`` is not such an array, naming it as ``name``.
    """
    idx = np.asarray(indices)
    if allow_empty and idx.size == 0:
        idx = idx.astype(np.int64)
    if not (idx.ndim == 1 and np.issubdtype(idx.dtype, np.integer) and (idx.size or allow_empty)):
        raise ValueError(f"{name} must be a {'' if allow_empty else 'non-empty '}1-D integer "
                         "array (indices are integers)")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"{name} must lie in [0, {n})")
    return idx


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
        train = check_indices(f"{name}[{k}]: train indices", train, n)
        val = check_indices(f"{name}[{k}]: validation indices", val, n)
        if np.intersect1d(train, val).size:
            raise ValueError(f"{name}[{k}]: training and validation indices overlap (leakage)")
        checked.append((train, val))
    if not checked:
        raise ValueError(f"{name} is empty: give at least one (train, validation) pair")
    return checked

