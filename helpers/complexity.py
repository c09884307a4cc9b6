"""Model complexity and data size sweeps: validation curves, learning curves, crossovers.

Used in lecture 4.2. Two experiments recur whenever we ask whether a model under-
or overfits:

- a **complexity curve** (scikit-learn calls it a validation curve): train models
  of growing complexity on the same data and record training and validation error;
- a **learning curve**: train one model on growing subsets of the training data.

Both take ``make_model``, a function from a complexity value (or nothing) to a new,
unfitted estimator with ``fit`` and ``predict``, and ``splits``, a list of
``(train_indices, validation_indices)`` pairs such as those of
``sklearn.model_selection.ShuffleSplit(...).split(X)``; errors are averaged over
the splits. :func:`crossover_size` reads off where a big model overtakes a small one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn import metrics

from helpers.checks import boundary, check_splits, check_vector

__all__ = [
    "ComplexityCurve",
    "LearningCurve",
    "complexity_curve",
    "crossover_size",
    "learning_curve",
    "mean_squared_error",
    "zero_one_error",
]

Loss = Callable[[np.ndarray, np.ndarray], float]


@boundary(y_true="vector", y_pred="vector", same_length=("y_true", "y_pred"))
def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean of ``(y_true - y_pred)^2``; the default loss of the sweeps. Used in lecture 4.2.

    ``sklearn.metrics.mean_squared_error`` on finite 1-D arrays of the same length.
    """
    return float(metrics.mean_squared_error(y_true, y_pred))


