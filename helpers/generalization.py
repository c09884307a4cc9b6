"""Generalisation of a finite hypothesis class, by exact computation and simulation.

Used in appendix A.1 (why more data and a smaller hypothesis set generalise). The
theory bounds how far the loss of a hypothesis on a training set ``D_train`` can be
from its loss on everything, ``D_all``. Checking the bound needs ``L(h, D_all)``
exactly, so the data come from a known distribution, :class:`StepDistribution`:

- ``x ~ Uniform(0, 1)`` and ``P(y = 1 | x) = p(x)``, a step function (constant on the
  intervals between ``breakpoints``). :func:`noisy_threshold` is the simplest case,
  ``y = 1[x > t_star]`` with every label flipped with probability ``noise``;
- ``L(h, D_all) = P(h(x) != y)`` (the 0-1 loss) is then an integral of ``p`` that
  :class:`StepDistribution` evaluates in closed form.

Two finite hypothesis classes on ``[0, 1]``:

- **thresholds** ``h_t(x) = 1[x > t]`` for ``t`` in a grid of ``|H|`` values
  (:func:`threshold_grid`): :func:`threshold_population_loss` (exact),
  :func:`threshold_empirical_loss` (on many data sets at once) and
  :func:`erm_threshold` (the trained hypothesis ``h_train``);
- **histogram classifiers** with ``B`` equal bins, one label per bin, ``|H| = 2^B``:
  :func:`histogram_population_loss`, :func:`histogram_empirical_loss` and
  :func:`histogram_erm` (majority vote in every bin).

:func:`uniform_deviation` draws many training sets and returns, for each, the largest
gap ``max_h |L(h, D_train) - L(h, D_all)|`` over the threshold class;
:func:`bad_set_frequency` is the fraction of sets where it exceeds ``eps`` (the set is
"bad"), and :func:`hoeffding_union_bound` is the bound ``|H| * 2 exp(-2 N eps^2)`` on
that probability. All simulations are vectorised: one pass of ``np.bincount`` and
``np.cumsum`` scores every hypothesis on every data set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np

from helpers.checks import boundary, check_positive_int, instance

__all__ = [
    "StepDistribution",
    "bad_set_frequency",
    "erm_threshold",
    "histogram_best",
    "histogram_empirical_loss",
    "histogram_erm",
    "histogram_population_loss",
    "hoeffding_bound",
    "hoeffding_union_bound",
    "noisy_threshold",
    "samples_needed",
    "threshold_empirical_loss",
    "threshold_grid",
    "threshold_population_loss",
    "uniform_deviation",
]

def _bounded(name: str, values: object, *, low: float, inclusive: bool = True) -> np.ndarray:
    """A :func:`helpers.checks.boundary` converter: a finite float array (or scalar) whose
    entries are ``>= low`` (``> low`` unless ``inclusive``)."""
    arr = np.asarray(values, dtype=float)
    if not (np.isfinite(arr).all() and (arr >= low if inclusive else arr > low).all()):
        raise ValueError(f"{name} must be {f'at least {low}' if inclusive else 'positive'} "
                         f"and finite, got {values!r}")
    return arr


_AT_LEAST_1 = partial(_bounded, low=1)
_POSITIVE = partial(_bounded, low=0, inclusive=False)

# Largest number of (data set x bin) counters built at once by the simulations.
_CHUNK_CELLS = 2_000_000


# --------------------------------------------------------------------------- validation


def _check_data(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Inputs in [0, 1] and 0/1 labels of the same shape ``(..., n)``, ``n >= 1``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y)
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., n)")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    if x.shape[-1] == 0 or x.size == 0:
        raise ValueError(f"x and y are empty (shape {x.shape})")
    if np.isnan(x).any():
        raise ValueError("x contains NaN")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"x must lie in [0, 1], got values in [{x.min()}, {x.max()}]")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold 0/1 labels")
    return x, y.astype(np.int64)


def _check_tables(tables: object) -> np.ndarray:
    """Histogram classifiers as a ``(M, B)`` 0/1 array (a single ``(B,)`` row is accepted)."""
    t = np.asarray(tables)
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(f"tables must be (num_models, num_bins) with both sizes >= 1, "
                         f"got shape {np.asarray(tables).shape}")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("tables must hold 0/1 labels, one per bin")
    return t.astype(np.int64)


def _flat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    lead = x.shape[:-1]
    n = x.shape[-1]
    return x.reshape(-1, n), y.reshape(-1, n), lead


def _bin_counts(bins: np.ndarray, y: np.ndarray, num_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of label 0 and label 1 in every bin of every row: two ``(R, num_bins)`` arrays."""
    num_rows = len(bins)
    flat = (bins + num_bins * np.arange(num_rows)[:, None]).ravel()
    labels = y.ravel()
    size = num_rows * num_bins
    ones = np.bincount(flat, weights=labels, minlength=size).reshape(num_rows, num_bins)
    total = np.bincount(flat, minlength=size).reshape(num_rows, num_bins)
    return total - ones, ones


