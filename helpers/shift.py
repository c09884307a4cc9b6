"""Detecting and correcting distribution shift: two-sample tests, importance weights, label shift.

Used in lectures 6.1 (covariate and concept shift) and 7.1 (label shift).

Detecting a shift between a *source* sample (the training data) and a *target*
sample (the data the model meets), without labels:

- :func:`classifier_two_sample_test` trains a domain classifier to tell the two
  samples apart; its out-of-fold AUC is 0.5 when they come from one distribution,
  and a permutation p-value says whether it is significantly larger;
- :func:`ks_tests` runs the Kolmogorov-Smirnov test on every feature;
- :func:`mmd2` and :func:`mmd_test` measure the maximum mean discrepancy with a
  Gaussian kernel, with a permutation p-value.

Correcting covariate shift with importance weights:

- :func:`weights_from_domain_proba` turns a domain classifier's P(target | x)
  into w(x) = P(target | x) / P(source | x) * n_source / n_target, an estimate of
  the density ratio p_target(x) / p_source(x); :func:`domain_classifier_weights`
  fits the classifier and applies it;
- :func:`effective_sample_size` and :func:`clip_weights` say how many examples the
  weighted sample is worth and cap the largest weights.

Correcting label shift (p(y) moves, p(x | y) stays):

- :func:`black_box_shift_estimate` (BBSE) estimates the target class priors from a
  confusion matrix on validation data and the model's predictions on unlabelled
  target data;
- :func:`em_prior_adjustment` re-estimates them by expectation-maximisation from
  the model's predicted probabilities;
- :func:`adjust_proba` re-weights predicted probabilities to new priors.

Inputs are validated with :mod:`sklearn.utils.validation` at the public boundary,
so that the body of each function is the algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.validation import (
    check_consistent_length,
    check_random_state,
    check_scalar,
)

from helpers.checks import boundary, check_matrix, check_proba, check_vector

__all__ = [
    "BBSEResult",
    "EMResult",
    "TwoSampleResult",
    "adjust_proba",
    "auc_from_scores",
    "black_box_shift_estimate",
    "classifier_two_sample_test",
    "clip_weights",
    "domain_classifier_weights",
    "effective_sample_size",
    "em_prior_adjustment",
    "ks_tests",
    "mmd2",
    "mmd_test",
    "weights_from_domain_proba",
]


# --------------------------------------------------------------------------- validation


def _priors(name: str, values: object, n_classes: int) -> np.ndarray:
    arr = check_vector(values, name)
    if arr.size != n_classes:
        raise ValueError(f"{name} must have one entry per class ({n_classes}), "
                         f"got {arr.size}")
    if np.any(arr <= 0) or not np.isclose(arr.sum(), 1.0, atol=1e-6):
        raise ValueError(f"{name} must be positive and sum to 1")
    return arr


def _labels(name: str, values: object, n_classes: int) -> np.ndarray:
    check_vector(values, name)
    arr = np.asarray(values)
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels 0..{n_classes - 1}")
    if arr.min() < 0 or arr.max() >= n_classes:
        raise ValueError(f"{name} must hold class labels 0..{n_classes - 1}, "
                         f"got values from {arr.min()} to {arr.max()}")
    return arr.astype(np.int64)


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True)
class TwoSampleResult:
    """The outcome of a two-sample test (lecture 6.1).

    Attributes
    ----------
    statistic : float
        The test statistic (AUC for the classifier test, squared MMD for the kernel test).
    p_value : float
        Permutation p-value, ``(1 + #{permuted >= observed}) / (1 + n_permutations)``.
    null : numpy.ndarray
        The statistic under the permutations.
    scores : numpy.ndarray or None
        For the classifier test, the out-of-fold P(target | x) of every example
        (source rows first, then target rows).
    """

    statistic: float
    p_value: float
    null: np.ndarray
    scores: np.ndarray | None = None


@boundary(labels="vector", scores="vector", same_length=("labels", "scores"))
def auc_from_scores(labels: object, scores: object) -> float:
    """The area under the ROC curve from ranks (Mann-Whitney U / (n1 * n0)), ties halved.

    O(n log n). Used in lecture 6.1 by :func:`classifier_two_sample_test`.

    Parameters
    ----------
    labels : array-like of shape (n,)
        0/1 labels, both present.
    scores : array-like of shape (n,)
        Higher means more likely label 1.
    """
    if not np.all((labels == 0) | (labels == 1)) or labels.min() == labels.max():
        raise ValueError("labels must be 0/1 with both values present")
    ranks = stats.rankdata(scores)
    return _auc_from_ranks(labels.astype(bool), ranks)


def _auc_from_ranks(positive: np.ndarray, ranks: np.ndarray) -> float | np.ndarray:
    """AUC for one label vector (1-D) or many (one per row), given the score ranks."""
    n1 = positive.sum(axis=-1)
    n0 = positive.shape[-1] - n1
    rank_sum = (positive * ranks).sum(axis=-1)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def _two_samples_args(args: dict) -> None:
    """Check ``X_source`` and ``X_target`` (in place): finite tables, same features."""
    X_source = args["X_source"] = check_matrix(args["X_source"], "X_source", one_d="column")
    X_target = args["X_target"] = check_matrix(args["X_target"], "X_target", one_d="column")
    if X_source.shape[1] != X_target.shape[1]:
        raise ValueError(f"X_source has {X_source.shape[1]} features, X_target "
                         f"{X_target.shape[1]}")
    if "n_splits" in args and min(len(X_source), len(X_target)) < args["n_splits"]:
        raise ValueError(f"each sample needs at least n_splits={args['n_splits']} rows")


@boundary(n_splits="int >= 2", n_permutations="int >= 1", check=_two_samples_args)
def classifier_two_sample_test(
    X_source: object,
    X_target: object,
    classifier: object | None = None,
    *,
    n_splits: int = 5,
    n_permutations: int = 500,
    random_state: int | np.random.Generator | None = 0,
) -> TwoSampleResult:
    """Classifier two-sample test: can a classifier tell source from target?

    Label source rows 0 and target rows 1, compute every row's out-of-fold
    P(target | x) with stratified K-fold cross-validation, and measure the AUC of
    those scores. If the two samples come from one distribution, no classifier
    does better than chance on held-out rows (AUC 0.5). The scores are held out,
    so under that null hypothesis the domain labels are exchangeable with respect
    to them: permuting the labels against the fixed scores gives the null
    distribution of the AUC (a Mann-Whitney test on the held-out scores).
    Lopez-Paz and Oquab (2017). Used in lecture 6.1.

    Parameters
    ----------
    X_source, X_target : array-like of shape (n_source, d) and (n_target, d)
        The two samples (finite, same number of features).
    classifier : scikit-learn classifier with ``predict_proba``, optional
        The domain classifier; logistic regression on standardised inputs by default.
    n_splits : int
        Folds for the out-of-fold scores (at least 2).
    n_permutations : int
        Permutations for the p-value (at least 1).
    random_state : int, Generator or None
        Seeds the folds and the permutations.

    Returns
    -------
    TwoSampleResult
        AUC, p-value, permutation null and the out-of-fold scores.
    """
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31))
    classifier = _default_classifier() if classifier is None else classifier

    X = np.vstack([X_source, X_target])
    domain = np.r_[np.zeros(len(X_source)), np.ones(len(X_target))].astype(int)
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=int(rng.integers(2**31)))
    scores = cross_val_predict(clone(classifier), X, domain, cv=folds,
                               method="predict_proba")[:, 1]
    ranks = stats.rankdata(scores)
    auc = _auc_from_ranks(domain.astype(bool), ranks)
    permuted = np.array([rng.permutation(domain) for _ in range(n_permutations)], bool)
    null = _auc_from_ranks(permuted, ranks)
    p_value = (1 + np.sum(null >= auc - 1e-12)) / (1 + n_permutations)
    return TwoSampleResult(float(auc), float(p_value), null, scores)


def _default_classifier():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@boundary(check=_two_samples_args)
def ks_tests(X_source: object, X_target: object) -> tuple[np.ndarray, np.ndarray]:
    """Two-sample Kolmogorov-Smirnov test on every feature (column).

    Returns the KS statistics (largest gap between the two empirical CDFs) and
    their p-values (scipy's exact or asymptotic distribution). Testing d features
    at level alpha, reject "no shift" when the smallest p-value is below alpha / d
    (Bonferroni). Used in lectures 1.1 and 6.1.

    Parameters
    ----------
    X_source, X_target : array-like of shape (n_source, d) and (n_target, d)

    Returns
    -------
    statistics, p_values : numpy.ndarray of shape (d,)
    """
    result = stats.ks_2samp(X_source, X_target, axis=0)
    return np.atleast_1d(result.statistic), np.atleast_1d(result.pvalue)


def _sq_distances(X: np.ndarray) -> np.ndarray:
    sq = np.sum(X**2, axis=1)
    return np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0)


def _median_bandwidth(distances: np.ndarray) -> float:
    """The median heuristic: sigma^2 = median of the nonzero pairwise squared distances."""
    positive = distances[np.triu_indices_from(distances, k=1)]
    positive = positive[positive > 0]
    return float(np.median(positive)) if positive.size else 1.0


def _mmd2_from_kernel(K: np.ndarray, source: np.ndarray) -> float | np.ndarray:
    """Unbiased MMD^2 for one membership vector (1-D bool) or many (rows)."""
    s = source.astype(np.float64)
    t = 1.0 - s
    n = s.sum(axis=-1)
    m = t.sum(axis=-1)
    diag = np.diag(K)
    Ks = s @ K  # K is symmetric: row i of Ks is sum_j s_ij K[j, :]
    row_sums = K.sum(axis=0)
    k_ss = (Ks * s).sum(axis=-1) - (s * diag).sum(axis=-1)
    k_st = (Ks * t).sum(axis=-1)
    k_tt = (t * (row_sums - Ks)).sum(axis=-1) - (t * diag).sum(axis=-1)
    return k_ss / (n * (n - 1)) + k_tt / (m * (m - 1)) - 2 * k_st / (n * m)


def mmd2(X_source: object, X_target: object, bandwidth: float | None = None) -> float:
    """The unbiased estimate of the squared maximum mean discrepancy, Gaussian kernel.

    ``MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y)`` with
    ``k(a, b) = exp(-|a - b|^2 / (2 sigma^2))``; the unbiased estimate leaves out
    the diagonal terms (Gretton et al. 2012). It is 0 in expectation when the two
    samples share one distribution. Used in lecture 6.1.

    Parameters
    ----------
    X_source, X_target : array-like of shape (n_source, d) and (n_target, d)
        At least 2 rows each.
    bandwidth : float, optional
        sigma; by default the median heuristic on the pooled sample
        (sigma^2 = median pairwise squared distance / 2).
    """
    X_source, X_target, bandwidth = _mmd_inputs(X_source, X_target, bandwidth)
    X = np.vstack([X_source, X_target])
    D = _sq_distances(X)
    sigma2 = bandwidth**2 if bandwidth is not None else _median_bandwidth(D) / 2
    K = np.exp(-D / (2 * sigma2))
    source = np.arange(len(X)) < len(X_source)
    return float(_mmd2_from_kernel(K, source))


def _mmd_inputs(X_source, X_target, bandwidth):
    args = {"X_source": X_source, "X_target": X_target}
    _two_samples_args(args)
    X_source, X_target = args["X_source"], args["X_target"]
    if min(len(X_source), len(X_target)) < 2:
        raise ValueError("X_source and X_target need at least 2 rows each")
    if bandwidth is not None:
        bandwidth = float(check_scalar(bandwidth, "bandwidth", Real, min_val=0,
                                       include_boundaries="neither"))
    return X_source, X_target, bandwidth


@boundary(n_permutations="int >= 1")
def mmd_test(
    X_source: object,
    X_target: object,
    bandwidth: float | None = None,
    *,
    n_permutations: int = 500,
    random_state: int | np.random.Generator | None = 0,
) -> TwoSampleResult:
    """Kernel two-sample test: :func:`mmd2` with a permutation p-value.

    The kernel matrix of the pooled sample is computed once; each permutation
    reassigns rows to the two samples. Used in lecture 6.1.

    Parameters
    ----------
    X_source, X_target : array-like of shape (n_source, d) and (n_target, d)
    bandwidth : float, optional
        See :func:`mmd2`.
    n_permutations : int
        At least 1.
    random_state : int, Generator or None

    Returns
    -------
    TwoSampleResult
        ``statistic`` is the unbiased MMD^2.
    """
    X_source, X_target, bandwidth = _mmd_inputs(X_source, X_target, bandwidth)
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31))
    X = np.vstack([X_source, X_target])
    D = _sq_distances(X)
    sigma2 = bandwidth**2 if bandwidth is not None else _median_bandwidth(D) / 2
    K = np.exp(-D / (2 * sigma2))
    source = np.arange(len(X)) < len(X_source)
    observed = float(_mmd2_from_kernel(K, source))
    permuted = np.array([rng.permutation(source) for _ in range(n_permutations)])
    null = _mmd2_from_kernel(K, permuted)
    p_value = (1 + np.sum(null >= observed - 1e-12)) / (1 + n_permutations)
    return TwoSampleResult(observed, float(p_value), null)


# --------------------------------------------------------------------------- covariate shift


def _open_unit_interval(name: str, values: object) -> np.ndarray:
    arr = check_vector(values, name)
    if np.any(arr <= 0) or np.any(arr >= 1):
        raise ValueError(f"{name} must lie strictly between 0 and 1")
    return arr


@boundary(p_target=_open_unit_interval, n_source="int >= 1", n_target="int >= 1")
def weights_from_domain_proba(p_target: object, n_source: int, n_target: int) -> np.ndarray:
    """Importance weights from a domain classifier's P(target | x).

    By Bayes' rule p_target(x) / p_source(x) = [P(t | x) / P(s | x)] * [P(s) / P(t)],
    and a classifier trained on n_source source and n_target target rows has
    P(s) / P(t) = n_source / n_target, so

    ``w(x) = P(target | x) / P(source | x) * n_source / n_target``.

    Used in lecture 6.1.

    Parameters
    ----------
    p_target : array-like of shape (n,)
        P(target | x) for the rows to weight, strictly between 0 and 1.
    n_source, n_target : int
        The sizes of the samples the classifier was trained on.
    """
    return p_target / (1 - p_target) * n_source / n_target


@boundary(check=_two_samples_args)
def domain_classifier_weights(
    X_source: object,
    X_target: object,
    classifier: object | None = None,
) -> np.ndarray:
    """Fit a domain classifier (source 0, target 1) and weight the source rows.

    Returns :func:`weights_from_domain_proba` of the classifier's P(target | x)
    on ``X_source``: the estimated density ratio p_target(x) / p_source(x) of
    every source row, for weighted training. Used in lecture 6.1.

    Parameters
    ----------
    X_source, X_target : array-like of shape (n_source, d) and (n_target, d)
    classifier : scikit-learn classifier with ``predict_proba``, optional
        Logistic regression on standardised inputs by default (it is the right
        model when log p_target(x) / p_source(x) is linear in x).

    Returns
    -------
    numpy.ndarray of shape (n_source,)
    """
    classifier = clone(_default_classifier() if classifier is None else classifier)
    X = np.vstack([X_source, X_target])
    domain = np.r_[np.zeros(len(X_source)), np.ones(len(X_target))].astype(int)
    classifier.fit(X, domain)
    p_target = np.clip(classifier.predict_proba(X_source)[:, 1], 1e-12, 1 - 1e-12)
    return weights_from_domain_proba(p_target, len(X_source), len(X_target))


def _weights(name: str, values: object) -> np.ndarray:
    """A :func:`helpers.checks.boundary` converter for sample weights."""
    w = check_vector(values, name)
    if np.any(w < 0) or not np.any(w > 0):
        raise ValueError(f"{name} must be non-negative and not all zero")
    return w


@boundary(weights=_weights)
def effective_sample_size(weights: object) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of a weighted sample.

    n for equal weights, 1 when one weight carries everything: roughly how many
    unweighted examples the weighted sample is worth. Used in lecture 6.1.

    Parameters
    ----------
    weights : array-like of shape (n,)
        Non-negative, not all zero.
    """
    return float(weights.sum() ** 2 / np.sum(weights**2))


@boundary(weights=_weights, max_weight="real > 0.0")
def clip_weights(weights: object, max_weight: float) -> np.ndarray:
    """Cap the weights at ``max_weight`` times their mean, then rescale to mean 1.

    Clipping trades a little bias (the largest density ratios are understated) for
    a large cut in variance (a few huge weights no longer dominate the fit). Used in
    lecture 6.1.

    Parameters
    ----------
    weights : array-like of shape (n,)
        Non-negative, not all zero.
    max_weight : float
        The cap, in units of the mean weight (> 0).
    """
    w = weights / weights.mean()
    clipped = np.minimum(w, max_weight)
    return clipped / clipped.mean()


# --------------------------------------------------------------------------- label shift


@dataclass(frozen=True)
class BBSEResult:
    """Black-box shift estimation (lecture 7.1).

    Attributes
    ----------
    weights : numpy.ndarray of shape (k,)
        Estimated q(y) / p(y), clipped at 0.
    target_priors : numpy.ndarray of shape (k,)
        Estimated q(y), normalised to sum to 1.
    confusion : numpy.ndarray of shape (k, k)
        The joint confusion matrix C[i, j] = P_source(prediction i, label j).
    target_prediction_rates : numpy.ndarray of shape (k,)
        mu[i] = P_target(prediction i).
    """

    weights: np.ndarray
    target_priors: np.ndarray
    confusion: np.ndarray
    target_prediction_rates: np.ndarray


def _bbse_args(args: dict) -> None:
    """Check the labels of :func:`black_box_shift_estimate` (in place)."""
    k = args["n_classes"]
    for name in ("y_val", "pred_val", "pred_target"):
        args[name] = _labels(name, args[name], k)
    check_consistent_length(args["y_val"], args["pred_val"])
    if np.bincount(args["y_val"], minlength=k).min() == 0:
        raise ValueError("y_val must contain every class at least once")


@boundary(n_classes="int >= 2", check=_bbse_args)
def black_box_shift_estimate(
    y_val: object,
    pred_val: object,
    pred_target: object,
    n_classes: int,
) -> BBSEResult:
    """Estimate the target class priors under label shift from a black-box classifier.

    Under label shift p(x | y) is the same in source and target, so the
    classifier's predictions given the true label behave the same way in both:
    P_target(prediction i) = sum_j P(prediction i | label j) q(j). With the joint
    confusion matrix C[i, j] = P_source(prediction i, label j) measured on
    labelled source validation data, this reads ``mu = C w`` with
    ``w_j = q(j) / p(j)``; solve it, clip negative weights at 0, and
    ``q = w * p`` (normalised). Needs an invertible C: a classifier better than
    chance on every class. Lipton, Wang and Smola (2018). Used in lecture 7.1.

    Parameters
    ----------
    y_val, pred_val : array-like of shape (n_val,)
        True and predicted labels (0..k-1) on source validation data.
    pred_target : array-like of shape (n_target,)
        Predicted labels on unlabelled target data.
    n_classes : int
        k, at least 2.

    Returns
    -------
    BBSEResult
    """
    confusion = np.zeros((n_classes, n_classes))
    np.add.at(confusion, (pred_val, y_val), 1.0)
    confusion /= len(y_val)
    mu = np.bincount(pred_target, minlength=n_classes) / len(pred_target)
    weights = np.maximum(np.linalg.lstsq(confusion, mu, rcond=None)[0], 0.0)
    source_priors = confusion.sum(axis=0)
    priors = weights * source_priors
    if priors.sum() <= 0:
        raise ValueError("the estimated priors are all zero; is the classifier "
                         "better than chance?")
    return BBSEResult(weights, priors / priors.sum(), confusion, mu)


def _label_shift_args(args: dict) -> None:
    """Check ``proba`` (n, k) and the priors of :func:`adjust_proba` and
    :func:`em_prior_adjustment` (in place)."""
    proba = args["proba"] = check_proba("proba", args["proba"])
    for name in ("source_priors", "target_priors"):
        if name in args:
            args[name] = _priors(name, args[name], proba.shape[1])
    if "target_priors" in args and np.any(
            (proba * (args["target_priors"] / args["source_priors"])).sum(axis=1) <= 0):
        raise ValueError("a row of proba has no mass on any class with positive prior")


@boundary(check=_label_shift_args)
def adjust_proba(proba: object, source_priors: object, target_priors: object) -> np.ndarray:
    """Re-weight predicted class probabilities from source to target priors.

    Under label shift p_target(y | x) is proportional to p_source(y | x) q(y) / p(y).
    Used in lecture 7.1.

    Parameters
    ----------
    proba : array-like of shape (n, k)
        Rows of source-calibrated probabilities.
    source_priors, target_priors : array-like of shape (k,)
        p(y) and q(y), positive and summing to 1.
    """
    scaled = proba * (target_priors / source_priors)
    return scaled / scaled.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class EMResult:
    """EM re-estimation of class priors (lecture 7.1).

    Attributes
    ----------
    target_priors : numpy.ndarray of shape (k,)
    proba : numpy.ndarray of shape (n, k)
        The probabilities adjusted to ``target_priors``.
    n_iter : int
        Iterations run.
    log_likelihood : float
        Mean log-likelihood of the target data under the final priors, up to a
        constant that does not depend on them.
    """

    target_priors: np.ndarray
    proba: np.ndarray
    n_iter: int
    log_likelihood: float


@boundary(check=_label_shift_args, max_iter="int >= 1",
          tol=lambda name, v: float(check_scalar(v, name, Real, min_val=0,
                                                 include_boundaries="neither")))
def em_prior_adjustment(
    proba: object,
    source_priors: object,
    *,
    max_iter: int = 1000,
    tol: float = 1e-8,
) -> EMResult:
    """Re-estimate the class priors of unlabelled data by expectation-maximisation.

    Start from q = p. E step: adjust every row's probabilities to the current q
    (:func:`adjust_proba`). M step: q = the mean of the adjusted probabilities.
    Each step increases the likelihood of the unlabelled data, and the fixed point
    is the maximum-likelihood estimate of q given a calibrated source model.
    Saerens, Latinne and Decaestecker (2002). Used in lecture 7.1.

    Parameters
    ----------
    proba : array-like of shape (n, k)
        Source-calibrated predicted probabilities on the unlabelled target data.
    source_priors : array-like of shape (k,)
        p(y), positive, summing to 1.
    max_iter : int
        At least 1.
    tol : float
        Stop when the priors move less than this (L1), > 0.

    Returns
    -------
    EMResult
    """
    p = source_priors
    q, n_iter, converged = p.copy(), 0, False
    while not converged and n_iter < max_iter:
        adjusted = proba * (q / p)  # E step: posteriors under the current priors
        adjusted /= adjusted.sum(axis=1, keepdims=True)
        q_new = adjusted.mean(axis=0)  # M step: priors = mean posterior
        converged = np.abs(q_new - q).sum() < tol
        q, n_iter = q_new, n_iter + 1
    adjusted = proba * (q / p)
    log_likelihood = float(np.mean(np.log(adjusted.sum(axis=1))))
    return EMResult(q, adjusted / adjusted.sum(axis=1, keepdims=True), n_iter,
                    log_likelihood)