@boundary(y_true="labels", y_pred="labels")
def zero_one_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of wrong labels, ``1 - accuracy``, for classifiers. Used in lecture 4.2.

    ``sklearn.metrics.zero_one_loss`` on labels checked by
    :func:`helpers.checks.check_labels`.
    """
    return float(metrics.zero_one_loss(y_true, y_pred))


# --------------------------------------------------------------------------- validation


def _check_data(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (num_examples, num_features), got shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows (one value per row of "
                         f"X), got {len(X)} and {len(y)}")
    if len(X) == 0:
        raise ValueError("X and y are empty")
    return X, y


def _sizes(name: str, values: object) -> np.ndarray:
    """Data sizes: a non-empty 1-D array of positive, strictly increasing ints."""
    sizes = check_vector(values, name)
    if not np.issubdtype(np.asarray(values).dtype, np.integer):
        raise TypeError(f"{name} must be a 1-D sequence of ints")
    if sizes.min() < 1 or np.any(np.diff(sizes) <= 0):
        raise ValueError(f"{name} must be positive and strictly increasing, got "
                         f"{sizes.astype(int).tolist()}")
    return np.asarray(values)


# --------------------------------------------------------------------------- complexity


class _Curve:
    """The split-averaged errors of a curve whose rows are fits (one per value or size)."""

    train_errors: np.ndarray
    val_errors: np.ndarray

    @property
    def train_error(self) -> np.ndarray:
        """Training error averaged over the splits, one per row."""
        return self.train_errors.mean(axis=1)

    @property
    def val_error(self) -> np.ndarray:
        """Validation error averaged over the splits, one per row."""
        return self.val_errors.mean(axis=1)


@dataclass(frozen=True)
class ComplexityCurve(_Curve):
    """Training and validation error for each complexity value. Used in lecture 4.2.

    Attributes
    ----------
    values : list
        The complexity values, in the order given.
    train_errors, val_errors : numpy.ndarray
        Shape ``(len(values), num_splits)``: the error of every fit.
    """

    values: list
    train_errors: np.ndarray
    val_errors: np.ndarray

    @property
    def best_index(self) -> int:
        """Index of the lowest mean validation error (the first one on ties)."""
        return int(np.argmin(self.val_error))

    @property
    def best_value(self) -> object:
        """The complexity value with the lowest mean validation error."""
        return self.values[self.best_index]

    @property
    def gap_at_best(self) -> float:
        """Validation minus training error at the best value: the remaining overfitting."""
        i = self.best_index
        return float(self.val_error[i] - self.train_error[i])


def _complexity_curve_args(args: dict) -> None:
    """Check and convert the arguments of :func:`complexity_curve` (in place)."""
    args["X"], args["y"] = _check_data(args["X"], args["y"])
    values = args["values"] = list(args["values"])
    if not values:
        raise ValueError("values is empty")
    args["splits"] = check_splits(args["splits"], len(args["X"]))


@boundary(check=_complexity_curve_args)
def complexity_curve(
    make_model: Callable[[object], object],
    values: Sequence,
    X: object,
    y: object,
    splits: Iterable,
    loss: Loss = mean_squared_error,
) -> ComplexityCurve:
    """Fit ``make_model(v)`` for every complexity value ``v`` on every split.

    Reference: ``sklearn.model_selection.validation_curve`` (which reports scores,
    i.e. negated errors). Used in lecture 4.2.

    Parameters
    ----------
    make_model : callable
        ``make_model(v)`` returns a new, unfitted estimator with ``fit(X, y)`` and
        ``predict(X)``.
    values : sequence
        Complexity values, e.g. polynomial degrees or tree depths.
    X, y : array-like
        ``(n, d)`` features and ``(n,)`` targets; the splits index into them.
    splits : iterable of (train_indices, val_indices)
        Disjoint integer index arrays; materialised once, so a generator is fine.
    loss : callable
        ``loss(y_true, y_pred) -> float``; mean squared error by default.

    Returns
    -------
    ComplexityCurve
    """
    train_errors = np.empty((len(values), len(splits)))
    val_errors = np.empty_like(train_errors)
    for i, value in enumerate(values):
        for k, (train, val) in enumerate(splits):
            model = make_model(value)
            model.fit(X[train], y[train])
            train_errors[i, k] = loss(y[train], model.predict(X[train]))
            val_errors[i, k] = loss(y[val], model.predict(X[val]))
    return ComplexityCurve(values=values, train_errors=train_errors, val_errors=val_errors)


# --------------------------------------------------------------------------- data size


@dataclass(frozen=True)
class LearningCurve(_Curve):
    """Training and validation error for each training-set size. Used in lecture 4.2.

    Attributes
    ----------
    sizes : numpy.ndarray
        Training-set sizes, increasing.
    train_errors, val_errors : numpy.ndarray
        Shape ``(len(sizes), num_splits)``.
    """

    sizes: np.ndarray
    train_errors: np.ndarray
    val_errors: np.ndarray


def _learning_curve_args(args: dict) -> None:
    """Check and convert the arguments of :func:`learning_curve` (in place)."""
    args["X"], args["y"] = _check_data(args["X"], args["y"])
    splits = args["splits"] = check_splits(args["splits"], len(args["X"]))
    smallest = min(len(train) for train, _ in splits)
    if args["sizes"].max() > smallest:
        raise ValueError(f"the largest size {int(args['sizes'].max())} exceeds the smallest "
                         f"training split ({smallest} examples)")


@boundary(sizes=_sizes, check=_learning_curve_args)
def learning_curve(
    make_model: Callable[[], object],
    sizes: Sequence[int],
    X: object,
    y: object,
    splits: Iterable,
    loss: Loss = mean_squared_error,
) -> LearningCurve:
    """Fit ``make_model()`` on the first ``n`` training indices of every split, for each size n.

    The subsets are nested: the model trained on 100 examples sees the 50 of the
    previous size plus 50 more, so the curve isolates the effect of data size. Pass
    shuffled splits (e.g. ``ShuffleSplit``) so that "the first n" is a random
    sample. Reference: ``sklearn.model_selection.learning_curve(...,
    shuffle=False)`` with the same ``cv`` splits. Used in lecture 4.2.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a new, unfitted estimator.
    sizes : sequence of int
        Strictly increasing training-set sizes, each at most the size of the
        smallest training split.
    X, y : array-like
        ``(n, d)`` features and ``(n,)`` targets.
    splits : iterable of (train_indices, val_indices)
        Disjoint integer index arrays.
    loss : callable
        ``loss(y_true, y_pred) -> float``; mean squared error by default.

    Returns
    -------
    LearningCurve
    """
    train_errors = np.empty((len(sizes), len(splits)))
    val_errors = np.empty_like(train_errors)
    for i, size in enumerate(sizes):
        for k, (train, val) in enumerate(splits):
            subset = train[:size]
            model = make_model()
            model.fit(X[subset], y[subset])
            train_errors[i, k] = loss(y[subset], model.predict(X[subset]))
            val_errors[i, k] = loss(y[val], model.predict(X[val]))
    return LearningCurve(sizes=sizes, train_errors=train_errors, val_errors=val_errors)


@boundary(sizes=_sizes, small_error="vector", big_error="vector",
          same_length=("sizes", "small_error", "big_error"))
def crossover_size(sizes: object, small_error: object, big_error: object) -> int | None:
    """The smallest size from which the big model's error stays below the small model's.

    Returns the first ``sizes[i]`` such that ``big_error[j] < small_error[j]`` for
    every ``j >= i``; ``None`` if the big model is not ahead at the largest size.
    Used in lecture 4.2.

    Parameters
    ----------
    sizes : array-like of int, shape (m,)
        Positive, strictly increasing data sizes.
    small_error, big_error : array-like of shape (m,)
        Finite validation errors of the two models at those sizes.

    Returns
    -------
    int or None
    """
    big_ahead = big_error < small_error
    if not big_ahead[-1]:
        return None
    behind = np.flatnonzero(~big_ahead)
    first = 0 if behind.size == 0 else int(behind[-1]) + 1
    return int(sizes[first])
