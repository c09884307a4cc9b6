"""Neural-network layers from scratch: dense layers, MLPs, convolution and pooling.

Used in lectures 3.5 (multilayer perceptrons) and 3.6 (convolutional neural
networks). Each from-scratch function has a PyTorch counterpart it is tested
against; the lectures show the from-scratch source and then use ``torch.nn``.

Shape conventions follow PyTorch. A batch of feature vectors is ``(n, d)``; a dense
layer computes ``X @ W + b`` with ``W`` of shape ``(d_in, d_out)`` (``nn.Linear`` stores
the transpose, ``(d_out, d_in)``). Images are ``(n, c, h, w)`` (batch, channels,
height, width) and convolution kernels ``(c_out, c_in, k_h, k_w)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from helpers.checks import (
    boundary,
    check_class_indices,
    check_int,
    check_positive_int,
    check_tensor,
    instance,
    one_of,
    optional,
)

__all__ = [
    "conv2d",
    "conv_output_shape",
    "conv_params",
    "corr2d",
    "count_parameters",
    "cross_entropy",
    "dense",
    "dense_params",
    "init_mlp_params",
    "lenet",
    "mlp",
    "mlp_forward",
    "mlp_to_sequential",
    "pool2d",
    "relu",
    "sigmoid",
    "softmax",
    "train_mlp_scratch",
]

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


# --------------------------------------------------------------------------- validation


def _odd_kernel(name: str, kernel_size: object) -> int:
    """A :func:`helpers.checks.boundary` converter for an odd kernel size (padding
    ``k // 2`` then keeps the size). Used in lectures 3.6 and 9.3."""
    k = check_int(name, kernel_size, low=1)
    if k % 2 == 0:
        raise ValueError(f"{name} must be odd so that padding keeps the size, got {k}")
    return k


def _pair(name: str, value: int | Sequence[int], minimum: int) -> tuple[int, int]:
    """Accept ``3`` or ``(3, 2)`` for (height, width) hyper-parameters."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return (check_int(name, value[0], low=minimum),
                check_int(name, value[1], low=minimum))
    value = check_int(name, value, low=minimum)
    return value, value


# --------------------------------------------------------------------------- dense layers


def _dense_args(args: dict) -> None:
    """Check the arguments of :func:`dense`."""
    X, W, b = check_tensor("X", args["X"], ndim=2), check_tensor("W", args["W"], ndim=2), args["b"]
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X has {X.shape[1]} features but W has {W.shape[0]} rows")
    if b is not None and b.shape != (W.shape[1],):
        raise ValueError(f"b must have shape ({W.shape[1]},), got {tuple(b.shape)}")


@boundary(check=_dense_args)
def dense(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """A dense (fully connected) layer ``X @ W + b`` for a batch of row vectors.

    For one example this is ``y = W^T x + b``; every output is a weighted sum of all
    inputs. Used in lecture 3.5.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, d_in)`` inputs.
    W : torch.Tensor
        ``(d_in, d_out)`` weights.
    b : torch.Tensor, optional
        ``(d_out,)`` bias.

    Returns
    -------
    torch.Tensor
        ``(n, d_out)`` outputs.
    """
    out = X @ W
    if b is None:
        return out
    return out + b


@boundary(X="tensor")
def relu(X: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit ``max(x, 0)``, element-wise. Used in lecture 3.5.

    Written as ``x * (x > 0)`` so that its derivative is ``1`` for ``x > 0`` and ``0``
    otherwise, including at ``x = 0``, exactly like ``torch.relu``.
    """
    return X * (X > 0)


