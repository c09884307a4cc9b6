"""Evaluation metrics from scratch: confusion matrix, precision and recall, ROC and AUC.

Used in lecture 4.1. The loss is what training minimises; the metrics below are
what we *report*, and they need not be differentiable. Every function mirrors a
scikit-learn reference (named in its docstring) and is tested against it.

Conventions
-----------
- Binary functions take labels in ``{0, 1}`` (or booleans); ``1`` is the positive
  class. Any other label raises ``ValueError`` instead of being silently mapped.
- A ratio whose denominator is zero (precision when nothing is predicted positive,
  recall when there are no positives, F1 when precision + recall = 0) is ``0.0``,
  the convention of scikit-learn's ``zero_division=0``.
- ``scores`` are real-valued confidences, larger meaning "more likely positive";
  only their order matters for ROC and AUC. NaN scores raise; infinities are
  allowed (they are ordered like any other number).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sklearn import metrics as sklearn_metrics

from helpers.checks import boundary, check_labels, check_same_length, check_vector

__all__ = [
    "BinaryCounts",
    "PerClassReport",
    "accuracy",
    "average_ranks",
    "binary_counts",
    "confusion_matrix",
    "f1_score",
    "per_class_precision_recall",
    "precision",
    "recall",
    "roc_auc",
    "roc_curve",
    "trapezoid_area",
]


# --------------------------------------------------------------------------- validation


def _as_binary(name: str, values: object) -> np.ndarray:
    """Return labels as an int array of 0s and 1s; raise on anything else."""
    arr = check_labels(values, name)
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(
            f"{name} must hold binary labels 0 and 1, got dtype {arr.dtype}"
        )
    bad = np.setdiff1d(np.unique(arr), [0, 1])
    if bad.size:
        raise ValueError(
            f"{name} must hold binary labels 0 and 1 only, found {bad[:5].tolist()}; "
            "for multiclass labels use per_class_precision_recall or confusion_matrix"
        )
    return arr.astype(np.int64)


def _as_scores(name: str, values: object) -> np.ndarray:
    """Scores to rank: a non-empty 1-D float array without NaN (infinity is ordered)."""
    if np.asarray(values).dtype == bool:
        raise TypeError(f"{name} must be real numbers, got dtype bool")
    return check_vector(values, name, allow_inf=True)


def _binary_pair(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    y_true = _as_binary("y_true", y_true)
    y_pred = _as_binary("y_pred", y_pred)
    check_same_length(y_true=y_true, y_pred=y_pred)
    return y_true, y_pred


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0 (zero_division=0)."""
    return float(numerator / denominator) if denominator > 0 else 0.0


# --------------------------------------------------------------------------- label metrics


@boundary(y_true="labels", y_pred="labels", same_length=("y_true", "y_pred"))
def accuracy(y_true: object, y_pred: object) -> float:
    """Fraction of examples whose predicted label equals the true label.

    Works for any labels (binary or multiclass). Reference:
    ``sklearn.metrics.accuracy_score``. Used in lecture 4.1.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels.

    Returns
    -------
    float
        ``mean(y_true == y_pred)``, in [0, 1].
    """
    return float(np.mean(y_true == y_pred))


class BinaryCounts(NamedTuple):
    """The four cells of a binary confusion matrix. Used in lecture 4.1.

    ``tp``: positives predicted positive; ``fp``: negatives predicted positive;
    ``fn``: positives predicted negative; ``tn``: negatives predicted negative.
    """

    tp: int
    fp: int
    fn: int
    tn: int


def binary_counts(y_true: object, y_pred: object) -> BinaryCounts:
    """Count true/false positives and negatives of binary predictions.

    Reference: ``sklearn.metrics.confusion_matrix(y_true, y_pred).ravel()``, which
    orders them ``tn, fp, fn, tp``. Used in lecture 4.1.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Labels in {0, 1}; 1 is the positive class.

    Returns
    -------
    BinaryCounts
        ``(tp, fp, fn, tn)``.
    """
    y_true, y_pred = _binary_pair(y_true, y_pred)
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    return BinaryCounts(tp=tp, fp=fp, fn=fn, tn=len(y_true) - tp - fp - fn)


def precision(y_true: object, y_pred: object) -> float:
    """Of the examples predicted positive, the fraction that are positive: TP / (TP + FP).

    Predictions of the negative class do not enter at all. 0.0 when nothing is
    predicted positive (``zero_division=0``). Reference:
    ``sklearn.metrics.precision_score(..., zero_division=0)``. Used in lecture 4.1.
    """
    c = binary_counts(y_true, y_pred)
    return _ratio(c.tp, c.tp + c.fp)


