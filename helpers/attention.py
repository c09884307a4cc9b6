"""Attention from scratch: scaled dot-product attention and multi-head attention.

Used in lecture 10.1 (deep network architectures) and appendix A.4 (self-attention).
The pieces:

- :func:`attention_weights` and :func:`scaled_dot_product_attention` compute
  ``softmax(Q K^T / sqrt(d_k)) V`` with an optional mask, exactly like
  ``torch.nn.functional.scaled_dot_product_attention`` (without dropout);
- :class:`MultiHeadAttention` projects queries, keys and values ``num_heads`` times
  into subspaces of size ``embed_dim // num_heads``, attends in every head in
  parallel and mixes the heads with an output projection, exactly like
  ``torch.nn.MultiheadAttention`` (:meth:`MultiHeadAttention.from_torch` copies the
  weights of one); :func:`split_heads` and :func:`merge_heads` do the reshaping;
- :func:`attention_entropy` measures how peaked attention weights are;
- :func:`layer_cost` gives the cost of a self-attention, recurrent or convolutional
  layer on a sequence: floating-point operations, sequential steps and maximum path
  length (the comparison table of Vaswani et al., 2017, with exact counts).

Shapes. Queries are ``(..., n_q, d_k)``, keys ``(..., n_k, d_k)`` and values
``(..., n_k, d_v)``; the leading axes (batch, heads) broadcast. The module takes
``(N, L, E)`` inputs when ``batch_first=True`` (its default) and ``(L, N, E)`` otherwise.

Masks. :func:`scaled_dot_product_attention` follows PyTorch's function: a boolean mask
is ``True`` where a query *may* attend to a key, a floating-point mask is added to the
scores. :class:`MultiHeadAttention` follows ``nn.MultiheadAttention``: its
``key_padding_mask`` is ``True`` at *padding* positions, which are ignored. A query that
may attend to no key at all is an error rather than a silent row of NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from helpers.checks import boundary, check_positive_int, check_tensor, instance, one_of

__all__ = [
    "COST_KINDS",
    "LayerCost",
    "MultiHeadAttention",
    "attention_entropy",
    "attention_weights",
    "layer_cost",
    "merge_heads",
    "scaled_dot_product_attention",
    "split_heads",
]

COST_KINDS = ("self-attention", "recurrent", "convolution")


# --------------------------------------------------------------------------- validation


# --------------------------------------------------------------------------- attention


def _attention_args(args: dict) -> None:
    """Check and convert the arguments of :func:`attention_weights` (in place)."""
    Q = args["Q"] = check_tensor("Q", args["Q"], min_ndim=2, dtype="float")
    K = args["K"] = check_tensor("K", args["K"], min_ndim=2, dtype="float")
    if Q.shape[-1] != K.shape[-1]:
        raise ValueError(f"queries and keys must have the same dimension d_k, got "
                         f"{Q.shape[-1]} and {K.shape[-1]}")
    mask = args["mask"]
    if mask is None:
        return
    try:
        scores = (*torch.broadcast_shapes(Q.shape[:-2], K.shape[:-2]), Q.shape[-2], K.shape[-2])
        shape = tuple(torch.broadcast_shapes(mask.shape, scores))
    except RuntimeError:
        shape = None
    if shape != scores:
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the "
                         f"scores' shape {scores}")
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(f"mask must be boolean or floating point, got {mask.dtype}")
    if mask.is_floating_point() and torch.isnan(mask).any():
        raise ValueError("mask contains NaN")


@boundary(mask="tensor or None", scale="real > 0.0 or None", check=_attention_args)
def attention_weights(
    Q: torch.Tensor,
    K: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    causal: bool = False,
    scale: float | None = None,
) -> torch.Tensor:
    """The attention weights ``softmax(Q K^T * scale)``, one distribution per query.

    Entry ``[i, j]`` is how much query ``i`` attends to key ``j``; every row sums to
    one. The default ``scale = 1 / sqrt(d_k)`` keeps the scores' variance near one
    whatever the dimension ``d_k``: for queries and keys with independent unit-variance
    entries, ``q . k`` is a sum of ``d_k`` unit-variance products, so its variance is
    ``d_k``, and without the scaling the softmax saturates to a one-hot vector as
    ``d_k`` grows. Used in lecture 10.1 and appendix A.4.

    Parameters
    ----------
    Q : torch.Tensor
        ``(..., n_q, d_k)`` queries.
    K : torch.Tensor
        ``(..., n_k, d_k)`` keys.
    mask : torch.Tensor, optional
        Broadcastable to ``(..., n_q, n_k)``. Boolean: ``True`` where the query may
        attend to the key. Floating point: added to the scores (use ``-inf`` to forbid).
    causal : bool
        Query ``i`` may only attend to keys ``j <= i`` (combined with ``mask``).
    scale : float, optional
        Multiplies the scores; default ``1 / sqrt(d_k)``.

    Returns
    -------
    torch.Tensor
        ``(..., n_q, n_k)`` weights.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN, a non-positive scale, or a query that may attend to
        no key.
    """
    if scale is None:
        scale = 1.0 / math.sqrt(Q.shape[-1])          # keeps the scores' variance near 1
    scores = Q @ K.transpose(-2, -1) * scale
    n_q, n_k = scores.shape[-2:]
    if causal:
        allowed = torch.ones(n_q, n_k, dtype=torch.bool, device=scores.device).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None and mask.dtype == torch.bool:
        scores = scores.masked_fill(~mask, float("-inf"))   # False: may not attend
    elif mask is not None:
        scores = scores + mask                               # an additive mask
    if torch.isneginf(scores).all(dim=-1).any():
        raise ValueError("a query may attend to no key: every key of its row is masked")
    return torch.softmax(scores, dim=-1)


def _sdpa_args(args: dict) -> None:
    """Check ``V`` of :func:`scaled_dot_product_attention` against ``K`` (the rest is
    checked by attention_weights)."""
    K = args["K"]
    V = args["V"] = check_tensor("V", args["V"], min_ndim=2, dtype="float")
    if K.shape[-2] != V.shape[-2]:
        raise ValueError(f"keys and values must come in pairs: {K.shape[-2]} keys but "
                         f"{V.shape[-2]} values")


@boundary(check=_sdpa_args)
def scaled_dot_product_attention(
    Q: torch.Tensor,
    K: torch.Tensor,
    V: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    causal: bool = False,
    scale: float | None = None,
) -> torch.Tensor:
    """Scaled dot-product attention ``softmax(Q K^T / sqrt(d_k)) V``.

    Every query returns a weighted average of the values, weighted by how well the
    query matches each key (:func:`attention_weights`). All queries are computed at
    once by two matrix products, with no sequential dependency between positions.
    Same result as ``torch.nn.functional.scaled_dot_product_attention`` with the same
    ``attn_mask`` (boolean: ``True`` = may attend), ``is_causal`` and ``scale`` and
    no dropout. Used in lecture 10.1 and appendix A.4.

    Parameters
    ----------
    Q : torch.Tensor
        ``(..., n_q, d_k)`` queries.
    K : torch.Tensor
        ``(..., n_k, d_k)`` keys.
    V : torch.Tensor
        ``(..., n_k, d_v)`` values, one per key.
    mask, causal, scale
        As in :func:`attention_weights`.

    Returns
    -------
    torch.Tensor
        ``(..., n_q, d_v)``.
    """
    return attention_weights(Q, K, mask, causal=causal, scale=scale) @ V


def attention_entropy(weights: torch.Tensor) -> float:
    """Mean entropy (in nats) of the attention distributions in the last axis.

    ``log(n_k)`` for uniform attention over ``n_k`` keys, ``0`` for one-hot attention
    (a saturated softmax, whose gradient vanishes). Zero weights contribute zero.
    Used in lecture 10.1.
    """
    weights = check_tensor("weights", weights, min_ndim=1, dtype="float")
    if (weights < 0).any():
        raise ValueError("weights must be non-negative")
    if not torch.allclose(weights.sum(dim=-1), torch.ones((), dtype=weights.dtype),
                          atol=1e-4):
        raise ValueError("every row of weights must sum to one")
    logs = torch.where(weights > 0, weights.log(), torch.zeros((), dtype=weights.dtype))
    return float(-(weights * logs).sum(dim=-1).mean())


# --------------------------------------------------------------------------- multi-head


@boundary(X="3-D float tensor", num_heads="int >= 1")
def split_heads(X: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Reshape ``(N, L, E)`` to ``(N, num_heads, L, E // num_heads)``: one slice per head.

    Head ``h`` gets features ``h * E/num_heads`` to ``(h + 1) * E/num_heads - 1``, the
    layout ``nn.MultiheadAttention`` uses. Used in lecture 10.1 and appendix A.4.
    """
    N, L, E = X.shape
    if E % num_heads:
        raise ValueError(f"num_heads={num_heads} must divide the embedding size {E}")
    return X.reshape(N, L, num_heads, E // num_heads).transpose(1, 2)


@boundary(X="4-D float tensor")
def merge_heads(X: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_heads`: ``(N, h, L, d)`` to ``(N, L, h * d)``.

    Used in lecture 10.1 and appendix A.4.
    """
    N, h, L, d = X.shape
    return X.transpose(1, 2).reshape(N, L, h * d)


def _multi_head_args(args: dict) -> None:
    """Check the arguments of :meth:`MultiHeadAttention.forward`."""
    embed_dim = args["self"].embed_dim
    for name in ("query", "key", "value"):
        X = check_tensor(name, args[name], ndim=3, dtype="float")
        if X.shape[-1] != embed_dim:
            raise ValueError(f"{name} must be 3-D with {embed_dim} features, got "
                             f"shape {tuple(X.shape)}")
    query, key, value = (args[name] if args["self"].batch_first else args[name].transpose(0, 1)
                         for name in ("query", "key", "value"))
    if key.shape != value.shape:
        raise ValueError(f"key and value must have the same shape, got "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    if query.shape[0] != key.shape[0]:
        raise ValueError(f"query and key must have the same batch size, got "
                         f"{query.shape[0]} and {key.shape[0]}")
    key_padding_mask = args["key_padding_mask"]
    if key_padding_mask is not None:
        if not isinstance(key_padding_mask, torch.Tensor) or \
                key_padding_mask.dtype != torch.bool:
            raise TypeError("key_padding_mask must be a boolean tensor (True = padding)")
        if tuple(key_padding_mask.shape) != tuple(key.shape[:2]):
            raise ValueError(f"key_padding_mask must have shape (N, S) = "
                             f"{tuple(key.shape[:2])}, got {tuple(key_padding_mask.shape)}")


class MultiHeadAttention(nn.Module):
    """Multi-head attention, computing the same function as ``nn.MultiheadAttention``.

    With ``h = num_heads`` and ``d = embed_dim // h``, head ``i`` computes
    ``softmax(Q W_q^(i) (K W_k^(i))^T / sqrt(d)) V W_v^(i)``; the heads are concatenated
    and multiplied by ``W_o``. The ``h`` projections of size ``d`` are stored as one
    ``embed_dim x embed_dim`` linear layer each for queries, keys and values, so
    multi-head attention costs about the same as one head of full width, while every
    head can attend to different positions (one by meaning, one by position, ...).
    Used in lecture 10.1 and appendix A.4.

    Parameters
    ----------
    embed_dim : int
        Size ``E`` of the inputs and outputs.
    num_heads : int
        Number of heads; must divide ``embed_dim``.
    bias : bool
        Biases in the four projections.
    batch_first : bool
        Inputs and outputs are ``(N, L, E)`` (True, the default here) or ``(L, N, E)``
        (False, the default of ``nn.MultiheadAttention``).
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True,
                 batch_first: bool = True) -> None:
        super().__init__()
        self.embed_dim = check_positive_int("embed_dim", embed_dim)
        self.num_heads = check_positive_int("num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"num_heads={num_heads} must divide embed_dim={embed_dim}")
        self.batch_first = bool(batch_first)
        self.W_q = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.W_k = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.W_v = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.W_o = nn.Linear(embed_dim, embed_dim, bias=bias)

    @boundary(check=_multi_head_args)
    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        causal: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` to ``key``/``value``; return the output and the weights.

        Parameters
        ----------
        query : torch.Tensor
            ``(N, L, E)`` (or ``(L, N, E)`` when ``batch_first=False``).
        key, value : torch.Tensor
            ``(N, S, E)`` (or ``(S, N, E)``). Self-attention passes the same tensor three
            times.
        key_padding_mask : torch.Tensor, optional
            ``(N, S)`` boolean, ``True`` at padding positions, which no query attends to
            (the convention of ``nn.MultiheadAttention``).
        causal : bool
            Query ``i`` attends only to keys ``j <= i`` (a decoder).

        Returns
        -------
        output : torch.Tensor
            Shape of ``query``.
        weights : torch.Tensor
            ``(N, num_heads, L, S)`` attention weights of every head
            (``nn.MultiheadAttention`` returns their mean over the heads by default).
        """
        if not self.batch_first:
            query, key, value = (X.transpose(0, 1) for X in (query, key, value))
        mask = None
        if key_padding_mask is not None:
            mask = ~key_padding_mask[:, None, None, :]            # (N, 1, 1, S): may attend
        Q = split_heads(self.W_q(query), self.num_heads)          # (N, h, L, d)
        K = split_heads(self.W_k(key), self.num_heads)            # (N, h, S, d)
        V = split_heads(self.W_v(value), self.num_heads)          # (N, h, S, d)
        weights = attention_weights(Q, K, mask, causal=causal)    # (N, h, L, S)
        output = self.W_o(merge_heads(weights @ V))               # (N, L, E)
        if not self.batch_first:
            output = output.transpose(0, 1)
        return output, weights

    @classmethod
    @boundary(module=instance(nn.MultiheadAttention, what="an nn.MultiheadAttention"))
    def from_torch(cls, module: nn.MultiheadAttention) -> MultiHeadAttention:
        """A :class:`MultiHeadAttention` with the weights of ``module`` (copied).

        ``nn.MultiheadAttention`` stores the three input projections stacked in one
        ``(3E, E)`` matrix ``in_proj_weight`` (queries, keys, values, in that order) and
        the output projection in ``out_proj``. Only its standard configuration is
        supported: equal query/key/value sizes, no ``add_bias_kv``, no
        ``add_zero_attn``. ``batch_first`` is copied too. Used in lecture 10.1.
        """
        if not module._qkv_same_embed_dim or module.bias_k is not None or \
                module.add_zero_attn:
            raise ValueError("only the standard nn.MultiheadAttention is supported: kdim = "
                             "vdim = embed_dim, add_bias_kv=False, add_zero_attn=False")
        bias = module.in_proj_bias is not None
        ours = cls(module.embed_dim, module.num_heads, bias=bias,
                   batch_first=module.batch_first)
        ours = ours.to(dtype=module.in_proj_weight.dtype)
        with torch.no_grad():
            for i, layer in enumerate((ours.W_q, ours.W_k, ours.W_v)):
                rows = slice(i * module.embed_dim, (i + 1) * module.embed_dim)
                layer.weight.copy_(module.in_proj_weight[rows])
                if bias:
                    layer.bias.copy_(module.in_proj_bias[rows])
            ours.W_o.weight.copy_(module.out_proj.weight)
            if bias:
                ours.W_o.bias.copy_(module.out_proj.bias)
        return ours

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, " \
               f"batch_first={self.batch_first}"


# --------------------------------------------------------------------------- cost


@dataclass(frozen=True)
class LayerCost:
    """Cost of one layer on a sequence of ``n`` vectors of size ``d``. Used in lecture 10.1.

    Attributes
    ----------
    flops : int
        Floating-point operations of the layer's matrix products (a multiply-add
        counts as 2, as ``torch.utils.flop_counter`` counts).
    sequential_ops : int
        Operations that must run one after another (the rest runs in parallel).
    max_path_length : int
        Largest number of layers (or time steps) a signal crosses between any two of
        the ``n`` positions.
    """

    flops: int
    sequential_ops: int
    max_path_length: int


@boundary(kind=one_of(COST_KINDS), n="int >= 1", d="int >= 1", kernel_size="int >= 2")
def layer_cost(kind: str, n: int, d: int, kernel_size: int = 3, dilated: bool = True
               ) -> LayerCost:
    """Exact cost of a self-attention, recurrent or convolutional layer on ``n`` positions.

    The three rows of the comparison table of Vaswani et al. (2017), counted exactly
    for the layers as this module and PyTorch compute them:

    ================  ===================  ===============  ========================
    kind              FLOPs                sequential ops   maximum path length
    ================  ===================  ===============  ========================
    self-attention    ``4 n^2 d``          1                1
    recurrent         ``4 n d^2``          ``n``            ``n - 1``
    convolution       ``2 k n d^2``        1                ``ceil(log_k n)`` layers
                                                            (dilated) or
                                                            ``ceil((n-1)/(k-1))``
    ================  ===================  ===============  ========================

    Self-attention: ``Q K^T`` and ``weights @ V`` each multiply ``n x d`` by ``d x n``
    (or ``n x n`` by ``n x d``) matrices, ``2 n^2 d`` FLOPs each, given the projected
    ``Q, K, V`` (the projections cost ``O(n d^2)`` like the other layers, so the table
    leaves them out). Recurrent: ``x_t W_xh + h_{t-1} W_hh`` at each of the ``n`` steps,
    ``2 d^2`` FLOPs each, in order. Convolution: ``d`` output channels at ``n``
    positions, each a sum over ``k d`` inputs (1-D, "same" padding); the path between
    distant positions needs a stack of layers whose receptive field covers ``n``.
    Used in lecture 10.1.

    Parameters
    ----------
    kind : {"self-attention", "recurrent", "convolution"}
        The layer.
    n : int
        Sequence length.
    d : int
        Size of each position's vector (input and output).
    kernel_size : int
        Kernel size ``k >= 2`` of the convolution.
    dilated : bool
        Path length for a stack of dilated convolutions (dilation ``k^l``) or of
        contiguous ones.

    Returns
    -------
    LayerCost
    """
    if kind == "self-attention":
        return LayerCost(4 * n * n * d, 1, min(1, n - 1))
    if kind == "recurrent":
        return LayerCost(4 * n * d * d, n, n - 1)
    layers, reach = 0, 1            # receptive field of a stack of `layers` convolutions
    while reach < n:
        layers += 1
        reach = kernel_size ** layers if dilated else 1 + layers * (kernel_size - 1)
    return LayerCost(2 * kernel_size * n * d * d, 1, layers)
