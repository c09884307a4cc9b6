"""Normalisation layers from scratch: batch norm, layer norm and group norm.

Used in lecture 10.1 (deep network architectures) and appendix A.2 (batch
normalisation at test time). Every function has a PyTorch counterpart it is tested
against; the lecture shows the source and checks the outputs numerically.

All of them compute the same two steps and differ only in *which axes* the
statistics are taken over:

1. standardise: ``X_hat = (X - mean) / sqrt(var + eps)``, with the mean and the
   (biased) variance taken over the normalised axes;
2. recover: ``Y = gamma * X_hat + beta``, a learnable scale and shift per feature
   (per channel), so that the layer can still represent any scale and offset,
   including the identity.

========================  ==================================  ============================
normalisation             statistics over the axes            for an input of shape
========================  ==================================  ============================
batch norm                ``(0,)``, ``(0, 2)``, ``(0, 2, 3)`` ``(N, D)``, ``(N, C, L)``,
                          (everything but the channel axis)   ``(N, C, H, W)``
layer norm                the trailing ``normalized_shape``   e.g. ``(N, L, D)`` -> ``D``
group norm                ``(2, ..)`` within each group of    ``(N, C, H, W)``
                          ``C // G`` channels, per example
instance norm             group norm with ``G = C``
========================  ==================================  ============================

Conventions follow PyTorch: the channel (feature) axis is axis 1, ``gamma``/``beta``
and the moving statistics of batch norm are 1-D of length ``C``, and the moving
averages are updated as ``moving = (1 - momentum) * moving + momentum * batch_stat``
with ``momentum = 0.1``, the *unbiased* batch variance going into ``moving_var``
(:func:`batch_norm` explains why).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import torch
from torch import nn

from helpers.checks import boundary, check_positive_float, check_positive_int, check_tensor

__all__ = [
    "BatchNorm",
    "LayerNorm",
    "batch_norm",
    "batch_norm_axes",
    "group_norm",
    "layer_norm",
]


# --------------------------------------------------------------------------- validation


def _check_vector(name: str, value: object, shape: tuple[int, ...]) -> torch.Tensor:
    if tuple(check_tensor(name, value).shape) != shape:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(value.shape)}")
    return value


def _normalized_shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(normalized_shape, Integral) and not isinstance(normalized_shape, bool):
        normalized_shape = (int(normalized_shape),)
    if not isinstance(normalized_shape, Sequence) or isinstance(normalized_shape, str):
        raise TypeError(f"normalized_shape must be an int or a sequence of ints, got "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(check_positive_int("every entry of normalized_shape", size)
                  for size in normalized_shape)
    if not shape:
        raise ValueError("normalized_shape must name at least one axis size")
    return shape


def _per_channel(v: torch.Tensor, ndim: int) -> torch.Tensor:
    """Reshape a ``(C,)`` vector to ``(1, C, 1, ...)`` so it broadcasts along axis 1."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


# --------------------------------------------------------------------------- batch norm


@boundary(ndim="int")
def batch_norm_axes(ndim: int) -> tuple[int, ...]:
    """The axes batch norm averages over for an input with ``ndim`` axes.

    Every axis except the channel axis 1: ``(0,)`` for a dense layer's ``(N, D)``
    output, ``(0, 2)`` for a sequence ``(N, C, L)`` and ``(0, 2, 3)`` for a
    convolutional feature map ``(N, C, H, W)``: a channel shares one mean and one
    variance over the examples *and* all positions, just as it shares one kernel.
    Used in lecture 10.1.

    Examples
    --------
    >>> batch_norm_axes(4)
    (0, 2, 3)
    """
    if ndim < 2:
        raise ValueError(f"batch norm needs a batch axis and a feature axis, got ndim={ndim}")
    return (0,) + tuple(range(2, ndim))


def _batch_norm_args(args: dict) -> None:
    """Check and convert the arguments of :func:`batch_norm` (in place)."""
    X = args["X"] = check_tensor("X", args["X"], min_ndim=2, dtype="float")
    if X.ndim > 5:
        raise ValueError(f"X must be (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W), "
                         f"got shape {tuple(X.shape)}")
    num_channels = X.shape[1]
    for name in ("gamma", "beta", "moving_mean", "moving_var"):
        _check_vector(name, args[name], (num_channels,))
    if (args["moving_var"] < 0).any():
        raise ValueError("moving_var must be non-negative")
    if args["training"] and X.numel() // num_channels < 2:
        raise ValueError(f"batch norm in training mode needs more than one value per "
                         f"channel, got input shape {tuple(X.shape)}")


