"""Unit tests for helpers.sgd (lecture 3.4, mini-batch stochastic gradient descent)."""

from __future__ import annotations

import pytest
import torch

from helpers.sgd import (
    augment_with_ones,
    data_iter,
    init_params,
    linreg,
    linreg_grad,
    sgd,
    squared_loss,
    synthetic_linear_data,
    train_linear_regression,
)

TRUE_W = [2.0, -3.4]
TRUE_B = 4.2


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def data() -> tuple[torch.Tensor, torch.Tensor]:
    return synthetic_linear_data(TRUE_W, TRUE_B, 200, noise=0.01, generator=_gen(0))


def _row_ids(batches: list[tuple[torch.Tensor, torch.Tensor]]) -> list[int]:
    return [int(i) for _, yb in batches for i in yb.ravel()]


def _indexed(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and labels whose label is the row number, to track which rows a batch holds."""
    X = torch.arange(2 * n, dtype=torch.float32).reshape(n, 2)
    y = torch.arange(n, dtype=torch.float32).reshape(n, 1)
    return X, y


# --------------------------------------------------------------------------- data


def test_synthetic_data_shapes_and_noise_free_labels_are_exactly_linear():
    X, y = synthetic_linear_data(TRUE_W, TRUE_B, 50, noise=0.0, generator=_gen(1))
    assert X.shape == (50, 2) and y.shape == (50, 1)
    expected = X @ torch.tensor(TRUE_W).reshape(2, 1) + TRUE_B
    torch.testing.assert_close(y, expected)


def test_synthetic_data_is_reproducible_with_a_seeded_generator():
    X1, y1 = synthetic_linear_data(TRUE_W, TRUE_B, 20, generator=_gen(7))
    X2, y2 = synthetic_linear_data(TRUE_W, TRUE_B, 20, generator=_gen(7))
    assert torch.equal(X1, X2) and torch.equal(y1, y2)


def test_synthetic_data_rejects_negative_noise_and_bad_sizes():
    with pytest.raises(ValueError, match="noise"):
        synthetic_linear_data(TRUE_W, TRUE_B, 10, noise=-1.0)
    with pytest.raises(ValueError, match="num_examples"):
        synthetic_linear_data(TRUE_W, TRUE_B, 0)
    with pytest.raises(ValueError, match="w must be"):
        synthetic_linear_data([], TRUE_B, 10)


# --------------------------------------------------------------------------- data_iter


def test_iterator_covers_every_example_exactly_once_per_epoch():
    X, y = _indexed(23)
    batches = list(data_iter(5, X, y, _gen(0)))
    assert sorted(_row_ids(batches)) == list(range(23))


def test_iterator_keeps_features_and_labels_aligned():
    X, y = _indexed(17)
    for Xb, yb in data_iter(4, X, y, _gen(3)):
        torch.testing.assert_close(Xb[:, 0], 2 * yb.ravel())


def test_iterator_last_batch_is_partial_when_batch_size_does_not_divide_n():
    X, y = _indexed(23)
    sizes = [len(yb) for _, yb in data_iter(5, X, y, _gen(0))]
    assert sizes == [5, 5, 5, 5, 3]


def test_iterator_batch_size_larger_than_n_gives_one_batch_of_everything():
    X, y = _indexed(7)
    batches = list(data_iter(100, X, y, _gen(0)))
    assert len(batches) == 1
    assert sorted(_row_ids(batches)) == list(range(7))


def test_iterator_shuffling_is_reproducible_with_the_same_seed():
    X, y = _indexed(50)
    first = _row_ids(list(data_iter(8, X, y, _gen(11))))
    second = _row_ids(list(data_iter(8, X, y, _gen(11))))
    assert first == second


def test_iterator_shuffling_differs_across_seeds_and_across_epochs():
    X, y = _indexed(50)
    gen = _gen(11)
    epoch1 = _row_ids(list(data_iter(8, X, y, gen)))
    epoch2 = _row_ids(list(data_iter(8, X, y, gen)))
    other_seed = _row_ids(list(data_iter(8, X, y, _gen(12))))
    assert epoch1 != epoch2
    assert epoch1 != other_seed
    assert epoch1 != list(range(50))


def test_iterator_is_lazy_and_checks_arguments_at_first_next():
    X, y = _indexed(5)
    batches = data_iter(0, X, y)  # a generator: nothing has run yet
    with pytest.raises(ValueError, match="batch_size"):
        next(batches)


@pytest.mark.parametrize("batch_size", [0, -3])
def test_iterator_rejects_non_positive_batch_size(batch_size):
    X, y = _indexed(5)
    with pytest.raises(ValueError, match="batch_size"):
        next(data_iter(batch_size, X, y))


@pytest.mark.parametrize("batch_size", [2.0, True, "4"])
def test_iterator_rejects_non_int_batch_size(batch_size):
    X, y = _indexed(5)
    with pytest.raises(TypeError, match="batch_size"):
        next(data_iter(batch_size, X, y))


def test_iterator_rejects_mismatched_rows():
    X, y = _indexed(5)
    with pytest.raises(ValueError, match="X and y must have the same length"):
        next(data_iter(2, X, y[:4]))


def test_iterator_rejects_empty_data():
    with pytest.raises(ValueError, match="empty"):
        next(data_iter(2, torch.zeros(0, 2), torch.zeros(0, 1)))


def test_iterator_rejects_numpy_generator_and_arrays():
    X, y = _indexed(5)
    with pytest.raises(TypeError, match="torch.Generator"):
        next(data_iter(2, X, y, generator=42))
    with pytest.raises(TypeError, match="X must be a torch tensor"):
        next(data_iter(2, X.numpy(), y.numpy()))


# --------------------------------------------------------------------------- model, loss, gradient


def test_augmented_features_fold_the_bias_into_the_weights():
    X = torch.randn(6, 2, generator=_gen(0))
    w, b = torch.tensor([[1.5], [-2.0]]), torch.tensor([0.7])
    w_aug = torch.cat([w, b.reshape(1, 1)])
    torch.testing.assert_close(linreg(augment_with_ones(X), w_aug), linreg(X, w, b))


def test_init_params_shapes_scale_and_zero_bias():
    w, b = init_params(1000, _gen(0), sigma=0.01)
    assert w.shape == (1000, 1) and b.shape == (1,)
    assert w.requires_grad and b.requires_grad
    assert float(b.detach()) == 0.0
    assert 0.009 < float(w.detach().std()) < 0.011
    _, no_bias = init_params(3, _gen(0), bias=False)
    assert no_bias is None


def test_linreg_rejects_feature_weight_mismatch():
    with pytest.raises(ValueError, match="features"):
        linreg(torch.zeros(4, 3), torch.zeros(2, 1))


def test_squared_loss_values_and_shape():
    loss = squared_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [1.0]]))
    torch.testing.assert_close(loss, torch.tensor([[0.5], [2.0]]))


def test_squared_loss_refuses_silent_broadcasting():
    with pytest.raises(ValueError, match="same shape"):
        squared_loss(torch.zeros(4, 1), torch.zeros(4))


def test_analytic_gradient_matches_autograd(data):
    X, y = data
    w, b = init_params(2, _gen(1))
    squared_loss(linreg(X, w, b), y).mean().backward()
    grad_w, grad_b = linreg_grad(X, y, w, b)
    torch.testing.assert_close(grad_w, w.grad)
    torch.testing.assert_close(grad_b, b.grad)


# --------------------------------------------------------------------------- sgd step


def test_sgd_step_equals_torch_optim_sgd_step():
    gen = _gen(5)
    X, y = torch.randn(16, 4, generator=gen), torch.randn(16, 1, generator=gen)
    w1 = torch.randn(4, 1, generator=gen).requires_grad_(True)
    b1 = torch.randn(1, generator=gen).requires_grad_(True)
    w2, b2 = w1.detach().clone().requires_grad_(True), b1.detach().clone().requires_grad_(True)

    squared_loss(linreg(X, w1, b1), y).sum().backward()
    sgd([w1, b1], lr=0.1, batch_size=16)

    optimizer = torch.optim.SGD([w2, b2], lr=0.1)
    squared_loss(linreg(X, w2, b2), y).mean().backward()
    optimizer.step()

    torch.testing.assert_close(w1, w2)
    torch.testing.assert_close(b1, b2)


def test_sgd_zeroes_the_gradient_after_the_update():
    w = torch.ones(3, 1, requires_grad=True)
    (w ** 2).sum().backward()
    sgd([w], lr=0.5, batch_size=1)
    torch.testing.assert_close(w.detach(), torch.zeros(3, 1))
    assert torch.equal(w.grad, torch.zeros(3, 1))


def test_sgd_without_backward_raises():
    w = torch.ones(2, 1, requires_grad=True)
    with pytest.raises(ValueError, match="backward"):
        sgd([w], lr=0.1, batch_size=1)


@pytest.mark.parametrize("lr", [0.0, -0.1, float("inf"), float("nan")])
def test_sgd_rejects_non_positive_or_non_finite_lr(lr):
    w = torch.ones(2, 1, requires_grad=True)
    w.sum().backward()
    with pytest.raises(ValueError, match="lr"):
        sgd([w], lr=lr, batch_size=1)


def test_sgd_rejects_bad_batch_size_type():
    w = torch.ones(2, 1, requires_grad=True)
    w.sum().backward()
    with pytest.raises(TypeError, match="batch_size"):
        sgd([w], lr=0.1, batch_size=2.5)


# --------------------------------------------------------------------------- training


def test_training_recovers_the_true_weights(data):
    X, y = data
    w0, b0 = init_params(2, _gen(1))
    result = train_linear_regression(X, y, w0, b0, lr=0.1, batch_size=10, num_epochs=10,
                                     generator=_gen(2))
    torch.testing.assert_close(result.w.ravel(), torch.tensor(TRUE_W), atol=5e-3, rtol=0)
    torch.testing.assert_close(result.b, torch.tensor([TRUE_B]), atol=5e-3, rtol=0)
    assert len(result.epoch_losses) == 11
    assert result.epoch_losses[-1] < 1e-4 < result.epoch_losses[0]


def test_training_does_not_modify_the_initial_parameters(data):
    X, y = data
    w0, b0 = init_params(2, _gen(1))
    w_copy, b_copy = w0.detach().clone(), b0.detach().clone()
    train_linear_regression(X, y, w0, b0, lr=0.03, batch_size=10, num_epochs=1, generator=_gen(2))
    assert torch.equal(w0.detach(), w_copy) and torch.equal(b0.detach(), b_copy)


def test_training_with_folded_bias_matches_separate_bias(data):
    X, y = data
    w0, b0 = init_params(2, _gen(1))
    separate = train_linear_regression(X, y, w0, b0, lr=0.03, batch_size=7, num_epochs=3,
                                       generator=_gen(2))
    w_aug0 = torch.cat([w0.detach(), b0.detach().reshape(1, 1)])
    folded = train_linear_regression(augment_with_ones(X), y, w_aug0, None, lr=0.03,
                                     batch_size=7, num_epochs=3, generator=_gen(2))
    assert folded.b is None
    torch.testing.assert_close(folded.w, torch.cat([separate.w, separate.b.reshape(1, 1)]))


def test_training_tracks_one_loss_per_update_when_asked(data):
    X, y = data
    w0, b0 = init_params(2, _gen(1))
    result = train_linear_regression(X, y, w0, b0, lr=0.03, batch_size=30, num_epochs=2,
                                     generator=_gen(2), track_steps=True)
    assert len(result.step_losses) == 1 + 2 * 7  # 200 examples in batches of 30: 7 per epoch
    assert result.step_losses[-1] == pytest.approx(result.epoch_losses[-1])


def test_training_with_too_large_learning_rate_records_divergence(data):
    X, y = data
    w0, b0 = init_params(2, _gen(1))
    result = train_linear_regression(X, y, w0, b0, lr=5.0, batch_size=10, num_epochs=1,
                                     generator=_gen(2), track_steps=True)
    assert result.step_losses[10] > 1e3 * result.step_losses[0]


def test_training_rejects_wrong_label_shape(data):
    X, y = data
    w0, b0 = init_params(2, _gen(1))
    with pytest.raises(ValueError, match="y must have shape"):
        train_linear_regression(X, y.ravel(), w0, b0, lr=0.1, batch_size=10, num_epochs=1)


def test_training_rejects_wrong_initial_weight_shape(data):
    X, y = data
    with pytest.raises(ValueError, match="w_init must have shape"):
        train_linear_regression(X, y, torch.zeros(3, 1), None, lr=0.1, batch_size=10,
                                num_epochs=1)


def test_training_rejects_zero_epochs(data):
    X, y = data
    w0, b0 = init_params(2, _gen(1))
    with pytest.raises(ValueError, match="num_epochs"):
        train_linear_regression(X, y, w0, b0, lr=0.1, batch_size=10, num_epochs=0)
