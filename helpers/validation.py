"""Validation splits and cross-validation from scratch, and a check for leaked duplicates.

Used in lecture 4.3. A validation set is carved out of the training data to choose
models and hyper-parameters; how it is carved decides whether its error says
anything about the data the model will meet later:

- :func:`random_split` assumes the examples are independent and identically
  distributed (IID);
- :func:`sequential_split` and :func:`time_series_splits` validate on data *after*
  the training period, for data that changes over time;
- :func:`group_split` and :func:`group_k_fold` keep every group (a person, a video,
  a house, an area) on one side, so that no group is both trained and validated on;
- :func:`balanced_validation_indices` takes the same number of examples of every
  class, for small or imbalanced data;
- :func:`k_fold_indices` and :func:`cross_val_score` implement K-fold
  cross-validation;
- :func:`row_hashes` and :func:`cross_split_duplicates` find validation examples
  whose exact copy is in the training data, the most common cause of results that
  are too good to be true.

Every split returns integer index arrays ``(train, val)``, each sorted
increasingly, disjoint, and together covering the examples used. The functions
mirror scikit-learn's ``train_test_split``, ``KFold``, ``GroupKFold``,
``TimeSeriesSplit`` and ``cross_val_score`` where their semantics coincide (each
docstring says how), and are tested against them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real

import numpy as np
import pandas as pd

from helpers.checks import boundary, check_indices, check_splits
from helpers.complexity import _check_data, mean_squared_error

__all__ = [
    "Split",
    "balanced_validation_indices",
    "cross_split_duplicates",
    "cross_val_score",
    "group_k_fold",
    "group_split",
    "k_fold_indices",
    "random_split",
    "row_hashes",
    "sequential_split",
    "time_series_splits",
]

Split = tuple[np.ndarray, np.ndarray]
"""A pair ``(train_indices, val_indices)`` of sorted, disjoint int64 arrays."""


# --------------------------------------------------------------------------- validation


def _as_times(_: str, times: object) -> np.ndarray:
    """Times as a 1-D array of float or datetime64 values, without NaN/NaT (a
    :func:`helpers.checks.boundary` converter)."""
    if isinstance(times, str | bytes):
        raise TypeError("times must be an array of times, got a string")
    if isinstance(times, pd.Series | pd.Index):
        times = times.to_numpy()
    arr = np.asarray(times)
    if arr.ndim != 1:
        raise ValueError(f"times must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("times is empty")
    if not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.datetime64)):
        raise TypeError(f"times must be numbers or datetime64 values, got dtype {arr.dtype}")
    if pd.isna(arr).any():
        raise ValueError("times contains missing values (NaN/NaT)")
    return arr


def _share(fraction: float, total: int) -> int:
    """``ceil(fraction * total)``, immune to float fuzz: 7/25 of 25 is 7, not 8."""
    return math.ceil(round(fraction * total, 6))


def _pair(n: int, val_mask: np.ndarray) -> Split:
    val = np.flatnonzero(val_mask).astype(np.int64)
    train = np.flatnonzero(~val_mask).astype(np.int64)
    return train, val


# --------------------------------------------------------------------------- one split


def _random_split_args(args: dict) -> None:
    """Check and convert the arguments of :func:`random_split` (in place)."""
    n, val_fraction = args["n"], args["val_fraction"]
    if _share(val_fraction, n) >= n:
        raise ValueError(f"val_fraction={val_fraction} leaves no training example out of {n}")


@boundary(n="int >= 2", val_fraction="real in (0, 1)", seed="int >= 0",
          check=_random_split_args)
def random_split(n: int, val_fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out a uniformly random ``ceil(val_fraction * n)`` of ``n`` examples.

    Valid when the examples are independent and identically distributed (IID):
    then the validation set is a fresh sample of the same distribution. Like
    ``sklearn.model_selection.train_test_split`` (the same sizes; a different
    random stream). Used in lecture 4.3.

    Parameters
    ----------
    n : int
        Number of examples (at least 2).
    val_fraction : float
        Share of the examples to validate on, in (0, 1).
    seed : int
        Non-negative seed of the permutation.

    Returns
    -------
    (train, val) : tuple of numpy.ndarray
        Sorted, disjoint indices covering ``range(n)``; neither is empty.
    """
    n_val = _share(val_fraction, n)
    chosen = np.random.default_rng(seed).permutation(n)[:n_val]
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    return _pair(n, mask)


