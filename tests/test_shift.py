"""Tests of helpers.shift against scikit-learn, SciPy and closed forms (lectures 6.1, 7.1)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize
from scipy.stats import ks_2samp, mannwhitneyu
from sklearn.metrics import roc_auc_score
from sklearn.metrics.pairwise import rbf_kernel

from helpers.shift import (
    adjust_proba,
    auc_from_scores,
    black_box_shift_estimate,
    classifier_two_sample_test,
    clip_weights,
    domain_classifier_weights,
    effective_sample_size,
    em_prior_adjustment,
    ks_tests,
    mmd2,
    mmd_test,
    weights_from_domain_proba,
)

# --------------------------------------------------------------------------- AUC and C2ST


@pytest.mark.parametrize("seed", range(10))
def test_auc_matches_sklearn_and_mann_whitney_with_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=200)
    labels[:2] = [0, 1]
    scores = rng.integers(0, 6, size=200) + labels * rng.uniform(0, 2)
    auc = auc_from_scores(labels, scores)
    assert auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    u = mannwhitneyu(scores[labels == 1], scores[labels == 0]).statistic
    assert auc == pytest.approx(u / (labels.sum() * (200 - labels.sum())), abs=1e-12)


def test_auc_rejects_one_class_and_non_binary_labels():
    with pytest.raises(ValueError, match="labels"):
        auc_from_scores([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="labels"):
        auc_from_scores([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="labels and scores must have the same length"):
        auc_from_scores([0, 1], [0.1, 0.2, 0.3])


def test_c2st_detects_a_mean_shift_and_not_a_null():
    rng = np.random.default_rng(0)
    shifted = classifier_two_sample_test(rng.normal(size=(200, 3)),
                                         rng.normal(size=(200, 3)) + [1.0, 0, 0],
                                         n_permutations=200)
    assert shifted.statistic > 0.65 and shifted.p_value < 0.01
    assert shifted.scores.shape == (400,) and shifted.null.shape == (200,)
    assert shifted.statistic == pytest.approx(
        roc_auc_score(np.r_[np.zeros(200), np.ones(200)], shifted.scores), abs=1e-12)


def test_c2st_p_values_are_roughly_uniform_under_the_null():
    rng = np.random.default_rng(1)
    p = [classifier_two_sample_test(rng.normal(size=(60, 2)), rng.normal(size=(60, 2)),
                                    n_permutations=99, random_state=s).p_value
         for s in range(40)]
    assert 0.0 < np.mean(np.array(p) < 0.1) <= 0.25
    assert 0.3 < np.mean(p) < 0.7


def test_c2st_is_deterministic_in_its_seed():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    r1 = classifier_two_sample_test(a, b, n_permutations=50, random_state=3)
    r2 = classifier_two_sample_test(a, b, n_permutations=50, random_state=3)
    assert r1.statistic == r2.statistic and r1.p_value == r2.p_value


@pytest.mark.parametrize("bad, match", [
    (dict(X_target=np.ones((10, 3))), "features"),
    (dict(X_source=np.full((10, 2), np.nan)), "NaN"),
    (dict(X_source=np.ones((0, 2))), "sample"),
    (dict(n_splits=1), "n_splits"),
    (dict(n_permutations=0), "n_permutations"),
    (dict(X_source=np.ones((3, 2))), "n_splits"),
])
def test_c2st_rejects_bad_input(bad, match):
    args = dict(X_source=np.ones((10, 2)), X_target=np.zeros((10, 2)))
    args.update(bad)
    with pytest.raises((ValueError, TypeError), match=match):
        classifier_two_sample_test(**args)


# --------------------------------------------------------------------------- KS and MMD


def test_ks_tests_match_scipy_per_column():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(80, 3)), rng.normal(size=(70, 3)) * [1, 2, 1] + [0, 0, 1]
    stat, p = ks_tests(a, b)
    for j in range(3):
        ref = ks_2samp(a[:, j], b[:, j])
        assert stat[j] == pytest.approx(ref.statistic) and p[j] == pytest.approx(ref.pvalue)
    assert p[2] < 1e-3 < p[0]


def test_ks_tests_accept_1d_samples():
    stat, p = ks_tests([1.0, 2.0, 3.0], [1.5, 2.5, 3.5, 10.0])
    assert stat.shape == (1,) == p.shape


def reference_mmd2(X, Y, sigma):
    gamma = 1 / (2 * sigma**2)
    kxx, kyy, kxy = rbf_kernel(X, X, gamma=gamma), rbf_kernel(Y, Y, gamma=gamma), \
        rbf_kernel(X, Y, gamma=gamma)
    n, m = len(X), len(Y)
    return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1))
            + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean())


@pytest.mark.parametrize("seed", range(5))
def test_mmd2_matches_the_formula_with_sklearn_kernels(seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(30, 2)), rng.normal(size=(40, 2)) + 0.3
    assert mmd2(X, Y, bandwidth=1.3) == pytest.approx(reference_mmd2(X, Y, 1.3), abs=1e-12)
    pooled = np.vstack([X, Y])
    d2 = ((pooled[:, None] - pooled[None]) ** 2).sum(-1)
    sigma = np.sqrt(np.median(d2[np.triu_indices(70, 1)]) / 2)
    assert mmd2(X, Y) == pytest.approx(reference_mmd2(X, Y, sigma), abs=1e-12)


def test_mmd_test_detects_a_variance_change_that_the_mean_misses():
    rng = np.random.default_rng(0)
    result = mmd_test(rng.normal(size=(150, 1)), 2 * rng.normal(size=(150, 1)),
                      n_permutations=200)
    assert result.p_value < 0.01 and result.statistic > 0
    null = mmd_test(rng.normal(size=(100, 1)), rng.normal(size=(100, 1)), n_permutations=200)
    assert null.p_value > 0.01
    assert abs(np.mean(null.null)) < 0.01


def test_mmd_rejects_bad_input():
    with pytest.raises(ValueError, match="2 rows"):
        mmd2(np.ones((1, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="bandwidth"):
        mmd2(np.ones((3, 2)), np.ones((5, 2)), bandwidth=0.0)
    with pytest.raises(ValueError, match="infinity|NaN"):
        mmd_test(np.array([[np.inf], [1.0]]), np.ones((5, 1)))


# --------------------------------------------------------------------------- weights


def test_weights_from_domain_proba_formula():
    w = weights_from_domain_proba([0.5, 0.2, 0.8], n_source=100, n_target=50)
    assert np.allclose(w, [2.0, 0.5, 8.0])
    with pytest.raises(ValueError, match="strictly"):
        weights_from_domain_proba([0.0, 0.5], 1, 1)
    with pytest.raises((ValueError, TypeError), match="n_target"):
        weights_from_domain_proba([0.5], 1, 0)


def test_domain_classifier_weights_recover_a_gaussian_density_ratio():
    rng = np.random.default_rng(0)
    source, target = rng.normal(size=(4000, 1)), rng.normal(loc=0.5, size=(2000, 1))
    w = domain_classifier_weights(source, target)
    true = np.exp(0.5 * source[:, 0] - 0.125)  # N(0.5, 1) / N(0, 1)
    assert np.corrcoef(np.log(w), np.log(true))[0, 1] > 0.999
    assert np.median(np.abs(w / true - 1)) < 0.1
    assert np.mean(w) == pytest.approx(1.0, abs=0.05)


def test_effective_sample_size_and_clipping():
    assert effective_sample_size(np.ones(7)) == pytest.approx(7)
    assert effective_sample_size([0, 0, 3.0]) == pytest.approx(1)
    assert effective_sample_size([1.0, 3.0]) == pytest.approx(16 / 10)
    clipped = clip_weights([1.0, 1.0, 1.0, 9.0], max_weight=2.0)
    assert clipped.mean() == pytest.approx(1.0) and clipped.max() == pytest.approx(
        2 / 0.75)  # [1/3, 1/3, 1/3, 3] capped at 2 has mean 0.75
    assert effective_sample_size(clipped) > effective_sample_size([1.0, 1.0, 1.0, 9.0])
    with pytest.raises(ValueError, match="non-negative"):
        effective_sample_size([-1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        clip_weights([0.0, 0.0], 2.0)
    with pytest.raises(ValueError, match="1-D"):
        effective_sample_size(np.ones((2, 2)))
    with pytest.raises(ValueError, match="max_weight"):
        clip_weights([1.0], -1.0)


# --------------------------------------------------------------------------- label shift


def test_bbse_recovers_priors_exactly_from_exact_rates():
    # a confusion matrix realised exactly by 100 validation examples
    y_val = np.repeat([0, 1, 2], [30, 30, 40])
    pred_val = y_val.copy()
    pred_val[[0, 1, 2, 30, 31, 60, 61, 62, 63]] = [1, 1, 2, 0, 2, 0, 1, 1, 0]
    confusion = np.zeros((3, 3))
    np.add.at(confusion, (pred_val, y_val), 0.01)
    q = np.array([0.6, 0.3, 0.1])
    mu = confusion @ (q / np.array([0.3, 0.3, 0.4]))
    pred_target = np.repeat([0, 1, 2], np.round(mu * 1000).astype(int))
    result = black_box_shift_estimate(y_val, pred_val, pred_target, 3)
    assert np.allclose(result.confusion, confusion)
    assert np.allclose(result.target_priors, q, atol=2e-3)
    assert np.allclose(result.weights, np.linalg.solve(confusion, result.target_prediction_rates))


def test_bbse_is_the_identity_for_a_perfect_classifier():
    y_val = np.array([0, 1, 1, 2, 2, 2])
    pred_target = np.array([0, 0, 0, 1])
    result = black_box_shift_estimate(y_val, y_val, pred_target, 3)
    assert np.allclose(result.target_priors, [0.75, 0.25, 0.0])


@pytest.mark.parametrize("bad, match", [
    (dict(y_val=[0, 1, 1]), "consistent"),
    (dict(y_val=[0, 0, 0, 0]), "every class"),
    (dict(pred_target=[0, 3]), "pred_target"),
    (dict(pred_val=[0.5, 1, 0, 1]), "integer"),
    (dict(n_classes=1), "n_classes"),
    (dict(pred_target=[]), "sample"),
])
def test_bbse_rejects_bad_input(bad, match):
    args = dict(y_val=[0, 1, 0, 1], pred_val=[0, 1, 1, 1], pred_target=[0, 1], n_classes=2)
    args.update(bad)
    with pytest.raises((ValueError, TypeError), match=match):
        black_box_shift_estimate(**args)


def test_adjust_proba_is_bayes_rule():
    proba = np.array([[0.5, 0.5], [0.9, 0.1]])
    out = adjust_proba(proba, [0.5, 0.5], [0.2, 0.8])
    assert np.allclose(out[0], [0.2, 0.8])
    assert np.allclose(out[1], [0.18 / 0.26, 0.08 / 0.26])
    assert np.allclose(adjust_proba(proba, [0.3, 0.7], [0.3, 0.7]), proba)
    with pytest.raises(ValueError, match="proba"):
        adjust_proba([[0.5, 0.6]], [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="target_priors"):
        adjust_proba(proba, [0.5, 0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match="one entry per class"):
        adjust_proba(proba, [0.5, 0.5], [0.2, 0.3, 0.5])


def test_em_reaches_the_maximum_likelihood_priors():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1.0, 1.0, 1.0], size=300)
    p = np.array([0.2, 0.3, 0.5])
    result = em_prior_adjustment(proba, p, tol=1e-12, max_iter=10_000)

    def negative_log_likelihood(z):
        q = np.exp(z) / np.exp(z).sum()
        return -np.mean(np.log(proba @ (q / p)))

    best = optimize.minimize(negative_log_likelihood, np.zeros(3), method="Nelder-Mead",
                             options=dict(xatol=1e-10, fatol=1e-14, maxiter=20_000))
    q_ref = np.exp(best.x) / np.exp(best.x).sum()
    assert np.allclose(result.target_priors, q_ref, atol=1e-4)
    assert result.log_likelihood == pytest.approx(-best.fun, abs=1e-8)
    assert np.allclose(result.proba, adjust_proba(proba, p, result.target_priors))


def test_em_keeps_priors_that_already_fit():
    proba = np.array([[0.8, 0.2], [0.2, 0.8]])
    result = em_prior_adjustment(proba, [0.5, 0.5])
    assert np.allclose(result.target_priors, [0.5, 0.5]) and result.n_iter == 1
    with pytest.raises(ValueError, match="tol"):
        em_prior_adjustment(proba, [0.5, 0.5], tol=0)
    with pytest.raises(ValueError, match="NaN"):
        em_prior_adjustment([[np.nan, 1.0]], [0.5, 0.5])
