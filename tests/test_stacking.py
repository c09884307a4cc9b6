"""Unit tests for helpers.stacking (lecture 5.4: out-of-fold predictions and stacking).

The references are ``sklearn.model_selection.cross_val_predict`` and
``sklearn.ensemble.StackingRegressor`` / ``StackingClassifier``, which our code equals
exactly with unshuffled folds (``seed=None``).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble as sk_ensemble
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict, train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from helpers.stacking import (
    StackingClassifier,
    StackingRegressor,
    _fold_splits,
    out_of_fold_predictions,
)


class RowMemory(RegressorMixin, BaseEstimator):
    """Predicts 1 for a row it was trained on and 0 otherwise (column 0 is a row id)."""

    def fit(self, X, y):
        self.seen_ = set(np.asarray(X)[:, 0].tolist())
        return self

    def predict(self, X):
        return np.array([float(v in self.seen_) for v in np.asarray(X)[:, 0]])


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _regressors():
    return [("ridge", Ridge(1.0)), ("knn", KNeighborsRegressor(10)),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))]


def _classifiers():
    return [("logreg", LogisticRegression(max_iter=1000)), ("knn", KNeighborsClassifier(7)),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0))]


# --------------------------------------------------------------------------- out-of-fold


def test_out_of_fold_equals_sklearn_cross_val_predict_for_regressors(diabetes):
    X, _, y, _ = diabetes
    oof = out_of_fold_predictions(_regressors(), X, y, n_splits=5, seed=None)
    expected = np.column_stack([cross_val_predict(est, X, y, cv=KFold(5))
                                for _, est in _regressors()])
    np.testing.assert_allclose(oof, expected)


def test_out_of_fold_equals_sklearn_for_classifiers_keeping_the_positive_class(cancer):
    X, _, y, _ = cancer
    oof = out_of_fold_predictions(_classifiers(), X, y, n_splits=4, seed=None)
    expected = np.column_stack([cross_val_predict(est, X, y, cv=StratifiedKFold(4),
                                                  method="predict_proba")[:, 1]
                                for _, est in _classifiers()])
    assert oof.shape == (len(X), 3)
    np.testing.assert_allclose(oof, expected)


def test_out_of_fold_keeps_all_class_columns_for_more_than_two_classes():
    X, y = load_wine(return_X_y=True)
    oof = out_of_fold_predictions([KNeighborsClassifier(5)], X, y, n_splits=3)
    assert oof.shape == (len(X), 3)
    np.testing.assert_allclose(oof.sum(axis=1), 1.0)


@pytest.mark.parametrize("n_splits, n_repeats", [(2, 1), (5, 1), (3, 4)])
def test_out_of_fold_predictions_never_come_from_a_model_that_saw_the_row(n_splits, n_repeats):
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(60.0), rng.normal(size=(60, 2))])
    y = rng.normal(size=60)
    oof = out_of_fold_predictions([RowMemory()], X, y, n_splits=n_splits, n_repeats=n_repeats)
    np.testing.assert_array_equal(oof, 0.0)
    naive = StackingRegressor([RowMemory()], LinearRegression(), cross_fit=False).fit(X, y)
    np.testing.assert_array_equal(naive.transform(X), 1.0)   # in-sample: every row was seen


def test_one_nearest_neighbour_out_of_fold_differs_from_its_perfect_in_sample_fit():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)     # no duplicated rows
    one_nn = KNeighborsRegressor(n_neighbors=1)
    in_sample = clone(one_nn).fit(X, y).predict(X)
    oof = out_of_fold_predictions([one_nn], X, y, n_splits=5)[:, 0]
    np.testing.assert_allclose(in_sample, y)
    assert np.all(oof != y)


def test_repeats_are_different_partitions_and_their_predictions_are_averaged(diabetes):
    X, _, y, _ = diabetes
    repeats = _fold_splits(X, y, 4, 3, seed=7, stratify=False)
    for folds in repeats:
        held_out = np.sort(np.concatenate([test for _, test in folds]))
        np.testing.assert_array_equal(held_out, np.arange(len(X)))
    assert not np.array_equal(repeats[0][0][1], repeats[1][0][1])
    expected = np.zeros(len(X))
    for folds in repeats:
        for train, test in folds:
            expected[test] += Ridge(1.0).fit(X[train], y[train]).predict(X[test]) / 3
    oof = out_of_fold_predictions([Ridge(1.0)], X, y, n_splits=4, n_repeats=3, seed=7)
    np.testing.assert_allclose(oof[:, 0], expected)


def test_out_of_fold_is_deterministic_in_the_seed(diabetes):
    X, _, y, _ = diabetes
    a = out_of_fold_predictions([KNeighborsRegressor(5)], X, y, seed=3)
    b = out_of_fold_predictions([KNeighborsRegressor(5)], X, y, seed=3)
    c = out_of_fold_predictions([KNeighborsRegressor(5)], X, y, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_classifier_folds_are_stratified(cancer):
    X, _, y, _ = cancer
    for _, test in _fold_splits(X, y, 5, 1, seed=0, stratify=True)[0]:
        assert abs(y[test].mean() - y.mean()) < 0.02


def test_method_selection_follows_sklearn(cancer):
    X, _, y, _ = cancer
    svm = SVC()                                                # no predict_proba
    oof = out_of_fold_predictions([svm], X, y, n_splits=3, seed=None)
    expected = cross_val_predict(svm, X, y, cv=StratifiedKFold(3), method="decision_function")
    np.testing.assert_allclose(oof[:, 0], expected)
    labels = out_of_fold_predictions([LogisticRegression()], X, y, n_splits=3, method="predict")
    assert set(np.unique(labels)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="predict_proba"):
        out_of_fold_predictions([Ridge()], X, y, method="predict_proba")


def test_out_of_fold_rejects_bad_arguments(diabetes):
    X, _, y, _ = diabetes
    with pytest.raises(ValueError, match="empty"):
        out_of_fold_predictions([], X, y)
    with pytest.raises(TypeError, match="list"):
        out_of_fold_predictions(Ridge(), X, y)
    with pytest.raises(TypeError, match="fit and predict"):
        out_of_fold_predictions([object()], X, y)
    with pytest.raises(ValueError, match="unique"):
        out_of_fold_predictions([("a", Ridge()), ("a", Ridge())], X, y)
    with pytest.raises(ValueError, match="n_splits"):
        out_of_fold_predictions([Ridge()], X, y, n_splits=1)
    with pytest.raises(ValueError, match="exceeds"):
        out_of_fold_predictions([Ridge()], X[:3], y[:3], n_splits=5)
    with pytest.raises(ValueError, match="seed"):
        out_of_fold_predictions([Ridge()], X, y, n_repeats=2, seed=None)
    with pytest.raises(ValueError, match="method"):
        out_of_fold_predictions([Ridge()], X, y, method="proba")
    with pytest.raises(ValueError, match="NaN"):
        out_of_fold_predictions([Ridge()], np.where(X > 0.1, np.nan, X), y)
    with pytest.raises(ValueError, match="same number of rows"):
        out_of_fold_predictions([Ridge()], X, y[:-1])
    with pytest.raises(ValueError, match="2-D"):
        out_of_fold_predictions([Ridge()], X[:, 0], y)


# --------------------------------------------------------------------------- stacking


@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_regressor_equals_sklearn(diabetes, passthrough):
    X_tr, X_te, y_tr, y_te = diabetes
    ours = StackingRegressor(_regressors(), seed=None, passthrough=passthrough).fit(X_tr, y_tr)
    ref = sk_ensemble.StackingRegressor(_regressors(), passthrough=passthrough).fit(X_tr, y_tr)
    np.testing.assert_allclose(ours.predict(X_te), ref.predict(X_te), rtol=1e-10)
    np.testing.assert_allclose(ours.transform(X_te), ref.transform(X_te), rtol=1e-10)
    assert ours.score(X_te, y_te) == pytest.approx(ref.score(X_te, y_te))


def test_stacking_classifier_equals_sklearn_binary(cancer):
    X_tr, X_te, y_tr, y_te = cancer
    ours = StackingClassifier(_classifiers(), seed=None).fit(X_tr, y_tr)
    ref = sk_ensemble.StackingClassifier(_classifiers()).fit(X_tr, y_tr)
    np.testing.assert_allclose(ours.predict_proba(X_te), ref.predict_proba(X_te), rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(X_te), ref.predict(X_te))


def test_stacking_classifier_equals_sklearn_multiclass_with_string_labels():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    names = np.array(["barolo", "grignolino", "barbera"])[y]
    ours = StackingClassifier(_classifiers(), seed=None, n_splits=3).fit(X, names)
    ref = sk_ensemble.StackingClassifier(_classifiers(), cv=3).fit(X, names)
    assert list(ours.classes_) == sorted(set(names))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_shuffled_repeated_stack_scores_like_sklearn(cancer):
    X_tr, X_te, y_tr, y_te = cancer
    ours = StackingClassifier(_classifiers(), n_repeats=2, seed=0).fit(X_tr, y_tr)
    ref = sk_ensemble.StackingClassifier(_classifiers()).fit(X_tr, y_tr)
    assert abs(ours.score(X_te, y_te) - ref.score(X_te, y_te)) <= 0.02


def test_level1_train_holds_the_out_of_fold_or_in_sample_outputs(diabetes):
    X_tr, _, y_tr, _ = diabetes
    stack = StackingRegressor(_regressors(), n_splits=4, seed=3).fit(X_tr, y_tr)
    expected = out_of_fold_predictions(_regressors(), X_tr, y_tr, n_splits=4, seed=3)
    np.testing.assert_allclose(stack.level1_train_, expected)
    naive = StackingRegressor(_regressors(), cross_fit=False).fit(X_tr, y_tr)
    np.testing.assert_allclose(naive.level1_train_, naive.transform(X_tr))


def test_refit_false_averages_the_fold_models(diabetes):
    X_tr, X_te, y_tr, _ = diabetes
    stack = StackingRegressor(_regressors(), n_splits=4, n_repeats=2, refit=False).fit(X_tr, y_tr)
    assert all(len(models) == 8 for models in stack.members_)
    knn_models = stack.named_estimators_["knn"]
    expected = np.mean([m.predict(X_te) for m in knn_models], axis=0)
    np.testing.assert_allclose(stack.transform(X_te)[:, 1], expected)


def test_naive_stack_trusts_the_memorising_model():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] + rng.normal(size=200)
    level1 = [("linear", LinearRegression()), ("one_nn", KNeighborsRegressor(1))]
    naive = StackingRegressor(level1, LinearRegression(), cross_fit=False).fit(X, y)
    honest = StackingRegressor(level1, LinearRegression()).fit(X, y)
    assert naive.final_estimator_.coef_[1] == pytest.approx(1.0)   # 1-NN reproduces y in-sample
    assert honest.final_estimator_.coef_[0] > honest.final_estimator_.coef_[1]


def test_multi_layer_stack_by_nesting_clones_and_predicts(diabetes):
    X_tr, X_te, y_tr, y_te = diabetes
    level2 = StackingRegressor([("ridge2", Ridge(1.0)), ("knn2", KNeighborsRegressor(15))],
                               seed=1)
    stack = StackingRegressor(_regressors(), final_estimator=level2, passthrough=True)
    stack.fit(X_tr, y_tr)
    assert stack.final_estimator_.n_features_in_ == 3 + X_tr.shape[1]
    ref = sk_ensemble.StackingRegressor(
        _regressors(), passthrough=True,
        final_estimator=sk_ensemble.StackingRegressor([("ridge2", Ridge(1.0)),
                                                       ("knn2", KNeighborsRegressor(15))]))
    assert abs(stack.score(X_te, y_te) - ref.fit(X_tr, y_tr).score(X_te, y_te)) < 0.05
    copy = clone(stack)
    assert copy.get_params()["final_estimator__seed"] == 1


def test_stacking_pipelines_work_as_level1_models(cancer):
    X_tr, X_te, y_tr, y_te = cancer
    pipe = make_pipeline(StandardScaler(), KNeighborsClassifier(5))
    stack = StackingClassifier([pipe, LogisticRegression()]).fit(X_tr, y_tr)
    assert set(stack.named_estimators_) == {"pipeline0", "logisticregression1"}
    assert stack.score(X_te, y_te) > 0.9


def test_stacking_rejects_bad_use(diabetes):
    X_tr, X_te, y_tr, _ = diabetes
    with pytest.raises(ValueError, match="not fitted"):
        StackingRegressor(_regressors()).predict(X_te)
    with pytest.raises(TypeError, match="passthrough"):
        StackingRegressor(_regressors(), passthrough="yes").fit(X_tr, y_tr)
    with pytest.raises(TypeError, match="final_estimator"):
        StackingRegressor(_regressors(), final_estimator=object()).fit(X_tr, y_tr)
    with pytest.raises(ValueError, match="at least 2 classes"):
        StackingClassifier(_classifiers()).fit(X_tr, np.zeros(len(X_tr)))
    with pytest.raises(TypeError, match="numeric"):
        StackingRegressor(_regressors()).fit(X_tr, np.array(["a"] * len(X_tr)))
    stack = StackingRegressor(_regressors(), n_splits=3).fit(X_tr, y_tr)
    with pytest.raises(ValueError, match="features"):
        stack.predict(X_te[:, :4])