def _sequential_args(args: dict) -> None:
    """Check and convert the arguments of :func:`sequential_split` (in place)."""
    times, val_fraction, cutoff = args["times"], args["val_fraction"], args["cutoff"]
    if (val_fraction is None) == (cutoff is None):
        raise ValueError("give exactly one of val_fraction and cutoff")
    if cutoff is None:
        n_val = _share(val_fraction, len(times))
        if n_val >= len(times):
            raise ValueError(f"val_fraction={val_fraction} leaves no training example out of "
                             f"{len(times)}")
        cut = np.sort(times, kind="stable")[len(times) - n_val]
    else:
        cut = np.datetime64(cutoff) if np.issubdtype(times.dtype, np.datetime64) else cutoff
        if not np.issubdtype(times.dtype, np.datetime64) and (
                isinstance(cut, bool) or not isinstance(cut, Real)):
            raise TypeError(f"cutoff must be a number for numeric times, got {cutoff!r}")
        args["cutoff"] = cut
    mask = times >= cut
    if mask.all():
        raise ValueError("no example is before the cutoff: the training set would be empty "
                         "(all times may be equal)")
    if not mask.any():
        raise ValueError("no example is at or after the cutoff: the validation set would be "
                         "empty")


@boundary(times=_as_times, val_fraction="real in (0, 1) or None", check=_sequential_args)
def sequential_split(times: object, val_fraction: float | None = None,
                     cutoff: object = None) -> Split:
    """Validate on the latest examples: every validation time is after every training time.

    Give exactly one of ``val_fraction`` and ``cutoff``. With ``cutoff``, examples
    with ``time >= cutoff`` are validated on and the earlier ones trained on. With
    ``val_fraction``, the cutoff is the time of the example at position
    ``n - ceil(val_fraction * n)`` in time order; examples that share that time all
    go to validation (never split across the boundary), so the validation set may
    be slightly larger than asked. For sorted, distinct times this is the last
    ``ceil(val_fraction * n)`` examples. Used in lecture 4.3.

    Parameters
    ----------
    times : array-like of shape (n,)
        Numbers or ``datetime64`` values (a pandas datetime Series works); any order.
    val_fraction : float, optional
        Share of the examples to validate on, in (0, 1).
    cutoff : number or datetime-like, optional
        First validation time (e.g. ``"2021-06-01"`` for datetime times).

    Returns
    -------
    (train, val) : tuple of numpy.ndarray
        Sorted indices into ``times``, neither empty, with
        ``times[train].max() < times[val].min()``.
    """
    if cutoff is None:  # the time at position n - ceil(val_fraction * n) in time order
        cutoff = np.sort(times, kind="stable")[len(times) - _share(val_fraction, len(times))]
    return _pair(len(times), times >= cutoff)


