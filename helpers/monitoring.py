"""Monitoring a deployed model: label-free statistics that detect data drift.

Labels of production data arrive late or never, but its inputs can be compared
with the training inputs at once. This module implements the two-sample
Kolmogorov-Smirnov (KS) statistic from scratch, applies it to every feature of
a batch, and turns the per-feature statistics into one drift score with an
alarm threshold calibrated on data known to be free of drift (the univariate
"KS per feature" detector studied by Rabanser et al., 2019). Used in lecture 1.1.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import boundary, check_int, check_vector, one_of, with_options

REDUCTIONS = ("mean", "max")


def _as_sample(values: object, name: str) -> np.ndarray:
    """A 1-D float array with at least one value and no NaN (infinity is ordered)."""
    return check_vector(values, name, allow_inf=True)


def _as_table(values: object, name: str) -> np.ndarray:
    """A 2-D float array (rows = examples, columns = features) without NaN."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional (examples x features), "
                         f"got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; drop or impute missing values first")
    return arr


def ks_statistic(sample_a: object, sample_b: object) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between two empirical CDFs.

    ``D = max_x |F_a(x) - F_b(x)|``, where ``F_a(x)`` is the fraction of ``sample_a``
    that is ``<= x``. The maximum is attained at one of the observed values, so it
    suffices to evaluate both CDFs there; with both samples sorted, each evaluation
    is a binary search, for ``O(N log N)`` time in total (``N = n_a + n_b``). Ties,
    within or across samples, are handled exactly. Used in lecture 1.1.

    Parameters
    ----------
    sample_a, sample_b : array-like, 1-D
        Non-empty samples of real numbers, of any sizes; NaN is not allowed
        (infinities are fine).

    Returns
    -------
    float
        The statistic in ``[0, 1]``: 0 for identical empirical distributions, 1 when
        every value of one sample is below every value of the other.

    Raises
    ------
    ValueError
        If a sample is empty, not one-dimensional, or contains NaN.

    Examples
    --------
    >>> ks_statistic([1, 2, 3], [1, 2, 3])
    0.0
    >>> ks_statistic([1, 2], [3, 4])
    1.0
    """
    a = np.sort(_as_sample(sample_a, "sample_a"))
    b = np.sort(_as_sample(sample_b, "sample_b"))
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / a.size
    cdf_b = np.searchsorted(b, points, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def feature_ks(reference: object, batch: object) -> np.ndarray:
    """KS statistic of every feature (column) of ``batch`` against ``reference``.

    Used in lecture 1.1.

    Parameters
    ----------
    reference : array-like, shape (n_reference, n_features)
        Inputs the model was trained on (or any sample of the expected distribution).
    batch : array-like, shape (n_batch, n_features)
        Newly arrived inputs, same features in the same order.

    Returns
    -------
    numpy.ndarray, shape (n_features,)
        ``ks_statistic(reference[:, j], batch[:, j])`` for every feature ``j``.

    Raises
    ------
    ValueError
        If either table is not 2-D, is empty or contains NaN, or if the numbers of
        features differ.
    """
    ref = _as_table(reference, "reference")
    new = _as_table(batch, "batch")
    if ref.shape[1] != new.shape[1]:
        raise ValueError(f"reference has {ref.shape[1]} features but batch has "
                         f"{new.shape[1]}; the columns must match")
    return np.array([ks_statistic(ref[:, j], new[:, j]) for j in range(ref.shape[1])])


@boundary(reduce=one_of(REDUCTIONS))
def drift_score(reference: object, batch: object, reduce: str = "mean") -> float:
    """One number saying how far ``batch`` has drifted from ``reference``.

    The per-feature KS statistics of :func:`feature_ks`, averaged (``"mean"``: many
    features moving a little) or maximised (``"max"``: one feature moving a lot).
    Used in lecture 1.1.

    Parameters
    ----------
    reference, batch : array-like, 2-D
        As for :func:`feature_ks`.
    reduce : {"mean", "max"}
        How to combine the per-feature statistics.

    Returns
    -------
    float
        The drift score in ``[0, 1]``.

    Raises
    ------
    ValueError
        For an unknown ``reduce`` or invalid tables (see :func:`feature_ks`).
    """
    stats = feature_ks(reference, batch)
    return float(stats.mean() if reduce == "mean" else stats.max())


@boundary(reference=with_options(_as_table), holdout=with_options(_as_table), rng="rng",
          n_batches="int >= 1", quantile="real in (0, 1]", reduce=one_of(REDUCTIONS))
def calibrate_threshold(
    reference: object,
    holdout: object,
    batch_size: int,
    rng: np.random.Generator,
    n_batches: int = 100,
    quantile: float = 0.99,
    reduce: str = "mean",
) -> float:
    """Alarm threshold for :func:`drift_score`, calibrated on drift-free data.

    Draws ``n_batches`` batches of ``batch_size`` rows (without replacement within a
    batch) from ``holdout`` -- data from the training distribution that is not part
    of ``reference`` -- scores each against ``reference`` and returns the
    ``quantile`` of those scores. A batch scoring above it is unusual under "no
    drift": the false-alarm rate per batch is about ``1 - quantile``. Used in
    lecture 1.1.

    Parameters
    ----------
    reference : array-like, 2-D
        The reference inputs the monitor compares against (e.g. the training set).
    holdout : array-like, 2-D
        Drift-free inputs disjoint from ``reference`` (e.g. the validation set).
    batch_size : int
        Size of the production batches the monitor will score (the score's
        no-drift level depends on it: smaller batches give larger KS statistics).
    rng : numpy.random.Generator
        Source of randomness for drawing the batches.
    n_batches : int
        How many drift-free batches to score.
    quantile : float
        In ``(0, 1]``; the threshold is this quantile of the drift-free scores.
    reduce : {"mean", "max"}
        Passed to :func:`drift_score`.

    Returns
    -------
    float
        The threshold.

    Raises
    ------
    ValueError
        If ``batch_size`` is not between 1 and the number of holdout rows,
        ``n_batches`` is not positive, ``quantile`` is outside ``(0, 1]``, or the
        tables are invalid.
    """
    batch_size = check_int("batch_size", batch_size, low=1, high=holdout.shape[0])
    scores = [
        drift_score(reference, holdout[rng.choice(len(holdout), size=batch_size, replace=False)],
                    reduce=reduce)
        for _ in range(n_batches)
    ]
    return float(np.quantile(scores, quantile))
