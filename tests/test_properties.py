"""Property-based tests (hypothesis) of the from-scratch algorithms against their
references: random shapes, ties, offsets of 1e8, constant columns, one class, tiny
inputs. Derandomized and few examples each, so that the suite stays fast and the same
on every run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import gaussian_kde, ks_2samp, rankdata
from sklearn.cluster import KMeans
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeRegressor as SkTree

from helpers import learning, metrics, monitoring, transforms, trees

FEW = settings(max_examples=25, deadline=None, derandomize=True)
OFFSETS = st.sampled_from([0.0, 1.0, -1e3, 1e6, 1e8])


@st.composite
def tables(draw, min_rows: int = 1, max_rows: int = 12, max_cols: int = 3,
           constant_columns: bool = True) -> np.ndarray:
    """Small float tables on a grid of 0.01 (ties), shifted by an offset, some columns
    constant."""
    rows = draw(st.integers(min_rows, max_rows))
    cols = draw(st.integers(1, max_cols))
    cells = draw(arrays(np.int64, (rows, cols), elements=st.integers(-300, 300)))
    X = cells / 100.0 + draw(OFFSETS)
    if constant_columns and draw(st.booleans()):
        X[:, draw(st.integers(0, cols - 1))] = draw(st.integers(-999, 999)) / 100.0
    return X


labels = st.lists(st.integers(0, 3), min_size=1, max_size=20)


# --------------------------------------------------------------------------- scaling


@FEW
@given(tables())
def test_z_score_is_standard_scaler(X):
    np.testing.assert_allclose(transforms.z_score(X), StandardScaler().fit_transform(X),
                               atol=1e-6)


@FEW
@given(tables())
def test_min_max_scale_is_min_max_scaler(X):
    np.testing.assert_allclose(transforms.min_max_scale(X), MinMaxScaler().fit_transform(X),
                               atol=1e-9)


# --------------------------------------------------------------------------- clustering, density


@FEW
@given(tables(min_rows=2, constant_columns=False), st.integers(1, 3))
def test_lloyd_from_the_same_start_is_sklearns_lloyd(X, k):
    k = min(k, len(np.unique(X, axis=0)))
    start = np.unique(X, axis=0)[:k]
    ours = learning.kmeans(X, k, init=start)
    ref = KMeans(k, init=start, n_init=1, algorithm="lloyd", tol=0).fit(X)
    scale = max(1.0, float(((X - X.mean(0)) ** 2).sum()))
    assert ours.inertia == pytest.approx(ref.inertia_, abs=1e-9 * scale)


@FEW
@given(tables(min_rows=1, constant_columns=False))
def test_one_cluster_is_the_mean_and_the_inertia_the_sum_of_squares(X):
    result = learning.kmeans(X, 1, 0, n_init=1)
    np.testing.assert_allclose(result.centers[0], X.mean(axis=0), rtol=1e-12)
    spread = float(((X - X.mean(axis=0)) ** 2).sum())
    assert result.inertia == pytest.approx(spread, rel=1e-9, abs=1e-12)


@FEW
@given(st.integers(5, 30), st.integers(1, 2), OFFSETS, st.integers(0, 10_000))
def test_kde_is_scipys_gaussian_kde(n, d, offset, seed):
    X = np.random.default_rng(seed).normal(size=(n, d)) + offset
    ours = learning.fit_kde(X).log_density(X[:4])
    np.testing.assert_allclose(ours, gaussian_kde(X.T).logpdf(X[:4].T), atol=1e-6)


# --------------------------------------------------------------------------- metrics


@FEW
@given(labels, st.data())
def test_label_metrics_are_sklearns(y_true, data):
    y_pred = data.draw(st.lists(st.integers(0, 3), min_size=len(y_true),
                                max_size=len(y_true)))
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  sk_confusion_matrix(y_true, y_pred))
    subset = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True))
    ours = metrics.per_class_precision_recall(y_true, y_pred, labels=subset)
    ref = precision_recall_fscore_support(y_true, y_pred, labels=subset, average=None,
                                          zero_division=0)
    np.testing.assert_allclose(ours.precision, ref[0])
    np.testing.assert_allclose(ours.recall, ref[1])
    np.testing.assert_allclose(ours.f1, ref[2])


@FEW
@given(st.lists(st.sampled_from([0, 1]), min_size=2, max_size=20).filter(
    lambda y: 0 < sum(y) < len(y)), st.data())
def test_roc_auc_with_ties_is_sklearns(y_true, data):
    scores = data.draw(st.lists(st.sampled_from([-1e8, 0.0, 0.5, 1.0, 1e8]),
                                min_size=len(y_true), max_size=len(y_true)))
    assert metrics.roc_auc(y_true, scores) == pytest.approx(roc_auc_score(y_true, scores))


@FEW
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=20))
def test_average_ranks_are_scipys(values):
    np.testing.assert_allclose(metrics.average_ranks(values), rankdata(values))


@FEW
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=15),
       st.lists(st.integers(-5, 5), min_size=1, max_size=15), OFFSETS)
def test_ks_statistic_is_scipys(a, b, offset):
    a, b = np.array(a) + offset, np.array(b) + offset
    assert monitoring.ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic)


def test_one_class_metrics_are_sklearns():
    y = [1, 1, 1]
    assert metrics.accuracy(y, y) == accuracy_score(y, y)
    np.testing.assert_array_equal(metrics.confusion_matrix(y, y), sk_confusion_matrix(y, y))
    # scikit-learn warns and returns NaN for one class; we refuse, naming y_true
    with pytest.raises(ValueError, match="y_true holds only positives"):
        metrics.roc_auc(y, [0.1, 0.2, 0.3])


# --------------------------------------------------------------------------- trees


@FEW
@given(tables(min_rows=2, max_cols=2), st.data())
def test_a_stump_reduces_the_squared_error_at_least_as_much_as_sklearns(X, data):
    """At least: scikit-learn's trees store X as float32, which merges values 0.01 apart
    at an offset of 1e6, so ours (float64) can find a split it cannot."""
    y = np.array(data.draw(st.lists(st.integers(-5, 5), min_size=len(X), max_size=len(X))),
                 dtype=float)
    ours = trees.DecisionTreeRegressor(max_depth=1).fit(X, y).predict(X)
    ref = SkTree(max_depth=1).fit(X, y).predict(X)
    assert ((y - ours) ** 2).sum() <= ((y - ref) ** 2).sum() + 1e-9
    if np.array_equal(X.astype(np.float32).astype(np.float64), X):  # exact in float32
        assert ((y - ours) ** 2).sum() == pytest.approx(((y - ref) ** 2).sum(), abs=1e-9)


@FEW
@given(tables(min_rows=1, max_cols=2), st.integers(0, 2))
def test_a_tree_on_one_class_predicts_it(X, label):
    y = np.full(len(X), label)
    model = trees.DecisionTreeClassifier().fit(X, y)
    assert (model.predict(X) == label).all() and model.score(X, y) == 1.0
