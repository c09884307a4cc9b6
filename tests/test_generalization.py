"""Unit tests for helpers.generalization (appendix A.1, generalisation of a finite class)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from helpers.generalization import (
    StepDistribution,
    bad_set_frequency,
    erm_threshold,
    histogram_best,
    histogram_empirical_loss,
    histogram_erm,
    histogram_population_loss,
    hoeffding_bound,
    hoeffding_union_bound,
    noisy_threshold,
    samples_needed,
    threshold_empirical_loss,
    threshold_grid,
    threshold_population_loss,
    uniform_deviation,
)

ZIGZAG = StepDistribution(np.array([0.0, 0.2, 0.45, 0.7, 1.0]), np.array([0.1, 0.8, 0.3, 0.95]))


def loop_threshold_loss(thresholds, x, y):
    """Reference: predict with every threshold on every point, one hypothesis at a time."""
    return np.array([np.mean((x > t).astype(int) != y) for t in thresholds])


def loop_histogram_loss(tables, x, y):
    bins = np.minimum((x * tables.shape[1]).astype(int), tables.shape[1] - 1)
    return np.array([np.mean(table[bins] != y) for table in tables])


# --------------------------------------------------------------------------- distribution


def test_noisy_threshold_population_loss_matches_the_closed_form():
    dist = noisy_threshold(0.3, 0.1)
    t = np.array([-0.5, 0.0, 0.1, 0.3, 0.55, 1.0, 1.7])
    expected = 0.1 + 0.8 * np.abs(np.clip(t, 0, 1) - 0.3)
    np.testing.assert_allclose(threshold_population_loss(t, dist), expected, atol=1e-12)


def test_positive_mass_matches_numerical_integration():
    grid = np.linspace(0, 1, 200_001)
    p = ZIGZAG.p(grid)
    for t in (0.0, 0.13, 0.2, 0.5, 0.99, 1.0):
        mask = grid <= t
        numeric = np.trapezoid(p[mask], grid[mask]) if mask.sum() > 1 else 0.0
        assert ZIGZAG.positive_mass(t) == pytest.approx(numeric, abs=1e-4)


def test_bayes_loss_of_a_noisy_threshold_is_the_noise_rate():
    assert noisy_threshold(0.4, 0.15).bayes_loss() == pytest.approx(0.15)
    assert ZIGZAG.bayes_loss() == pytest.approx(0.2 * 0.1 + 0.25 * 0.2 + 0.25 * 0.3 + 0.3 * 0.05)


def test_sample_shapes_labels_and_reproducibility():
    x1, y1 = ZIGZAG.sample(7, np.random.default_rng(3), num_sets=4)
    x2, y2 = ZIGZAG.sample(7, np.random.default_rng(3), num_sets=4)
    assert x1.shape == y1.shape == (4, 7)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert set(np.unique(y1)) <= {0, 1}
    x, y = ZIGZAG.sample(5, np.random.default_rng(0))
    assert x.shape == y.shape == (5,)


def test_sample_label_frequencies_follow_p():
    x, y = ZIGZAG.sample(200_000, np.random.default_rng(1))
    for lo, hi, p in zip(ZIGZAG.breakpoints[:-1], ZIGZAG.breakpoints[1:], ZIGZAG.probs,
                         strict=True):
        inside = (x >= lo) & (x < hi)
        assert y[inside].mean() == pytest.approx(p, abs=0.01)


def test_exact_threshold_loss_agrees_with_monte_carlo():
    thresholds = np.array([0.05, 0.2, 0.33, 0.6, 0.9])
    x, y = ZIGZAG.sample(400_000, np.random.default_rng(2))
    monte_carlo = loop_threshold_loss(thresholds, x, y)
    exact = threshold_population_loss(thresholds, ZIGZAG)
    # 4 standard errors of a proportion near 0.5 with 400,000 draws
    np.testing.assert_allclose(monte_carlo, exact, atol=4 * 0.5 / math.sqrt(400_000))


def test_step_distribution_rejects_bad_arguments():
    with pytest.raises(ValueError, match="K \\+ 1 breakpoints"):
        StepDistribution(np.array([0.0, 1.0]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="increase strictly"):
        StepDistribution(np.array([0.0, 0.5, 0.5, 1.0]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="from 0 to 1"):
        StepDistribution(np.array([0.1, 1.0]), np.array([0.1]))
    with pytest.raises(ValueError, match="probs must lie"):
        StepDistribution(np.array([0.0, 1.0]), np.array([1.2]))
    with pytest.raises(ValueError, match="finite"):
        StepDistribution(np.array([0.0, 1.0]), np.array([np.nan]))
    with pytest.raises(ValueError, match="noise must be below 0.5"):
        noisy_threshold(0.3, 0.5)
    with pytest.raises(ValueError, match="t_star"):
        noisy_threshold(1.0, 0.1)
    with pytest.raises(TypeError, match="Generator"):
        ZIGZAG.sample(5, "0")
    np.testing.assert_array_equal(ZIGZAG.sample(5, 0)[0],
                                  ZIGZAG.sample(5, np.random.default_rng(0))[0])


# --------------------------------------------------------------------------- thresholds


def test_threshold_grid_is_the_cell_midpoints():
    np.testing.assert_allclose(threshold_grid(4), [0.125, 0.375, 0.625, 0.875])
    assert threshold_grid(1).tolist() == [0.5]
    with pytest.raises(ValueError, match=">= 1"):
        threshold_grid(0)


def test_vectorised_empirical_loss_equals_the_loop():
    rng = np.random.default_rng(4)
    thresholds = rng.random(37)                                # unsorted
    x, y = ZIGZAG.sample(50, rng)
    np.testing.assert_allclose(threshold_empirical_loss(thresholds, x, y),
                               loop_threshold_loss(thresholds, x, y))


def test_empirical_loss_handles_ties_and_duplicate_thresholds():
    # points exactly on a threshold are labelled 0 by h_t(x) = 1[x > t]
    thresholds = np.array([0.5, 0.25, 0.5, 0.0, 1.0])
    x = np.array([0.5, 0.25, 0.0, 1.0, 0.75, 0.5])
    y = np.array([1, 0, 0, 1, 1, 0])
    np.testing.assert_allclose(threshold_empirical_loss(thresholds, x, y),
                               loop_threshold_loss(thresholds, x, y))


def test_empirical_loss_on_many_data_sets_keeps_the_leading_axes():
    rng = np.random.default_rng(5)
    thresholds = threshold_grid(9)
    x, y = ZIGZAG.sample(20, rng, num_sets=6)
    x, y = x.reshape(2, 3, 20), y.reshape(2, 3, 20)
    losses = threshold_empirical_loss(thresholds, x, y)
    assert losses.shape == (2, 3, 9)
    for i, j in itertools.product(range(2), range(3)):
        np.testing.assert_allclose(losses[i, j], loop_threshold_loss(thresholds, x[i, j], y[i, j]))


def test_erm_threshold_minimises_the_training_loss_first_index_on_ties():
    rng = np.random.default_rng(6)
    thresholds = threshold_grid(25)
    x, y = ZIGZAG.sample(30, rng, num_sets=8)
    chosen = erm_threshold(thresholds, x, y)
    for r in range(8):
        losses = loop_threshold_loss(thresholds, x[r], y[r])
        assert chosen[r] == int(np.argmin(losses))
    # all-zero labels: every threshold at or above the largest x is perfect; the first wins
    assert int(erm_threshold([0.9, 0.95, 0.1], [0.2, 0.4], [0, 0])) == 0


def test_empirical_loss_with_one_class_only():
    x = np.array([0.1, 0.6, 0.9])
    np.testing.assert_allclose(threshold_empirical_loss([0.0, 0.5, 1.0], x, np.ones(3, int)),
                               [0.0, 1 / 3, 1.0])


def test_threshold_functions_reject_bad_input():
    with pytest.raises(ValueError, match="thresholds is empty"):
        threshold_empirical_loss([], [0.5], [1])
    with pytest.raises(ValueError, match="same shape"):
        threshold_empirical_loss([0.5], [0.1, 0.2], [1])
    with pytest.raises(ValueError, match="NaN"):
        threshold_empirical_loss([0.5], [np.nan], [1])
    with pytest.raises(ValueError, match="lie in \\[0, 1\\]"):
        threshold_empirical_loss([0.5], [1.5], [1])
    with pytest.raises(ValueError, match="0/1 labels"):
        threshold_empirical_loss([0.5], [0.2], [2])
    with pytest.raises(ValueError, match="empty"):
        threshold_empirical_loss([0.5], np.zeros((3, 0)), np.zeros((3, 0)))
    with pytest.raises(ValueError, match="thresholds contains NaN or infinity"):
        threshold_population_loss([np.inf], ZIGZAG)
    with pytest.raises(TypeError, match="StepDistribution"):
        threshold_population_loss([0.5], "uniform")


# --------------------------------------------------------------------------- simulation


def test_uniform_deviation_equals_a_loop_over_the_same_training_sets():
    thresholds, n, num_sets = threshold_grid(13), 40, 25
    deviation = uniform_deviation(thresholds, ZIGZAG, n, num_sets, np.random.default_rng(7))
    x, y = ZIGZAG.sample(n, np.random.default_rng(7), num_sets=num_sets)
    true_loss = threshold_population_loss(thresholds, ZIGZAG)
    expected = [np.abs(loop_threshold_loss(thresholds, x[r], y[r]) - true_loss).max()
                for r in range(num_sets)]
    np.testing.assert_allclose(deviation, expected)


def test_uniform_deviation_in_chunks_keeps_every_set(monkeypatch):
    import helpers.generalization as gen

    monkeypatch.setattr(gen, "_CHUNK_CELLS", 50)              # forces many chunks
    deviation = gen.uniform_deviation(threshold_grid(5), ZIGZAG, 10, 23,
                                      np.random.default_rng(0))
    assert deviation.shape == (23,) and ((deviation >= 0) & (deviation <= 1)).all()


def test_bad_set_frequency_with_several_eps_matches_single_calls():
    args = (threshold_grid(20), ZIGZAG, 60)
    many = bad_set_frequency(*args, [0.05, 0.1, 0.2], 300, np.random.default_rng(8))
    singles = [bad_set_frequency(*args, eps, 300, np.random.default_rng(8))
               for eps in (0.05, 0.1, 0.2)]
    np.testing.assert_allclose(many, singles)
    assert many[0] >= many[1] >= many[2]
    with pytest.raises(ValueError, match="eps must be positive"):
        bad_set_frequency(*args, 0.0, 10, np.random.default_rng(0))


def test_bad_set_frequency_respects_the_union_bound():
    thresholds = threshold_grid(50)
    for n, eps in [(100, 0.15), (400, 0.1)]:
        freq = bad_set_frequency(thresholds, ZIGZAG, n, eps, 2000, np.random.default_rng(9))
        assert freq <= hoeffding_union_bound(len(thresholds), n, eps)


def test_single_hypothesis_respects_hoeffding():
    dist = noisy_threshold(0.5, 0.0)           # threshold 0.25 has loss exactly 0.25
    freq = bad_set_frequency([0.25], dist, 50, 0.1, 5000, np.random.default_rng(10))
    assert 0 < freq <= hoeffding_bound(50, 0.1)


# --------------------------------------------------------------------------- bounds


def test_hoeffding_and_union_bound_formulas():
    assert hoeffding_bound(100, 0.1) == pytest.approx(2 * math.exp(-2))
    assert hoeffding_union_bound(1000, 100, 0.1) == pytest.approx(2000 * math.exp(-2))
    grid = hoeffding_union_bound(np.array([1, 10]), np.array([[50], [200]]), 0.1)
    assert grid.shape == (2, 2)
    assert grid[1, 1] == pytest.approx(10 * hoeffding_bound(200, 0.1))


def test_bounds_reject_bad_arguments():
    with pytest.raises(ValueError, match="n must be at least 1"):
        hoeffding_bound(0, 0.1)
    with pytest.raises(ValueError, match="eps must be positive"):
        hoeffding_bound(10, -0.1)
    with pytest.raises(ValueError, match="num_hypotheses"):
        hoeffding_union_bound(0, 10, 0.1)


def test_samples_needed_is_the_smallest_n_meeting_the_bound():
    for size, eps, prob in [(1, 0.1, 0.05), (1000, 0.05, 0.01), (10**6, 0.2, 0.5)]:
        n = samples_needed(size, eps, prob)
        assert hoeffding_union_bound(size, n, eps) <= prob
        assert n == 1 or hoeffding_union_bound(size, n - 1, eps) > prob


def test_samples_needed_accepts_a_huge_hypothesis_count():
    num_params = 1000
    n = samples_needed(2 ** (32 * num_params), 0.1, 0.05)
    expected = (32 * num_params * math.log(2) + math.log(2 / 0.05)) / (2 * 0.01)
    assert n == math.ceil(expected)
    with pytest.raises(TypeError, match="int"):
        samples_needed(1.5, 0.1, 0.05)
    with pytest.raises(ValueError, match="prob"):
        samples_needed(10, 0.1, 1.0)


# --------------------------------------------------------------------------- histograms


def test_histogram_loss_of_a_step_table_equals_the_threshold_loss():
    num_bins = 8
    tables = np.array([[0] * k + [1] * (num_bins - k) for k in range(num_bins + 1)])
    np.testing.assert_allclose(histogram_population_loss(tables, ZIGZAG),
                               threshold_population_loss(np.arange(num_bins + 1) / num_bins,
                                                         ZIGZAG))


def test_exact_histogram_loss_agrees_with_monte_carlo():
    rng = np.random.default_rng(11)
    tables = rng.integers(0, 2, size=(6, 10))
    x, y = ZIGZAG.sample(400_000, rng)
    np.testing.assert_allclose(loop_histogram_loss(tables, x, y),
                               histogram_population_loss(tables, ZIGZAG),
                               atol=4 * 0.5 / math.sqrt(400_000))


def test_vectorised_histogram_loss_equals_the_loop():
    rng = np.random.default_rng(12)
    tables = rng.integers(0, 2, size=(15, 7))
    x, y = ZIGZAG.sample(33, rng, num_sets=4)
    x[0, :3] = [0.0, 1.0, 3 / 7]                               # bin edges
    losses = histogram_empirical_loss(tables, x, y)
    assert losses.shape == (4, 15)
    for r in range(4):
        np.testing.assert_allclose(losses[r], loop_histogram_loss(tables, x[r], y[r]))
    assert histogram_empirical_loss(tables[0], x[0], y[0]).shape == (1,)


def test_histogram_erm_is_the_best_of_all_tables():
    rng = np.random.default_rng(13)
    num_bins = 4
    all_tables = np.array(list(itertools.product((0, 1), repeat=num_bins)))
    x, y = ZIGZAG.sample(25, rng, num_sets=10)
    best = histogram_erm(num_bins, x, y)
    assert best.shape == (10, num_bins)
    for r in range(10):
        ours = histogram_empirical_loss(best[r], x[r], y[r])[0]
        assert ours == pytest.approx(histogram_empirical_loss(all_tables, x[r], y[r]).min())


def test_histogram_erm_labels_empty_and_tied_bins_zero():
    x = np.array([0.1, 0.15, 0.6, 0.65])
    y = np.array([1, 0, 1, 1])
    assert histogram_erm(4, x, y).tolist() == [0, 0, 1, 0]


def test_histogram_best_is_the_best_of_all_tables():
    all_tables = np.array(list(itertools.product((0, 1), repeat=6)))
    for num_bins, dist in [(6, ZIGZAG), (6, noisy_threshold(0.42, 0.2))]:
        best = histogram_best(num_bins, dist)
        assert histogram_population_loss(best, dist)[0] == pytest.approx(
            histogram_population_loss(all_tables, dist).min())
    # fine enough bins reach the Bayes loss
    assert histogram_population_loss(histogram_best(20, ZIGZAG), ZIGZAG)[0] == pytest.approx(
        ZIGZAG.bayes_loss())
    with pytest.raises(TypeError, match="StepDistribution"):
        histogram_best(4, None)


def test_histogram_functions_reject_bad_tables():
    with pytest.raises(ValueError, match="0/1 labels"):
        histogram_population_loss(np.array([[0, 2]]), ZIGZAG)
    with pytest.raises(ValueError, match="num_models, num_bins"):
        histogram_empirical_loss(np.zeros((0, 3)), [0.5], [1])
    with pytest.raises(ValueError, match=">= 1"):
        histogram_erm(0, [0.5], [1])
