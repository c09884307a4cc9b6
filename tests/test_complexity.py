"""Unit tests for helpers.complexity (lecture 4.2), against scikit-learn's curves."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, ShuffleSplit
from sklearn.model_selection import learning_curve as sk_learning_curve
from sklearn.model_selection import validation_curve as sk_validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.tree import DecisionTreeRegressor

from helpers.complexity import (
    ComplexityCurve,
    complexity_curve,
    crossover_size,
    learning_curve,
    mean_squared_error,
    zero_one_error,
)


@pytest.fixture
def data(np_rng):
    X = np_rng.uniform(-1, 1, size=(120, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * np_rng.normal(size=120)
    return X, y


def _tree(depth):
    return DecisionTreeRegressor(max_depth=depth, random_state=0)


# --------------------------------------------------------------------------- losses


def test_losses_match_their_definitions():
    assert mean_squared_error(np.array([1.0, 2.0]), np.array([0.0, 4.0])) == pytest.approx(2.5)
    assert zero_one_error(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1])) == pytest.approx(0.5)


def test_losses_reject_mismatched_lengths_and_empty_input():
    with pytest.raises(ValueError, match="y_true and y_pred must have the same length"):
        mean_squared_error(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        zero_one_error(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="y_true is empty"):
        mean_squared_error([], [])
    with pytest.raises(ValueError, match="y_true"):
        zero_one_error([np.nan, 1.0], [np.nan, 1.0])


# --------------------------------------------------------------------------- complexity curve


def test_complexity_curve_matches_sklearn_validation_curve(data):
    X, y = data
    splits = list(KFold(n_splits=4, shuffle=True, random_state=0).split(X))
    depths = [1, 2, 4, 8]
    curve = complexity_curve(_tree, depths, X, y, splits)
    train_sk, val_sk = sk_validation_curve(_tree(None), X, y, param_name="max_depth",
                                           param_range=depths, cv=splits,
                                           scoring="neg_mean_squared_error")
    np.testing.assert_allclose(curve.train_errors, -train_sk)
    np.testing.assert_allclose(curve.val_errors, -val_sk)


def test_training_error_of_nested_polynomials_never_increases(data):
    X, y = data
    splits = [(np.arange(60), np.arange(60, 120))]

    def poly(degree):
        return make_pipeline(PolynomialFeatures(degree), LinearRegression())

    curve = complexity_curve(poly, list(range(6)), X[:, :1], y, splits)
    assert np.all(np.diff(curve.train_error) <= 1e-10)


def test_best_point_and_gap_come_from_the_mean_curves():
    curve = ComplexityCurve(values=["a", "b", "c"],
                            train_errors=np.array([[3.0, 5.0], [1.0, 1.0], [0.0, 0.0]]),
                            val_errors=np.array([[4.0, 6.0], [2.0, 3.0], [5.0, 5.0]]))
    np.testing.assert_allclose(curve.val_error, [5.0, 2.5, 5.0])
    assert curve.best_index == 1 and curve.best_value == "b"
    assert curve.gap_at_best == pytest.approx(1.5)


def test_complexity_curve_accepts_a_generator_of_splits_and_a_custom_loss(data):
    X, y = data
    labels = (y > np.median(y)).astype(int)
    splits = KFold(n_splits=3).split(X)            # a generator, consumed once

    def logistic(c):
        return LogisticRegression(C=c)

    curve = complexity_curve(logistic, [0.01, 1.0], X, labels, splits, loss=zero_one_error)
    assert curve.train_errors.shape == (2, 3)
    assert np.all((curve.val_errors >= 0) & (curve.val_errors <= 1))


@pytest.mark.parametrize("splits, message", [
    ([], "splits is empty"),
    ([(np.arange(10), np.arange(5, 20))], "overlap"),
    ([(np.arange(10), np.arange(200, 210))], r"lie in \[0, 120\)"),
    ([(np.array([], dtype=int), np.arange(10))], "non-empty"),
    ([(np.arange(10.0), np.arange(10, 20))], "integer"),
    ([np.arange(3)], "pair"),
])
def test_complexity_curve_rejects_bad_splits(data, splits, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        complexity_curve(_tree, [1], X, y, splits)


def test_complexity_curve_rejects_bad_data_and_empty_values(data):
    X, y = data
    splits = [(np.arange(60), np.arange(60, 120))]
    with pytest.raises(ValueError, match="2-D"):
        complexity_curve(_tree, [1], X[:, 0], y, splits)
    with pytest.raises(ValueError, match="same number of rows"):
        complexity_curve(_tree, [1], X, y[:-1], splits)
    with pytest.raises(ValueError, match="values is empty"):
        complexity_curve(_tree, [], X, y, splits)


# --------------------------------------------------------------------------- learning curve


def test_learning_curve_matches_sklearn_learning_curve(data):
    X, y = data
    splits = list(ShuffleSplit(n_splits=3, test_size=40, random_state=0).split(X))
    sizes = [10, 30, 80]
    curve = learning_curve(lambda: _tree(3), sizes, X, y, splits)
    sizes_sk, train_sk, val_sk = sk_learning_curve(_tree(3), X, y, train_sizes=sizes, cv=splits,
                                                   scoring="neg_mean_squared_error",
                                                   shuffle=False)
    np.testing.assert_array_equal(curve.sizes, sizes_sk)
    np.testing.assert_allclose(curve.train_errors, -train_sk)
    np.testing.assert_allclose(curve.val_errors, -val_sk)


def test_learning_curve_of_a_linear_model_improves_with_data(data):
    X, y = data
    splits = list(ShuffleSplit(n_splits=5, test_size=40, random_state=1).split(X))
    curve = learning_curve(LinearRegression, [5, 80], X, y, splits)
    assert curve.val_error[1] < curve.val_error[0]
    assert curve.train_error[1] > curve.train_error[0]   # fewer points are easier to fit


@pytest.mark.parametrize("sizes, error, message", [
    ([], ValueError, "sizes is empty"),
    ([10, 10], ValueError, "strictly increasing"),
    ([0, 10], ValueError, "positive"),
    ([10, 500], ValueError, "exceeds"),
    ([1.5, 3.0], TypeError, "ints"),
])
def test_learning_curve_rejects_bad_sizes(data, sizes, error, message):
    X, y = data
    splits = [(np.arange(80), np.arange(80, 120))]
    with pytest.raises(error, match=message):
        learning_curve(LinearRegression, sizes, X, y, splits)


# --------------------------------------------------------------------------- crossover


def test_crossover_is_where_the_big_model_takes_the_lead_for_good():
    sizes = [10, 20, 40, 80, 160]
    small = [1.0, 0.8, 0.7, 0.65, 0.64]
    big = [1.5, 0.7, 0.75, 0.6, 0.5]       # ahead at 20, behind again at 40, ahead from 80
    assert crossover_size(sizes, small, big) == 80


def test_crossover_at_the_first_size_and_never():
    assert crossover_size([1, 2, 3], [2, 2, 2], [1, 1, 1]) == 1
    assert crossover_size([1, 2, 3], [1, 1, 1], [2, 0.5, 1]) is None
    assert crossover_size([1, 2], [1, 1], [1, 1]) is None   # a tie is not a lead


def test_crossover_rejects_bad_inputs():
    with pytest.raises(ValueError, match="small_error and big_error must have the same"):
        crossover_size([1, 2, 3], [1, 1], [1, 1, 1])
    with pytest.raises(ValueError, match="small_error contains NaN"):
        crossover_size([1, 2], [1, np.nan], [1, 1])
    with pytest.raises(ValueError, match="big_error contains NaN or infinity"):
        crossover_size([1, 2], [1, 1], [1, np.inf])
    with pytest.raises(ValueError, match="increasing"):
        crossover_size([2, 1], [1, 1], [1, 1])
    with pytest.raises(ValueError, match="sizes is empty"):
        crossover_size([], [], [])
    with pytest.raises(TypeError, match="sizes must be a 1-D sequence of ints"):
        crossover_size([1.5, 2.0], [1, 1], [1, 1])
