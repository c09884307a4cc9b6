"""Unit tests for helpers.neural (lectures 3.5 and 3.6: MLPs and CNNs from scratch)."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers.neural import (
    conv2d,
    conv_output_shape,
    conv_params,
    corr2d,
    count_parameters,
    cross_entropy,
    dense,
    dense_params,
    init_mlp_params,
    lenet,
    mlp,
    mlp_forward,
    mlp_to_sequential,
    pool2d,
    relu,
    sigmoid,
    softmax,
    train_mlp_scratch,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=_gen(seed), dtype=dtype)


# --------------------------------------------------------------------------- dense layers


def test_dense_matches_nn_linear_with_transposed_weight():
    X, layer = _randn(5, 4), nn.Linear(4, 3).double()
    W, b = layer.weight.detach().T, layer.bias.detach()
    torch.testing.assert_close(dense(X, W, b), layer(X).detach())
    torch.testing.assert_close(dense(X, W), X @ W)


def test_dense_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="features"):
        dense(_randn(5, 4), _randn(3, 2))
    with pytest.raises(ValueError, match="b must have shape"):
        dense(_randn(5, 4), _randn(4, 2), _randn(3))
    with pytest.raises(ValueError, match="2-D"):
        dense(_randn(4), _randn(4, 2))


def test_relu_and_sigmoid_match_torch_values_and_derivatives():
    X = torch.cat([_randn(50) * 5, torch.tensor([0.0, -800.0, 800.0], dtype=torch.float64)])
    for ours, ref in [(relu, torch.relu), (sigmoid, torch.sigmoid)]:
        x1 = X.clone().requires_grad_(True)
        x2 = X.clone().requires_grad_(True)
        ours(x1).sum().backward()
        ref(x2).sum().backward()
        torch.testing.assert_close(ours(X), ref(X))
        torch.testing.assert_close(x1.grad, x2.grad)


def test_sigmoid_does_not_overflow_for_large_inputs():
    out = sigmoid(torch.tensor([-1e4, 1e4]))
    assert torch.isfinite(out).all() and out.tolist() == [0.0, 1.0]


def test_softmax_matches_torch_and_survives_huge_logits():
    logits = _randn(6, 4) * 3
    torch.testing.assert_close(softmax(logits), torch.softmax(logits, dim=1))
    big = torch.tensor([[1000.0, 1000.0, -1000.0]])
    torch.testing.assert_close(softmax(big), torch.tensor([[0.5, 0.5, 0.0]]))


def test_cross_entropy_matches_torch_including_extreme_logits():
    logits = torch.cat([_randn(8, 5) * 4, torch.tensor([[500.0, -500.0, 0.0, 0.0, 0.0]],
                                                  dtype=torch.float64)])
    y = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2, 1])
    expected = F.cross_entropy(logits, y, reduction="none")
    torch.testing.assert_close(cross_entropy(logits, y), expected)
    assert torch.isfinite(cross_entropy(logits, y)).all()


def test_cross_entropy_rejects_bad_labels():
    logits = _randn(3, 4)
    with pytest.raises(ValueError, match="labels must lie"):
        cross_entropy(logits, torch.tensor([0, 1, 4]))
    with pytest.raises(TypeError, match="integer"):
        cross_entropy(logits, torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="rows"):
        cross_entropy(logits, torch.tensor([0, 1]))


# --------------------------------------------------------------------------- MLP


def test_init_mlp_params_shapes_and_he_scale():
    params = init_mlp_params(400, [300, 20], 7, generator=_gen(0))
    assert [tuple(p.shape) for p in params] == [(400, 300), (300,), (300, 20), (20,), (20, 7),
                                                (7,)]
    assert all(p.requires_grad for p in params)
    assert abs(params[0].std().item() - (2 / 400) ** 0.5) < 0.005
    assert params[1].abs().sum().item() == 0


def test_init_mlp_params_is_reproducible_and_validates():
    a = init_mlp_params(3, [4], 2, generator=_gen(5))
    b = init_mlp_params(3, [4], 2, generator=_gen(5))
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    with pytest.raises(TypeError, match="sequence"):
        init_mlp_params(3, 4, 2)
    with pytest.raises(ValueError, match="hidden width"):
        init_mlp_params(3, [0], 2)
    with pytest.raises(ValueError, match="num_inputs"):
        init_mlp_params(0, [4], 2)


def test_mlp_forward_and_backward_equal_nn_sequential_with_the_same_weights():
    X, y = torch.rand(16, 1, 8, 8, generator=_gen(1)), torch.randint(0, 10, (16,),
                                                                   generator=_gen(2))
    params = init_mlp_params(64, [32, 16], 10, generator=_gen(3))
    net = mlp_to_sequential(params)
    out_scratch, out_torch = mlp_forward(X, params), net(X)
    torch.testing.assert_close(out_scratch, out_torch, atol=1e-6, rtol=1e-6)
    cross_entropy(out_scratch, y).mean().backward()
    F.cross_entropy(out_torch, y).backward()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    for layer, W, b in zip(linears, params[0::2], params[1::2], strict=True):
        torch.testing.assert_close(W.grad, layer.weight.grad.T, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(b.grad, layer.bias.grad, atol=1e-6, rtol=1e-5)


def test_mlp_without_hidden_layers_is_softmax_regression():
    params = init_mlp_params(5, [], 3, generator=_gen(0))
    X = torch.rand(4, 5, generator=_gen(1))
    torch.testing.assert_close(mlp_forward(X, params), X @ params[0] + params[1])
    assert len(mlp(5, [], 3)) == 2  # Flatten, Linear


def test_mlp_builder_structure_and_linear_stack_option():
    net = mlp(10, [8, 6], 3, activation="sigmoid")
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Flatten", "Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    linear_stack = mlp(10, [8, 6], 3, activation=None)
    assert [type(m).__name__ for m in linear_stack] == ["Flatten"] + ["Linear"] * 3
    with pytest.raises(ValueError, match="activation"):
        mlp(10, [8], 3, activation="gelu")


def test_mlp_to_sequential_rejects_params_that_do_not_chain():
    W1, b1 = torch.zeros(4, 3), torch.zeros(3)
    with pytest.raises(ValueError, match="chain"):
        mlp_to_sequential([W1, b1, torch.zeros(5, 2), torch.zeros(2)])
    with pytest.raises(ValueError, match="params must be"):
        mlp_to_sequential([W1])


def test_mlp_forward_rejects_an_odd_number_of_tensors():
    with pytest.raises(ValueError, match="params must be"):
        mlp_forward(torch.zeros(2, 3), [torch.zeros(3, 2)])


def test_train_mlp_scratch_decreases_the_loss_and_is_reproducible():
    X = torch.randn(120, 2, generator=_gen(0))
    y = (X[:, 0] * X[:, 1] > 0).long()  # XOR-like: not linearly separable

    def run():
        params = init_mlp_params(2, [16], 2, generator=_gen(1))
        losses = train_mlp_scratch(params, X, y, lr=0.5, batch_size=20, num_epochs=30,
                                   generator=_gen(2))
        return losses, params

    losses, params = run()
    assert losses[-1] < 0.5 * losses[0]
    assert (mlp_forward(X, params).argmax(1) == y).float().mean() > 0.85
    assert run()[0] == losses


# --------------------------------------------------------------------------- convolution


def test_corr2d_textbook_example():
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.arange(4.0).reshape(2, 2)
    assert corr2d(X, K).tolist() == [[19.0, 25.0], [37.0, 43.0]]


def test_corr2d_matches_conv2d_on_random_inputs():
    for seed, (h, w, kh, kw) in enumerate([(6, 8, 3, 3), (5, 5, 5, 5), (7, 4, 1, 2), (4, 9, 4, 2)]):
        X, K = _randn(h, w, seed=seed), _randn(kh, kw, seed=seed + 100)
        expected = F.conv2d(X[None, None], K[None, None])[0, 0]
        torch.testing.assert_close(corr2d(X, K), expected)


def test_corr2d_rejects_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match="larger than the input"):
        corr2d(torch.zeros(3, 3), torch.zeros(4, 2))


@pytest.mark.parametrize("c_in,c_out,k,padding,stride", [
    (1, 1, 3, 0, 1), (3, 2, 3, 1, 1), (2, 4, (3, 2), (1, 0), (2, 1)), (3, 5, 1, 0, 2),
    (1, 3, 5, 2, 3), (4, 1, 2, 1, 2),
])
def test_conv2d_matches_torch_with_channels_padding_and_stride(c_in, c_out, k, padding, stride):
    k_h, k_w = (k, k) if isinstance(k, int) else k
    X = _randn(2, c_in, 9, 7, seed=1)
    K, b = _randn(c_out, c_in, k_h, k_w, seed=2), _randn(c_out, seed=3)
    expected = F.conv2d(X, K, b, padding=padding, stride=stride)
    torch.testing.assert_close(conv2d(X, K, b, padding=padding, stride=stride), expected)


def test_conv2d_passes_gradients_like_torch():
    X = _randn(1, 2, 6, 6, seed=4).requires_grad_(True)
    K = _randn(3, 2, 3, 3, seed=5).requires_grad_(True)
    conv2d(X, K, padding=1, stride=2).square().sum().backward()
    gX, gK = X.grad.clone(), K.grad.clone()
    X.grad, K.grad = None, None
    F.conv2d(X, K, padding=1, stride=2).square().sum().backward()
    torch.testing.assert_close(gX, X.grad)
    torch.testing.assert_close(gK, K.grad)


def test_conv2d_validates_channels_bias_and_window():
    X = torch.zeros(1, 2, 5, 5)
    with pytest.raises(ValueError, match="input channels"):
        conv2d(X, torch.zeros(1, 3, 3, 3))
    with pytest.raises(ValueError, match="bias"):
        conv2d(X, torch.zeros(4, 2, 3, 3), torch.zeros(3))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv2d(X, torch.zeros(1, 2, 7, 7))
    with pytest.raises(ValueError, match="stride"):
        conv2d(X, torch.zeros(1, 2, 3, 3), stride=0)
    with pytest.raises(ValueError, match="4-D"):
        conv2d(torch.zeros(5, 5), torch.zeros(1, 1, 3, 3))


def test_conv_output_shape_matches_torch_for_many_settings():
    for n, k, p, s in itertools.product(range(1, 11), range(1, 6), range(3), range(1, 4)):
        if k > n + 2 * p:
            with pytest.raises(ValueError):
                conv_output_shape(n, k, p, s)
            continue
        out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, stride=s)
        assert conv_output_shape(n, k, p, s) == out.shape[-1], (n, k, p, s)


def test_conv_output_shape_rejects_bad_arguments():
    with pytest.raises(ValueError, match="s =="):
        conv_output_shape(5, 3, 0, 0)
    with pytest.raises(ValueError, match="p == -1"):
        conv_output_shape(5, 3, -1, 1)
    with pytest.raises(TypeError):
        conv_output_shape(5.0, 3)


# --------------------------------------------------------------------------- pooling


@pytest.mark.parametrize("size,stride,padding", [
    (2, None, 0), (3, 1, 1), (3, 2, 0), ((2, 3), (1, 2), (1, 1)), (1, None, 0), (4, 3, 2),
])
def test_pool2d_matches_torch_max_and_avg(size, stride, padding):
    X = _randn(2, 3, 8, 7, seed=7)
    torch_stride = stride if stride is not None else size
    torch.testing.assert_close(pool2d(X, size, stride=stride, padding=padding, mode="max"),
                               F.max_pool2d(X, size, torch_stride, padding))
    torch.testing.assert_close(pool2d(X, size, stride=stride, padding=padding, mode="avg"),
                               F.avg_pool2d(X, size, torch_stride, padding))


def test_max_pool_with_ties_and_constant_input():
    X = torch.ones(1, 1, 4, 4)
    assert pool2d(X, 2).tolist() == [[[[1.0, 1.0], [1.0, 1.0]]]]
    X = torch.tensor([[[[1.0, 1.0], [0.0, 1.0]]]])
    assert pool2d(X, 2, mode="max").item() == 1.0
    assert pool2d(X, 2, mode="avg").item() == 0.75


def test_pool2d_validates_arguments():
    X = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="mode"):
        pool2d(X, 2, mode="median")
    with pytest.raises(ValueError, match="at most half"):
        pool2d(X, 2, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        pool2d(X, 5)
    with pytest.raises(ValueError, match="empty"):
        pool2d(torch.zeros(1, 1, 0, 4), 2)


# --------------------------------------------------------------------------- architectures


def test_lenet_output_shape_for_several_sizes():
    for size, k in [(8, 3), (12, 3), (28, 5)]:
        net = lenet(size, 10, kernel_size=k)
        assert net(torch.zeros(2, 1, size, size)).shape == (2, 10)


def test_lenet_validates_arguments():
    with pytest.raises(ValueError, match="divisible by 4"):
        lenet(10)
    with pytest.raises(ValueError, match="odd"):
        lenet(12, kernel_size=4)
    with pytest.raises(ValueError, match="pool"):
        lenet(12, pool="min")
    with pytest.raises(ValueError, match="activation"):
        lenet(12, activation="softplus")


@pytest.mark.parametrize("net", [
    nn.Linear(7, 3), nn.Conv2d(3, 8, 5), nn.Conv2d(4, 4, 3, groups=4, bias=False),
    lenet(12), mlp(64, [32, 16], 10),
])
def test_count_parameters_equals_sum_of_numel(net):
    assert count_parameters(net) == sum(p.numel() for p in net.parameters())


def test_count_parameters_skips_frozen_parameters_unless_asked():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    net[0].requires_grad_(False)
    assert count_parameters(net) == 3
    assert count_parameters(net, trainable_only=False) == 11
    with pytest.raises(TypeError):
        count_parameters([torch.zeros(3)])


def test_dense_and_conv_params_match_torch_layers():
    assert dense_params(7, 3) == count_parameters(nn.Linear(7, 3))
    assert dense_params(7, 3, bias=False) == count_parameters(nn.Linear(7, 3, bias=False))
    for c_in, c_out, k, groups in [(3, 8, 5, 1), (4, 6, (3, 1), 2), (8, 8, 3, 8)]:
        layer = nn.Conv2d(c_in, c_out, k, groups=groups)
        assert conv_params(c_in, c_out, k, groups=groups) == count_parameters(layer)


def test_dense_params_counts_huge_layers_without_allocating():
    net = nn.Linear(300 * 300, 10_000, device="meta")
    assert dense_params(300 * 300, 10_000) == count_parameters(net) == 900_010_000


def test_conv_params_rejects_groups_that_do_not_divide():
    with pytest.raises(ValueError, match="groups"):
        conv_params(3, 8, 3, groups=2)
