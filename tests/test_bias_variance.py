"""Unit tests for helpers.bias_variance (lectures 5.1 and 5.2, the bias-variance decomposition)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from helpers.bias_variance import (
    BiasVarianceResult,
    PolynomialRegression,
    bias_variance_decomposition,
    bias_variance_sweep,
    function_sampler,
)


def sine(x: np.ndarray) -> np.ndarray:
    return np.sin(2 * np.pi * x)


def zero(x: np.ndarray) -> np.ndarray:
    return np.zeros_like(x, dtype=float)


X_TEST = np.linspace(0.05, 0.95, 20)


class Oracle:
    """A 'model' that ignores its data and predicts the true function."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return sine(np.asarray(X)[:, 0])


def _decompose(make_model, f=sine, sigma=0.3, n_train=20, n_rounds=100, seed=0):
    return bias_variance_decomposition(make_model, function_sampler(f, n_train, sigma),
                                       X_TEST, f, sigma, n_rounds=n_rounds, seed=seed)


# --------------------------------------------------------------------------- function_sampler


def test_function_sampler_shapes_range_and_reproducibility():
    sample = function_sampler(sine, 15, 0.2, low=-1.0, high=2.0)
    X1, y1 = sample(np.random.default_rng(3))
    X2, y2 = sample(np.random.default_rng(3))
    assert X1.shape == (15, 1) and y1.shape == (15,)
    assert X1.min() >= -1.0 and X1.max() < 2.0
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


def test_function_sampler_without_noise_gives_exact_labels():
    X, y = function_sampler(sine, 10, 0.0)(np.random.default_rng(0))
    np.testing.assert_allclose(y, sine(X[:, 0]))


def test_function_sampler_rejects_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        function_sampler(3.0, 10, 0.1)
    with pytest.raises(ValueError, match="n_train"):
        function_sampler(sine, 0, 0.1)
    with pytest.raises(ValueError, match="noise_sigma"):
        function_sampler(sine, 10, -0.1)
    with pytest.raises(ValueError, match="low must be smaller"):
        function_sampler(sine, 10, 0.1, low=1.0, high=1.0)
    with pytest.raises(TypeError, match="Generator"):
        function_sampler(sine, 10, 0.1)(0)


def test_function_sampler_rejects_a_function_of_the_wrong_shape():
    sample = function_sampler(lambda x: x[:3], 10, 0.1)
    with pytest.raises(ValueError, match="f_true"):
        sample(np.random.default_rng(0))


# --------------------------------------------------------------------------- known answers


def test_constant_model_has_the_exactly_known_bias_and_no_variance():
    c = 0.25
    result = _decompose(lambda: DummyRegressor(strategy="constant", constant=c))
    assert result.variance == 0.0
    assert result.bias_sq == pytest.approx(np.mean((c - sine(X_TEST)) ** 2), rel=1e-12)


def test_model_that_returns_the_truth_has_no_bias_and_no_variance():
    result = _decompose(Oracle)
    assert result.bias_sq == pytest.approx(0.0, abs=1e-20)
    assert result.variance == pytest.approx(0.0, abs=1e-20)
    assert result.expected_error == pytest.approx(result.noise, rel=1e-12)


class MeanModel:
    """Predicts the mean training label everywhere (a fast DummyRegressor)."""

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_mean_of_pure_noise_has_variance_sigma_squared_over_n_and_no_bias():
    sigma, n_train, n_rounds = 1.0, 10, 2000
    result = _decompose(MeanModel, f=zero, sigma=sigma, n_train=n_train, n_rounds=n_rounds)
    var = sigma**2 / n_train
    # A sample variance over R rounds has standard error about var * sqrt(2 / R); the
    # corrected squared mean has expectation 0 and standard deviation about sqrt(2) var / R.
    assert result.variance == pytest.approx(var, abs=4 * var * np.sqrt(2 / n_rounds))
    assert abs(result.bias_sq) < 5 * np.sqrt(2) * var / n_rounds


def test_dummy_regressor_mean_agrees_with_the_fast_mean_model():
    a = _decompose(lambda: DummyRegressor(strategy="mean"), n_rounds=20)
    b = _decompose(MeanModel, n_rounds=20)
    np.testing.assert_allclose(a.predictions, b.predictions)


def test_noise_term_estimates_sigma_squared():
    sigma = 0.5
    result = _decompose(Oracle, sigma=sigma, n_rounds=400)
    se = sigma**2 * np.sqrt(2 / (400 * len(X_TEST)))
    assert result.noise == pytest.approx(sigma**2, abs=4 * se)