def recall(y_true: object, y_pred: object) -> float:
    """Of the positive examples, the fraction predicted positive: TP / (TP + FN).

    Also called the true positive rate or sensitivity. 0.0 when there are no
    positives (``zero_division=0``). Reference:
    ``sklearn.metrics.recall_score(..., zero_division=0)``. Used in lecture 4.1.
    """
    c = binary_counts(y_true, y_pred)
    return _ratio(c.tp, c.tp + c.fn)


def f1_score(y_true: object, y_pred: object) -> float:
    """Harmonic mean of precision and recall: 2 P R / (P + R) = 2 TP / (2 TP + FP + FN).

    0.0 when TP + FP + FN = 0, i.e. no positives and none predicted
    (``zero_division=0``). Reference: ``sklearn.metrics.f1_score(...,
    zero_division=0)``. Used in lecture 4.1.
    """
    c = binary_counts(y_true, y_pred)
    return _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)


def _distinct_labels(args: dict) -> None:
    labels = args["labels"]
    if labels is not None and len(np.unique(labels)) != len(labels):
        raise ValueError("labels must not contain duplicates")


@boundary(y_true="labels", y_pred="labels", labels="labels or None",
          same_length=("y_true", "y_pred"), check=_distinct_labels)
def confusion_matrix(
    y_true: object, y_pred: object, labels: object | None = None
) -> np.ndarray:
    """Confusion matrix ``C`` with ``C[i, j]`` = number of examples of class ``labels[i]``
    predicted as ``labels[j]`` (rows: truth, columns: prediction).

    Reference: ``sklearn.metrics.confusion_matrix``. Used in lecture 4.1.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels (any sortable labels).
    labels : array-like, optional
        Class order of the rows and columns. Default: the sorted union of the labels
        in ``y_true`` and ``y_pred``. Examples whose true or predicted label is not
        in ``labels`` are not counted, as in scikit-learn.

    Returns
    -------
    numpy.ndarray of int64, shape (k, k)
    """
    if labels is None:
        labels = np.union1d(y_true, y_pred)
    k = len(labels)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    def index_of(values: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(sorted_labels, values).clip(0, k - 1)
        found = sorted_labels[pos] == values
        return np.where(found, order[pos], -1)

    i, j = index_of(y_true), index_of(y_pred)
    keep = (i >= 0) & (j >= 0)
    counts = np.bincount(i[keep] * k + j[keep], minlength=k * k)
    return counts.reshape(k, k).astype(np.int64)


@dataclass(frozen=True)
class PerClassReport:
    """Precision, recall, F1 and support of every class, one entry per label.

    Used in lecture 4.1. ``support[c]`` is the number of true examples of class c.
    """

    labels: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray


@boundary(y_true="labels", y_pred="labels", labels="labels or None",
          same_length=("y_true", "y_pred"))
def per_class_precision_recall(
    y_true: object, y_pred: object, labels: object | None = None
) -> PerClassReport:
    """Per-class (one-vs-rest) precision, recall and F1, for binary or multiclass labels.

    Class ``c`` is treated as "positive" and every other class as "negative". Zero
    denominators give 0.0. Reference: ``sklearn.metrics.precision_recall_fscore_support(
    y_true, y_pred, average=None, zero_division=0)``. Used in lecture 4.1.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels.
    labels : array-like, optional
        Classes to report, in this order (default: sorted union of both label arrays).

    Returns
    -------
    PerClassReport
    """
    labels = np.union1d(y_true, y_pred) if labels is None else labels
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in labels], dtype=np.float64)
    predicted = np.array([np.sum(y_pred == c) for c in labels])   # predicted as c
    support = np.array([np.sum(y_true == c) for c in labels], dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(predicted > 0, tp / predicted, 0.0)
        rec = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    return PerClassReport(labels=labels, precision=prec, recall=rec, f1=f1, support=support)


# --------------------------------------------------------------------------- ROC and AUC


def _ranking_args(args: dict) -> None:
    args["y_true"], args["scores"] = _check_ranking_inputs(args["y_true"], args["scores"])


@boundary(check=_ranking_args)
def roc_curve(y_true: object, scores: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve: false and true positive rates at every distinct score threshold.

    Predicting "positive" when ``score >= t`` and sweeping ``t`` from above the largest
    score down to the smallest gives one point per distinct score, starting at
    (0, 0) for ``t = inf``. Tied scores move together, producing a diagonal segment.
    O(n log n): one sort and two cumulative sums. Reference:
    ``sklearn.metrics.roc_curve(y_true, scores, drop_intermediate=False)``.
    Used in lecture 4.1.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Labels in {0, 1}; both classes must be present.
    scores : array-like of shape (n,)
        Real scores, larger meaning more likely positive.

    Returns
    -------
    fpr : numpy.ndarray
        FP / (FP + TN) at each threshold, non-decreasing from 0 to 1.
    tpr : numpy.ndarray
        TP / (TP + FN) at each threshold, non-decreasing from 0 to 1.
    thresholds : numpy.ndarray
        ``inf`` followed by the distinct scores in decreasing order.
    """
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], y_true[order]
    last_of_group = np.r_[np.flatnonzero(s[1:] != s[:-1]), len(s) - 1]
    tps = np.cumsum(y)[last_of_group]
    fps = last_of_group + 1 - tps
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, s[last_of_group]]
    return fps / fps[-1], tps / tps[-1], thresholds


@boundary(x=_as_scores, y=_as_scores, same_length=("x", "y"))
def trapezoid_area(x: object, y: object) -> float:
    """Area under a curve through the points ``(x[i], y[i])`` by the trapezoid rule.

    ``x`` must be monotone (non-decreasing or non-increasing), as a ROC curve's fpr
    is. Reference: ``sklearn.metrics.auc``. Used in lecture 4.1.
    """
    if len(x) < 2:
        raise ValueError(f"at least 2 points are needed to compute an area, got {len(x)}")
    try:
        return float(sklearn_metrics.auc(x, y))
    except ValueError as err:
        raise ValueError(f"x must be monotone (sorted) for the trapezoid rule: {err}") from None


def average_ranks(values: object) -> np.ndarray:
    """Ranks 1..n of ``values`` in increasing order; tied values share their average rank.

    O(n log n): one stable sort. Reference: ``scipy.stats.rankdata(values,
    method="average")``. Used in lecture 4.1 for :func:`roc_auc`.

    Examples
    --------
    >>> average_ranks([10, 30, 20, 20]).tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    values = _as_scores("values", values)
    n = len(values)
    order = np.argsort(values, kind="stable")
    v = values[order]
    starts = np.r_[0, np.flatnonzero(v[1:] != v[:-1]) + 1]   # first position of each tie group
    ends = np.r_[starts[1:], n]                               # one past its last position
    group_rank = (starts + 1 + ends) / 2                      # mean of ranks starts+1 .. ends
    group_of_position = np.repeat(np.arange(len(starts)), ends - starts)
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = group_rank[group_of_position]
    return ranks


@boundary(check=_ranking_args)
def roc_auc(y_true: object, scores: object) -> float:
    """Area under the ROC curve, computed in O(n log n) from ranks (Mann-Whitney U).

    The AUC is the probability that a random positive scores higher than a random
    negative, ties counting one half:

    ``AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)``

    where ``R_pos`` is the sum of the average ranks of the positives' scores. It
    depends only on the order of the scores, so any strictly increasing transform
    of them leaves it unchanged. Reference: ``sklearn.metrics.roc_auc_score``.
    Used in lecture 4.1.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Labels in {0, 1}; both classes must be present.
    scores : array-like of shape (n,)
        Real scores, larger meaning more likely positive; no NaN.

    Returns
    -------
    float
        In [0, 1]: 1 = every positive above every negative, 0.5 = no separation
        (e.g. constant scores), 0 = perfectly reversed.
    """
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    rank_sum = float(average_ranks(scores)[y_true == 1].sum())
    u = rank_sum - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def _check_ranking_inputs(y_true: object, scores: object) -> tuple[np.ndarray, np.ndarray]:
    y_true = _as_binary("y_true", y_true)
    scores = _as_scores("scores", scores)
    check_same_length(y_true=y_true, scores=scores)
    n_pos = int(y_true.sum())
    if n_pos == 0 or n_pos == len(y_true):
        only = "positives" if n_pos else "negatives"
        raise ValueError(
            f"y_true holds only {only}: ROC and AUC need both classes "
            "(they compare positives against negatives)"
        )
    return y_true, scores