@boundary(X="tensor")
def sigmoid(X: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, element-wise, without overflow.

    For ``x < 0`` it is evaluated as ``exp(x) / (1 + exp(x))`` so that ``exp`` never
    sees a large positive argument (the clamps keep the branch that is not selected
    finite, so its gradient is not ``nan``). Used in lecture 3.5.
    """
    e_neg = torch.exp(-X.clamp(min=0))  # used where x >= 0
    e_pos = torch.exp(X.clamp(max=0))   # used where x < 0
    return torch.where(X >= 0, 1 / (1 + e_neg), e_pos / (1 + e_pos))


def softmax(O: torch.Tensor) -> torch.Tensor:  # noqa: E741 - O for logits, as in the notes
    """Row-wise softmax ``exp(o_j) / sum_k exp(o_k)`` of logits ``(n, k)``.

    Subtracting the row maximum first leaves the result unchanged and keeps ``exp``
    from overflowing. Used in lecture 3.5.
    """
    check_tensor("O", O, ndim=2)
    shifted = O - O.max(dim=1, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=1, keepdim=True)


def _cross_entropy_args(args: dict) -> None:
    """Check the arguments of :func:`cross_entropy`: logits and integer labels."""
    O = check_tensor("O", args["O"], ndim=2)  # noqa: E741
    check_class_indices("y", args["y"], len(O), O.shape[1])


@boundary(check=_cross_entropy_args)
def cross_entropy(O: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # noqa: E741
    """Per-example softmax cross-entropy ``-log softmax(o)_y`` from logits (not reduced).

    Computed as ``logsumexp(o) - o_y`` (the log of the softmax without forming it),
    which is exact where ``log(softmax(o))`` would underflow to ``log 0``. Used in
    lecture 3.5.

    Parameters
    ----------
    O : torch.Tensor
        ``(n, k)`` logits.
    y : torch.Tensor
        ``(n,)`` integer class labels in ``[0, k)``.

    Returns
    -------
    torch.Tensor
        ``(n,)`` losses.
    """
    m = O.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(O - m).sum(dim=1))
    return log_sum_exp - O[torch.arange(len(y)), y]


# --------------------------------------------------------------------------- MLP


def _widths(name: str, num_hiddens: object) -> list[int]:
    if isinstance(num_hiddens, int | str) or not isinstance(num_hiddens, Sequence):
        raise TypeError(f"{name} must be a sequence of widths such as [256], "
                        f"got {num_hiddens!r}")
    return [check_positive_int("hidden width", h) for h in num_hiddens]


def _layer_sizes(num_inputs: int, num_hiddens: Sequence[int], num_outputs: int) -> list[int]:
    check_positive_int("num_inputs", num_inputs)
    check_positive_int("num_outputs", num_outputs)
    return [num_inputs, *_widths("num_hiddens", num_hiddens), num_outputs]


@boundary(num_inputs="int >= 1", num_outputs="int >= 1", num_hiddens=_widths,
          generator=optional(instance(torch.Generator)))
def init_mlp_params(
    num_inputs: int,
    num_hiddens: Sequence[int],
    num_outputs: int,
    *,
    generator: torch.Generator | None = None,
) -> list[torch.Tensor]:
    """Random initial parameters ``[W1, b1, W2, b2, ...]`` of an MLP.

    Weights are drawn from ``N(0, 2 / fan_in)`` (He initialisation: it keeps the size
    of the signal roughly constant through ReLU layers), biases start at zero. All
    tensors have ``requires_grad=True``. Used in lecture 3.5.

    Parameters
    ----------
    num_inputs : int
        Number of input features.
    num_hiddens : sequence of int
        Width of each hidden layer; its length is the number of hidden layers
        (empty: softmax regression).
    num_outputs : int
        Number of outputs (classes).
    generator : torch.Generator, optional
        Source of randomness.

    Returns
    -------
    list of torch.Tensor
        ``W_l`` of shape ``(d_{l-1}, d_l)`` followed by ``b_l`` of shape ``(d_l,)``.
    """
    sizes = [num_inputs, *num_hiddens, num_outputs]
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = torch.randn(d_in, d_out, generator=generator) * math.sqrt(2 / d_in)
        params += [W.requires_grad_(True), torch.zeros(d_out, requires_grad=True)]
    return params


def _mlp_forward_args(args: dict) -> None:
    """Check the arguments of :func:`mlp_forward` (each layer is checked by dense)."""
    check_tensor("X", args["X"])
    params = args["params"]
    if len(params) == 0 or len(params) % 2:
        raise ValueError(f"params must be [W1, b1, ..., WL, bL], got {len(params)} tensors")


@boundary(check=_mlp_forward_args)
def mlp_forward(X: torch.Tensor, params: Sequence[torch.Tensor]) -> torch.Tensor:
    """Forward pass of an MLP: dense layers with ReLU between them, logits at the end.

    ``H_1 = relu(X W_1 + b_1), ..., O = H_{L-1} W_L + b_L``. No activation follows the
    output layer: the softmax is part of the loss. Used in lecture 3.5.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, d)`` inputs; extra trailing dimensions (images) are flattened.
    params : sequence of torch.Tensor
        ``[W1, b1, ..., WL, bL]`` as made by :func:`init_mlp_params`.

    Returns
    -------
    torch.Tensor
        ``(n, num_outputs)`` logits.
    """
    H = X.reshape(len(X), -1)
    num_layers = len(params) // 2
    for layer in range(num_layers):
        H = dense(H, params[2 * layer], params[2 * layer + 1])
        if layer < num_layers - 1:
            H = relu(H)
    return H


@boundary(activation=optional(one_of(sorted(ACTIVATIONS))))
def mlp(
    num_inputs: int,
    num_hiddens: Sequence[int],
    num_outputs: int,
    *,
    activation: str | None = "relu",
) -> nn.Sequential:
    """An MLP as ``nn.Sequential``: ``Flatten, Linear, act, ..., Linear``.

    ``activation=None`` builds the same stack of dense layers *without*
    non-linearities, which lecture 3.5 shows is no more expressive than a single
    dense layer. Used in lectures 3.5 and 3.6.

    Parameters
    ----------
    num_inputs, num_outputs : int
        Input features (after flattening) and outputs.
    num_hiddens : sequence of int
        Widths of the hidden layers (empty: a single dense layer).
    activation : {"relu", "sigmoid", "tanh"} or None
        Non-linearity after every hidden layer.
    """
    sizes = _layer_sizes(num_inputs, num_hiddens, num_outputs)
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(d_in, d_out))
        if activation is not None and i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def mlp_to_sequential(params: Sequence[torch.Tensor]) -> nn.Sequential:
    """The ``nn.Sequential`` MLP (ReLU) holding copies of from-scratch ``params``.

    ``nn.Linear`` stores its weight as ``(d_out, d_in)`` and computes ``X @ weight.T``,
    so each ``W`` is copied transposed. The result computes exactly what
    :func:`mlp_forward` computes. Used in lecture 3.5.
    """
    if len(params) == 0 or len(params) % 2:
        raise ValueError(f"params must be [W1, b1, ..., WL, bL], got {len(params)} tensors")
    weights = params[0::2]
    sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights]
    net = mlp(sizes[0], sizes[1:-1], sizes[-1], activation="relu")
    linears = [m for m in net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for layer, W, b in zip(linears, params[0::2], params[1::2], strict=True):
            if W.shape != (layer.in_features, layer.out_features) or b.shape != (W.shape[1],):
                raise ValueError("params do not chain: each W_l must be (d_{l-1}, d_l) and "
                                 "b_l must be (d_l,)")
            layer.weight.copy_(W.T)
            layer.bias.copy_(b)
    return net


@boundary(num_epochs="int >= 1")
def train_mlp_scratch(
    params: Sequence[torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    batch_size: int,
    num_epochs: int,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Train from-scratch MLP ``params`` in place with mini-batch SGD; return epoch losses.

    The loop of lecture 3.4 with the model replaced: :func:`mlp_forward`, the
    summed :func:`cross_entropy` of a batch, ``backward()`` (autograd computes the
    gradients through every layer), and the update ``p <- p - lr * grad / m`` of
    :func:`helpers.sgd.sgd` with ``m`` the actual batch size. Used in lecture 3.5.

    Returns
    -------
    list of float
        Mean training loss of each epoch (averaged over its mini-batches).
    """
    from helpers.sgd import data_iter, sgd

    losses = []
    for _ in range(num_epochs):
        total, count = 0.0, 0
        for X_batch, y_batch in data_iter(batch_size, X, y, generator):
            loss = cross_entropy(mlp_forward(X_batch, params), y_batch).sum()
            loss.backward()
            sgd(params, lr, len(y_batch))
            total, count = total + loss.item(), count + len(y_batch)
        losses.append(total / count)
    return losses