@boundary(eps="real > 0.0", momentum="real in [0, 1]", check=_batch_norm_args)
def batch_norm(
    X: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    moving_mean: torch.Tensor,
    moving_var: torch.Tensor,
    eps: float = 1e-5,
    momentum: float = 0.1,
    training: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch normalisation of ``X``; return the output and the updated moving statistics.

    In training mode each feature (channel) is standardised with the mean and the
    biased variance of the current mini-batch, taken over :func:`batch_norm_axes`,
    then scaled by ``gamma`` and shifted by ``beta``; the moving averages are
    updated as ``(1 - momentum) * moving + momentum * batch_stat``. In evaluation
    mode the moving averages replace the batch statistics, so a prediction depends
    on its own input only. Used in lecture 10.1 and appendix A.2.

    Two conventions follow ``torch.nn.BatchNorm1d/2d`` exactly. ``momentum`` is the
    weight of the *new* batch statistic (PyTorch's 0.1 is D2L's 0.9 seen from the other
    side). And the variance stored in ``moving_var`` is the *unbiased* batch variance
    ``m / (m - 1) * var`` with ``m`` values per channel, because the moving average
    estimates the population variance used at test time, whereas the batch itself is
    standardised with the biased ``var``.

    Parameters
    ----------
    X : torch.Tensor
        ``(N, C)`` (output of a dense layer), ``(N, C, L)`` or ``(N, C, H, W)``
        (output of a convolution); floating point.
    gamma, beta : torch.Tensor
        ``(C,)`` learnable scale and shift.
    moving_mean, moving_var : torch.Tensor
        ``(C,)`` moving averages of the mean and of the (unbiased) variance.
    eps : float
        Added to the variance before the square root, for numerical safety.
    momentum : float
        Weight of the current batch in the moving averages, in ``[0, 1]``.
    training : bool
        Batch statistics and an update of the moving averages (True), or the moving
        averages and no update (False).

    Returns
    -------
    Y : torch.Tensor
        The normalised output, shape of ``X``.
    moving_mean, moving_var : torch.Tensor
        The updated moving statistics (new tensors, no gradient; unchanged copies in
        evaluation mode).

    Raises
    ------
    ValueError
        On wrong shapes, NaN, bad ``eps``/``momentum``, or a training batch with a
        single value per channel (its variance is undefined).
    """
    axes = batch_norm_axes(X.ndim)
    if training:
        m = X.numel() // X.shape[1]                                 # values per channel
        var, mean = torch.var_mean(X, dim=axes, correction=0)      # biased variance
        with torch.no_grad():
            new_mean = (1 - momentum) * moving_mean + momentum * mean
            new_var = (1 - momentum) * moving_var + momentum * var * (m / (m - 1))
    else:
        mean, var = moving_mean, moving_var
        new_mean, new_var = moving_mean.detach().clone(), moving_var.detach().clone()
    X_hat = (X - _per_channel(mean, X.ndim)) / torch.sqrt(_per_channel(var, X.ndim) + eps)
    Y = _per_channel(gamma, X.ndim) * X_hat + _per_channel(beta, X.ndim)
    return Y, new_mean.detach(), new_var.detach()


class BatchNorm(nn.Module):
    """Batch normalisation layer for dense ``(N, C)`` and convolutional ``(N, C, H, W)`` inputs.

    One class plays the role of ``nn.BatchNorm1d`` and ``nn.BatchNorm2d``: the axes
    follow from the input's number of dimensions (:func:`batch_norm_axes`). The scale
    ``gamma`` (ones) and shift ``beta`` (zeros) are parameters; the moving mean
    (zeros) and moving variance (ones) are *buffers*: saved in the ``state_dict`` and
    moved with ``.to()``, but not trained. ``net.train()``/``net.eval()`` switch
    between batch statistics and moving averages. Used in lecture 10.1 and appendix A.2.

    Parameters
    ----------
    num_features : int
        Number of features (channels) ``C``.
    eps : float
        Added to the variance, as in :func:`batch_norm`.
    momentum : float
        Weight of each new batch in the moving averages (PyTorch convention, 0.1).
    """

    @boundary(num_features="int >= 1", eps="real > 0.0", momentum="real in [0, 1]")
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("moving_mean", torch.zeros(num_features))
        self.register_buffer("moving_var", torch.ones(num_features))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Normalise ``X``; in training mode also update the moving statistics."""
        Y, moving_mean, moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var,
            eps=self.eps, momentum=self.momentum, training=self.training)
        if self.training:
            self.moving_mean.copy_(moving_mean)
            self.moving_var.copy_(moving_var)
        return Y

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


# --------------------------------------------------------------------------- layer norm


