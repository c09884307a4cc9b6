"""Unit tests for helpers.ensembles (lecture 5.2, bootstrap and bagging)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import ensemble as sk
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from helpers.ensembles import (
    BaggingClassifier,
    BaggingRegressor,
    bootstrap_indices,
    expected_unique_fraction,
    out_of_bag_mask,
)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _r2(y, pred):
    return 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_indices_shape_range_and_default_size():
    idx = bootstrap_indices(50, rng=np.random.default_rng(0))
    assert idx.shape == (50,) and idx.min() >= 0 and idx.max() < 50
    assert bootstrap_indices(50, 7, np.random.default_rng(0)).shape == (7,)


def test_bootstrap_indices_are_reproducible_and_draw_with_replacement():
    a = bootstrap_indices(100, rng=np.random.default_rng(1))
    b = bootstrap_indices(100, rng=np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert len(np.unique(a)) < 100  # a repeat is all but certain (probability 1 - 100!/100^100)


def test_unique_fraction_of_bootstrap_samples_matches_the_formula():
    rng = np.random.default_rng(2)
    m = 200
    fractions = [len(np.unique(bootstrap_indices(m, rng=rng))) / m for _ in range(500)]
    # The unique fraction has standard deviation about 0.03 for m = 200; 500 draws: 0.0014.
    assert np.mean(fractions) == pytest.approx(expected_unique_fraction(m), abs=0.006)


def test_expected_unique_fraction_known_values_and_limit():
    assert expected_unique_fraction(1) == 1.0
    assert expected_unique_fraction(2) == pytest.approx(0.75)
    assert expected_unique_fraction(10**6) == pytest.approx(1 - 1 / math.e, abs=1e-6)


def test_out_of_bag_mask_marks_the_rows_not_drawn():
    mask = out_of_bag_mask(np.array([0, 0, 2, 4]), 6)
    assert mask.tolist() == [False, True, False, True, False, True]
    assert out_of_bag_mask(np.array([], dtype=int), 3).all()
    assert out_of_bag_mask([], 3).all()  # an empty list is an empty sample, not floats


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: bootstrap_indices(0, rng=np.random.default_rng(0)), ValueError, "n =="),
    (lambda: bootstrap_indices(True, rng=np.random.default_rng(0)), TypeError, "n must"),
    (lambda: bootstrap_indices(5, 0, np.random.default_rng(0)), ValueError, "n_samples"),
    (lambda: bootstrap_indices(5, rng=None), TypeError, "Generator"),
    (lambda: out_of_bag_mask(np.array([0, 5]), 5), ValueError, r"\[0, 5\)"),
    (lambda: out_of_bag_mask(np.array([0.5]), 5), ValueError, "integers"),
    (lambda: expected_unique_fraction(0), ValueError, "m =="),
])
def test_bootstrap_functions_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- regressor


def test_regressor_equals_sklearn_given_the_same_bootstrap_samples(diabetes):
    X_train, X_test, y_train, _ = diabetes
    for base in (LinearRegression(), KNeighborsRegressor(5, algorithm="kd_tree")):
        ref = sk.BaggingRegressor(base, n_estimators=8, random_state=0).fit(X_train, y_train)
        ours = BaggingRegressor(base, n_estimators=8).fit(
            X_train, y_train, sample_indices=ref.estimators_samples_)
        np.testing.assert_allclose(ours.predict(X_test), ref.predict(X_test), rtol=1e-9)


def test_regressor_oob_equals_sklearn_given_the_same_bootstrap_samples(diabetes):
    X_train, _, y_train, _ = diabetes
    ref = sk.BaggingRegressor(LinearRegression(), n_estimators=20, oob_score=True,
                              random_state=0).fit(X_train, y_train)
    ours = BaggingRegressor(LinearRegression(), n_estimators=20, oob_score=True).fit(
        X_train, y_train, sample_indices=ref.estimators_samples_)
    np.testing.assert_allclose(ours.oob_prediction_, ref.oob_prediction_, rtol=1e-9)
    assert ours.oob_score_ == pytest.approx(ref.oob_score_, rel=1e-9)


def test_bagged_trees_are_about_as_accurate_as_sklearn(diabetes):
    X_train, X_test, y_train, y_test = diabetes
    ours = BaggingRegressor(DecisionTreeRegressor(), n_estimators=30, random_state=0)
    ref = sk.BaggingRegressor(DecisionTreeRegressor(), n_estimators=30, random_state=0)
    r2_ours = _r2(y_test, ours.fit(X_train, y_train).predict(X_test))
    r2_ref = _r2(y_test, ref.fit(X_train, y_train).predict(X_test))
    assert abs(r2_ours - r2_ref) < 0.06


def test_bagging_lowers_the_test_error_of_a_deep_tree(diabetes):
    X_train, X_test, y_train, y_test = diabetes
    tree = DecisionTreeRegressor(random_state=0).fit(X_train, y_train)
    bag = BaggingRegressor(DecisionTreeRegressor(), n_estimators=30, random_state=0)
    assert _r2(y_test, bag.fit(X_train, y_train).predict(X_test)) > \
        _r2(y_test, tree.predict(X_test)) + 0.1


def test_regressor_prediction_is_the_average_of_its_members(diabetes):
    X_train, X_test, y_train, _ = diabetes
    bag = BaggingRegressor(DecisionTreeRegressor(max_depth=3), n_estimators=5,
                           random_state=1).fit(X_train, y_train)
    members = np.stack([m.predict(X_test) for m in bag.estimators_])
    np.testing.assert_allclose(bag.predict(X_test), members.mean(axis=0))
    assert bag.member_predictions(X_test).shape == (5, len(X_test))


def test_one_estimator_is_a_single_model_on_one_bootstrap_sample(diabetes):
    X_train, X_test, y_train, _ = diabetes
    bag = BaggingRegressor(LinearRegression(), n_estimators=1, random_state=3).fit(X_train, y_train)
    idx = bag.estimators_samples_[0]
    single = LinearRegression().fit(X_train[idx], y_train[idx])
    np.testing.assert_allclose(bag.predict(X_test), single.predict(X_test))


def test_regressor_is_reproducible_and_seeds_its_members_differently(diabetes):
    X_train, X_test, y_train, _ = diabetes
    forest = BaggingRegressor(DecisionTreeRegressor(max_features=3), n_estimators=4,
                              random_state=5)
    a = forest.fit(X_train, y_train).predict(X_test)
    b = clone(forest).fit(X_train, y_train).predict(X_test)
    np.testing.assert_array_equal(a, b)
    seeds = {m.random_state for m in forest.estimators_}
    assert len(seeds) == 4
    assert len({id(m) for m in forest.estimators_}) == 4  # clones, not one shared object


def test_default_estimator_is_a_tree_and_max_samples_sets_the_sample_size(diabetes):
    X_train, _, y_train, _ = diabetes
    bag = BaggingRegressor(n_estimators=2, max_samples=0.5, random_state=0).fit(X_train, y_train)
    assert isinstance(bag.estimators_[0], DecisionTreeRegressor)
    assert len(bag.estimators_samples_[0]) == round(0.5 * len(X_train))
    bag = BaggingRegressor(n_estimators=2, max_samples=17, random_state=0).fit(X_train, y_train)
    assert len(bag.estimators_samples_[1]) == 17


def test_oob_prediction_averages_only_members_that_did_not_see_the_row():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 2)), rng.standard_normal(30)
    bag = BaggingRegressor(LinearRegression(), n_estimators=15, oob_score=True,
                           random_state=0).fit(X, y)
    i = 0
    pairs = zip(bag.estimators_, bag.estimators_samples_, strict=True)
    preds = [m.predict(X[i:i + 1])[0] for m, idx in pairs if i not in idx]
    assert bag.oob_prediction_[i] == pytest.approx(np.mean(preds))


def test_oob_warns_when_some_rows_are_never_out_of_bag():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 2)), rng.standard_normal(20)
    with pytest.warns(UserWarning, match="no OOB prediction"):
        bag = BaggingRegressor(LinearRegression(), n_estimators=1, oob_score=True,
                               random_state=0).fit(X, y)
    assert np.isnan(bag.oob_prediction_).any() and np.isfinite(bag.oob_score_)


def test_oob_fails_when_no_row_is_ever_out_of_bag():
    X, y = np.arange(10.0).reshape(-1, 1), np.arange(10.0)
    full = [np.arange(10), np.arange(10)]
    with pytest.raises(ValueError, match="no example is out of bag"):
        BaggingRegressor(LinearRegression(), n_estimators=2, oob_score=True).fit(
            X, y, sample_indices=full)


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"n_estimators": 0}, ValueError, "n_estimators"),
    ({"n_estimators": 2.0}, TypeError, "n_estimators"),
    ({"max_samples": 1.5}, ValueError, "max_samples"),
    ({"max_samples": 0}, ValueError, "max_samples"),
    ({"max_samples": "all"}, TypeError, "max_samples"),
    ({"oob_score": "yes"}, TypeError, "oob_score"),
    ({"random_state": -1}, ValueError, "random_state"),
    ({"estimator": object()}, TypeError, "'estimator' parameter .* implementing 'fit'"),
])
def test_regressor_rejects_bad_hyper_parameters(params, error, match):
    X, y = np.zeros((5, 1)), np.arange(5.0)
    with pytest.raises(error, match=match):
        BaggingRegressor(**params).fit(X, y)


@pytest.mark.parametrize(("X", "y", "match"), [
    (np.zeros(5), np.zeros(5), "2-D"),
    (np.zeros((0, 2)), np.zeros(0), "empty"),
    (np.zeros((5, 2)), np.zeros(4), "same number of rows"),
    (np.array([[0.0], [np.nan]]), np.zeros(2), "NaN"),
    (np.zeros((2, 1)), np.array([0.0, np.inf]), "NaN"),
])
def test_regressor_rejects_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        BaggingRegressor(LinearRegression(), n_estimators=2, random_state=0).fit(X, y)


def test_regressor_rejects_bad_sample_indices_and_predict_misuse():
    X, y = np.zeros((5, 2)), np.arange(5.0)
    bag = BaggingRegressor(LinearRegression(), n_estimators=2)
    with pytest.raises(ValueError, match="one index array per estimator"):
        bag.fit(X, y, sample_indices=[np.arange(5)])
    with pytest.raises(ValueError, match=r"lie in \[0, 5\)"):
        bag.fit(X, y, sample_indices=[np.arange(5), np.array([0, 9])])
    with pytest.raises(ValueError, match="not fitted"):
        BaggingRegressor().predict(X)
    bag.fit(X, y, sample_indices=[np.arange(5), np.arange(5)])
    with pytest.raises(ValueError, match="3 features"):
        bag.predict(np.zeros((2, 3)))


def test_skipped_member_checks_change_nothing_and_bad_members_still_fail(diabetes):
    X_tr, X_te, y_tr, _ = diabetes
    # the first member is fitted with scikit-learn's checks: a bad hyper-parameter fails
    with pytest.raises(ValueError, match="max_depth"):
        BaggingRegressor(DecisionTreeRegressor(max_depth=-1), n_estimators=3).fit(X_tr, y_tr)
    # the other members skip them and still equal members fitted one by one with checks
    bag = BaggingRegressor(DecisionTreeRegressor(), n_estimators=4, random_state=0)
    bag.fit(X_tr, y_tr)
    for member, idx in zip(bag.estimators_, bag.estimators_samples_, strict=True):
        alone = clone(member).fit(X_tr[idx], y_tr[idx])
        np.testing.assert_array_equal(alone.predict(X_te), member.predict(X_te))
    with pytest.raises(ValueError, match="NaN"):
        bag.predict(np.full((2, X_tr.shape[1]), np.nan))


# --------------------------------------------------------------------------- classifier


def test_soft_voting_equals_sklearn_given_the_same_bootstrap_samples(cancer):
    X_train, X_test, y_train, _ = cancer
    X_train, y_train = X_train[:150], y_train[:150]
    ref = sk.BaggingClassifier(KNeighborsClassifier(7, algorithm="kd_tree"), n_estimators=25,
                               oob_score=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns about the row that is never OOB
        ref.fit(X_train, y_train)
    ours = BaggingClassifier(KNeighborsClassifier(7, algorithm="kd_tree"), n_estimators=25,
                             oob_score=True, voting="soft")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours.fit(X_train, y_train, sample_indices=ref.estimators_samples_)
    np.testing.assert_allclose(ours.predict_proba(X_test), ref.predict_proba(X_test))
    np.testing.assert_array_equal(ours.predict(X_test), ref.predict(X_test))
    np.testing.assert_allclose(ours.oob_decision_function_, ref.oob_decision_function_)
    # scikit-learn counts a row that is never out of bag (NaN decision) as class 0; we skip it.
    seen = ~np.isnan(ref.oob_decision_function_[:, 0])
    ref_decision = ref.classes_[np.argmax(ref.oob_decision_function_[seen], axis=1)]
    assert ours.oob_score_ == pytest.approx(np.mean(ref_decision == y_train[seen]))


def test_bagged_tree_classifier_is_about_as_accurate_as_sklearn(cancer):
    X_train, X_test, y_train, y_test = cancer
    ours = BaggingClassifier(DecisionTreeClassifier(), n_estimators=25, random_state=0)
    ref = sk.BaggingClassifier(DecisionTreeClassifier(), n_estimators=25, random_state=0)
    acc_ours = np.mean(ours.fit(X_train, y_train).predict(X_test) == y_test)
    acc_ref = np.mean(ref.fit(X_train, y_train).predict(X_test) == y_test)
    assert abs(acc_ours - acc_ref) < 0.04


def test_hard_vote_is_the_majority_and_vote_shares_sum_to_one(cancer):
    X_train, X_test, y_train, _ = cancer
    bag = BaggingClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=7,
                            random_state=0).fit(X_train, y_train)
    votes = np.stack([m.predict(X_test) for m in bag.estimators_])
    majority = (votes.mean(axis=0) > 0.5).astype(int)
    np.testing.assert_array_equal(bag.predict(X_test), majority)
    np.testing.assert_allclose(bag.predict_proba(X_test).sum(axis=1), 1.0)


def _constant_members(labels, member_labels):
    """Two or more majority-class members, each trained on rows of one label only."""
    X = np.zeros((len(labels), 1))
    y = np.asarray(labels)
    samples = [np.flatnonzero(y == lab) for lab in member_labels]
    bag = BaggingClassifier(DummyClassifier(strategy="most_frequent"),
                            n_estimators=len(samples))
    return bag.fit(X, y, sample_indices=samples), X


def test_hard_vote_tie_goes_to_the_smallest_class_label():
    bag, X = _constant_members([0, 1, 0, 1], [1, 0])
    assert bag.predict(X[:1]).tolist() == [0]
    bag, X = _constant_members(["b", "a", "b"], ["b", "a"])
    assert bag.predict(X[:1]).tolist() == ["a"]
    bag, X = _constant_members([2, 1, 2, 1, 3], [2, 3, 2, 3, 1])
    assert bag.predict(X[:1]).tolist() == [2]


def test_members_that_missed_a_class_are_aligned_to_all_classes():
    bag, X = _constant_members([0, 1, 2], [2, 2, 0])
    np.testing.assert_allclose(bag.predict_proba(X[:1]), [[1 / 3, 0.0, 2 / 3]])
    soft = BaggingClassifier(DummyClassifier(strategy="prior"), n_estimators=2, voting="soft")
    soft.fit(np.zeros((3, 1)), np.array([0, 1, 2]), sample_indices=[[0, 1], [2, 2]])
    np.testing.assert_allclose(soft.predict_proba(np.zeros((1, 1))), [[0.25, 0.25, 0.5]])


def test_a_single_class_is_predicted_everywhere():
    X = np.random.default_rng(0).standard_normal((12, 3))
    bag = BaggingClassifier(DecisionTreeClassifier(), n_estimators=3, random_state=0,
                            oob_score=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bag.fit(X, np.full(12, 7))
    assert bag.predict(X).tolist() == [7] * 12
    np.testing.assert_allclose(bag.predict_proba(X), np.ones((12, 1)))
    assert bag.oob_score_ == 1.0


def test_classifier_oob_score_is_close_to_held_out_accuracy(cancer):
    X_train, X_test, y_train, y_test = cancer
    bag = BaggingClassifier(DecisionTreeClassifier(), n_estimators=30, oob_score=True,
                            random_state=0).fit(X_train, y_train)
    assert bag.oob_decision_function_.shape == (len(X_train), 2)
    assert abs(bag.oob_score_ - np.mean(bag.predict(X_test) == y_test)) < 0.05


def test_classifier_rejects_bad_voting_and_soft_voting_without_probabilities():
    X, y = np.zeros((4, 1)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="voting"):
        BaggingClassifier(voting="average").fit(X, y)

    class NoProba:
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

        def get_params(self, deep=True):
            return {}

    with pytest.raises(TypeError, match="predict_proba"):
        BaggingClassifier(NoProba(), voting="soft").fit(X, y)


def test_ensembles_are_clonable_sklearn_estimators():
    bag = BaggingClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=3, voting="soft")
    params = clone(bag).get_params(deep=False)
    assert params["n_estimators"] == 3 and params["voting"] == "soft"
    assert clone(BaggingRegressor(n_estimators=4)).get_params()["n_estimators"] == 4
