"""Time series: walk-forward validation splits, autocorrelation and lag features.

Used in lecture 8.1 (data beyond IID). Consecutive observations of a time series
are not independent: today's value is close to yesterday's. A random train /
validation split then validates on points whose neighbours in time were trained
on, which rewards interpolation; the model will be used to *extrapolate* into the
future. This module gives the tools to measure and respect that dependence:

- :func:`autocorrelation` is the sample autocorrelation function (tested against
  ``statsmodels.tsa.stattools.acf``);
- :func:`lag_features` turns a series into a supervised table of past values;
- :func:`walk_forward_splits` trains on the past and validates on the next block,
  moving forward (the same folds as scikit-learn's ``TimeSeriesSplit``, with its
  ``gap``, ``test_size`` and ``max_train_size`` options).

Lecture 4.3's :func:`helpers.validation.time_series_splits` splits by time stamps;
this module works on positions of an ordered series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.checks import boundary, check_int, check_vector

__all__ = ["autocorrelation", "lag_features", "walk_forward_splits"]


def _autocorrelation_args(args: dict) -> None:
    x, nlags = args["x"], args["nlags"]
    if nlags >= len(x):
        raise ValueError(f"nlags must be smaller than the series length {len(x)}, got {nlags}")
    if np.ptp(x) == 0:  # also when round-off leaves x - mean(x) at ~1e-17 instead of 0
        raise ValueError("x is constant: its autocorrelation is undefined")


@boundary(x="vector", nlags="int >= 0", check=_autocorrelation_args)
def autocorrelation(x: object, nlags: int) -> np.ndarray:
    """The sample autocorrelation function r_0 = 1, r_1, ..., r_nlags.

    ``r_k = sum_{t=k}^{n-1} (x_t - mean)(x_{t-k} - mean) / sum_t (x_t - mean)^2``,
    the usual biased estimate (divides by n at every lag), as statsmodels' ``acf``
    computes by default. Used in lecture 8.1.

    Parameters
    ----------
    x : array-like of shape (n,)
        A finite, non-constant series.
    nlags : int
        The largest lag, 0 <= nlags < n.

    Returns
    -------
    numpy.ndarray of shape (nlags + 1,)
    """
    centred = x - x.mean()
    denominator = np.dot(centred, centred)
    return np.array([np.dot(centred[k:], centred[:len(x) - k]) for k in range(nlags + 1)]
                    ) / denominator


def _indexed_series(name: str, series: object) -> pd.Series:
    """The values as floats, with the Series' index (or 0, 1, ...)."""
    values = check_vector(series, name)
    index = series.index if isinstance(series, pd.Series) else pd.RangeIndex(len(values))
    return pd.Series(values, index=index)


def _lags(name: str, lags: object) -> list[int]:
    lags = [check_int(name, k, low=1) for k in lags]
    if not lags:
        raise ValueError(f"{name} is empty; give at least one positive lag")
    if len(set(lags)) != len(lags):
        raise ValueError(f"{name} has repeated values: {lags}")
    return lags


@boundary(series=_indexed_series, lags=_lags)
def lag_features(series: object, lags: object, name: str = "y") -> pd.DataFrame:
    """A table of past values: column ``f"{name} lag {k}"`` holds the value k steps back.

    Row t holds ``series[t - k]`` for every k in ``lags``; the first ``max(lags)`` rows
    have missing values (there is no past yet) and are usually dropped. Only past
    values enter a row, so a model fitted on the table never sees the value it
    predicts. Used in lecture 8.1.

    Parameters
    ----------
    series : pandas.Series or array-like of shape (n,)
        The series; a Series keeps its index.
    lags : sequence of int
        Positive lags, without repeats.
    name : str
        Prefix of the column names.
    """
    return pd.DataFrame({f"{name} lag {k}": series.shift(k) for k in lags},
                        index=series.index)


def _walk_forward_args(args: dict) -> None:
    n, n_splits, gap = args["n"], args["n_splits"], args["gap"]
    test_size = n // (n_splits + 1) if args["test_size"] is None else args["test_size"]
    if test_size < 1 or n - n_splits * test_size - gap < 1:
        raise ValueError(f"n={n} is too short for n_splits={n_splits}, "
                         f"test_size={test_size} and gap={gap}")


@boundary(n="int >= 1", n_splits="int >= 2", test_size="int >= 1 or None", gap="int >= 0",
          max_train_size="int >= 1 or None", check=_walk_forward_args)
def walk_forward_splits(
    n: int,
    n_splits: int = 5,
    *,
    test_size: int | None = None,
    gap: int = 0,
    max_train_size: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Walk-forward validation: train on the past, validate on the next block.

    The last ``n_splits * test_size`` positions are cut into ``n_splits``
    consecutive validation blocks of ``test_size`` (by default
    ``n // (n_splits + 1)``). Fold i trains on every position before its block,
    minus the ``gap`` positions just before it (so that lag features of the
    validation rows cannot overlap the training targets), keeping at most the last
    ``max_train_size`` of them (a sliding instead of an expanding window).
    The folds are those of scikit-learn's ``TimeSeriesSplit`` (a test checks it).
    Used in lecture 8.1.

    Parameters
    ----------
    n : int
        Length of the series (positions 0..n-1 in time order).
    n_splits : int
        Number of folds, at least 2.
    test_size : int, optional
        Length of each validation block.
    gap : int
        Positions left out between training and validation, >= 0.
    max_train_size : int, optional
        Largest training window.

    Returns
    -------
    list of (train, val) int64 arrays
    """
    test_size = n // (n_splits + 1) if test_size is None else test_size
    first_val = n - n_splits * test_size
    folds = []
    for start in range(first_val, n, test_size):
        train_end = start - gap
        train_start = 0 if max_train_size is None else max(0, train_end - max_train_size)
        folds.append((np.arange(train_start, train_end, dtype=np.int64),
                      np.arange(start, start + test_size, dtype=np.int64)))
    return folds
