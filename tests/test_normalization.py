"""Unit tests for helpers.normalization (lecture 10.1, appendix A.2): batch, layer, group norm."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers.normalization import (
    BatchNorm,
    LayerNorm,
    batch_norm,
    batch_norm_axes,
    group_norm,
    layer_norm,
)


def _randn(*shape: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _stats(C: int, seed: int = 1):
    gamma = _randn(C, seed=seed).abs() + 0.5
    beta = _randn(C, seed=seed + 1)
    moving_mean = _randn(C, seed=seed + 2)
    moving_var = _randn(C, seed=seed + 3).abs() + 0.1
    return gamma, beta, moving_mean, moving_var


# --------------------------------------------------------------------------- batch norm


def test_batch_norm_axes_are_every_axis_but_the_channel_axis():
    assert batch_norm_axes(2) == (0,)
    assert batch_norm_axes(3) == (0, 2)
    assert batch_norm_axes(4) == (0, 2, 3)


def test_batch_norm_axes_rejects_inputs_without_a_feature_axis():
    with pytest.raises(ValueError, match="batch axis"):
        batch_norm_axes(1)
    with pytest.raises(TypeError):
        batch_norm_axes(2.0)


@pytest.mark.parametrize("shape", [(16, 5), (8, 5, 7), (6, 5, 4, 3)])
def test_batch_norm_training_matches_torch_output_and_moving_statistics(shape):
    X = _randn(*shape) * 3 + 2
    gamma, beta, mm, mv = _stats(5)
    Y, new_mm, new_mv = batch_norm(X, gamma, beta, mm, mv, eps=1e-5, momentum=0.1,
                                   training=True)
    ref_mm, ref_mv = mm.clone(), mv.clone()
    Y_ref = F.batch_norm(X, ref_mm, ref_mv, gamma, beta, training=True, momentum=0.1, eps=1e-5)
    torch.testing.assert_close(Y, Y_ref)
    torch.testing.assert_close(new_mm, ref_mm)
    torch.testing.assert_close(new_mv, ref_mv)


def test_batch_norm_training_standardises_each_channel_over_axes_0_2_3():
    X = _randn(6, 3, 4, 4) * 5 - 1
    C = 3
    Y, _, _ = batch_norm(X, torch.ones(C, dtype=X.dtype), torch.zeros(C, dtype=X.dtype),
                         torch.zeros(C, dtype=X.dtype), torch.ones(C, dtype=X.dtype), eps=1e-12)
    torch.testing.assert_close(Y.mean(dim=(0, 2, 3)), torch.zeros(C, dtype=X.dtype))
    torch.testing.assert_close(Y.var(dim=(0, 2, 3), correction=0), torch.ones(C, dtype=X.dtype))


def test_batch_norm_moving_variance_uses_the_unbiased_batch_variance():
    X = _randn(8, 3)
    C = 3
    _, _, new_mv = batch_norm(X, torch.ones(C, dtype=X.dtype), torch.zeros(C, dtype=X.dtype),
                              torch.zeros(C, dtype=X.dtype), torch.ones(C, dtype=X.dtype),
                              momentum=0.25)
    torch.testing.assert_close(new_mv, 0.75 + 0.25 * X.var(dim=0, correction=1))


def test_batch_norm_eval_uses_moving_statistics_and_returns_them_unchanged():
    X = _randn(4, 5)
    gamma, beta, mm, mv = _stats(5)
    Y, new_mm, new_mv = batch_norm(X, gamma, beta, mm, mv, eps=1e-5, training=False)
    torch.testing.assert_close(Y, gamma * (X - mm) / torch.sqrt(mv + 1e-5) + beta)
    torch.testing.assert_close(Y, F.batch_norm(X, mm, mv, gamma, beta, training=False))
    torch.testing.assert_close(new_mm, mm)
    torch.testing.assert_close(new_mv, mv)
    assert new_mm is not mm and new_mv is not mv


def test_batch_norm_eval_accepts_a_single_example():
    gamma, beta, mm, mv = _stats(5)
    Y, _, _ = batch_norm(_randn(1, 5), gamma, beta, mm, mv, training=False)
    assert Y.shape == (1, 5) and torch.isfinite(Y).all()


def test_batch_norm_gradients_match_torch():
    X1 = (_randn(10, 4) * 2).requires_grad_(True)
    X2 = X1.detach().clone().requires_grad_(True)
    g1, b1 = (torch.rand(4, dtype=torch.float64) + 0.5).requires_grad_(True), \
        torch.zeros(4, dtype=torch.float64, requires_grad=True)
    g2, b2 = g1.detach().clone().requires_grad_(True), b1.detach().clone().requires_grad_(True)
    weights = _randn(10, 4, seed=7)
    Y1, _, _ = batch_norm(X1, g1, b1, torch.zeros(4, dtype=torch.float64),
                          torch.ones(4, dtype=torch.float64))
    (Y1 * weights).sum().backward()
    Y2 = F.batch_norm(X2, None, None, g2, b2, training=True)
    (Y2 * weights).sum().backward()
    for ours, ref in [(X1, X2), (g1, g2), (b1, b2)]:
        torch.testing.assert_close(ours.grad, ref.grad)


def test_batch_norm_recovery_with_gamma_std_and_beta_mean_returns_the_input():
    X = _randn(32, 6) * 4 + 3
    var, mean = torch.var_mean(X, dim=0, correction=0)
    Y, _, _ = batch_norm(X, torch.sqrt(var + 1e-5), mean, torch.zeros(6, dtype=X.dtype),
                         torch.ones(6, dtype=X.dtype))
    torch.testing.assert_close(Y, X)


def test_batch_norm_constant_feature_gives_beta_not_nan():
    X = torch.ones(5, 2, dtype=torch.float64)
    Y, _, new_mv = batch_norm(X, torch.ones(2, dtype=X.dtype), torch.full((2,), 0.5,
                              dtype=X.dtype), torch.zeros(2, dtype=X.dtype),
                              torch.ones(2, dtype=X.dtype))
    torch.testing.assert_close(Y, torch.full((5, 2), 0.5, dtype=X.dtype))
    torch.testing.assert_close(new_mv, torch.full((2,), 0.9, dtype=X.dtype))


def test_batch_norm_training_rejects_a_single_value_per_channel():
    gamma, beta, mm, mv = _stats(3)
    with pytest.raises(ValueError, match="more than one value per channel"):
        batch_norm(_randn(1, 3), gamma, beta, mm, mv, training=True)
    Y, _, _ = batch_norm(_randn(1, 3, 2, 2), gamma, beta, mm, mv, training=True)  # 4 values
    assert torch.isfinite(Y).all()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"eps": 0.0}, ValueError, "eps"),
    ({"eps": float("nan")}, ValueError, "eps"),
    ({"momentum": 1.5}, ValueError, "momentum"),
    ({"momentum": True}, TypeError, "momentum"),
])
def test_batch_norm_rejects_bad_hyper_parameters(kwargs, error, match):
    gamma, beta, mm, mv = _stats(3)
    with pytest.raises(error, match=match):
        batch_norm(_randn(4, 3), gamma, beta, mm, mv, **kwargs)


def test_batch_norm_rejects_bad_inputs():
    gamma, beta, mm, mv = _stats(3)
    with pytest.raises(ValueError, match="at least 2 axes"):
        batch_norm(_randn(3), gamma, beta, mm, mv)
    with pytest.raises(ValueError, match="empty"):
        batch_norm(torch.zeros(0, 3, dtype=torch.float64), gamma, beta, mm, mv)
    with pytest.raises(ValueError, match="NaN"):
        batch_norm(torch.tensor([[1.0, float("nan"), 0.0]] * 2), gamma, beta, mm, mv)
    with pytest.raises(TypeError, match="floating-point"):
        batch_norm(torch.ones(4, 3, dtype=torch.int64), gamma, beta, mm, mv)
    with pytest.raises(TypeError, match="torch tensor"):
        batch_norm([[1.0, 2.0, 3.0]], gamma, beta, mm, mv)
    with pytest.raises(ValueError, match="gamma must have shape"):
        batch_norm(_randn(4, 3), gamma[:2], beta, mm, mv)
    with pytest.raises(ValueError, match="non-negative"):
        batch_norm(_randn(4, 3), gamma, beta, mm, -mv)
    with pytest.raises(ValueError, match="X must be"):
        batch_norm(_randn(2, 3, 1, 1, 1, 1), gamma, beta, mm, mv)


@pytest.mark.parametrize("reference, shape", [(nn.BatchNorm1d(4), (12, 4)),
                                              (nn.BatchNorm1d(4), (6, 4, 5)),
                                              (nn.BatchNorm2d(4), (5, 4, 3, 3))])
def test_BatchNorm_matches_torch_over_several_updates_in_train_and_eval(reference, shape):
    torch.manual_seed(0)
    ours = BatchNorm(4)
    with torch.no_grad():
        reference.weight.uniform_(0.5, 2.0)
        reference.bias.uniform_(-1, 1)
        ours.gamma.copy_(reference.weight)
        ours.beta.copy_(reference.bias)
    reference.train()
    for seed in range(4):
        X = _randn(*shape, seed=seed, dtype=torch.float32) * 3 + 1
        torch.testing.assert_close(ours(X), reference(X))
    torch.testing.assert_close(ours.moving_mean, reference.running_mean)
    torch.testing.assert_close(ours.moving_var, reference.running_var)
    ours.eval()
    reference.eval()
    X = _randn(*shape, seed=9, dtype=torch.float32)
    torch.testing.assert_close(ours(X), reference(X))
    torch.testing.assert_close(ours.moving_mean, reference.running_mean)   # no update in eval


def test_BatchNorm_keeps_moving_statistics_as_buffers_not_parameters():
    layer = BatchNorm(3)
    assert {name for name, _ in layer.named_parameters()} == {"gamma", "beta"}
    assert {name for name, _ in layer.named_buffers()} == {"moving_mean", "moving_var"}
    assert set(layer.state_dict()) == {"gamma", "beta", "moving_mean", "moving_var"}
    torch.testing.assert_close(layer.moving_var, torch.ones(3))


def test_BatchNorm_rejects_bad_construction_and_wrong_number_of_features():
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm(0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=-0.1)
    with pytest.raises(ValueError, match="gamma must have shape"):
        BatchNorm(3)(torch.randn(4, 5))


# --------------------------------------------------------------------------- layer norm


@pytest.mark.parametrize("shape, normalized_shape", [((4, 6), 6), ((3, 5, 8), (8,)),
                                                     ((2, 3, 4, 4), (3, 4, 4)),
                                                     ((2, 3, 4, 4), (4, 4))])
def test_layer_norm_matches_torch_with_and_without_affine(shape, normalized_shape):
    X = _randn(*shape) * 2 + 1
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    gamma, beta = _randn(*ns, seed=3), _randn(*ns, seed=4)
    torch.testing.assert_close(layer_norm(X, normalized_shape), F.layer_norm(X, ns))
    torch.testing.assert_close(layer_norm(X, normalized_shape, gamma, beta),
                               F.layer_norm(X, ns, gamma, beta))


def test_layer_norm_output_of_an_example_does_not_depend_on_the_batch():
    X = _randn(8, 10)
    other = X.clone()
    other[1:] = _randn(7, 10, seed=5) * 10 + 4
    torch.testing.assert_close(layer_norm(X, 10)[0], layer_norm(other, 10)[0])


def test_LayerNorm_matches_nn_LayerNorm_including_gradients():
    torch.manual_seed(0)
    ours, ref = LayerNorm((3, 4)).double(), nn.LayerNorm((3, 4)).double()
    with torch.no_grad():
        ref.weight.uniform_(0.5, 2)
        ref.bias.uniform_(-1, 1)
        ours.gamma.copy_(ref.weight)
        ours.beta.copy_(ref.bias)
    X = _randn(5, 3, 4)
    w = _randn(5, 3, 4, seed=2)
    (ours(X) * w).sum().backward()
    (ref(X) * w).sum().backward()
    torch.testing.assert_close(ours(X), ref(X))
    torch.testing.assert_close(ours.gamma.grad, ref.weight.grad)
    torch.testing.assert_close(ours.beta.grad, ref.bias.grad)
    assert list(ours.buffers()) == []


def test_layer_norm_constant_example_gives_beta_not_nan():
    Y = layer_norm(torch.full((2, 4), 3.0), 4, beta=torch.full((4,), 0.25))
    torch.testing.assert_close(Y, torch.full((2, 4), 0.25))


def test_layer_norm_rejects_bad_shapes_and_values():
    with pytest.raises(ValueError, match="trailing axes"):
        layer_norm(_randn(4, 6), 5)
    with pytest.raises(ValueError, match="at least 2 axes"):
        layer_norm(_randn(6), (2, 3))
    with pytest.raises(ValueError, match="gamma must have shape"):
        layer_norm(_randn(4, 6), 6, gamma=_randn(5))
    with pytest.raises(ValueError, match="normalized_shape"):
        layer_norm(_randn(4, 6), ())
    with pytest.raises(ValueError, match=">= 1"):
        LayerNorm(0)
    with pytest.raises(TypeError, match="normalized_shape"):
        layer_norm(_randn(4, 6), "6")
    with pytest.raises(ValueError, match="NaN"):
        layer_norm(torch.tensor([[0.0, float("nan")]]), 2)


# --------------------------------------------------------------------------- group norm


@pytest.mark.parametrize("num_groups", [1, 2, 3, 6])
def test_group_norm_matches_torch(num_groups):
    X = _randn(4, 6, 3, 5) * 2 - 1
    gamma, beta = _randn(6, seed=2), _randn(6, seed=3)
    torch.testing.assert_close(group_norm(X, num_groups, gamma, beta),
                               F.group_norm(X, num_groups, gamma, beta))


def test_group_norm_special_cases_are_layer_norm_and_instance_norm():
    X = _randn(3, 4, 5, 5)
    torch.testing.assert_close(group_norm(X, 1), F.layer_norm(X, (4, 5, 5)))
    torch.testing.assert_close(group_norm(X, 4), F.instance_norm(X))


def test_group_norm_rejects_groups_that_do_not_divide_the_channels():
    with pytest.raises(ValueError, match="must divide"):
        group_norm(_randn(2, 6, 3), 4)
    with pytest.raises(ValueError, match=">= 1"):
        group_norm(_randn(2, 6, 3), 0)