@boundary(groups="labels", val_fraction="real in (0, 1)", seed="int >= 0")
def group_split(groups: object, val_fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out a random ``ceil(val_fraction * num_groups)`` of the groups, with all their examples.

    No group has examples on both sides, so the validation error measures how the
    model does on *new* groups (people, videos, houses, areas). The fraction counts
    groups, not examples, as in ``sklearn.model_selection.GroupShuffleSplit``.
    Used in lecture 4.3.

    Parameters
    ----------
    groups : array-like of shape (n,)
        Group label of every example (any hashable, sortable values, no NaN).
    val_fraction : float
        Share of the groups to validate on, in (0, 1).
    seed : int
        Non-negative seed of the group permutation.

    Returns
    -------
    (train, val) : tuple of numpy.ndarray
        Sorted indices; ``set(groups[train])`` and ``set(groups[val])`` are disjoint.
    """
    unique, inverse = np.unique(groups, return_inverse=True)
    if len(unique) < 2:
        raise ValueError(f"group_split needs at least 2 groups, got {len(unique)}")
    n_val = _share(val_fraction, len(unique))
    if n_val >= len(unique):
        raise ValueError(f"val_fraction={val_fraction} leaves no training group out of "
                         f"{len(unique)}")
    val_groups = np.random.default_rng(seed).permutation(len(unique))[:n_val]
    return _pair(len(groups), np.isin(inverse, val_groups))


def _balanced_args(args: dict) -> None:
    """Check and convert the arguments of :func:`balanced_validation_indices` (in place)."""
    y, per_class = args["y"], args["per_class"]
    classes, counts = np.unique(y, return_counts=True)
    short = [str(c) for c, k in zip(classes, counts, strict=True) if k <= per_class]
    if short:
        raise ValueError(f"classes {short} have at most per_class={per_class} examples; "
                         "each class needs per_class validation examples plus at least one "
                         "training example")


@boundary(y="labels", per_class="int >= 1", seed="int >= 0", check=_balanced_args)
def balanced_validation_indices(y: object, per_class: int, seed: int = 0) -> Split:
    """Validate on exactly ``per_class`` random examples of every class; train on the rest.

    For small or imbalanced data: a random validation set of the same size may hold
    only a handful of examples of a rare class, so per-class metrics (recall) on
    it are noisy. Metrics that depend on the class proportions (accuracy,
    precision) must be reweighted to the real proportions. Unlike
    ``StratifiedShuffleSplit``, which keeps the proportions, this equalises them.
    Used in lecture 4.3.

    Parameters
    ----------
    y : array-like of shape (n,)
        Class labels (no NaN).
    per_class : int
        Validation examples per class (at least 1); every class needs more than
        that, so that it keeps at least one training example.
    seed : int
        Non-negative seed.

    Returns
    -------
    (train, val) : tuple of numpy.ndarray
        Sorted indices; ``val`` holds ``per_class`` examples of each class.
    """
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for c in range(len(classes)):
        members = np.flatnonzero(inverse == c)
        mask[rng.choice(members, size=per_class, replace=False)] = True
    return _pair(len(y), mask)


# --------------------------------------------------------------------------- K splits


def _k_fold_args(args: dict) -> None:
    """Check and convert the arguments of :func:`k_fold_indices` (in place)."""
    n, k = args["n"], args["k"]
    if k > n:
        raise ValueError(f"cannot make k={k} folds of n={n} examples: need k <= n")


@boundary(n="int >= 1", k="int >= 2", shuffle="bool", seed="int >= 0", check=_k_fold_args)
def k_fold_indices(n: int, k: int, shuffle: bool = False, seed: int = 0) -> list[Split]:
    """Split ``n`` examples into ``k`` non-overlapping folds; each fold validates once.

    The first ``n % k`` folds get ``n // k + 1`` examples and the others ``n // k``,
    so fold sizes differ by at most one. Without shuffling the folds are
    consecutive blocks, exactly ``sklearn.model_selection.KFold(k)``; with
    ``shuffle=True`` the examples are permuted first (seeded; a different random
    stream than scikit-learn's). Used in lecture 4.3.

    Parameters
    ----------
    n : int
        Number of examples.
    k : int
        Number of folds, ``2 <= k <= n``.
    shuffle : bool
        Permute the examples before cutting the folds.
    seed : int
        Non-negative seed, used only when ``shuffle`` is true.

    Returns
    -------
    list of (train, val)
        ``k`` pairs of sorted indices; the ``val`` arrays partition ``range(n)``.
    """
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    folds = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        mask = np.zeros(n, dtype=bool)
        mask[order[start:stop]] = True
        folds.append(_pair(n, mask))
    return folds


def _group_k_fold_args(args: dict) -> None:
    """Check and convert the arguments of :func:`group_k_fold` (in place)."""
    groups, k = args["groups"], args["k"]
    num_groups = len(np.unique(groups))
    if k > num_groups:
        raise ValueError(f"cannot make k={k} folds from {num_groups} groups: need k <= "
                         "number of groups")


@boundary(groups="labels", k="int >= 2", check=_group_k_fold_args)
def group_k_fold(groups: object, k: int) -> list[Split]:
    """K-fold cross-validation over groups: every group is validated in exactly one fold.

    Groups are assigned greedily, largest first, to the fold with the fewest
    examples so far, which balances the fold sizes; this is the (non-shuffled)
    algorithm of ``sklearn.model_selection.GroupKFold``, and the folds are the same
    (in the same order). Used in lecture 4.3.

    Parameters
    ----------
    groups : array-like of shape (n,)
        Group label of every example (no NaN).
    k : int
        Number of folds, ``2 <= k <= number of groups``.

    Returns
    -------
    list of (train, val)
        ``k`` pairs of sorted indices; no group is on both sides of any pair.
    """
    unique, inverse = np.unique(groups, return_inverse=True)
    sizes = np.bincount(inverse)
    largest_first = np.argsort(sizes, kind="stable")[::-1]
    fold_sizes = np.zeros(k)
    group_fold = np.empty(len(unique), dtype=np.int64)
    for g in largest_first:
        lightest = int(np.argmin(fold_sizes))
        fold_sizes[lightest] += sizes[g]
        group_fold[g] = lightest
    example_fold = group_fold[inverse]
    return [_pair(len(groups), example_fold == f) for f in range(k)]


@boundary(times=_as_times, k="int >= 2")
def time_series_splits(times: object, k: int) -> list[Split]:
    """Expanding-window splits: validate on ``k`` consecutive later blocks, train on all before.

    In time order, the data is cut into ``k + 1`` parts of ``n // (k + 1)``
    examples (the first part takes the remainder). Split ``j`` trains on
    everything before validation block ``j`` and validates on that block, so
    every validation time is after every training time of its split, and later
    splits train on more data. For sorted, distinct times the splits are exactly
    those of ``sklearn.model_selection.TimeSeriesSplit(k)``; examples that share a
    time are never cut apart (a block boundary moves to the first example with
    that time). Used in lecture 4.3.

    Parameters
    ----------
    times : array-like of shape (n,)
        Numbers or ``datetime64`` values, any order.
    k : int
        Number of splits, ``2 <= k`` and ``k + 1 <= n``.

    Returns
    -------
    list of (train, val)
        ``k`` pairs of sorted indices into ``times``.
    """
    n = len(times)
    if k + 1 > n:
        raise ValueError(f"cannot make k={k} time-series splits of n={n} examples: need "
                         "k + 1 <= n")
    block = n // (k + 1)
    sorted_times = np.sort(times, kind="stable")
    cuts = [sorted_times[n - (k - j) * block] for j in range(k)]
    splits = []
    for j, cut in enumerate(cuts):
        val_mask = times >= cut
        if j + 1 < k:
            val_mask &= times < cuts[j + 1]
        train_mask = times < cut
        if not val_mask.any() or not train_mask.any():
            raise ValueError(f"split {j} is empty because too many examples share a time; "
                             "use fewer splits")
        splits.append((np.flatnonzero(train_mask).astype(np.int64),
                       np.flatnonzero(val_mask).astype(np.int64)))
    return splits


# --------------------------------------------------------------------------- scoring


def _cross_val_args(args: dict) -> None:
    """Check and convert the arguments of :func:`cross_val_score` (in place)."""
    args["X"], args["y"] = _check_data(args["X"], args["y"])
    if args["y"].ndim != 1:
        raise ValueError(f"y must be 1-D, one value per row of X, got shape {args['y'].shape}")
    args["folds"] = check_splits(args["folds"], len(args["X"]), name="folds")


@boundary(make_model="callable", metric="callable", check=_cross_val_args)
def cross_val_score(
    make_model: Callable[[], object],
    X: object,
    y: object,
    folds: Iterable,
    metric: Callable[[np.ndarray, np.ndarray], float] = mean_squared_error,
) -> np.ndarray:
    """Train a fresh model on each fold's training part and score it on its validation part.

    K-fold cross-validation is ``cross_val_score(make_model, X, y,
    k_fold_indices(len(X), k))``; its estimate is the mean of the returned values.
    Every round calls ``make_model()`` and so trains from scratch. The reference is
    ``sklearn.model_selection.cross_val_score(model, X, y, cv=folds,
    scoring=...)``, which clones the model each round; scikit-learn reports
    *scores* (larger is better, e.g. ``neg_mean_squared_error``), this function
    whatever ``metric`` returns (by default the mean squared error, an error).
    Used in lecture 4.3.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a new, unfitted estimator with ``fit`` and ``predict``.
    X : array-like of shape (n, d)
        Features.
    y : array-like of shape (n,)
        Targets.
    folds : iterable of (train, val)
        Disjoint index pairs, e.g. from :func:`k_fold_indices`.
    metric : callable
        ``metric(y_true, y_pred) -> float``.

    Returns
    -------
    numpy.ndarray
        One value per fold, in the order of ``folds``.
    """
    values = np.empty(len(folds))
    for j, (train, val) in enumerate(folds):
        model = make_model()
        model.fit(X[train], y[train])
        values[j] = metric(y[val], model.predict(X[val]))
    return values


# --------------------------------------------------------------------------- duplicates


def row_hashes(X: object) -> np.ndarray:
    """A 64-bit hash of every row: equal rows get equal hashes.

    Hashes the values (not the index) with ``pandas.util.hash_pandas_object``;
    two different rows collide with probability about ``2**-64``, so equal
    hashes mean equal rows for any practical data size. NaN hashes equal to NaN.
    To find *near*-duplicates, hash only the columns that identify an example
    (an address and a date, say). Used in lecture 4.3.

    Parameters
    ----------
    X : array-like of shape (n, d) or pandas.DataFrame
        The rows to hash.

    Returns
    -------
    numpy.ndarray of uint64, shape (n,)
    """
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"X must be 2-D (num_examples, num_features), got shape "
                             f"{arr.shape}")
        frame = pd.DataFrame(arr)
    if frame.shape[1] == 0:
        raise ValueError("X has no columns to hash")
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


def _duplicates_args(args: dict) -> None:
    n = len(args["X"]) if hasattr(args["X"], "__len__") else np.inf  # else row_hashes raises
    for name in ("train", "val"):
        args[name] = check_indices(name, args[name], n, allow_empty=True)


@boundary(check=_duplicates_args)
def cross_split_duplicates(X: object, train: object, val: object) -> np.ndarray:
    """Validation examples whose exact row also occurs in the training examples.

    A non-empty answer means the validation set is contaminated: a model that
    memorises its training data will look better on these rows than it is. Used
    in lecture 4.3.

    Parameters
    ----------
    X : array-like of shape (n, d) or pandas.DataFrame
        All examples (hash the identifying columns only to catch near-duplicates).
    train, val : array-like of int
        Indices of the training and the validation examples.

    Returns
    -------
    numpy.ndarray of int64
        The entries of ``val`` (sorted) whose row equals some training row.
    """
    hashes = row_hashes(X)
    hit = np.isin(hashes[val], hashes[train])
    return np.sort(val[hit]).astype(np.int64)