# --------------------------------------------------------------------------- distribution


@dataclass(frozen=True)
class StepDistribution:
    """``x ~ Uniform(0, 1)``, ``P(y = 1 | x) = probs[k]`` on ``[breakpoints[k], breakpoints[k+1])``.

    A distribution whose losses are known exactly: the 0-1 loss of any hypothesis that
    is constant on intervals is an integral of the step function ``p``. Used in
    appendix A.1 as ``D_all``, the data we would like to do well on.

    Parameters
    ----------
    breakpoints : array-like
        ``K + 1`` strictly increasing values from 0 to 1.
    probs : array-like
        ``K`` probabilities of the label 1, one per interval.
    """

    breakpoints: np.ndarray
    probs: np.ndarray

    def __post_init__(self) -> None:
        b = np.asarray(self.breakpoints, dtype=float)
        p = np.asarray(self.probs, dtype=float)
        if b.ndim != 1 or p.ndim != 1 or len(b) != len(p) + 1 or len(p) == 0:
            raise ValueError(f"need K + 1 breakpoints for K >= 1 probabilities, got "
                             f"{b.shape} breakpoints and {p.shape} probabilities")
        if not (np.isfinite(b).all() and np.isfinite(p).all()):
            raise ValueError("breakpoints and probs must be finite")
        if b[0] != 0 or b[-1] != 1 or (np.diff(b) <= 0).any():
            raise ValueError("breakpoints must increase strictly from 0 to 1")
        if (p < 0).any() or (p > 1).any():
            raise ValueError("probs must lie in [0, 1]")
        object.__setattr__(self, "breakpoints", b)
        object.__setattr__(self, "probs", p)
        # integral of p from 0 to each breakpoint: F is piecewise linear between them
        object.__setattr__(self, "_mass", np.r_[0.0, np.cumsum(p * np.diff(b))])

    def p(self, x: object) -> np.ndarray:
        """``P(y = 1 | x)`` at every ``x`` in [0, 1]."""
        x = np.asarray(x, dtype=float)
        k = np.clip(np.searchsorted(self.breakpoints, x, side="right") - 1, 0,
                    len(self.probs) - 1)
        return self.probs[k]

    def positive_mass(self, t: object) -> np.ndarray:
        """``P(x <= t and y = 1) = integral of p from 0 to t``, with ``t`` clipped to [0, 1]."""
        t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
        return np.interp(t, self.breakpoints, self._mass)

    def bayes_loss(self) -> float:
        """The smallest 0-1 loss any classifier can reach, ``integral of min(p, 1 - p)``."""
        return float(np.sum(np.minimum(self.probs, 1 - self.probs) * np.diff(self.breakpoints)))

    @boundary(n="int >= 1", rng="rng")
    def sample(self, n: int, rng: np.random.Generator,
               num_sets: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` examples, or ``num_sets`` independent data sets of ``n`` examples.

        Returns
        -------
        x, y : numpy.ndarray
            Shape ``(n,)`` or ``(num_sets, n)``; ``y`` holds 0/1 integers.
        """
        shape = (n,) if num_sets is None else (check_positive_int("num_sets", num_sets), n)
        x = rng.random(shape)
        y = (rng.random(shape) < self.p(x)).astype(np.int64)
        return x, y


@boundary(t_star="real in (0, 1)",
          noise="real in [0, 1]")
def noisy_threshold(t_star: float, noise: float) -> StepDistribution:
    """The label is ``1[x > t_star]``, flipped with probability ``noise``.

    ``x ~ Uniform(0, 1)``. The best threshold is ``t_star`` and its loss, the Bayes
    loss, is ``noise``; a threshold ``t`` has loss ``noise + (1 - 2 noise) |t - t_star|``.
    Used in appendix A.1.
    """
    if noise >= 0.5:
        raise ValueError(f"noise must be below 0.5 (at 0.5 the labels carry no signal), "
                         f"got {noise}")
    return StepDistribution(np.array([0.0, t_star, 1.0]), np.array([noise, 1 - noise]))


# --------------------------------------------------------------------------- thresholds


@boundary(size="int >= 1")
def threshold_grid(size: int) -> np.ndarray:
    """``size`` equally spaced thresholds, the midpoints ``(i + 0.5) / size`` of ``size`` cells.

    A finite hypothesis class ``{h_t : t in grid}`` with ``|H| = size``. Used in
    appendix A.1.
    """
    return (np.arange(size) + 0.5) / size


@boundary(thresholds="vector", dist=instance(StepDistribution))
def threshold_population_loss(thresholds: object, dist: StepDistribution) -> np.ndarray:
    """Exact ``L(h_t, D_all) = P(h_t(x) != y)`` of ``h_t(x) = 1[x > t]`` for every threshold.

    ``h_t`` errs on the positives left of ``t`` and on the negatives right of it:
    ``L = F(t) + (1 - t) - (F(1) - F(t))`` with ``F(t) = P(x <= t, y = 1)``
    (thresholds outside [0, 1] act as 0 or 1). Used in appendix A.1.

    Returns
    -------
    numpy.ndarray
        ``(|H|,)`` losses in [0, 1].
    """
    tc = np.clip(thresholds, 0.0, 1.0)
    mass = dist.positive_mass(tc)
    return 2 * mass + (1 - tc) - dist.positive_mass(1.0)


def _empirical_loss_args(args: dict) -> None:
    """Check and convert ``x`` and ``y`` of :func:`threshold_empirical_loss` (in place)."""
    args["x"], args["y"] = _check_data(args["x"], args["y"])


@boundary(thresholds="vector", check=_empirical_loss_args)
def threshold_empirical_loss(thresholds: object, x: object, y: object) -> np.ndarray:
    """``L(h_t, D)``, the fraction of errors of every threshold on every data set.

    Vectorised over the hypotheses and over any leading axes of the data. A point
    ``x`` is labelled 1 exactly by the thresholds below it, so after counting, per
    data set, how many 0s and 1s fall between consecutive (sorted) thresholds, the
    errors of all thresholds are two cumulative sums: ``O((n + |H|) log |H|)`` per data
    set instead of ``O(n |H|)``. Used in appendix A.1.

    Parameters
    ----------
    thresholds : array-like
        ``(|H|,)`` thresholds, in any order.
    x, y : array-like
        ``(..., n)`` inputs in [0, 1] and 0/1 labels.

    Returns
    -------
    numpy.ndarray
        ``(..., |H|)`` losses, in the order of ``thresholds``.
    """
    xf, yf, lead = _flat(x, y)
    order = np.argsort(thresholds, kind="stable")
    num_h, n = len(thresholds), xf.shape[1]
    out = np.empty((len(xf), num_h))
    rows_per_chunk = max(1, _CHUNK_CELLS // (num_h + 1 + n))
    for start in range(0, len(xf), rows_per_chunk):
        rows = slice(start, start + rows_per_chunk)
        # bins[i] = number of thresholds strictly below x_i: thresholds j < bins[i] say 1
        bins = np.searchsorted(thresholds[order], xf[rows], side="left")
        zeros, ones = _bin_counts(bins, yf[rows], num_h + 1)
        ones_below = np.cumsum(ones, axis=1)[:, :num_h]          # y = 1 but h_t says 0
        zeros_above = zeros.sum(axis=1, keepdims=True) - np.cumsum(zeros, axis=1)[:, :num_h]
        block = np.empty((len(bins), num_h))
        block[:, order] = (ones_below + zeros_above) / n          # back to the given order
        out[rows] = block
    return out.reshape(*lead, num_h)


def erm_threshold(thresholds: object, x: object, y: object) -> np.ndarray:
    """Index of ``h_train = argmin_h L(h, D_train)`` for every data set.

    Empirical risk minimisation over the threshold class; ties go to the first
    threshold in the given order (``np.argmin``). Used in appendix A.1.

    Returns
    -------
    numpy.ndarray
        Integer indices into ``thresholds``, shape ``x.shape[:-1]`` (a 0-d array for
        one data set).
    """
    return np.argmin(threshold_empirical_loss(thresholds, x, y), axis=-1)


@boundary(thresholds="vector", n="int >= 1", num_sets="int >= 1", rng="rng")
def uniform_deviation(thresholds: object, dist: StepDistribution, n: int, num_sets: int,
                      rng: np.random.Generator) -> np.ndarray:
    """``max_h |L(h, D_train) - L(h, D_all)|`` for ``num_sets`` fresh training sets of size ``n``.

    A training set is *bad* for ``eps`` when this exceeds ``eps``: then some
    hypothesis looks better (or worse) on it than it is by more than ``eps``. Drawn
    in chunks, so memory stays bounded for any ``num_sets``. Used in appendix A.1.

    Returns
    -------
    numpy.ndarray
        ``(num_sets,)`` deviations in [0, 1].
    """
    true_loss = threshold_population_loss(thresholds, dist)
    rows_per_chunk = max(1, _CHUNK_CELLS // (len(thresholds) + 1 + n))
    deviations = []
    for start in range(0, num_sets, rows_per_chunk):
        x, y = dist.sample(n, rng, num_sets=min(rows_per_chunk, num_sets - start))
        gap = np.abs(threshold_empirical_loss(thresholds, x, y) - true_loss)
        deviations.append(gap.max(axis=1))
    return np.concatenate(deviations)


@boundary(eps=_POSITIVE)
def bad_set_frequency(thresholds: object, dist: StepDistribution, n: int, eps: object,
                      num_sets: int, rng: np.random.Generator) -> float | np.ndarray:
    """Fraction of ``num_sets`` training sets of size ``n`` that are bad for ``eps``.

    Estimates ``P(D_train is bad) = P(max_h |L(h, D_train) - L(h, D_all)| > eps)``, which
    :func:`hoeffding_union_bound` bounds. ``eps`` may be an array: the same training
    sets are scored for every value. Used in appendix A.1.
    """
    deviation = uniform_deviation(thresholds, dist, n, num_sets, rng)
    frequency = (deviation[:, None] > eps.ravel()[None]).mean(axis=0)
    return float(frequency[0]) if eps.ndim == 0 else frequency.reshape(eps.shape)


# --------------------------------------------------------------------------- bounds


def _scalar_or_array(value: np.ndarray) -> float | np.ndarray:
    return float(value) if value.ndim == 0 else value


@boundary(n=_AT_LEAST_1, eps=_POSITIVE)
def hoeffding_bound(n: object, eps: object) -> float | np.ndarray:
    """Hoeffding's bound ``2 exp(-2 n eps^2)`` for one hypothesis and a loss in [0, 1].

    ``P(|L(h, D_train) - L(h, D_all)| > eps) <= 2 exp(-2 n eps^2)`` when ``D_train`` holds
    ``n`` independent examples. Broadcasts over array arguments. Used in appendix A.1.
    """
    return _scalar_or_array(2 * np.exp(-2 * n * eps**2))


@boundary(num_hypotheses=_AT_LEAST_1, n=_AT_LEAST_1, eps=_POSITIVE)
def hoeffding_union_bound(num_hypotheses: object, n: object, eps: object
                          ) -> float | np.ndarray:
    """``P(D_train is bad) <= |H| * 2 exp(-2 n eps^2)``: Hoeffding plus the union bound.

    The set is bad if it is bad for at least one ``h``, and the probability of a union
    is at most the sum of the probabilities. Values above 1 are returned as they are
    (the bound is then vacuous). Broadcasts over array arguments. Used in appendix A.1.
    """
    return _scalar_or_array(num_hypotheses * 2 * np.exp(-2 * n * eps**2))


@boundary(num_hypotheses="int >= 1", eps="real in (0, 1)", prob="real in (0, 1)")
def samples_needed(num_hypotheses: int, eps: float, prob: float) -> int:
    """Smallest ``N`` with ``|H| * 2 exp(-2 N eps^2) <= prob``: ``ceil(ln(2|H|/prob) / (2 eps^2))``.

    ``num_hypotheses`` may be a huge Python int (``2 ** (32 * num_parameters)`` for a
    network of 32-bit floats): only its logarithm is used. Used in appendix A.1.
    """
    log_size = math.log(int(num_hypotheses))
    return math.ceil((log_size + math.log(2 / prob)) / (2 * eps**2))


# --------------------------------------------------------------------------- histograms


def _bins_of(x: np.ndarray, num_bins: int) -> np.ndarray:
    return np.minimum((x * num_bins).astype(np.int64), num_bins - 1)


@boundary(dist=instance(StepDistribution))
def histogram_population_loss(tables: object, dist: StepDistribution) -> np.ndarray:
    """Exact 0-1 loss of histogram classifiers: label ``tables[m, b]`` on bin ``b`` of ``B``.

    Bin ``b`` is ``[b / B, (b + 1) / B)``. A bin labelled 1 costs its negatives,
    a bin labelled 0 its positives. Used in appendix A.1.

    Parameters
    ----------
    tables : array-like
        ``(M, B)`` (or one ``(B,)``) 0/1 labels.
    dist : StepDistribution

    Returns
    -------
    numpy.ndarray
        ``(M,)`` losses.
    """
    tables = _check_tables(tables)
    edges = np.linspace(0, 1, tables.shape[1] + 1)
    positives = np.diff(dist.positive_mass(edges))
    negatives = np.diff(edges) - positives
    return tables @ negatives + (1 - tables) @ positives


@boundary(num_bins="int >= 1", dist=instance(StepDistribution))
def histogram_best(num_bins: int, dist: StepDistribution) -> np.ndarray:
    """The best histogram classifier with ``num_bins`` bins on ``dist``: ``h_all`` of the class.

    Each bin's label affects only that bin, so the best table labels a bin 1 exactly
    when more than half of its probability mass has label 1 (ties: 0). Its loss,
    :func:`histogram_population_loss`, is the lowest the class can reach. Used in
    appendix A.1.

    Returns
    -------
    numpy.ndarray
        ``(num_bins,)`` 0/1 table.
    """
    edges = np.linspace(0, 1, num_bins + 1)
    positives = np.diff(dist.positive_mass(edges))
    return (positives > np.diff(edges) - positives).astype(np.int64)


def histogram_empirical_loss(tables: object, x: object, y: object) -> np.ndarray:
    """Fraction of errors of every histogram classifier on every data set.

    With ``c0[b]``, ``c1[b]`` the numbers of 0s and 1s in bin ``b``, a classifier makes
    ``sum_b c1[b] + tables[m, b] (c0[b] - c1[b])`` errors: one matrix product scores all
    ``M`` classifiers on all data sets. Used in appendix A.1.

    Returns
    -------
    numpy.ndarray
        ``(..., M)`` losses for data of shape ``(..., n)``.
    """
    tables = _check_tables(tables)
    x, y = _check_data(x, y)
    xf, yf, lead = _flat(x, y)
    zeros, ones = _bin_counts(_bins_of(xf, tables.shape[1]), yf, tables.shape[1])
    errors = ones.sum(axis=1, keepdims=True) + (zeros - ones) @ tables.T
    return (errors / xf.shape[1]).reshape(*lead, len(tables))


@boundary(num_bins="int >= 1")
def histogram_erm(num_bins: int, x: object, y: object) -> np.ndarray:
    """The histogram classifier with the fewest training errors: a majority vote per bin.

    Each bin's label only affects that bin's errors, so minimising the training loss
    over all ``2^B`` tables decomposes into ``B`` majority votes. Ties and empty bins
    get label 0. Used in appendix A.1.

    Returns
    -------
    numpy.ndarray
        ``(..., num_bins)`` 0/1 tables for data of shape ``(..., n)``.
    """
    x, y = _check_data(x, y)
    xf, yf, lead = _flat(x, y)
    zeros, ones = _bin_counts(_bins_of(xf, num_bins), yf, num_bins)
    return (ones > zeros).astype(np.int64).reshape(*lead, num_bins)
