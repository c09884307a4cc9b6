"""Unit tests for helpers.metrics (lecture 4.1), against scikit-learn and scipy."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
from scipy.stats import rankdata

from helpers.metrics import (
    BinaryCounts,
    accuracy,
    average_ranks,
    binary_counts,
    confusion_matrix,
    f1_score,
    per_class_precision_recall,
    precision,
    recall,
    roc_auc,
    roc_curve,
    trapezoid_area,
)

SEEDS = range(20)


def _binary(rng: np.random.Generator, n: int, p: float = 0.3) -> np.ndarray:
    return (rng.random(n) < p).astype(int)


def _both_classes(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    y = _binary(rng, n, p)
    y[0], y[1] = 0, 1
    return rng.permutation(y)


# --------------------------------------------------------------------------- accuracy, P, R, F1


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_matches_sklearn_on_random_multiclass_labels(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    y_true, y_pred = rng.integers(0, 4, n), rng.integers(0, 4, n)
    assert accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_precision_recall_f1_match_sklearn_on_random_inputs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 100))
    p_true, p_pred = rng.uniform(0, 0.6, size=2)     # small n and p make empty classes likely
    y_true, y_pred = _binary(rng, n, p_true), _binary(rng, n, p_pred)
    kw = {"zero_division": 0}
    assert precision(y_true, y_pred) == pytest.approx(skm.precision_score(y_true, y_pred, **kw))
    assert recall(y_true, y_pred) == pytest.approx(skm.recall_score(y_true, y_pred, **kw))
    assert f1_score(y_true, y_pred) == pytest.approx(skm.f1_score(y_true, y_pred, **kw))


def test_zero_division_gives_zero_like_sklearn_zero_division_0():
    no_positive_predictions = ([1, 0, 1], [0, 0, 0])
    no_positives_at_all = ([0, 0, 0], [0, 0, 0])
    assert precision(*no_positive_predictions) == 0.0
    assert recall(*no_positives_at_all) == 0.0
    assert f1_score(*no_positives_at_all) == 0.0
    assert skm.f1_score(*no_positives_at_all, zero_division=0) == 0.0


def test_precision_ignores_predictions_on_the_negative_class():
    y_true = np.array([1, 1, 0, 0, 0, 0])
    few_negatives_right = np.array([1, 0, 0, 1, 1, 1])
    all_negatives_right = np.array([1, 0, 0, 0, 0, 0])
    # changing predicted-negative examples that are truly positive leaves precision alone
    assert precision(y_true, [1, 0, 0, 0, 0, 0]) == precision(y_true, [1, 1, 0, 0, 0, 0]) == 1.0
    assert precision(y_true, few_negatives_right) == 0.25
    assert precision(y_true, all_negatives_right) == 1.0


def test_binary_counts_match_sklearn_confusion_matrix_and_accept_booleans():
    rng = np.random.default_rng(0)
    y_true, y_pred = _binary(rng, 300), _binary(rng, 300, 0.5)
    tn, fp, fn, tp = skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    assert binary_counts(y_true, y_pred) == BinaryCounts(tp=tp, fp=fp, fn=fn, tn=tn)
    assert binary_counts(y_true.astype(bool), y_pred.astype(bool)) == (tp, fp, fn, tn)


@pytest.mark.parametrize("bad", [[0, 1, 2], [-1, 0, 1], [0.5, 1, 0], ["a", "b", "a"]])
def test_binary_metrics_reject_non_binary_labels(bad):
    with pytest.raises(ValueError, match="binary labels"):
        precision(bad, [0, 1, 1])
    with pytest.raises(ValueError, match="binary labels"):
        recall([0, 1, 1], bad)


def test_label_metrics_reject_empty_input_length_mismatch_and_2d():
    with pytest.raises(ValueError, match="empty"):
        f1_score([], [])
    with pytest.raises(ValueError, match="empty"):
        accuracy([], [])
    with pytest.raises(ValueError, match="same length"):
        accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="same length"):
        precision([0, 1], [1])
    with pytest.raises(ValueError, match="1-D"):
        accuracy([[0, 1]], [[0, 1]])


def test_nan_label_is_rejected():
    with pytest.raises(ValueError, match="NaN"):
        recall([0.0, np.nan], [0, 1])


# --------------------------------------------------------------------------- multiclass


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_matches_sklearn_on_random_labels(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    y_true, y_pred = rng.integers(0, 5, n), rng.integers(1, 6, n)
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred),
                                  skm.confusion_matrix(y_true, y_pred))


def test_confusion_matrix_follows_the_given_label_order_and_drops_other_labels():
    y_true = np.array(["cat", "dog", "dog", "bird", "cat"])
    y_pred = np.array(["dog", "dog", "cat", "bird", "cat"])
    labels = ["dog", "cat"]
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, labels=labels),
                                  skm.confusion_matrix(y_true, y_pred, labels=labels))


def test_confusion_matrix_rejects_duplicate_labels():
    with pytest.raises(ValueError, match="duplicates"):
        confusion_matrix([0, 1], [1, 0], labels=[0, 1, 1])


@pytest.mark.parametrize("seed", SEEDS)
def test_per_class_report_matches_precision_recall_fscore_support(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 150))
    # skewed class frequencies so that some classes are rare, absent or never predicted
    y_true = rng.choice(4, size=n, p=[0.7, 0.2, 0.08, 0.02])
    y_pred = rng.choice(4, size=n, p=[0.5, 0.3, 0.2, 0.0])
    report = per_class_precision_recall(y_true, y_pred)
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=report.labels,
                                                     average=None, zero_division=0)
    np.testing.assert_allclose(report.precision, p)
    np.testing.assert_allclose(report.recall, r)
    np.testing.assert_allclose(report.f1, f)
    np.testing.assert_array_equal(report.support, s)


def test_per_class_report_for_class_one_equals_the_binary_metrics():
    rng = np.random.default_rng(3)
    y_true, y_pred = _binary(rng, 80), _binary(rng, 80, 0.5)
    report = per_class_precision_recall(y_true, y_pred, labels=[0, 1])
    assert report.precision[1] == pytest.approx(precision(y_true, y_pred))
    assert report.recall[1] == pytest.approx(recall(y_true, y_pred))
    assert report.f1[1] == pytest.approx(f1_score(y_true, y_pred))


# --------------------------------------------------------------------------- ranks


@pytest.mark.parametrize("seed", SEEDS)
def test_average_ranks_match_scipy_rankdata_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 5, size=int(rng.integers(1, 60))).astype(float)
    np.testing.assert_allclose(average_ranks(values), rankdata(values, method="average"))


def test_average_ranks_treat_infinities_and_signed_zeros_as_numbers():
    values = [np.inf, -0.0, 0.0, -np.inf, np.inf]
    np.testing.assert_allclose(average_ranks(values), [4.5, 2.5, 2.5, 1.0, 4.5])


# --------------------------------------------------------------------------- ROC and AUC


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_curve_matches_sklearn_without_dropping_points(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    y = _both_classes(rng, n, rng.uniform(0.05, 0.95))
    scores = rng.integers(0, 8, n) / 4 if seed % 2 else rng.normal(size=n)  # ties on odd seeds
    fpr, tpr, thr = roc_curve(y, scores)
    fpr_sk, tpr_sk, thr_sk = skm.roc_curve(y, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, fpr_sk)
    np.testing.assert_allclose(tpr, tpr_sk)
    np.testing.assert_array_equal(thr, thr_sk)


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_matches_sklearn_on_continuous_scores(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 500))
    y = _both_classes(rng, n, rng.uniform(0.02, 0.98))
    scores = rng.normal(size=n) + y * rng.uniform(0, 2)
    assert roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_matches_sklearn_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 500))
    y = _both_classes(rng, n, rng.uniform(0.02, 0.98))
    scores = rng.integers(0, 3, n) + y * rng.integers(0, 2, n)   # only 4 distinct values
    assert roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_equals_trapezoid_area_under_own_roc_curve(seed):
    rng = np.random.default_rng(seed)
    y = _both_classes(rng, 300, 0.2)
    scores = np.round(rng.normal(size=300) + y, 1)
    fpr, tpr, _ = roc_curve(y, scores)
    assert trapezoid_area(fpr, tpr) == pytest.approx(roc_auc(y, scores), abs=1e-12)
    assert trapezoid_area(fpr, tpr) == pytest.approx(skm.auc(fpr, tpr), abs=1e-12)


def test_roc_auc_extreme_values_perfect_reversed_and_constant():
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert roc_auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5


def test_roc_auc_is_unchanged_by_strictly_increasing_transforms():
    rng = np.random.default_rng(7)
    y = _both_classes(rng, 400, 0.3)
    scores = rng.normal(size=400) + y
    base = roc_auc(y, scores)
    for transformed in (np.exp(scores), 1 / (1 + np.exp(-scores)), 3 * scores - 5,
                        average_ranks(scores)):
        assert roc_auc(y, transformed) == pytest.approx(base, abs=1e-12)


def test_roc_auc_orders_infinite_scores_like_very_large_finite_ones():
    # sklearn rejects infinite scores; we rank them, which gives the AUC of any
    # finite scores in the same order (a positive and a negative tie at 0.3: 5.5 / 6)
    y = np.array([0, 1, 0, 1, 1])
    scores = np.array([-np.inf, np.inf, 0.3, 0.3, np.inf])
    finite = np.array([-1e300, 1e300, 0.3, 0.3, 1e300])
    assert roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, finite), abs=1e-12)
    assert roc_auc(y, scores) == pytest.approx(5.5 / 6)


@pytest.mark.parametrize("y", [[0, 0, 0], [1, 1, 1]])
def test_roc_functions_raise_on_a_single_class(y):
    with pytest.raises(ValueError, match="both classes"):
        roc_auc(y, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="both classes"):
        roc_curve(y, [0.1, 0.2, 0.3])


def test_roc_functions_raise_on_nan_scores():
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([0, 1, 1], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        roc_curve([0, 1, 1], [0.1, np.nan, 0.3])


def test_roc_functions_raise_on_length_mismatch_and_empty_input():
    with pytest.raises(ValueError, match="same length"):
        roc_auc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="empty"):
        roc_auc([], [])
    with pytest.raises(ValueError, match="empty"):
        roc_curve([], [])


def test_roc_functions_raise_on_non_binary_labels():
    with pytest.raises(ValueError, match="binary labels"):
        roc_auc([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="binary labels"):
        roc_curve([-1, 1, 1], [0.1, 0.2, 0.3])


def test_roc_auc_rejects_non_numeric_scores():
    with pytest.raises(TypeError, match="real numbers"):
        roc_auc([0, 1], ["low", "high"])
    with pytest.raises(TypeError, match="real numbers"):
        roc_auc([0, 1], [False, True])


def test_trapezoid_area_rejects_unsorted_x_and_single_points():
    with pytest.raises(ValueError, match="monotone"):
        trapezoid_area([0, 1, 0.5], [0, 1, 1])
    with pytest.raises(ValueError, match="at least 2"):
        trapezoid_area([0.0], [1.0])
    assert trapezoid_area([1, 0], [1, 1]) == pytest.approx(1.0)