def test_without_noise_the_noise_term_is_zero_and_the_identity_is_exact():
    result = _decompose(lambda: PolynomialRegression(3), sigma=0.0)
    assert result.noise == 0.0 and result.decomposition_gap == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- estimator conventions


def test_bias_plus_variance_equals_mean_squared_distance_to_the_truth():
    result = _decompose(lambda: PolynomialRegression(5))
    direct = np.mean((result.predictions - result.f_test) ** 2)
    assert result.bias_sq + result.variance == pytest.approx(direct, rel=1e-10)


def test_decomposition_holds_within_monte_carlo_error():
    for degree in (1, 3, 8):
        result = _decompose(lambda d=degree: PolynomialRegression(d), n_rounds=200)
        assert abs(result.decomposition_gap) <= 4 * result.gap_standard_error


def test_gap_is_the_sample_cross_term():
    r = _decompose(lambda: PolynomialRegression(2))
    cross = np.mean(2 * (r.y_test - r.f_test) * (r.f_test - r.predictions))
    assert r.decomposition_gap == pytest.approx(cross, abs=1e-12)


def test_more_complex_model_has_less_bias_and_more_variance():
    simple = _decompose(lambda: PolynomialRegression(1), n_train=40, n_rounds=200)
    complex_ = _decompose(lambda: PolynomialRegression(6), n_train=40, n_rounds=200)
    assert complex_.bias_sq < simple.bias_sq and complex_.variance > simple.variance


def test_same_seed_reproduces_and_different_seed_changes_the_training_sets():
    a = _decompose(lambda: PolynomialRegression(3), seed=1)
    b = _decompose(lambda: PolynomialRegression(3), seed=1)
    c = _decompose(lambda: PolynomialRegression(3), seed=2)
    assert np.array_equal(a.predictions, b.predictions) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.predictions, c.predictions)


def test_result_shapes_and_summary_keys():
    result = _decompose(lambda: PolynomialRegression(2), n_rounds=7)
    assert isinstance(result, BiasVarianceResult)
    assert result.predictions.shape == result.y_test.shape == (7, len(X_TEST))
    assert result.n_rounds == 7 and result.mean_prediction.shape == (len(X_TEST),)
    assert set(result.summary()) == {"bias_sq", "variance", "noise", "total", "expected_error"}


def test_two_dimensional_test_points_are_passed_through():
    def plane(x):
        return x[:, 0] - x[:, 1]

    def sample(rng):
        X = rng.uniform(size=(30, 2))
        return X, plane(X) + 0.1 * rng.standard_normal(30)

    x_test = np.random.default_rng(0).uniform(size=(12, 2))
    result = bias_variance_decomposition(LinearRegression, sample, x_test, plane, 0.1, 50)
    assert result.bias_sq < 1e-4 and result.variance > 0


# --------------------------------------------------------------------------- sweep


def test_sweep_matches_single_decompositions_row_by_row():
    sample = function_sampler(sine, 20, 0.3)
    table = bias_variance_sweep(lambda d: PolynomialRegression(d), [0, 3], sample, X_TEST,
                                sine, 0.3, n_rounds=30, seed=4)
    assert isinstance(table, pd.DataFrame) and list(table.index) == [0, 3]
    assert {"bias_sq", "variance", "noise", "total", "expected_error", "gap",
            "gap_se"} <= set(table.columns)
    single = bias_variance_decomposition(lambda: PolynomialRegression(3), sample, X_TEST,
                                         sine, 0.3, n_rounds=30, seed=4)
    assert table.loc[3, "variance"] == pytest.approx(single.variance, rel=1e-12)


def test_sweep_rejects_empty_values():
    with pytest.raises(ValueError, match="values is empty"):
        bias_variance_sweep(lambda d: PolynomialRegression(d), [], function_sampler(sine, 5, 0.1),
                            X_TEST, sine, 0.1)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_rounds": 1}, ValueError, "n_rounds"),
    ({"n_rounds": 2.5}, TypeError, "n_rounds"),
    ({"noise_sigma": -1.0}, ValueError, "noise_sigma"),
    ({"noise_sigma": float("nan")}, ValueError, "noise_sigma"),
    ({"seed": -1}, ValueError, "seed"),
    ({"x_test": np.array([])}, ValueError, "empty"),
    ({"x_test": np.array([0.1, np.nan])}, ValueError, "NaN"),
    ({"x_test": np.zeros((2, 2, 2))}, ValueError, "x_test: Found array with dim 3"),
    ({"f_true": lambda x: x[:2]}, ValueError, "f_true"),
    ({"make_model": 3}, TypeError, "make_model"),
    ({"sample_training_set": None}, TypeError, "sample_training_set"),
])
def test_decomposition_rejects_bad_arguments(kwargs, error, match):
    args = {"make_model": LinearRegression, "sample_training_set": function_sampler(sine, 10, 0.1),
            "x_test": X_TEST, "f_true": sine, "noise_sigma": 0.1, "n_rounds": 5, "seed": 0}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        bias_variance_decomposition(**args)