def _layer_norm_args(args: dict) -> None:
    """Check and convert the arguments of :func:`layer_norm` (in place);
    ``normalized_shape`` becomes a tuple."""
    shape = args["normalized_shape"] = _normalized_shape(args["normalized_shape"])
    X = args["X"] = check_tensor("X", args["X"], min_ndim=len(shape), dtype="float")
    if tuple(X.shape[-len(shape):]) != shape:
        raise ValueError(f"the trailing axes of X {tuple(X.shape)} must equal normalized_shape "
                         f"{shape}")
    for name in ("gamma", "beta"):
        if args[name] is not None:
            _check_vector(name, args[name], shape)


@boundary(eps="real > 0.0", check=_layer_norm_args)
def layer_norm(
    X: torch.Tensor,
    normalized_shape: int | Sequence[int],
    gamma: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Layer normalisation: standardise each example over its trailing axes.

    The mean and the biased variance are taken over the last
    ``len(normalized_shape)`` axes of ``X``, separately for every example (and every
    time step, for a sequence ``(N, L, D)`` normalised over ``D``). Nothing is shared
    across the batch, so there are no moving statistics and training and evaluation
    compute the same function; this is why RNNs and Transformers use it. Then the
    element-wise scale ``gamma`` and shift ``beta`` of shape ``normalized_shape``, when
    given. Same arguments and result as ``torch.nn.functional.layer_norm``. Used in
    lecture 10.1 and appendix A.4.

    Parameters
    ----------
    X : torch.Tensor
        Input whose trailing axes have the sizes ``normalized_shape``.
    normalized_shape : int or sequence of int
        Sizes of the trailing axes to normalise over, e.g. ``D`` or ``(C, H, W)``.
    gamma, beta : torch.Tensor, optional
        Element-wise scale and shift of shape ``normalized_shape``.
    eps : float
        Added to the variance before the square root.

    Returns
    -------
    torch.Tensor
        Shape of ``X``.
    """
    axes = tuple(range(X.ndim - len(normalized_shape), X.ndim))
    mean = X.mean(dim=axes, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=axes, keepdim=True)
    Y = (X - mean) / torch.sqrt(var + eps)
    if gamma is not None:
        Y = Y * gamma
    if beta is not None:
        Y = Y + beta
    return Y


class LayerNorm(nn.Module):
    """Layer normalisation over the trailing ``normalized_shape`` axes, like ``nn.LayerNorm``.

    ``gamma`` (ones) and ``beta`` (zeros) have shape ``normalized_shape``; there are
    no buffers, since no statistics are kept. Used in lecture 10.1 and appendix A.4.

    Parameters
    ----------
    normalized_shape : int or sequence of int
        Sizes of the trailing axes to normalise over.
    eps : float
        Added to the variance before the square root.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = check_positive_float("eps", eps)
        self.gamma = nn.Parameter(torch.ones(self.normalized_shape))
        self.beta = nn.Parameter(torch.zeros(self.normalized_shape))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Normalise every example of ``X`` over its trailing axes."""
        return layer_norm(X, self.normalized_shape, self.gamma, self.beta, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"


# --------------------------------------------------------------------------- group norm


@boundary(num_groups="int >= 1", eps="real > 0.0")
def group_norm(
    X: torch.Tensor,
    num_groups: int,
    gamma: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Group normalisation: per example, standardise each group of channels.

    The ``C`` channels are split into ``num_groups`` groups of ``C // num_groups``
    consecutive channels; mean and biased variance are taken over a group's channels
    and all positions, for every example separately. ``num_groups = 1`` is layer norm
    over ``(C, H, W)`` and ``num_groups = C`` is *instance norm* (each channel of each
    image on its own). Then a per-channel ``gamma`` and ``beta``. Same result as
    ``torch.nn.functional.group_norm``. Used in lecture 10.1.

    Parameters
    ----------
    X : torch.Tensor
        ``(N, C, ...)`` with at least one example and one channel.
    num_groups : int
        Number of groups; must divide ``C``.
    gamma, beta : torch.Tensor, optional
        ``(C,)`` per-channel scale and shift.
    eps : float
        Added to the variance before the square root.

    Returns
    -------
    torch.Tensor
        Shape of ``X``.
    """
    X = check_tensor("X", X, min_ndim=2, dtype="float")
    N, C = X.shape[:2]
    if C % num_groups:
        raise ValueError(f"num_groups={num_groups} must divide the number of channels {C}")
    grouped = X.reshape(N, num_groups, -1)
    mean = grouped.mean(dim=2, keepdim=True)
    var = ((grouped - mean) ** 2).mean(dim=2, keepdim=True)
    Y = ((grouped - mean) / torch.sqrt(var + eps)).reshape(X.shape)
    if gamma is not None:
        Y = Y * _per_channel(_check_vector("gamma", gamma, (C,)), X.ndim)
    if beta is not None:
        Y = Y + _per_channel(_check_vector("beta", beta, (C,)), X.ndim)
    return Y
