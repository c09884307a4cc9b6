"""Tests of helpers.learning (lecture 3.1): k-means, kernel density estimation, Q-learning."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import gaussian_kde, ks_2samp
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from helpers.learning import (
    Corridor,
    fit_kde,
    greedy_policy,
    kmeans,
    kmeans_plus_plus,
    q_learning,
    value_iteration,
)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(n_samples=300, centers=4, cluster_std=0.8, random_state=0)


# --------------------------------------------------------------------------- k-means


def test_kmeans_from_given_centres_matches_sklearn_lloyd(blobs):
    X, _ = blobs
    init = X[[0, 1, 2, 3]]
    ours = kmeans(X, 4, init=init)
    ref = KMeans(4, init=init, n_init=1, tol=0.0, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, atol=1e-10)
    assert np.array_equal(ours.labels, ref.labels_)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-10)


def test_kmeans_with_restarts_reaches_sklearn_inertia(blobs):
    X, _ = blobs
    ours = kmeans(X, 4, _rng(1), n_init=5)
    ref = KMeans(4, n_init=5, random_state=1).fit(X)
    assert ours.inertia <= ref.inertia_ * (1 + 1e-9)


def test_kmeans_recovers_well_separated_blobs():
    X, y = make_blobs(n_samples=200, centers=4, cluster_std=0.3, random_state=0)
    assert adjusted_rand_score(y, kmeans(X, 4, _rng(0)).labels) > 0.95


def test_kmeans_centres_are_the_means_of_their_clusters(blobs):
    X, _ = blobs
    result = kmeans(X, 3, _rng(0))
    for j in range(3):
        np.testing.assert_allclose(result.centers[j], X[result.labels == j].mean(axis=0))


def test_kmeans_inertia_is_the_sum_of_squared_distances(blobs):
    X, _ = blobs
    result = kmeans(X, 4, _rng(2))
    expected = ((X - result.centers[result.labels]) ** 2).sum()
    assert result.inertia == pytest.approx(expected)


def test_kmeans_is_deterministic_for_a_seed(blobs):
    X, _ = blobs
    a, b = kmeans(X, 4, _rng(3)), kmeans(X, 4, _rng(3))
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.centers, b.centers)


def test_kmeans_with_one_cluster_is_the_mean(blobs):
    X, _ = blobs
    result = kmeans(X, 1, _rng(0))
    np.testing.assert_allclose(result.centers[0], X.mean(axis=0))
    assert (result.labels == 0).all()


def test_kmeans_with_k_equal_to_n_has_zero_inertia():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    assert kmeans(X, 3, _rng(0)).inertia == pytest.approx(0.0)


def test_kmeans_refills_an_empty_cluster():
    X = np.array([[0.0], [0.1], [10.0], [10.1]])
    # the third centre is far from every point and loses all of them in the first step
    result = kmeans(X, 3, init=np.array([[0.0], [10.0], [100.0]]))
    assert len(np.unique(result.labels)) == 3


def test_kmeans_plus_plus_picks_distinct_data_points(blobs):
    X, _ = blobs
    centres = kmeans_plus_plus(X, 4, _rng(0))
    assert centres.shape == (4, 2)
    assert len({tuple(c) for c in centres}) == 4
    assert all((X == c).all(axis=1).any() for c in centres)


@pytest.mark.parametrize("k", [0, 5])
def test_kmeans_rejects_k_outside_1_to_n(k):
    with pytest.raises(ValueError, match="k"):
        kmeans(np.zeros((4, 2)), k)


def test_kmeans_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        kmeans(np.array([[0.0], [np.nan], [1.0]]), 2)


def test_kmeans_rejects_init_of_wrong_shape(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="init"):
        kmeans(X, 3, init=X[:2])


def test_kmeans_rejects_a_float_k(blobs):
    X, _ = blobs
    with pytest.raises(TypeError, match="k"):
        kmeans(X, 2.0, _rng(0))


def test_kmeans_needs_a_generator_unless_given_the_starting_centres(blobs):
    X, _ = blobs
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        kmeans(X, 3)
    seeded = kmeans(X, 3, 0)
    np.testing.assert_array_equal(seeded.labels, kmeans(X, 3, np.random.default_rng(0)).labels)
    assert kmeans(X, 3, init=X[:3]).centers.shape == (3, 2)


# --------------------------------------------------------------------------- kernel density


@pytest.mark.parametrize("bandwidth", ["scott", "silverman", 0.3])
def test_kde_matches_scipy_gaussian_kde_in_two_dimensions(np_rng, bandwidth):
    X = np_rng.normal(size=(80, 2)) @ np.array([[1.0, 0.5], [0.0, 2.0]])
    points = np_rng.normal(size=(30, 2))
    ours = fit_kde(X, bandwidth)
    ref = gaussian_kde(X.T, bw_method=bandwidth)
    np.testing.assert_allclose(ours.log_density(points), ref.logpdf(points.T), rtol=1e-10)
    np.testing.assert_allclose(ours.bandwidth, ref.covariance, rtol=1e-12)


def test_kde_matches_scipy_in_one_dimension_with_a_1d_input(np_rng):
    x = np_rng.gamma(2.0, size=200)
    grid = np.linspace(-1, 10, 50)
    np.testing.assert_allclose(fit_kde(x).density(grid), gaussian_kde(x).pdf(grid), rtol=1e-10)


def test_kde_density_integrates_to_one(np_rng):
    kde = fit_kde(np_rng.normal(size=100))
    grid = np.linspace(-8, 8, 4001)
    assert np.trapezoid(kde.density(grid), grid) == pytest.approx(1.0, abs=1e-6)


def test_kde_log_density_is_finite_far_from_the_data(np_rng):
    kde = fit_kde(np_rng.normal(size=(50, 2)))
    assert np.isfinite(kde.log_density(np.array([[1e3, -1e3]]))).all()


def test_kde_samples_follow_the_fitted_density(np_rng):
    x = np.concatenate([np_rng.normal(-3, 1, 300), np_rng.normal(3, 1, 300)])
    kde = fit_kde(x)
    samples = kde.sample(2000, _rng(0))
    assert samples.shape == (2000, 1)
    assert ks_2samp(samples[:, 0], x).pvalue > 0.01
    # the kernel adds its variance: Var(samples) = Var(data) + H
    expected_var = x.var() + kde.bandwidth[0, 0]
    assert samples.var() == pytest.approx(expected_var, rel=0.1)


def test_kde_sampling_is_reproducible(np_rng):
    kde = fit_kde(np_rng.normal(size=(40, 2)))
    assert np.array_equal(kde.sample(5, _rng(7)), kde.sample(5, _rng(7)))


def test_kde_rejects_a_singular_covariance():
    X = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])
    with pytest.raises(ValueError, match="singular"):
        fit_kde(X)


def test_kde_rejects_a_single_point_and_bad_bandwidths(np_rng):
    with pytest.raises(ValueError, match="at least 2"):
        fit_kde(np.array([1.0]))
    with pytest.raises(ValueError, match="bandwidth"):
        fit_kde(np_rng.normal(size=10), "wide")
    with pytest.raises(ValueError, match="bandwidth"):
        fit_kde(np_rng.normal(size=10), -1.0)


def test_kde_rejects_points_of_the_wrong_dimension(np_rng):
    kde = fit_kde(np_rng.normal(size=(20, 2)))
    with pytest.raises(ValueError, match="dimensions"):
        kde.log_density(np.zeros((3, 3)))


# --------------------------------------------------------------------------- reinforcement learning


def test_corridor_steps_and_rewards():
    env = Corridor(length=5, start=2, left_reward=1.0, right_reward=10.0, step_reward=-0.1)
    assert env.step(2, 1) == (3, -0.1, False)
    assert env.step(3, 1) == (4, 10.0, True)
    assert env.step(1, 0) == (0, 1.0, True)
    assert env.num_states == 5 and env.num_actions == 2


def test_corridor_rejects_bad_states_actions_and_starts():
    env = Corridor()
    with pytest.raises(ValueError, match="action"):
        env.step(2, 2)
    with pytest.raises(ValueError, match="state"):
        env.step(0, 1)
    with pytest.raises(ValueError, match="start"):
        Corridor(length=5, start=4)


def test_value_iteration_gives_the_discounted_value_of_walking_right():
    env = Corridor(length=7, start=1, left_reward=1.0, right_reward=10.0, step_reward=-0.1)
    gamma = 0.9
    q = value_iteration(env, gamma)
    # from cell 5, right pays 10; from cell s, walking right pays -0.1 per move then 10
    for s in range(1, 6):
        moves = 6 - s
        expected = sum(-0.1 * gamma ** t for t in range(moves - 1)) + 10 * gamma ** (moves - 1)
        assert q[s, 1] == pytest.approx(expected)
    assert (greedy_policy(q)[1:6] == 1).all()


def test_value_iteration_prefers_the_near_reward_when_the_far_one_is_small():
    env = Corridor(length=7, start=1, left_reward=1.0, right_reward=1.0, step_reward=-0.1)
    assert greedy_policy(value_iteration(env))[1] == 0


def test_q_learning_with_decaying_exploration_finds_the_optimal_policy():
    env = Corridor()
    optimal = greedy_policy(value_iteration(env, 0.9))[1:-1]
    eps = np.linspace(1.0, 0.0, 200)
    for seed in range(3):
        result = q_learning(env, _rng(seed), num_episodes=200, alpha=0.3, epsilon=eps)
        assert np.array_equal(greedy_policy(result.q)[1:-1], optimal)
        assert result.returns.shape == (200,) and result.steps.shape == (200,)


def test_q_learning_values_approach_value_iteration_with_full_exploration():
    env = Corridor(length=5, start=2)
    result = q_learning(env, _rng(0), num_episodes=3000, alpha=0.05, epsilon=1.0, gamma=0.9)
    np.testing.assert_allclose(result.q[1:-1], value_iteration(env, 0.9)[1:-1], atol=0.3)


def test_q_learning_is_reproducible_for_a_seed():
    env = Corridor()
    a = q_learning(env, _rng(4), num_episodes=50)
    b = q_learning(env, _rng(4), num_episodes=50)
    assert np.array_equal(a.q, b.q) and np.array_equal(a.returns, b.returns)


def test_q_learning_rejects_bad_hyper_parameters():
    env = Corridor()
    with pytest.raises(ValueError, match="alpha"):
        q_learning(env, _rng(0), num_episodes=5, alpha=0.0)
    with pytest.raises(ValueError, match="epsilon"):
        q_learning(env, _rng(0), num_episodes=5, epsilon=1.5)
    with pytest.raises(ValueError, match="one value per episode"):
        q_learning(env, _rng(0), num_episodes=5, epsilon=[0.1, 0.2])
    with pytest.raises(TypeError, match="num_episodes"):
        q_learning(env, _rng(0), num_episodes=5.0)


def test_greedy_policy_takes_the_first_action_on_ties_and_rejects_nan():
    assert list(greedy_policy(np.array([[1.0, 1.0], [0.0, 2.0]]))) == [0, 1]
    with pytest.raises(ValueError, match="NaN"):
        greedy_policy(np.array([[np.nan, 0.0]]))
