"""Tests of helpers.monitoring: the KS statistic against SciPy, drift scores, the alarm."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from helpers.monitoring import calibrate_threshold, drift_score, feature_ks, ks_statistic


def scipy_ks(a, b) -> float:
    return float(ks_2samp(a, b, method="asymp").statistic)


# --------------------------------------------------------------------------- ks_statistic


@pytest.mark.parametrize("seed", range(20))
def test_ks_statistic_matches_scipy_on_continuous_samples(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=rng.integers(1, 200))
    b = rng.normal(loc=rng.uniform(-1, 1), scale=rng.uniform(0.5, 2), size=rng.integers(1, 200))
    assert ks_statistic(a, b) == pytest.approx(scipy_ks(a, b), abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_ks_statistic_matches_scipy_with_ties_within_and_across_samples(seed):
    rng = np.random.default_rng(100 + seed)
    a = rng.integers(0, 5, size=rng.integers(1, 100))
    b = rng.integers(0, 7, size=rng.integers(1, 100))
    assert ks_statistic(a, b) == pytest.approx(scipy_ks(a, b), abs=1e-12)


def test_ks_statistic_matches_scipy_for_very_different_sample_sizes():
    rng = np.random.default_rng(7)
    a, b = rng.exponential(size=3), rng.exponential(size=5000)
    assert ks_statistic(a, b) == pytest.approx(scipy_ks(a, b), abs=1e-12)


def test_ks_statistic_matches_scipy_on_pixel_like_data_with_many_zeros():
    rng = np.random.default_rng(8)
    a = np.where(rng.random(300) < 0.6, 0, rng.integers(0, 17, size=300))
    b = np.where(rng.random(40) < 0.3, 0, rng.integers(0, 17, size=40))
    assert ks_statistic(a, b) == pytest.approx(scipy_ks(a, b), abs=1e-12)


def test_ks_statistic_is_zero_for_identical_samples():
    sample = np.array([3.0, 1.0, 2.0, 2.0])
    assert ks_statistic(sample, sample) == 0.0


def test_ks_statistic_is_zero_for_same_empirical_distribution_of_different_sizes():
    assert ks_statistic([1, 2], [1, 1, 2, 2]) == 0.0


def test_ks_statistic_is_one_for_disjoint_samples():
    assert ks_statistic([0.0, 1.0, 2.0], [5.0, 6.0]) == 1.0
    assert ks_statistic([5.0, 6.0], [0.0, 1.0, 2.0]) == 1.0


def test_ks_statistic_is_symmetric():
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=50), rng.normal(size=70)
    assert ks_statistic(a, b) == ks_statistic(b, a)


def test_ks_statistic_is_invariant_to_order_of_values():
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=30), rng.normal(size=40)
    assert ks_statistic(a, b) == ks_statistic(rng.permutation(a), rng.permutation(b))


def test_ks_statistic_single_values():
    assert ks_statistic([1.0], [1.0]) == 0.0
    assert ks_statistic([1.0], [2.0]) == 1.0


def test_ks_statistic_accepts_infinities():
    assert ks_statistic([-np.inf, 0.0], [0.0, np.inf]) == pytest.approx(0.5)


def test_ks_statistic_returns_python_float():
    assert type(ks_statistic([1, 2, 3], [2, 3, 4])) is float


def test_ks_statistic_rejects_empty_sample():
    with pytest.raises(ValueError, match="sample_a is empty"):
        ks_statistic([], [1.0])
    with pytest.raises(ValueError, match="sample_b is empty"):
        ks_statistic([1.0], [])


def test_ks_statistic_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        ks_statistic([1.0, np.nan], [1.0])


def test_ks_statistic_rejects_two_dimensional_input():
    with pytest.raises(ValueError, match="sample_a must be 1-D"):
        ks_statistic(np.zeros((3, 2)), [1.0])


def test_ks_statistic_rejects_non_numeric_input():
    with pytest.raises(TypeError, match="sample_a must be numeric"):
        ks_statistic(["a", "b"], [1.0])


# --------------------------------------------------------------------------- feature_ks


def test_feature_ks_applies_ks_to_every_column():
    rng = np.random.default_rng(11)
    ref, batch = rng.normal(size=(80, 4)), rng.normal(loc=0.5, size=(30, 4))
    expected = [scipy_ks(ref[:, j], batch[:, j]) for j in range(4)]
    np.testing.assert_allclose(feature_ks(ref, batch), expected, atol=1e-12)


def test_feature_ks_detects_only_the_shifted_feature():
    rng = np.random.default_rng(12)
    ref, batch = rng.normal(size=(500, 3)), rng.normal(size=(500, 3))
    batch[:, 1] += 3.0
    stats = feature_ks(ref, batch)
    assert stats[1] > 0.8
    assert stats[0] < 0.15 and stats[2] < 0.15


def test_feature_ks_rejects_mismatched_feature_counts():
    with pytest.raises(ValueError, match="features"):
        feature_ks(np.zeros((5, 3)), np.zeros((5, 4)))


def test_feature_ks_rejects_one_dimensional_tables():
    with pytest.raises(ValueError, match="two-dimensional"):
        feature_ks(np.zeros(5), np.zeros((5, 1)))


def test_feature_ks_rejects_empty_batch():
    with pytest.raises(ValueError, match="batch is empty"):
        feature_ks(np.zeros((5, 2)), np.zeros((0, 2)))


def test_feature_ks_rejects_nan_in_reference():
    ref = np.zeros((5, 2))
    ref[2, 1] = np.nan
    with pytest.raises(ValueError, match="reference contains NaN"):
        feature_ks(ref, np.zeros((5, 2)))


# --------------------------------------------------------------------------- drift_score


def test_drift_score_mean_and_max_reduce_the_feature_statistics():
    rng = np.random.default_rng(13)
    ref, batch = rng.normal(size=(60, 5)), rng.normal(loc=0.3, size=(20, 5))
    stats = feature_ks(ref, batch)
    assert drift_score(ref, batch) == pytest.approx(stats.mean())
    assert drift_score(ref, batch, reduce="max") == pytest.approx(stats.max())


def test_drift_score_is_zero_when_batch_equals_reference():
    table = np.arange(12.0).reshape(4, 3)
    assert drift_score(table, table) == 0.0


def test_drift_score_grows_with_the_size_of_a_shift():
    rng = np.random.default_rng(14)
    ref, base = rng.normal(size=(400, 3)), rng.normal(size=(200, 3))
    scores = [drift_score(ref, base + delta) for delta in (0.0, 0.5, 1.0, 2.0)]
    assert scores == sorted(scores)
    assert scores[0] < 0.15 < scores[-1]


def test_drift_score_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="reduce"):
        drift_score(np.zeros((3, 2)), np.zeros((3, 2)), reduce="median")


# --------------------------------------------------------------------------- calibrate_threshold


def test_calibrate_threshold_bounds_false_alarms_on_drift_free_batches():
    rng = np.random.default_rng(15)
    ref, holdout, fresh = (rng.normal(size=(n, 4)) for n in (400, 300, 3000))
    threshold = calibrate_threshold(ref, holdout, batch_size=30, rng=rng, n_batches=200,
                                    quantile=0.95)
    batches = fresh.reshape(100, 30, 4)
    false_alarms = np.mean([drift_score(ref, b) > threshold for b in batches])
    assert false_alarms <= 0.15


def test_calibrate_threshold_is_exceeded_by_a_shifted_batch():
    rng = np.random.default_rng(16)
    ref, holdout = rng.normal(size=(400, 4)), rng.normal(size=(300, 4))
    threshold = calibrate_threshold(ref, holdout, batch_size=30, rng=rng)
    assert drift_score(ref, rng.normal(loc=1.0, size=(30, 4))) > threshold


def test_calibrate_threshold_is_reproducible_with_the_same_seed():
    rng = np.random.default_rng(17)
    ref, holdout = rng.normal(size=(100, 2)), rng.normal(size=(50, 2))
    first = calibrate_threshold(ref, holdout, 10, np.random.default_rng(3), n_batches=20)
    second = calibrate_threshold(ref, holdout, 10, np.random.default_rng(3), n_batches=20)
    assert first == second


def test_calibrate_threshold_quantile_one_is_the_largest_drift_free_score():
    rng = np.random.default_rng(18)
    ref, holdout = rng.normal(size=(100, 2)), rng.normal(size=(50, 2))
    high = calibrate_threshold(ref, holdout, 10, np.random.default_rng(4), quantile=1.0)
    low = calibrate_threshold(ref, holdout, 10, np.random.default_rng(4), quantile=0.5)
    assert high >= low


@pytest.mark.parametrize("batch_size", [0, 51, 2.5, True])
def test_calibrate_threshold_rejects_invalid_batch_size(batch_size):
    ref, holdout = np.zeros((100, 2)), np.zeros((50, 2))
    with pytest.raises((ValueError, TypeError), match="batch_size"):
        calibrate_threshold(ref, holdout, batch_size, np.random.default_rng(0))


def test_calibrate_threshold_accepts_an_int_seed_like_the_other_helpers():
    ref, holdout = np.zeros((100, 2)), np.arange(100.0).reshape(50, 2)
    assert calibrate_threshold(ref, holdout, 10, 0) == calibrate_threshold(
        ref, holdout, 10, np.random.default_rng(0))


@pytest.mark.parametrize("quantile", [0.0, 1.5, -0.1])
def test_calibrate_threshold_rejects_quantile_outside_unit_interval(quantile):
    ref, holdout = np.zeros((100, 2)), np.zeros((50, 2))
    with pytest.raises(ValueError, match="quantile"):
        calibrate_threshold(ref, holdout, 10, np.random.default_rng(0), quantile=quantile)


def test_calibrate_threshold_rejects_non_positive_batch_count():
    ref, holdout = np.zeros((100, 2)), np.zeros((50, 2))
    with pytest.raises(ValueError, match="n_batches"):
        calibrate_threshold(ref, holdout, 10, np.random.default_rng(0), n_batches=0)
