"""Tests of helpers.linear (lecture 3.3): least squares, gradient descent, softmax regression."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from helpers.linear import (
    cross_entropy_probs,
    fit_regression_classifier,
    least_squares,
    linreg_gradient_descent,
    predict_classes,
    softmax_regression_grad,
    softmax_regression_loss,
    train_softmax_regression,
)
from helpers.neural import cross_entropy, softmax


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def regression() -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(0)
    X = torch.randn(100, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 3.0
    y = y + 0.1 * torch.randn(100, 1, generator=g, dtype=torch.float64)
    return X, y


@pytest.fixture
def classification() -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(1)
    centres = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    y = torch.arange(120) % 3
    X = centres[y] + torch.randn(120, 2, generator=g, dtype=torch.float64)
    return X, y


# --------------------------------------------------------------------------- least squares


def test_least_squares_matches_sklearn_linear_regression(regression):
    X, y = regression
    w, b = least_squares(X, y)
    ref = LinearRegression().fit(X.numpy(), y.numpy())
    np.testing.assert_allclose(w.numpy().T, ref.coef_, rtol=1e-10)
    np.testing.assert_allclose(b.numpy(), ref.intercept_, rtol=1e-10)


def test_least_squares_equals_the_normal_equations_with_an_explicit_inverse(regression):
    X, y = regression
    Xa = torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], dim=1)
    theta = torch.linalg.inv(Xa.T @ Xa) @ Xa.T @ y
    w, b = least_squares(X, y)
    torch.testing.assert_close(torch.cat([w, b.reshape(1, 1)]), theta)


def test_least_squares_with_folded_bias_equals_separate_bias(regression):
    X, y = regression
    w, b = least_squares(X, y)
    Xa = torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], dim=1)
    w_aug, none = least_squares(Xa, y, fit_intercept=False)
    assert none is None
    torch.testing.assert_close(w_aug[:-1], w)
    torch.testing.assert_close(w_aug[-1], b)


def test_least_squares_residual_is_orthogonal_to_the_columns(regression):
    X, y = regression
    w, b = least_squares(X, y)
    residual = X @ w + b - y
    assert (X.T @ residual).abs().max() < 1e-10 and residual.sum().abs() < 1e-10


def test_least_squares_with_several_outputs_fits_each_column(regression):
    X, y = regression
    Y = torch.cat([y, 2 * y - 1], dim=1)
    W, b = least_squares(X, Y)
    w0, b0 = least_squares(X, y)
    torch.testing.assert_close(W[:, :1], w0)
    torch.testing.assert_close(b[1], 2 * b0[0] - 1)


def test_least_squares_ridge_matches_sklearn_ridge(regression):
    X, y = regression
    w, b = least_squares(X, y, l2=5.0)
    ref = Ridge(alpha=5.0).fit(X.numpy(), y.numpy())
    np.testing.assert_allclose(w.numpy().ravel(), ref.coef_.ravel(), rtol=1e-8)
    np.testing.assert_allclose(b.numpy(), ref.intercept_, rtol=1e-8)


def test_least_squares_rejects_a_constant_column_unless_regularised(regression):
    X, y = regression
    X_const = torch.cat([X, torch.full((len(X), 1), 2.0, dtype=X.dtype)], dim=1)
    with pytest.raises(ValueError, match="singular"):
        least_squares(X_const, y)
    w, _ = least_squares(X_const, y, l2=1e-3)
    assert torch.isfinite(w).all()


def test_least_squares_rejects_fewer_examples_than_parameters():
    X = torch.randn(2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="singular"):
        least_squares(X, torch.randn(2, 1, dtype=torch.float64))


def test_least_squares_rejects_a_1d_target_nan_and_mismatched_rows(regression):
    X, y = regression
    with pytest.raises(ValueError, match="reshape"):
        least_squares(X, y.ravel())
    with pytest.raises(ValueError, match="rows"):
        least_squares(X, y[:-1])
    X_nan = X.clone()
    X_nan[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        least_squares(X_nan, y)
    with pytest.raises(TypeError, match="torch tensor"):
        least_squares(X.numpy(), y)


# --------------------------------------------------------------------------- gradient descent


def test_gradient_descent_converges_to_the_closed_form(regression):
    X, y = regression
    result = linreg_gradient_descent(X, y, lr=0.5, num_steps=300)
    w, b = least_squares(X, y)
    torch.testing.assert_close(result.w, w, atol=1e-8, rtol=0)
    torch.testing.assert_close(result.b, b, atol=1e-8, rtol=0)


def test_gradient_descent_records_a_decreasing_mse(regression):
    X, y = regression
    result = linreg_gradient_descent(X, y, lr=0.1, num_steps=50)
    assert len(result.losses) == 51
    assert all(b <= a + 1e-12 for a, b in zip(result.losses, result.losses[1:], strict=False))
    w, b = least_squares(X, y)
    assert result.losses[-1] >= ((X @ w + b - y) ** 2).mean().item() - 1e-12


def test_gradient_descent_diverges_with_a_too_large_learning_rate(regression):
    X, y = regression
    result = linreg_gradient_descent(X, y, lr=5.0, num_steps=30)
    assert result.losses[-1] > 1e6 * result.losses[0]


def test_gradient_descent_does_not_modify_the_initial_values(regression):
    X, y = regression
    w0 = torch.ones(3, 1, dtype=X.dtype)
    linreg_gradient_descent(X, y, lr=0.1, num_steps=3, w_init=w0)
    assert torch.equal(w0, torch.ones(3, 1, dtype=X.dtype))


def test_gradient_descent_rejects_bad_arguments(regression):
    X, y = regression
    with pytest.raises(ValueError, match="lr"):
        linreg_gradient_descent(X, y, lr=0.0, num_steps=3)
    with pytest.raises(ValueError, match="num_steps"):
        linreg_gradient_descent(X, y, lr=0.1, num_steps=0)
    with pytest.raises(ValueError, match="shape"):
        linreg_gradient_descent(X, torch.cat([y, y], 1), lr=0.1, num_steps=3)
    with pytest.raises(ValueError, match="w_init"):
        linreg_gradient_descent(X, y, lr=0.1, num_steps=3, w_init=torch.zeros(2, 1))


# ------------------------------------------------------------- regression for classification


def test_regression_classifier_equals_least_squares_on_one_hot_targets(classification):
    X, y = classification
    W, b = fit_regression_classifier(X, y)
    Y = torch.nn.functional.one_hot(y, 3).to(X.dtype)
    ref = LinearRegression().fit(X.numpy(), Y.numpy())
    np.testing.assert_allclose(W.numpy().T, ref.coef_, rtol=1e-10)
    np.testing.assert_allclose(b.numpy(), ref.intercept_, rtol=1e-10)


def test_regression_classifier_scores_sum_to_one(classification):
    # every one-hot row sums to 1 and the fit includes a bias, so the scores do too
    X, y = classification
    W, b = fit_regression_classifier(X, y)
    torch.testing.assert_close((X @ W + b).sum(1), torch.ones(len(X), dtype=X.dtype))


def test_predict_classes_is_the_argmax_of_the_scores(classification):
    X, y = classification
    W, b = fit_regression_classifier(X, y)
    assert torch.equal(predict_classes(X, W, b), (X @ W + b).argmax(1))
    assert (predict_classes(X, W, b) == y).double().mean() > 0.8


def test_regression_classifier_rejects_float_labels_and_a_single_class(classification):
    X, y = classification
    with pytest.raises(TypeError, match="integer"):
        fit_regression_classifier(X, y.double())
    with pytest.raises(ValueError, match="num_classes"):
        fit_regression_classifier(X, torch.zeros(len(X), dtype=torch.long))
    with pytest.raises(ValueError, match="labels must lie"):
        fit_regression_classifier(X, y, num_classes=2)


# --------------------------------------------------------------------------- softmax regression


def test_cross_entropy_probs_equals_neural_cross_entropy_for_one_hot_labels(classification):
    g = _gen(2)
    O = torch.randn(10, 4, generator=g, dtype=torch.float64)  # noqa: E741
    y = torch.randint(0, 4, (10,), generator=g)
    Y = torch.nn.functional.one_hot(y, 4).double()
    torch.testing.assert_close(cross_entropy_probs(softmax(O), Y), cross_entropy(O, y))


def test_cross_entropy_probs_matches_torch_with_soft_targets():
    g = _gen(3)
    O = torch.randn(6, 5, generator=g, dtype=torch.float64)  # noqa: E741
    Y = softmax(torch.randn(6, 5, generator=g, dtype=torch.float64))
    ref = torch.nn.functional.cross_entropy(O, Y, reduction="none")
    torch.testing.assert_close(cross_entropy_probs(softmax(O), Y), ref)


def test_cross_entropy_probs_ignores_the_other_classes_for_a_one_hot_label():
    Y = torch.tensor([[0.0, 1.0, 0.0]] * 2, dtype=torch.float64)
    Y_hat = torch.tensor([[0.1, 0.6, 0.3], [0.4, 0.6, 0.0]], dtype=torch.float64)
    losses = cross_entropy_probs(Y_hat, Y)
    assert losses[0] == losses[1] == pytest.approx(-np.log(0.6))


def test_cross_entropy_probs_rejects_rows_that_are_not_distributions():
    Y = torch.tensor([[1.0, 0.0]])
    with pytest.raises(ValueError, match="sum to 1"):
        cross_entropy_probs(torch.tensor([[0.5, 0.6]]), Y)
    with pytest.raises(ValueError, match="probabilities"):
        cross_entropy_probs(torch.tensor([[1.5, -0.5]]), Y)
    with pytest.raises(ValueError, match="same shape"):
        cross_entropy_probs(torch.tensor([[0.2, 0.3, 0.5]]), Y)


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_softmax_regression_grad_matches_autograd(classification, l2):
    X, y = classification
    g = _gen(4)
    W = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True)
    softmax_regression_loss(X, y, W, b, l2).backward()
    grad_W, grad_b = softmax_regression_grad(X, y, W.detach(), b.detach(), l2)
    torch.testing.assert_close(grad_W, W.grad)
    torch.testing.assert_close(grad_b, b.grad)


def test_softmax_regression_converges_to_sklearn_logistic_regression(classification):
    X, y = classification
    C = 1.0
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X.numpy(), y.numpy())
    result = train_softmax_regression(X, y, 3, lr=1.0, num_epochs=3000, l2=1 / (C * len(X)))
    np.testing.assert_allclose(result.W.numpy().T, ref.coef_, atol=1e-5)
    # the biases are identified only up to a common constant
    b = result.b.numpy()
    np.testing.assert_allclose(b - b.mean(), ref.intercept_ - ref.intercept_.mean(), atol=1e-5)


def test_softmax_regression_loss_decreases_and_starts_at_log_k(classification):
    X, y = classification
    result = train_softmax_regression(X, y, lr=0.5, num_epochs=20)
    assert result.losses[0] == pytest.approx(np.log(3))
    assert result.losses[-1] < result.losses[0]


def test_softmax_regression_with_mini_batches_is_reproducible_and_learns(classification):
    X, y = classification
    a = train_softmax_regression(X, y, lr=0.5, num_epochs=5, batch_size=16, generator=_gen(0))
    b = train_softmax_regression(X, y, lr=0.5, num_epochs=5, batch_size=16, generator=_gen(0))
    assert torch.equal(a.W, b.W)
    assert (predict_classes(X, a.W, a.b) == y).double().mean() > 0.8


def test_softmax_regression_rejects_bad_arguments(classification):
    X, y = classification
    with pytest.raises(ValueError, match="lr"):
        train_softmax_regression(X, y, lr=-1.0, num_epochs=3)
    with pytest.raises(TypeError, match="batch_size"):
        train_softmax_regression(X, y, lr=0.1, num_epochs=3, batch_size=2.5)
    with pytest.raises(ValueError, match="l2"):
        train_softmax_regression(X, y, lr=0.1, num_epochs=3, l2=-1.0)
    with pytest.raises(ValueError, match="1-D"):
        train_softmax_regression(X, y.reshape(-1, 1), lr=0.1, num_epochs=3)