# --------------------------------------------------------------------------- convolution


def _corr2d_args(args: dict) -> None:
    """Check the arguments of :func:`corr2d`."""
    X, K = check_tensor("X", args["X"], ndim=2), check_tensor("K", args["K"], ndim=2)
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError(f"kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")


@boundary(check=_corr2d_args)
def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Two-dimensional cross-correlation of one image with one kernel, with loops.

    ``Y[i, j] = sum_{a, b} X[i + a, j + b] * K[a, b]``: the kernel slides over every
    position where it fits entirely inside ``X``. (Deep-learning "convolution" is
    this operation; the mathematical convolution flips the kernel first.) Used in
    lecture 3.6.

    Parameters
    ----------
    X : torch.Tensor
        ``(h, w)`` input.
    K : torch.Tensor
        ``(k_h, k_w)`` kernel, no larger than ``X``.

    Returns
    -------
    torch.Tensor
        ``(h - k_h + 1, w - k_w + 1)`` output.
    """
    h, w = K.shape
    Y = torch.zeros(X.shape[0] - h + 1, X.shape[1] - w + 1, dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def _conv_output_args(args: dict) -> None:
    """Check and convert the arguments of :func:`conv_output_shape` (in place)."""
    n = args["n"]
    k = args["k"]
    p = args["p"]
    if k > n + 2 * p:
        raise ValueError(f"window k={k} is larger than the padded input n + 2p = {n + 2 * p}")


@boundary(n="int >= 1", k="int >= 1", p="int >= 0", s="int >= 1",
          check=_conv_output_args)
def conv_output_shape(n: int, k: int, p: int = 0, s: int = 1) -> int:
    """Output length of a convolution or pooling window along one axis.

    ``floor((n + 2p - k) / s) + 1`` for input length ``n``, window ``k``, padding ``p``
    on each side and stride ``s``. Used in lecture 3.6.

    Raises
    ------
    ValueError
        If the window does not fit into the padded input (``k > n + 2p``).
    """
    return (n + 2 * p - k) // s + 1


def _conv2d_args(args: dict) -> None:
    """Check the arguments of :func:`conv2d`; ``padding`` and ``stride`` become pairs."""
    X, K = check_tensor("X", args["X"], ndim=4), check_tensor("K", args["K"], ndim=4)
    bias = args["bias"]
    if X.shape[1] != K.shape[1]:
        raise ValueError(f"X has {X.shape[1]} input channels but K expects {K.shape[1]}")
    if bias is not None and bias.shape != (K.shape[0],):
        raise ValueError(f"bias must have shape ({K.shape[0]},), got {tuple(bias.shape)}")
    args["padding"] = _pair("padding", args["padding"], 0)
    args["stride"] = _pair("stride", args["stride"], 1)


@boundary(check=_conv2d_args)
def conv2d(
    X: torch.Tensor,
    K: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> torch.Tensor:
    """Multi-channel 2-D cross-correlation with padding and stride, from scratch.

    Output channel ``o`` at position ``(i, j)`` is
    ``bias[o] + sum_{c, a, b} Xpad[n, c, i*s_h + a, j*s_w + b] * K[o, c, a, b]``: each output
    channel has its own kernel for every input channel, and sums over input
    channels. The loops run over output positions; the sum at one position is one
    tensor contraction over the batch, channels and window. Same semantics as
    ``torch.nn.functional.conv2d`` (zero padding). Used in lecture 3.6.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, c_in, h, w)`` input.
    K : torch.Tensor
        ``(c_out, c_in, k_h, k_w)`` kernels.
    bias : torch.Tensor, optional
        ``(c_out,)``.
    padding, stride : int or pair of int
        Zero padding on each side and step of the window, per axis.

    Returns
    -------
    torch.Tensor
        ``(n, c_out, out_h, out_w)`` with sizes given by :func:`conv_output_shape`.
    """
    (p_h, p_w), (s_h, s_w) = padding, stride
    k_h, k_w = K.shape[2:]
    out_h = conv_output_shape(X.shape[2], k_h, p_h, s_h)
    out_w = conv_output_shape(X.shape[3], k_w, p_w, s_w)
    Xp = torch.nn.functional.pad(X, (p_w, p_w, p_h, p_h))
    Y = X.new_zeros(X.shape[0], K.shape[0], out_h, out_w)
    for i in range(out_h):
        for j in range(out_w):
            window = Xp[:, :, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            Y[:, :, i, j] = torch.einsum("nchw,ochw->no", window, K)
    return Y if bias is None else Y + bias.reshape(1, -1, 1, 1)


def _pool2d_args(args: dict) -> None:
    """Check the arguments of :func:`pool2d`; ``pool_size``, ``stride`` (default: the
    window) and ``padding`` become pairs."""
    k_h, k_w = args["pool_size"] = _pair("pool_size", args["pool_size"], 1)
    stride = args["stride"]
    args["stride"] = _pair("stride", (k_h, k_w) if stride is None else stride, 1)
    p_h, p_w = args["padding"] = _pair("padding", args["padding"], 0)
    if p_h > k_h // 2 or p_w > k_w // 2:
        raise ValueError(f"padding {(p_h, p_w)} must be at most half the window {(k_h, k_w)}")


@boundary(X="4-D tensor", mode=one_of(("max", "avg")), check=_pool2d_args)
def pool2d(
    X: torch.Tensor,
    pool_size: int | Sequence[int],
    *,
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    mode: str = "max",
) -> torch.Tensor:
    """Max or average pooling over windows of each channel, from scratch.

    Pooling has no parameters: it reports the maximum (or mean) of each window,
    channel by channel. The stride defaults to the window size (non-overlapping
    windows), as in PyTorch. Padding adds ``-inf`` for max pooling and zeros for
    average pooling, and the average divides by the full window size, which is
    ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` (``count_include_pad=True``).
    Used in lecture 3.6.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, c, h, w)`` input.
    pool_size : int or pair of int
        Window height and width.
    stride : int or pair of int, optional
        Step of the window; default ``pool_size``.
    padding : int or pair of int
        Padding on each side, at most half the window (PyTorch's limit).
    mode : {"max", "avg"}
        Which statistic of the window to report.

    Returns
    -------
    torch.Tensor
        ``(n, c, out_h, out_w)``.
    """
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = pool_size, stride, padding
    out_h = conv_output_shape(X.shape[2], k_h, p_h, s_h)
    out_w = conv_output_shape(X.shape[3], k_w, p_w, s_w)
    fill = float("-inf") if mode == "max" else 0.0
    Xp = torch.nn.functional.pad(X, (p_w, p_w, p_h, p_h), value=fill)
    Y = X.new_zeros(X.shape[0], X.shape[1], out_h, out_w)
    for i in range(out_h):
        for j in range(out_w):
            window = Xp[:, :, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            Y[:, :, i, j] = window.amax(dim=(2, 3)) if mode == "max" else window.mean(dim=(2, 3))
    return Y


# --------------------------------------------------------------------------- architectures


def _lenet_args(args: dict) -> None:
    """Check and convert the arguments of :func:`lenet` (in place)."""
    image_size = args["image_size"]
    if image_size % 4:
        raise ValueError(f"image_size must be divisible by 4 (two 2x2 poolings), got {image_size}")
    channels = args["channels"]
    if len(channels) != 2:
        raise ValueError(f"channels must hold two ints, got {channels!r}")
    args["channels"] = tuple(check_positive_int("channels", c) for c in channels)


@boundary(image_size="int >= 4", num_classes="int >= 1", kernel_size=_odd_kernel,
          activation=one_of(sorted(ACTIVATIONS)), pool=one_of(("max", "avg")), check=_lenet_args)
def lenet(
    image_size: int = 12,
    num_classes: int = 10,
    *,
    channels: Sequence[int] = (6, 16),
    kernel_size: int = 3,
    num_hiddens: Sequence[int] = (120, 84),
    activation: str = "relu",
    pool: str = "max",
) -> nn.Sequential:
    """A LeNet-style CNN for small single-channel images.

    Two blocks of ``Conv2d(kernel_size, padding=kernel_size // 2)`` (keeps the size),
    activation and 2x2 pooling (halves it), then ``Flatten`` and dense layers
    ``num_hiddens`` with the activation, and the output layer.
    ``lenet(28, kernel_size=5, activation="sigmoid", pool="avg")`` is the common
    textbook version of LeNet-5 for 28x28 digits (sigmoid, average pooling, padded
    convolutions); LeCun et al.'s original took 32x32 images, did not pad, and used a
    scaled tanh. The default uses ReLU and max pooling, which train faster. Used in
    lecture 3.6.

    Parameters
    ----------
    image_size : int
        Height and width of the (square) input images; must be divisible by 4.
    num_classes : int
        Number of outputs.
    channels : pair of int
        Output channels of the two convolutional layers.
    kernel_size : int
        Odd kernel size of both convolutions.
    num_hiddens : sequence of int
        Widths of the dense hidden layers.
    activation : {"relu", "sigmoid", "tanh"}
        Non-linearity after every convolution and hidden dense layer.
    pool : {"max", "avg"}
        Pooling type.
    """
    c1, c2 = channels
    act = ACTIVATIONS[activation]
    pool_layer = nn.MaxPool2d if pool == "max" else nn.AvgPool2d
    pad = kernel_size // 2
    flat = c2 * (image_size // 4) ** 2
    layers: list[nn.Module] = [
        nn.Conv2d(1, c1, kernel_size, padding=pad), act(), pool_layer(2),
        nn.Conv2d(c1, c2, kernel_size, padding=pad), act(), pool_layer(2),
        nn.Flatten(),
    ]
    sizes = _layer_sizes(flat, num_hiddens, num_classes)
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(d_in, d_out))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


@boundary(net="module")
def count_parameters(net: nn.Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters of ``net`` (only trainable ones by default).

    Used in lectures 3.5 and 3.6.
    """
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)


@boundary(num_inputs="int >= 1", num_outputs="int >= 1")
def dense_params(num_inputs: int, num_outputs: int, bias: bool = True) -> int:
    """Parameters of a dense layer: ``num_inputs * num_outputs`` weights (+ ``num_outputs``).

    Used in lecture 3.6 to count what a fully connected layer on images costs.
    """
    return num_inputs * num_outputs + (num_outputs if bias else 0)


@boundary(in_channels="int >= 1", out_channels="int >= 1", groups="int >= 1")
def conv_params(
    in_channels: int, out_channels: int, kernel_size: int | Sequence[int], bias: bool = True,
    groups: int = 1,
) -> int:
    """Parameters of a convolutional layer: ``c_out * (c_in / groups) * k_h * k_w`` (+ ``c_out``).

    Independent of the image size. ``groups = in_channels = out_channels`` is a
    depthwise convolution (MobileNet). Used in lecture 3.6.
    """
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                         f"out_channels={out_channels}")
    k_h, k_w = _pair("kernel_size", kernel_size, 1)
    return out_channels * (in_channels // groups) * k_h * k_w + (out_channels if bias else 0)