@pytest.mark.parametrize(("sampler", "match"), [
    (lambda rng: np.zeros((5, 1)), "pair"),
    (lambda rng: (np.zeros(5), np.zeros(5)), "2-D"),
    (lambda rng: (np.zeros((5, 1)), np.zeros(4)), r"shape \(5,\)"),
    (lambda rng: (np.full((5, 1), np.nan), np.zeros(5)), "NaN"),
])
def test_decomposition_rejects_bad_training_sets(sampler, match):
    with pytest.raises(ValueError, match=match):
        bias_variance_decomposition(LinearRegression, sampler, X_TEST, sine, 0.1, 5)


def test_decomposition_rejects_predictions_of_the_wrong_shape():
    class Bad:
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.zeros(3)

    with pytest.raises(ValueError, match="predictions"):
        bias_variance_decomposition(Bad, function_sampler(sine, 10, 0.1), X_TEST, sine, 0.1, 5)


# --------------------------------------------------------------------------- PolynomialRegression


@pytest.mark.parametrize("degree", [0, 1, 3, 5])
def test_polynomial_regression_matches_sklearn_polynomial_least_squares(degree):
    rng = np.random.default_rng(degree)
    X, y = rng.uniform(size=(40, 1)), rng.standard_normal(40)
    ours = PolynomialRegression(degree).fit(X, y).predict(X_TEST)
    ref = make_pipeline(PolynomialFeatures(degree), LinearRegression()).fit(X, y)
    np.testing.assert_allclose(ours, ref.predict(X_TEST.reshape(-1, 1)), atol=1e-8)


def test_polynomial_ridge_matches_sklearn_ridge_on_the_same_features():
    rng = np.random.default_rng(0)
    X, y = rng.uniform(-2, 3, size=(30, 1)), rng.standard_normal(30)
    model = PolynomialRegression(6, alpha=0.5, domain=(-2.0, 3.0)).fit(X, y)
    features = model._features(X)[:, 1:]
    ref = Ridge(alpha=0.5).fit(features, y)
    np.testing.assert_allclose(model.coef_[1:], ref.coef_, atol=1e-10)
    np.testing.assert_allclose(model.predict(X), ref.predict(features), atol=1e-10)


def test_polynomial_degree_zero_predicts_the_mean_and_ridge_shrinks():
    X, y = np.linspace(0, 1, 9).reshape(-1, 1), np.arange(9.0)
    np.testing.assert_allclose(PolynomialRegression(0).fit(X, y).predict(X), 4.0)
    loose = PolynomialRegression(4, alpha=1e-6).fit(X, y).coef_[1:]
    tight = PolynomialRegression(4, alpha=10.0).fit(X, y).coef_[1:]
    assert np.linalg.norm(tight) < np.linalg.norm(loose)


def test_polynomial_regression_is_a_clonable_sklearn_estimator():
    model = clone(PolynomialRegression(4, alpha=0.1))
    assert model.get_params() == {"degree": 4, "alpha": 0.1, "domain": (0.0, 1.0)}


@pytest.mark.parametrize(("model", "X", "error", "match"), [
    (PolynomialRegression(-1), np.zeros((3, 1)), ValueError, "degree"),
    (PolynomialRegression(2.0), np.zeros((3, 1)), TypeError, "degree"),
    (PolynomialRegression(2, alpha=-1.0), np.zeros((3, 1)), ValueError, "alpha"),
    (PolynomialRegression(2, domain=(1.0, 0.0)), np.zeros((3, 1)), ValueError, "domain"),
    (PolynomialRegression(2), np.zeros((3, 2)), ValueError, "one input column"),
    (PolynomialRegression(2), np.array([[0.0], [np.nan], [1.0]]), ValueError, "NaN"),
])
def test_polynomial_regression_rejects_bad_input(model, X, error, match):
    with pytest.raises(error, match=match):
        model.fit(X, np.zeros(len(X)))


def test_polynomial_regression_rejects_predict_before_fit_and_bad_targets():
    with pytest.raises(ValueError, match="not fitted"):
        PolynomialRegression(2).predict(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="X and y must have the same number of rows"):
        PolynomialRegression(2).fit(np.zeros((3, 1)), np.zeros(4))
