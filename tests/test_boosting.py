"""Unit tests for helpers.boosting (lecture 5.3: AdaBoost and early stopping).

The references are scikit-learn's ``DecisionTreeClassifier(max_depth=1)`` with sample
weights (the stump), ``AdaBoostClassifier`` (SAMME, two classes) and the
``n_iter_no_change`` early stopping of ``GradientBoostingRegressor``. Scikit-learn's
trees work in float32, so the data are rounded to float32 first.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import ensemble as sk_ensemble
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from helpers.boosting import (
    AdaBoostClassifier,
    EarlyStopping,
    Stump,
    early_stopping,
    fit_stump,
    staged_loss,
    truncate,
)
from helpers.trees import GradientBoostingRegressor, NotFittedError


def _float32_exact(X: np.ndarray) -> np.ndarray:
    return X.astype(np.float32).astype(np.float64)


def _signed_data(seed: int, n: int = 80, d: int = 4):
    rng = np.random.default_rng(seed)
    X = _float32_exact(rng.normal(size=(n, d)))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.5 * rng.normal(size=n) > 0.3, 1.0, -1.0)
    w = rng.uniform(0.1, 1.0, size=n)
    return X, y, w / w.sum()


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = _float32_exact(X)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _brute_force_stump(X, y, w, criterion):
    """Score every split with explicit loops; return (best score, feature, threshold)."""
    best = (-math.inf, None, None)
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for lo, hi in zip(values[:-1], values[1:], strict=True):
            left = X[:, j] <= (lo + hi) / 2
            sides = []
            for mask in (left, ~left):
                sides.append((w[mask & (y > 0)].sum(), w[mask & (y < 0)].sum()))
            if criterion == "gini":
                score = sum((p * p + q * q) / (p + q) for p, q in sides)
            else:
                score = -sum(min(p, q) for p, q in sides)
            if score > best[0] + 1e-12:
                best = (score, j, (lo + hi) / 2)
    return best


# --------------------------------------------------------------------------- fit_stump


@pytest.mark.parametrize("criterion", ["gini", "error"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_stump_finds_the_brute_force_best_split(criterion, seed):
    X, y, w = _signed_data(seed, n=40, d=3)
    stump = fit_stump(X, y, w, criterion=criterion)
    _, feature, threshold = _brute_force_stump(X, y, w, criterion)
    assert stump.feature == feature
    assert stump.threshold == pytest.approx(threshold)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fit_stump_matches_sklearn_depth_one_tree_with_weights(seed):
    X, y, w = _signed_data(seed)
    stump = fit_stump(X, y, w)
    tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y, sample_weight=w)
    assert stump.feature == tree.tree_.feature[0]
    assert stump.threshold == pytest.approx(tree.tree_.threshold[0])
    np.testing.assert_array_equal(stump.predict(X), tree.predict(X))


def test_fit_stump_error_criterion_has_no_larger_weighted_error_than_gini():
    for seed in range(5):
        X, y, w = _signed_data(seed)
        errors = {c: w[fit_stump(X, y, w, criterion=c).predict(X) != y].sum()
                  for c in ("gini", "error")}
        assert errors["error"] <= errors["gini"] + 1e-12


def test_fit_stump_defaults_to_uniform_weights():
    X, y, _ = _signed_data(0)
    assert fit_stump(X, y) == fit_stump(X, y, np.ones(len(y)))


def test_fit_stump_on_one_class_returns_a_constant_stump():
    X, _, _ = _signed_data(0)
    stump = fit_stump(X, np.ones(len(X)))
    assert stump.left == stump.right == 1
    np.testing.assert_array_equal(stump.predict(X), np.ones(len(X)))


def test_fit_stump_on_constant_features_predicts_the_heavier_class():
    X = np.ones((6, 2))
    y = np.array([1, 1, -1, -1, -1, 1.0])
    w = np.array([0.1, 0.1, 0.3, 0.3, 0.1, 0.1])
    stump = fit_stump(X, y, w)
    assert stump.threshold == math.inf and stump.left == stump.right == -1


def test_fit_stump_breaks_ties_by_the_lowest_feature():
    X, y, w = _signed_data(0)
    X = np.column_stack([X[:, 2], X])             # column 0 duplicates column 3
    best = fit_stump(X[:, 1:], y, w)
    stump = fit_stump(X, y, w)
    expected = 0 if best.feature == 2 else best.feature + 1
    assert stump.feature == expected


def test_fit_stump_ignores_zero_weight_rows_at_the_edge():
    X = np.arange(6, dtype=float).reshape(-1, 1)
    y = np.array([1, -1, -1, 1, 1, 1.0])
    w = np.array([0.0, 1, 1, 1, 1, 1])            # the first row does not count
    stump = fit_stump(X, y, w)
    assert stump.threshold == 2.5 and (stump.left, stump.right) == (-1, 1)


@pytest.mark.parametrize("bad_y, message", [(np.array([0, 1, 1, 0.0]), "-1 and \\+1"),
                                            (np.array([1, -1, np.nan, 1]), "NaN")])
def test_fit_stump_rejects_bad_labels(bad_y, message):
    with pytest.raises(ValueError, match=message):
        fit_stump(np.arange(8.0).reshape(4, 2), bad_y)


@pytest.mark.parametrize("weights, message", [
    (np.array([1, -1, 1, 1.0]), "non-negative"), (np.zeros(4), "sums to 0"),
    (np.ones(3), "shape"), (np.array([1, np.inf, 1, 1]), "finite")])
def test_fit_stump_rejects_bad_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        fit_stump(np.arange(8.0).reshape(4, 2), np.array([1, -1, 1, -1.0]), weights)


def test_fit_stump_rejects_bad_inputs():
    y = np.array([1, -1, 1, -1.0])
    with pytest.raises(ValueError, match="criterion"):
        fit_stump(np.ones((4, 2)), y, criterion="entropy")
    with pytest.raises(ValueError, match="NaN"):
        fit_stump(np.array([[1.0], [np.nan], [2], [3]]), y)
    with pytest.raises(ValueError, match="2-D"):
        fit_stump(np.ones(4), y)
    with pytest.raises(ValueError, match="same number of rows"):
        fit_stump(np.ones((5, 2)), y)


# --------------------------------------------------------------------------- AdaBoost


def test_adaboost_reproduces_sklearn_samme_on_breast_cancer(cancer):
    X_tr, X_te, y_tr, y_te = cancer
    ours = AdaBoostClassifier(n_estimators=40).fit(X_tr, y_tr)
    ref = sk_ensemble.AdaBoostClassifier(estimator=DecisionTreeClassifier(max_depth=1),
                                         n_estimators=40, random_state=0).fit(X_tr, y_tr)
    assert [s.feature for s in ours.estimators_] == [e.tree_.feature[0] for e in ref.estimators_]
    np.testing.assert_allclose([s.threshold for s in ours.estimators_],
                               [e.tree_.threshold[0] for e in ref.estimators_])
    np.testing.assert_allclose(2 * ours.estimator_weights_, ref.estimator_weights_, rtol=1e-9)
    np.testing.assert_allclose(ours.estimator_errors_, ref.estimator_errors_, rtol=1e-9)
    np.testing.assert_array_equal(ours.predict(X_te), ref.predict(X_te))
    assert ours.score(X_te, y_te) == pytest.approx(ref.score(X_te, y_te))


def test_adaboost_decision_function_is_proportional_to_sklearn(cancer):
    X_tr, X_te, y_tr, _ = cancer
    ours = AdaBoostClassifier(n_estimators=10).fit(X_tr, y_tr)
    ref = sk_ensemble.AdaBoostClassifier(estimator=DecisionTreeClassifier(max_depth=1),
                                         n_estimators=10, random_state=0).fit(X_tr, y_tr)
    # scikit-learn returns sum(2 alpha h) / sum(2 alpha), times 2 for two classes
    expected = 2 * ours.decision_function(X_te) / ours.estimator_weights_.sum()
    np.testing.assert_allclose(expected, ref.decision_function(X_te), atol=1e-12)


def test_adaboost_weights_are_the_exponential_loss_of_the_margin():
    X, y, _ = _signed_data(3, n=100)
    model = AdaBoostClassifier(n_estimators=15).fit(X, y)
    for t, F in enumerate(model.staged_decision_function(X), start=1):
        if t == len(model.estimators_):
            break
        expected = np.exp(-y * F)
        np.testing.assert_allclose(model.sample_weights_[t], expected / expected.sum(),
                                   rtol=1e-10)


def test_adaboost_training_error_obeys_the_freund_schapire_bound():
    X, y, _ = _signed_data(4, n=150)
    model = AdaBoostClassifier(n_estimators=30).fit(X, y)
    err = model.estimator_errors_
    bound = np.cumprod(2 * np.sqrt(err * (1 - err)))
    train_error = [np.mean(p != y) for p in model.staged_predict(X)]
    assert np.all(np.array(train_error) <= bound + 1e-12)


def test_adaboost_first_round_uses_uniform_weights_and_misclassified_gain_weight():
    X, y, _ = _signed_data(5)
    model = AdaBoostClassifier(n_estimators=2).fit(X, y)
    np.testing.assert_allclose(model.sample_weights_[0], 1 / len(y))
    wrong = model.estimators_[0].predict(X) != y
    w1 = model.sample_weights_[1]
    assert w1[wrong].min() > w1[~wrong].max()
    assert w1[wrong].sum() == pytest.approx(0.5)           # the classic AdaBoost property


def test_adaboost_learning_rate_scales_alpha():
    X, y, _ = _signed_data(6)
    full = AdaBoostClassifier(n_estimators=1).fit(X, y)
    half = AdaBoostClassifier(n_estimators=1, learning_rate=0.5).fit(X, y)
    err = full.estimator_errors_[0]
    assert full.estimator_weights_[0] == pytest.approx(0.5 * math.log((1 - err) / err))
    assert half.estimator_weights_[0] == pytest.approx(0.5 * full.estimator_weights_[0])


def test_adaboost_accepts_any_two_labels():
    X, y, _ = _signed_data(7)
    labels = np.where(y > 0, "spam", "ham")
    model = AdaBoostClassifier(n_estimators=10).fit(X, labels)
    numeric = AdaBoostClassifier(n_estimators=10).fit(X, y)
    assert list(model.classes_) == ["ham", "spam"]
    np.testing.assert_array_equal(model.predict(X) == "spam", numeric.predict(X) > 0)


def test_adaboost_stops_after_a_perfect_stump():
    X = np.arange(10, dtype=float).reshape(-1, 1)
    y = np.where(X[:, 0] > 4, 1, -1)
    model = AdaBoostClassifier(n_estimators=20).fit(X, y)
    assert len(model.estimators_) == 1 and model.estimator_errors_[0] == 0
    assert np.isfinite(model.estimator_weights_).all()
    assert model.score(X, y) == 1.0


def test_adaboost_stops_when_no_stump_beats_chance():
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    y = np.array([-1, 1, -1, 1])                   # no split separates anything
    with pytest.raises(ValueError, match="no better than chance"):
        AdaBoostClassifier().fit(X, y)


def test_adaboost_staged_outputs_end_at_the_final_ones(cancer):
    X_tr, X_te, y_tr, _ = cancer
    model = AdaBoostClassifier(n_estimators=12).fit(X_tr, y_tr)
    staged = list(model.staged_decision_function(X_te))
    assert len(staged) == 12
    np.testing.assert_allclose(staged[-1], model.decision_function(X_te))
    np.testing.assert_array_equal(list(model.staged_predict(X_te))[-1], model.predict(X_te))


def test_adaboost_rejects_bad_use():
    X, y, _ = _signed_data(8)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        AdaBoostClassifier().fit(X, np.ones(len(X)))
    with pytest.raises(ValueError, match="exactly 2 classes"):
        AdaBoostClassifier().fit(X, np.arange(len(X)) % 3)
    with pytest.raises(NotFittedError):
        AdaBoostClassifier().predict(X)
    model = AdaBoostClassifier(n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="learning_rate"):
        AdaBoostClassifier(learning_rate=0)
    with pytest.raises(TypeError, match="n_estimators"):
        AdaBoostClassifier(n_estimators=2.5)
    with pytest.raises(ValueError, match="criterion"):
        AdaBoostClassifier(criterion="entropy")


# --------------------------------------------------------------------------- early stopping


def _regression(seed: int = 0, n: int = 300):
    rng = np.random.default_rng(seed)
    X = _float32_exact(rng.normal(size=(n, 4)))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.5 * rng.normal(size=n)
    return X, y


def test_staged_loss_is_the_mse_after_each_round():
    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=15, learning_rate=0.3, max_depth=2).fit(X, y)
    losses = staged_loss(model, X, y)
    np.testing.assert_allclose(losses, model.train_mse_)


def test_staged_loss_accepts_sklearn_models_and_custom_losses():
    X, y = _regression()
    model = sk_ensemble.GradientBoostingRegressor(n_estimators=8, random_state=0).fit(X, y)
    mae = staged_loss(model, X, y, loss=lambda t, p: np.mean(np.abs(t - p)))
    expected = [np.mean(np.abs(y - p)) for p in model.staged_predict(X)]
    np.testing.assert_allclose(mae, expected)


def test_staged_loss_rejects_bad_arguments():
    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=2).fit(X, y)
    with pytest.raises(TypeError, match="staged_predict"):
        staged_loss(object(), X, y)
    with pytest.raises(TypeError, match="callable"):
        staged_loss(model, X, y, loss="mae")
    with pytest.raises(ValueError, match="1-D"):
        staged_loss(model, X, y[:, None])


def test_early_stopping_best_rule_on_a_known_curve():
    losses = [5, 4, 3, 3.5, 3.2, 3.1, 3.3, 2.9, 3.0]
    result = early_stopping(losses, patience=3)
    assert result == EarlyStopping(best_round=3, best_loss=3.0, stopped_round=6, stopped=True)
    assert early_stopping(losses, patience=5) == EarlyStopping(8, 2.9, 9, False)


def test_early_stopping_tol_requires_a_large_enough_decrease():
    losses = [1.0, 0.99, 0.98, 0.97, 0.5]
    assert early_stopping(losses, patience=2, tol=0.05).stopped_round == 3
    assert early_stopping(losses, patience=2, tol=0.0).stopped_round == 5


def test_early_stopping_window_rule_is_sklearns_n_iter_no_change_on_the_same_losses():
    # the window rule compares with the last `patience` improving losses, not the best one
    losses = [5, 4, 3, 3.5, 3.2, 3.1, 3.3, 3.4, 3.6]
    assert early_stopping(losses, patience=3, rule="window").stopped_round == 8
    assert early_stopping(losses, patience=3, rule="best").stopped_round == 6
    X, y = _regression(1, n=400)
    for patience in (3, 5):
        stopped = sk_ensemble.GradientBoostingRegressor(
            n_estimators=300, learning_rate=0.5, max_depth=3, n_iter_no_change=patience,
            validation_fraction=0.25, tol=0.0, random_state=0).fit(X, y)
        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.25, random_state=0)
        full = sk_ensemble.GradientBoostingRegressor(
            n_estimators=300, learning_rate=0.5, max_depth=3, random_state=0).fit(X_fit, y_fit)
        result = early_stopping(staged_loss(full, X_val, y_val), patience=patience,
                                rule="window")
        assert stopped.n_estimators_ < 300
        assert result.stopped_round == stopped.n_estimators_


def test_early_stopping_never_fires_on_a_decreasing_curve():
    result = early_stopping(np.linspace(1, 0, 20), patience=2)
    assert result == EarlyStopping(20, 0.0, 20, False)


def test_early_stopping_rejects_bad_arguments():
    with pytest.raises(ValueError, match="losses is empty"):
        early_stopping([])
    with pytest.raises(ValueError, match="losses contains NaN"):
        early_stopping([1.0, np.nan])
    with pytest.raises(ValueError, match="losses contains NaN or infinity"):
        early_stopping([1.0, np.inf])
    with pytest.raises(ValueError, match="patience"):
        early_stopping([1.0], patience=0)
    with pytest.raises(ValueError, match="tol"):
        early_stopping([1.0], tol=-1)
    with pytest.raises(ValueError, match="rule"):
        early_stopping([1.0], rule="last")


def test_truncate_predicts_the_staged_prediction_and_leaves_the_model_alone():
    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=20, learning_rate=0.3, max_depth=2).fit(X, y)
    cut = truncate(model, 7)
    np.testing.assert_allclose(cut.predict(X), list(model.staged_predict(X))[6])
    assert len(cut.estimators_) == 7 and len(model.estimators_) == 20
    assert cut.train_mse_[-1] == model.train_mse_[6]


def test_truncate_rejects_bad_arguments():
    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match="exceeds"):
        truncate(model, 4)
    with pytest.raises(ValueError, match="n_rounds"):
        truncate(model, 0)
    with pytest.raises(NotFittedError):
        truncate(GradientBoostingRegressor(), 1)
    with pytest.raises(TypeError, match="GradientBoostingRegressor"):
        truncate(sk_ensemble.GradientBoostingRegressor(), 1)


def test_stump_predict_uses_the_threshold_inclusively():
    stump = Stump(feature=1, threshold=0.5, left=-1, right=1)
    X = np.array([[9.0, 0.5], [9.0, 0.6]])
    np.testing.assert_array_equal(stump.predict(X), [-1, 1])


def test_early_stopping_does_not_count_a_tie_as_an_improvement():
    # Keras' EarlyStopping (min_delta=0) and the "best" rule: only a strictly lower loss
    # resets the patience, so the plateau at 2.0 stops training at round 4
    result = early_stopping([3.0, 2.0, 2.0, 2.0, 1.0], patience=2)
    assert (result.stopped_round, result.best_round, result.stopped) == (4, 2, True)
