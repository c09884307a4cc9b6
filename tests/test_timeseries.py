"""Tests of helpers.timeseries against scikit-learn and statsmodels (lecture 8.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import TimeSeriesSplit
from statsmodels.tsa.stattools import acf

from helpers.timeseries import autocorrelation, lag_features, walk_forward_splits


@pytest.mark.parametrize("n, n_splits, test_size, gap, max_train_size", [
    (100, 5, None, 0, None), (100, 5, 10, 0, None), (57, 3, None, 2, None),
    (57, 4, 7, 3, 20), (10, 2, 1, 0, 1), (23, 9, None, 0, None), (1000, 2, 300, 50, 100),
])
def test_walk_forward_matches_time_series_split(n, n_splits, test_size, gap, max_train_size):
    ours = walk_forward_splits(n, n_splits, test_size=test_size, gap=gap,
                               max_train_size=max_train_size)
    ref = TimeSeriesSplit(n_splits, test_size=test_size, gap=gap,
                          max_train_size=max_train_size).split(np.zeros(n))
    ref = list(ref)
    assert len(ours) == len(ref) == n_splits
    for (train, val), (rtrain, rval) in zip(ours, ref, strict=True):
        assert np.array_equal(train, rtrain) and np.array_equal(val, rval)
        assert train.max() < val.min()


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=5, n_splits=5), "too short"),
    (dict(n=20, n_splits=2, test_size=10), "too short"),
    (dict(n=20, n_splits=1), "n_splits"),
    (dict(n=20, n_splits=2, gap=-1), "gap"),
    (dict(n=20.5, n_splits=2), "n"),
    (dict(n=20, n_splits=2, max_train_size=0), "max_train_size"),
])
def test_walk_forward_rejects_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        walk_forward_splits(**kwargs)


@pytest.mark.parametrize("seed", range(5))
def test_autocorrelation_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=200)) + rng.normal(size=200)
    assert np.allclose(autocorrelation(x, 40), acf(x, nlags=40, fft=False), atol=1e-12)
    assert np.allclose(autocorrelation(x, 199), acf(x, nlags=199, fft=False), atol=1e-12)


def test_autocorrelation_of_white_noise_is_small_and_of_a_sine_periodic():
    rng = np.random.default_rng(0)
    r = autocorrelation(rng.normal(size=5000), 10)
    assert r[0] == 1 and np.all(np.abs(r[1:]) < 4 / np.sqrt(5000))
    s = autocorrelation(np.sin(2 * np.pi * np.arange(1200) / 12), 12)
    assert s[12] > 0.98 and s[6] < -0.98


def test_autocorrelation_rejects_bad_input():
    with pytest.raises(ValueError, match="constant"):
        autocorrelation(np.ones(5), 1)
    with pytest.raises(ValueError, match="nlags"):
        autocorrelation(np.arange(5.0), 5)
    with pytest.raises(ValueError, match="NaN"):
        autocorrelation([1.0, np.nan, 2.0], 1)
    with pytest.raises(ValueError, match="1-D"):
        autocorrelation(np.ones((3, 2)), 1)


def test_lag_features_shift_the_past_into_columns():
    s = pd.Series([1.0, 2.0, 3.0, 4.0], index=pd.date_range("2020", periods=4, freq="MS"))
    table = lag_features(s, [1, 3], name="co2")
    assert list(table.columns) == ["co2 lag 1", "co2 lag 3"]
    assert table.index.equals(s.index)
    assert table["co2 lag 1"].tolist()[1:] == [1.0, 2.0, 3.0]
    assert np.isnan(table.iloc[0, 0]) and table["co2 lag 3"].iloc[3] == 1.0
    assert lag_features(np.arange(3.0), [np.int64(1)]).shape == (3, 1)


@pytest.mark.parametrize("lags, match", [([], "empty"), ([1, 1], "repeated"), ([0], "lags"),
                                         ([1.5], "lags")])
def test_lag_features_reject_bad_lags(lags, match):
    with pytest.raises((ValueError, TypeError), match=match):
        lag_features(np.arange(5.0), lags)
