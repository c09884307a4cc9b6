"""Unit tests for helpers.attention (lecture 10.1, appendix A.4): attention from scratch."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from helpers.attention import (
    LayerCost,
    MultiHeadAttention,
    attention_entropy,
    attention_weights,
    layer_cost,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)


def _randn(*shape: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _qkv(n_q=5, n_k=7, d_k=8, d_v=4, lead=(2, 3)):
    return (_randn(*lead, n_q, d_k, seed=1), _randn(*lead, n_k, d_k, seed=2),
            _randn(*lead, n_k, d_v, seed=3))


# --------------------------------------------------------------------------- attention


def test_attention_weights_are_distributions_over_the_keys():
    Q, K, _ = _qkv()
    W = attention_weights(Q, K)
    assert W.shape == (2, 3, 5, 7)
    assert (W >= 0).all()
    torch.testing.assert_close(W.sum(dim=-1), torch.ones(2, 3, 5, dtype=torch.float64))


def test_sdpa_matches_torch_without_mask_for_different_query_and_key_lengths():
    Q, K, V = _qkv()
    torch.testing.assert_close(scaled_dot_product_attention(Q, K, V),
                               F.scaled_dot_product_attention(Q, K, V))


def test_sdpa_matches_torch_with_a_boolean_mask_broadcast_over_heads():
    Q, K, V = _qkv()
    mask = torch.rand(2, 1, 5, 7, generator=torch.Generator().manual_seed(4)) > 0.5
    mask[..., 0] = True
    torch.testing.assert_close(scaled_dot_product_attention(Q, K, V, mask),
                               F.scaled_dot_product_attention(Q, K, V, attn_mask=mask))


def test_sdpa_matches_torch_with_a_float_mask():
    Q, K, V = _qkv()
    mask = _randn(5, 7, seed=5)
    torch.testing.assert_close(scaled_dot_product_attention(Q, K, V, mask),
                               F.scaled_dot_product_attention(Q, K, V, attn_mask=mask))


def test_sdpa_matches_torch_with_causal_mask_and_custom_scale():
    Q, K, V = _qkv(n_q=6, n_k=6)
    torch.testing.assert_close(scaled_dot_product_attention(Q, K, V, causal=True, scale=0.3),
                               F.scaled_dot_product_attention(Q, K, V, is_causal=True,
                                                              scale=0.3))


def test_sdpa_default_scale_is_one_over_sqrt_dk():
    Q, K, V = _qkv(d_k=16)
    torch.testing.assert_close(scaled_dot_product_attention(Q, K, V),
                               scaled_dot_product_attention(Q, K, V, scale=0.25))


def test_sdpa_works_without_leading_axes_and_in_float32():
    Q, K, V = (t.float() for t in _qkv(lead=()))
    out = scaled_dot_product_attention(Q, K, V)
    assert out.shape == (5, 4) and out.dtype == torch.float32
    torch.testing.assert_close(out, F.scaled_dot_product_attention(Q, K, V))


def test_causal_output_does_not_depend_on_later_positions():
    Q, K, V = _qkv(n_q=5, n_k=5, lead=())
    K2, V2 = K.clone(), V.clone()
    K2[3:], V2[3:] = _randn(2, 8, seed=9), _randn(2, 4, seed=10)
    out1 = scaled_dot_product_attention(Q, K, V, causal=True)
    out2 = scaled_dot_product_attention(Q, K2, V2, causal=True)
    torch.testing.assert_close(out1[:3], out2[:3])
    assert not torch.allclose(out1[3:], out2[3:])


def test_masked_keys_get_zero_weight():
    Q, K, _ = _qkv(lead=())
    mask = torch.ones(5, 7, dtype=torch.bool)
    mask[:, 2] = False
    assert (attention_weights(Q, K, mask)[:, 2] == 0).all()


def test_identical_keys_give_uniform_attention():
    Q = _randn(3, 4)
    K = torch.ones(5, 4, dtype=torch.float64)
    torch.testing.assert_close(attention_weights(Q, K), torch.full((3, 5), 0.2,
                                                                   dtype=torch.float64))


def test_attention_rejects_a_query_with_every_key_masked():
    Q, K, V = _qkv(lead=())
    mask = torch.ones(5, 7, dtype=torch.bool)
    mask[2] = False
    with pytest.raises(ValueError, match="attend to no key"):
        scaled_dot_product_attention(Q, K, V, mask)
    with pytest.raises(ValueError, match="attend to no key"):
        attention_weights(Q, K, torch.full((5, 7), float("-inf"), dtype=torch.float64))


def test_attention_rejects_bad_shapes_masks_and_values():
    Q, K, V = _qkv(lead=())
    with pytest.raises(ValueError, match="same dimension d_k"):
        attention_weights(Q, K[:, :5])
    with pytest.raises(ValueError, match="come in pairs"):
        scaled_dot_product_attention(Q, K, V[:6])
    with pytest.raises(ValueError, match="does not broadcast"):
        attention_weights(Q, K, torch.ones(5, 6, dtype=torch.bool))
    with pytest.raises(ValueError, match="does not broadcast"):
        attention_weights(Q, K, torch.ones(3, 5, 7, dtype=torch.bool))
    with pytest.raises(TypeError, match="boolean or floating"):
        attention_weights(Q, K, torch.ones(5, 7, dtype=torch.int64))
    with pytest.raises(ValueError, match="NaN"):
        attention_weights(Q, K, torch.full((5, 7), float("nan"), dtype=torch.float64))
    with pytest.raises(ValueError, match="NaN"):
        attention_weights(torch.full((5, 8), float("nan")), K.float())
    with pytest.raises(ValueError, match="scale"):
        attention_weights(Q, K, scale=0.0)
    with pytest.raises(ValueError, match="at least 2 axes"):
        attention_weights(Q[0], K)
    with pytest.raises(TypeError, match="floating-point"):
        attention_weights(Q.long(), K)


def test_attention_entropy_of_uniform_and_one_hot_weights():
    assert attention_entropy(torch.full((3, 8), 1 / 8)) == pytest.approx(math.log(8), rel=1e-6)
    assert attention_entropy(torch.eye(4)) == 0.0


def test_attention_entropy_rejects_weights_that_are_not_distributions():
    with pytest.raises(ValueError, match="sum to one"):
        attention_entropy(torch.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="non-negative"):
        attention_entropy(torch.tensor([[1.5, -0.5]]))


# --------------------------------------------------------------------------- multi-head


def test_split_and_merge_heads_are_inverse_and_slice_features_per_head():
    X = _randn(2, 5, 12)
    H = split_heads(X, 3)
    assert H.shape == (2, 3, 5, 4)
    torch.testing.assert_close(H[:, 1], X[:, :, 4:8])
    torch.testing.assert_close(merge_heads(H), X)


def test_split_heads_rejects_a_head_count_that_does_not_divide_the_features():
    with pytest.raises(ValueError, match="must divide"):
        split_heads(_randn(2, 5, 12), 5)
    with pytest.raises(ValueError, match="X must be 3-D"):
        split_heads(_randn(2, 5, 12, 1), 2)
    with pytest.raises(ValueError, match="X must be 4-D"):
        merge_heads(_randn(2, 5, 12))


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_mha_matches_torch_with_copied_weights(batch_first, bias):
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(12, 3, bias=bias, batch_first=batch_first).double()
    ours = MultiHeadAttention.from_torch(ref)
    assert ours.batch_first == batch_first
    q = _randn(2, 4, 12, seed=1) if batch_first else _randn(4, 2, 12, seed=1)
    kv = _randn(2, 6, 12, seed=2) if batch_first else _randn(6, 2, 12, seed=2)
    out, weights = ours(q, kv, kv)
    out_ref, weights_ref = ref(q, kv, kv)
    torch.testing.assert_close(out, out_ref)
    assert weights.shape == (2, 3, 4, 6)
    torch.testing.assert_close(weights.mean(dim=1), weights_ref)
    _, per_head = ref(q, kv, kv, average_attn_weights=False)
    torch.testing.assert_close(weights, per_head)


def test_mha_matches_torch_with_padding_and_causal_masks():
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(8, 2, batch_first=True).double()
    ours = MultiHeadAttention.from_torch(ref)
    X = _randn(3, 5, 8)
    padding = torch.zeros(3, 5, dtype=torch.bool)
    padding[1, 3:] = True
    torch.testing.assert_close(ours(X, X, X, key_padding_mask=padding)[0],
                               ref(X, X, X, key_padding_mask=padding)[0])
    future = torch.ones(5, 5, dtype=torch.bool).triu(1)
    torch.testing.assert_close(ours(X, X, X, causal=True)[0], ref(X, X, X, attn_mask=future)[0])
    assert (ours(X, X, X, key_padding_mask=padding)[1][1, :, :, 3:] == 0).all()


def test_mha_gradients_match_torch():
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(8, 2, batch_first=True).double()
    ours = MultiHeadAttention.from_torch(ref)
    X = _randn(2, 4, 8)
    w = _randn(2, 4, 8, seed=3)
    (ours(X, X, X)[0] * w).sum().backward()
    (ref(X, X, X)[0] * w).sum().backward()
    torch.testing.assert_close(ours.W_q.weight.grad, ref.in_proj_weight.grad[:8])
    torch.testing.assert_close(ours.W_v.bias.grad, ref.in_proj_bias.grad[16:])
    torch.testing.assert_close(ours.W_o.weight.grad, ref.out_proj.weight.grad)


def test_mha_from_torch_rejects_unsupported_configurations():
    with pytest.raises(ValueError, match="standard"):
        MultiHeadAttention.from_torch(nn.MultiheadAttention(8, 2, kdim=4, vdim=4))
    with pytest.raises(ValueError, match="standard"):
        MultiHeadAttention.from_torch(nn.MultiheadAttention(8, 2, add_bias_kv=True))
    with pytest.raises(TypeError, match="nn.MultiheadAttention"):
        MultiHeadAttention.from_torch(nn.Linear(8, 8))


def test_mha_rejects_bad_construction_and_inputs():
    with pytest.raises(ValueError, match="must divide"):
        MultiHeadAttention(10, 3)
    mha = MultiHeadAttention(8, 2)
    X = torch.randn(2, 5, 8)
    with pytest.raises(ValueError, match="8 features"):
        mha(torch.randn(2, 5, 6), X, X)
    with pytest.raises(ValueError, match="same shape"):
        mha(X, X, X[:, :4])
    with pytest.raises(ValueError, match="batch size"):
        mha(X[:1], X, X)
    with pytest.raises(ValueError, match=r"\(N, S\)"):
        mha(X, X, X, key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="boolean"):
        mha(X, X, X, key_padding_mask=torch.zeros(2, 5))
    with pytest.raises(ValueError, match="attend to no key"):
        mha(X, X, X, key_padding_mask=torch.ones(2, 5, dtype=torch.bool))


# --------------------------------------------------------------------------- cost


def _counted(fn, *args) -> int:
    with FlopCounterMode(display=False) as counter:
        fn(*args)
    return counter.get_total_flops()


@pytest.mark.parametrize("n, d", [(1, 4), (7, 16), (40, 8)])
def test_layer_cost_flops_match_torch_flop_counter(n, d):
    X = torch.randn(n, d)
    assert _counted(scaled_dot_product_attention, X, X, X) == \
        layer_cost("self-attention", n, d).flops
    conv = nn.Conv1d(d, d, 5, padding=2, bias=False)
    assert _counted(conv, X.T[None]) == layer_cost("convolution", n, d, kernel_size=5).flops
    W_xh, W_hh = torch.randn(d, d), torch.randn(d, d)

    def rnn(X):
        h = torch.zeros(1, d)
        for x in X:
            h = torch.tanh(x[None] @ W_xh + h @ W_hh)

    assert _counted(rnn, X) == layer_cost("recurrent", n, d).flops


def test_layer_cost_sequential_operations_and_path_lengths():
    assert layer_cost("self-attention", 100, 8) == LayerCost(4 * 100 * 100 * 8, 1, 1)
    assert layer_cost("recurrent", 100, 8) == LayerCost(4 * 100 * 64, 100, 99)
    assert layer_cost("convolution", 100, 8, kernel_size=3).max_path_length == 5   # 3^5 >= 100
    assert layer_cost("convolution", 81, 8, kernel_size=3).max_path_length == 4    # 3^4 = 81
    assert layer_cost("convolution", 100, 8, kernel_size=3,
                      dilated=False).max_path_length == 50                         # 1 + 2L >= 100
    assert layer_cost("self-attention", 1, 8).max_path_length == 0
    assert layer_cost("convolution", 1, 8).max_path_length == 0


def test_layer_cost_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        layer_cost("transformer", 10, 8)
    with pytest.raises(ValueError, match="n =="):
        layer_cost("recurrent", 0, 8)
    with pytest.raises(ValueError, match="kernel_size"):
        layer_cost("convolution", 10, 8, kernel_size=1)
    with pytest.raises(TypeError, match="d must be"):
        layer_cost("recurrent", 10, 8.0)
