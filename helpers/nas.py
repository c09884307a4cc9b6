"""Neural architecture search (NAS) on small CNNs: search spaces, FLOPs, DARTS, scaling.

Used in lecture 9.3 (neural architecture search). The module has four parts:

- **a search space of CNNs**: :func:`cnn_search_space` (a
  :class:`helpers.tuning.SearchSpace` over the number of blocks, channels, kernel
  size, pooling and dense width), :func:`build_cnn` that turns one configuration into
  a network of repeated blocks, and :func:`cnn_num_parameters`, its parameter count
  from the per-layer formulas of lecture 3.6; :func:`digit_images` reshapes the
  digits split of :func:`helpers.tuning.load_digits_split` into (upsampled) images;
- **FLOPs**: :func:`conv_flops` and :func:`dense_flops` per layer, :func:`count_flops`
  and :func:`flops_by_layer` that add them up over a network, and :func:`torch_flops`,
  PyTorch's own counter (``torch.utils.flop_counter.FlopCounterMode``) they are
  tested against;
- **one-shot search with weight sharing (DARTS)**: :class:`MixedOp` (a softmax-weighted
  sum of candidate operations), :class:`Supernet` (a stem, a chain of mixed
  operations and a classifier, with architecture weights ``alpha``),
  :func:`train_darts` (alternating first-order updates of the weights on training
  data and of ``alpha`` on validation data) and :func:`derived_cnn` (the discrete
  network of the chosen operations, trained from scratch);
- **scaling CNNs**: :func:`scalable_cnn` (a stem and ``depth`` equal blocks of
  ``width`` channels that accepts any resolution), :func:`scalable_cnn_flops` (its
  closed-form FLOPs, proportional to depth x width^2 x resolution^2), and
  EfficientNet's compound scaling rule, :func:`compound_scale`, with
  :func:`compound_coefficients` for a grid search of its coefficients.

FLOPs are counted per example as PyTorch does: a multiply-add is two floating-point
operations; biases, activations, pooling and additions of branches are not counted.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from helpers.checks import boundary, check_int, instance, spec
from helpers.neural import _odd_kernel, _pair, conv_output_shape, conv_params, dense_params
from helpers.training import _check_data
from helpers.transfer import _seeded
from helpers.tuning import Categorical, DataSplit, SearchSpace

__all__ = [
    "CANDIDATE_OPS",
    "CNN_KEYS",
    "DartsHistory",
    "MixedOp",
    "ResidualBlock",
    "Supernet",
    "build_cnn",
    "cnn_num_parameters",
    "cnn_search_space",
    "compound_coefficients",
    "compound_scale",
    "conv_flops",
    "count_flops",
    "dense_flops",
    "derived_cnn",
    "digit_images",
    "flops_by_layer",
    "make_op",
    "scalable_cnn",
    "scalable_cnn_flops",
    "torch_flops",
    "train_darts",
]

#: The candidate operations of a DARTS cell (lecture 9.3), in the order of ``alpha``'s columns.
CANDIDATE_OPS = ("conv3x3", "conv5x5", "maxpool3x3", "skip")

#: The keys of a configuration of :func:`build_cnn`.
CNN_KEYS = ("num_blocks", "channels", "kernel_size", "pool", "num_hiddens")


# --------------------------------------------------------------------------- validation




def _seeded_build(seed: int | None, build: Any) -> nn.Module:
    """Run ``build()`` with torch's global generator seeded, restoring its state afterwards."""
    with _seeded(seed):
        return build()


def _check_config(_: str, config: object) -> dict[str, Any]:
    """A :func:`helpers.checks.boundary` converter for an architecture of build_cnn."""
    instance(Mapping, what="a mapping")("config", config)
    missing = [k for k in CNN_KEYS if k not in config]
    unknown = sorted(set(config) - set(CNN_KEYS))
    if missing or unknown:
        raise ValueError(f"config must have exactly the keys {list(CNN_KEYS)}; "
                         f"missing {missing}, unknown {unknown}")
    return {
        "num_blocks": check_int("num_blocks", config["num_blocks"], low=1),
        "channels": check_int("channels", config["channels"], low=1),
        "kernel_size": _odd_kernel("kernel_size", config["kernel_size"]),
        "pool": bool(spec("bool")("pool", config["pool"])),
        "num_hiddens": check_int("num_hiddens", config["num_hiddens"], low=0),
    }


# --------------------------------------------------------------------------- search space


def cnn_search_space(
    num_blocks: Sequence[int] = (1, 2, 3),
    channels: Sequence[int] = (4, 8, 16),
    kernel_size: Sequence[int] = (3, 5),
    pool: Sequence[bool] = (True, False),
    num_hiddens: Sequence[int] = (0, 32, 64),
) -> SearchSpace:
    """The architecture search space of lecture 9.3, as a :class:`~helpers.tuning.SearchSpace`.

    Every dimension is categorical: the number of repeated convolutional blocks,
    their channels, the kernel size, whether each block ends with 2x2 max pooling,
    and the width of the dense hidden layer before the output (0: none). With the
    defaults the space holds 3 x 3 x 2 x 2 x 3 = 108 architectures. Used in lecture 9.3.
    """
    return SearchSpace({
        "num_blocks": Categorical(list(num_blocks)),
        "channels": Categorical(list(channels)),
        "kernel_size": Categorical(list(kernel_size)),
        "pool": Categorical(list(pool)),
        "num_hiddens": Categorical(list(num_hiddens)),
    })


def _block_sizes(config: Mapping[str, Any], image_size: int) -> list[tuple[int, bool]]:
    """Feature-map size after each block and whether the block pools."""
    sizes = []
    size = image_size
    for _ in range(config["num_blocks"]):
        pools = config["pool"] and size >= 2
        if pools:
            size = conv_output_shape(size, 2, 0, 2)
        sizes.append((size, pools))
    return sizes


@boundary(config=_check_config, image_size="int >= 1", in_channels="int >= 1",
          num_classes="int >= 1", seed="int >= 0 or None")
def build_cnn(
    config: Mapping[str, Any],
    image_size: int = 8,
    in_channels: int = 1,
    num_classes: int = 10,
    *,
    seed: int | None = None,
) -> nn.Sequential:
    """A CNN of repeated blocks described by one configuration of :func:`cnn_search_space`.

    Each of the ``num_blocks`` blocks is ``Conv2d(kernel_size, padding=kernel_size // 2)``
    (keeps the size) with ``channels`` outputs and a ReLU, followed, if ``pool``, by
    2x2 max pooling (halves the size; skipped once the feature map is 1 pixel wide).
    Then ``Flatten``, a dense hidden layer of ``num_hiddens`` ReLU units (none if 0)
    and the output layer. Used in lecture 9.3.

    Parameters
    ----------
    config : mapping
        ``num_blocks``, ``channels``, ``kernel_size`` (odd), ``pool`` (bool), ``num_hiddens``.
    image_size : int
        Height and width of the square input images.
    in_channels, num_classes : int
        Input channels and number of outputs.
    seed : int, optional
        Seed of the initial weights (the global torch generator is left untouched);
        without it the weights come from the global generator.
    """
    def build() -> nn.Sequential:
        layers: list[nn.Module] = []
        c_in, k = in_channels, config["kernel_size"]
        sizes = _block_sizes(config, image_size)
        for _, pools in sizes:
            layers += [nn.Conv2d(c_in, config["channels"], k, padding=k // 2), nn.ReLU()]
            if pools:
                layers.append(nn.MaxPool2d(2))
            c_in = config["channels"]
        flat = config["channels"] * sizes[-1][0] ** 2
        layers.append(nn.Flatten())
        if config["num_hiddens"] > 0:
            layers += [nn.Linear(flat, config["num_hiddens"]), nn.ReLU()]
            flat = config["num_hiddens"]
        layers.append(nn.Linear(flat, num_classes))
        return nn.Sequential(*layers)

    return _seeded_build(seed, build)


@boundary(config=_check_config, image_size="int >= 1", in_channels="int >= 1",
          num_classes="int >= 1")
def cnn_num_parameters(config: Mapping[str, Any], image_size: int = 8, in_channels: int = 1,
                       num_classes: int = 10) -> int:
    """Parameters of :func:`build_cnn` computed from the per-layer formulas, without building it.

    ``conv_params`` per block (independent of the image size) plus ``dense_params`` of
    the dense layers, whose input is ``channels x s^2`` for the final feature-map size
    ``s``. Used in lecture 9.3.
    """
    cfg = config
    c, k = cfg["channels"], cfg["kernel_size"]
    total = conv_params(in_channels, c, k) + (cfg["num_blocks"] - 1) * conv_params(c, c, k)
    flat = c * _block_sizes(cfg, image_size)[-1][0] ** 2
    if cfg["num_hiddens"] > 0:
        total += dense_params(flat, cfg["num_hiddens"])
        flat = cfg["num_hiddens"]
    return total + dense_params(flat, num_classes)


@boundary(data=instance(DataSplit), image_size="int >= 8")
def digit_images(data: DataSplit, image_size: int = 8) -> DataSplit:
    """The digits split of :func:`~helpers.tuning.load_digits_split` as float32 images.

    Each row of 64 standardised pixels becomes a ``(1, 8, 8)`` image; with
    ``image_size > 8`` the images are upsampled by bilinear interpolation to
    ``(1, image_size, image_size)``. Upsampling adds pixels but no information: it is
    how lecture 9.3 varies the input resolution of a network. Used in lecture 9.3.
    """

    def images(X: torch.Tensor) -> torch.Tensor:
        if X.ndim != 2 or X.shape[1] != 64:
            raise ValueError(f"expected rows of 64 pixels, got shape {tuple(X.shape)}")
        out = X.reshape(-1, 1, 8, 8).float()
        if image_size != 8:
            out = nn.functional.interpolate(out, size=(image_size, image_size), mode="bilinear",
                                            align_corners=False)
        return out

    return DataSplit(images(data.X_train), data.y_train, images(data.X_val), data.y_val,
                     images(data.X_test), data.y_test)


# --------------------------------------------------------------------------- FLOPs


@boundary(out_size=functools.partial(_pair, minimum=1))  # 5 or (5, 4) as (height, width)
def conv_flops(in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
               out_size: int | Sequence[int], groups: int = 1) -> int:
    """FLOPs of one convolution on one example: ``2 c_out (c_in / groups) k_h k_w h_out w_out``.

    Each of the ``c_out h_out w_out`` outputs is a sum of ``(c_in / groups) k_h k_w``
    products: one multiply and one add each. The bias is not counted (as in
    PyTorch's ``FlopCounterMode``). Used in lecture 9.3.
    """
    weights = conv_params(in_channels, out_channels, kernel_size, bias=False, groups=groups)
    h, w = out_size                          # (h, w), also when given as one int
    return 2 * weights * h * w


def dense_flops(num_inputs: int, num_outputs: int) -> int:
    """FLOPs of a dense layer on one example: ``2 d_in d_out`` (bias not counted). Lecture 9.3."""
    return 2 * dense_params(num_inputs, num_outputs, bias=False)


def _check_input_shape(_: str, input_shape: object) -> tuple[int, ...]:
    if not isinstance(input_shape, Sequence) or isinstance(input_shape, str):
        raise TypeError(f"input_shape must be a tuple such as (1, 8, 8), got {input_shape!r}")
    if len(input_shape) == 0:
        raise ValueError("input_shape must not be empty")
    return tuple(check_int("input_shape entries", s, low=1) for s in input_shape)


@boundary(net="module", input_shape=_check_input_shape)
def flops_by_layer(net: nn.Module, input_shape: Sequence[int],
                   **forward_kwargs: Any) -> list[tuple[str, int]]:
    """FLOPs of every ``Conv2d`` and ``Linear`` layer of ``net`` on one example, in call order.

    Runs one example of shape ``input_shape`` (without the batch dimension) through
    ``net`` with forward hooks that read each layer's output size and apply
    :func:`conv_flops` / :func:`dense_flops`. A layer called twice is listed twice.
    Other layers (activations, pooling, normalisation) are taken as free, as in
    PyTorch's ``FlopCounterMode``. Used in lecture 9.3.

    Returns
    -------
    list of (str, int)
        The layer's name in ``net.named_modules()`` and its FLOPs.
    """
    shape = input_shape
    records: list[tuple[str, int]] = []

    def hook(name: str):
        def record(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if isinstance(module, nn.Conv2d):
                flops = conv_flops(module.in_channels, module.out_channels, module.kernel_size,
                                   tuple(output.shape[-2:]), module.groups)
            else:
                positions = output.numel() // (output.shape[0] * module.out_features)
                flops = dense_flops(module.in_features, module.out_features) * positions
            records.append((name, flops))
        return record

    handles = [m.register_forward_hook(hook(name)) for name, m in net.named_modules()
               if isinstance(m, nn.Conv2d | nn.Linear)]
    was_training = net.training
    try:
        net.eval()
        dtype = next(net.parameters(), torch.empty(0)).dtype
        with torch.no_grad():
            net(torch.zeros((1, *shape), dtype=dtype), **forward_kwargs)
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)
    return records


def count_flops(net: nn.Module, input_shape: Sequence[int], **forward_kwargs: Any) -> int:
    """Total FLOPs of ``net`` on one example: the sum of :func:`flops_by_layer`. Lecture 9.3."""
    return sum(f for _, f in flops_by_layer(net, input_shape, **forward_kwargs))


@boundary(net="module", input_shape=_check_input_shape)
def torch_flops(net: nn.Module, input_shape: Sequence[int], **forward_kwargs: Any) -> int:
    """FLOPs of ``net`` on one example as counted by ``torch.utils.flop_counter.FlopCounterMode``.

    The reference that :func:`count_flops` is tested against. Used in lecture 9.3.
    """
    from torch.utils.flop_counter import FlopCounterMode

    shape = input_shape
    was_training = net.training
    try:
        net.eval()
        dtype = next(net.parameters(), torch.empty(0)).dtype
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            net(torch.zeros((1, *shape), dtype=dtype), **forward_kwargs)
    finally:
        net.train(was_training)
    return int(counter.get_total_flops())


# --------------------------------------------------------------------------- DARTS


@boundary(channels="int >= 1")
def make_op(name: str, channels: int) -> nn.Module:
    """One candidate operation of a DARTS cell, mapping ``channels`` to ``channels``, same size.

    ``"conv3x3"`` / ``"conv5x5"``: a padded convolution and a ReLU; ``"maxpool3x3"``: 3x3
    max pooling with stride 1 and padding 1; ``"skip"``: the identity. Used in lecture 9.3.
    """
    if name == "conv3x3":
        return nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
    if name == "conv5x5":
        return nn.Sequential(nn.Conv2d(channels, channels, 5, padding=2), nn.ReLU())
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)
    if name == "skip":
        return nn.Identity()
    raise ValueError(f"unknown operation {name!r}; choose from {list(CANDIDATE_OPS)}")


def _check_ops(ops: object) -> tuple[str, ...]:
    if isinstance(ops, str) or not isinstance(ops, Sequence):
        raise TypeError("ops must be a sequence of operation names")
    ops = tuple(ops)
    if len(ops) < 2:
        raise ValueError(f"a mixed operation needs at least two candidates, got {ops}")
    if len(set(ops)) != len(ops):
        raise ValueError(f"candidate operations must be distinct, got {ops}")
    for op in ops:
        if op not in CANDIDATE_OPS:
            raise ValueError(f"unknown operation {op!r}; choose from {list(CANDIDATE_OPS)}")
    return ops


class MixedOp(nn.Module):
    """DARTS's continuous relaxation of one choice: ``o(x) = sum_i w_i o_i(x)``.

    The weights ``w = softmax(alpha)`` are passed to :meth:`forward` (the
    architecture weights ``alpha`` live in the :class:`Supernet`). Every candidate
    operation keeps its own network weights; they are shared by all the
    architectures that choose this operation. Used in lecture 9.3.

    Parameters
    ----------
    channels : int
        Input and output channels.
    ops : sequence of str
        Names of the candidates, from :data:`CANDIDATE_OPS`.
    """

    def __init__(self, channels: int, ops: Sequence[str] = CANDIDATE_OPS) -> None:
        super().__init__()
        self.op_names = _check_ops(ops)
        self.ops = nn.ModuleList(make_op(name, channels) for name in self.op_names)

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None = None,
                choice: int | None = None) -> torch.Tensor:
        """The weighted sum of all candidates, or the single candidate ``choice``."""
        if choice is not None:
            return self.ops[choice](x)
        if weights is None or weights.shape != (len(self.ops),):
            raise ValueError(f"weights must have shape ({len(self.ops)},)")
        return sum(w * op(x) for w, op in zip(weights, self.ops, strict=True))


def _stem_and_head(channels: int, image_size: int, in_channels: int,
                   num_classes: int) -> tuple[nn.Module, nn.Module]:
    stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2))
    pooled = conv_output_shape(image_size, 2, 0, 2)
    head = nn.Sequential(nn.Flatten(), nn.Linear(channels * pooled**2, num_classes))
    return stem, head


class Supernet(nn.Module):
    """A one-shot network: a stem, ``num_cells`` mixed operations in a chain, a classifier.

    ``stem`` (3x3 convolution to ``channels``, ReLU, 2x2 max pooling) -> ``num_cells``
    :class:`MixedOp` at half the input resolution -> a linear classifier. The
    architecture weights ``alpha`` have one row per cell and one column per candidate
    operation; row ``i`` of
    ``softmax(alpha)`` mixes cell ``i``'s candidates. The supernet contains all
    ``len(ops) ** num_cells`` architectures of its search space; fixing one operation
    per cell (``forward(x, choices)``) evaluates one of them with the shared weights.
    Used in lecture 9.3.

    Parameters
    ----------
    num_cells : int
        Number of mixed operations.
    channels : int
        Channels of every feature map after the stem.
    ops : sequence of str
        Candidate operations (:data:`CANDIDATE_OPS` by default).
    image_size, in_channels, num_classes : int
        Input and output sizes.
    seed : int, optional
        Seed of the initial network weights; ``alpha`` starts at zero (all candidates
        equally weighted).
    """

    @boundary(num_cells="int >= 1", channels="int >= 1", image_size="int >= 2",
              in_channels="int >= 1", num_classes="int >= 1", seed="int >= 0 or None")
    def __init__(self, num_cells: int = 3, channels: int = 8, ops: Sequence[str] = CANDIDATE_OPS,
                 image_size: int = 8, in_channels: int = 1, num_classes: int = 10, *,
                 seed: int | None = None) -> None:
        super().__init__()
        self.op_names = _check_ops(ops)
        self.image_size = image_size

        def build() -> tuple[nn.Module, nn.ModuleList, nn.Module]:
            stem, head = _stem_and_head(channels, self.image_size, in_channels, num_classes)
            cells = nn.ModuleList(MixedOp(channels, self.op_names) for _ in range(num_cells))
            return stem, cells, head

        self.stem, self.cells, self.head = _seeded_build(seed, build)
        self.channels, self.in_channels, self.num_classes = channels, in_channels, num_classes
        self.alpha = nn.Parameter(torch.zeros(num_cells, len(self.op_names)))

    @property
    def num_cells(self) -> int:
        """Number of mixed operations (choices of the search)."""
        return len(self.cells)

    @property
    def num_architectures(self) -> int:
        """Number of discrete architectures in the supernet: ``len(ops) ** num_cells``."""
        return len(self.op_names) ** self.num_cells

    def weight_parameters(self) -> list[nn.Parameter]:
        """The network weights (everything except ``alpha``), trained on the training data."""
        return [p for name, p in self.named_parameters() if name != "alpha"]

    def arch_parameters(self) -> list[nn.Parameter]:
        """The architecture weights ``[alpha]``, trained on the validation data."""
        return [self.alpha]

    def op_weights(self) -> torch.Tensor:
        """``softmax(alpha)`` row by row: ``(num_cells, num_ops)``, detached."""
        return torch.softmax(self.alpha.detach(), dim=1)

    def derive(self) -> list[str]:
        """The discrete architecture: the operation of largest weight in every cell (argmax)."""
        return [self.op_names[i] for i in self.alpha.detach().argmax(dim=1).tolist()]

    def _choice_indices(self, choices: Sequence[str]) -> list[int]:
        if isinstance(choices, str) or not isinstance(choices, Sequence):
            raise TypeError("choices must be a sequence of operation names")
        if len(choices) != self.num_cells:
            raise ValueError(f"choices must name {self.num_cells} operations, got {len(choices)}")
        for c in choices:
            if c not in self.op_names:
                raise ValueError(f"unknown operation {c!r}; choose from {list(self.op_names)}")
        return [self.op_names.index(c) for c in choices]

    def forward(self, x: torch.Tensor, choices: Sequence[str] | None = None) -> torch.Tensor:
        """Logits. With ``choices`` (one operation per cell) only that sub-network runs."""
        h = self.stem(x)
        if choices is None:
            weights = torch.softmax(self.alpha, dim=1)
            for cell, w in zip(self.cells, weights, strict=True):
                h = cell(h, w)
        else:
            for cell, i in zip(self.cells, self._choice_indices(choices), strict=True):
                h = cell(h, choice=i)
        return self.head(h)


@boundary(channels="int >= 1", image_size="int >= 2", in_channels="int >= 1",
          num_classes="int >= 1", seed="int >= 0 or None")
def derived_cnn(choices: Sequence[str], channels: int = 8, image_size: int = 8,
                in_channels: int = 1, num_classes: int = 10, *,
                seed: int | None = None) -> nn.Sequential:
    """The stand-alone network of one discrete architecture of a :class:`Supernet`.

    The same stem and classifier, with one operation per cell instead of a mixed
    one; it is trained from scratch after the search. Used in lecture 9.3.
    """
    if isinstance(choices, str) or not isinstance(choices, Sequence) or len(choices) == 0:
        raise TypeError("choices must be a non-empty sequence of operation names")
    for c in choices:
        if c not in CANDIDATE_OPS:
            raise ValueError(f"unknown operation {c!r}; choose from {list(CANDIDATE_OPS)}")

    def build() -> nn.Sequential:
        stem, head = _stem_and_head(channels, image_size, in_channels, num_classes)
        return nn.Sequential(stem, *(make_op(c, channels) for c in choices), head)

    return _seeded_build(seed, build)


@dataclass
class DartsHistory:
    """What :func:`train_darts` recorded. Used in lecture 9.3.

    Attributes
    ----------
    op_weights : list of numpy.ndarray
        ``softmax(alpha)`` (``(num_cells, num_ops)``) before training and after every epoch.
    train_loss : list of float
        Mean training loss of each epoch (weights' objective).
    val_loss : list of float
        Mean validation loss of each epoch (``alpha``'s objective), measured on the
        batches ``alpha`` was updated on.
    val_acc : list of float
        Validation accuracy of the supernet (mixed operations) after each epoch.
    """

    op_weights: list[np.ndarray] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)

    @property
    def num_epochs(self) -> int:
        """Epochs trained."""
        return len(self.train_loss)


def _check_xy(X: object, y: object, what: str) -> None:
    _check_data(X, y, "classification", what)
    if X.ndim != 4:
        raise ValueError(f"{what}: X must be a (n, c, h, w) batch, got {tuple(X.shape)}")


def _train_darts_args(args: dict) -> None:
    """Check and convert the arguments of :func:`train_darts` (in place)."""
    _check_xy(args["X_train"], args["y_train"], "X_train and y_train")
    _check_xy(args["X_val"], args["y_val"], "X_val and y_val")


@boundary(net=instance(Supernet), lr="real > 0.0", arch_lr="real > 0.0", num_epochs="int >= 1",
          batch_size="int >= 1", seed="int >= 0", check=_train_darts_args)
def train_darts(
    net: Supernet,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_val: torch.Tensor,
    y_val: torch.Tensor,
    *,
    num_epochs: int,
    batch_size: int = 64,
    lr: float = 1e-2,
    arch_lr: float = 3e-2,
    seed: int = 0,
) -> DartsHistory:
    """Search with first-order DARTS: alternate updates of ``alpha`` and of the weights.

    DARTS solves the bilevel problem ``min_alpha L_val(w*(alpha), alpha)`` with
    ``w*(alpha) = argmin_w L_train(w, alpha)``. The first-order approximation used
    here takes the current weights for ``w*``: for every training mini-batch, one
    Adam step on ``alpha`` with the gradient of the loss on the next validation
    mini-batch, then one Adam step on the network weights with the gradient of the
    loss on the training mini-batch. Each backward pass computes only the gradient
    its step uses. Both data orders are shuffled from ``seed``. Used in lecture 9.3.

    Parameters
    ----------
    net : Supernet
        Trained in place.
    X_train, y_train, X_val, y_val : torch.Tensor
        Images ``(n, c, h, w)`` and class labels.
    num_epochs : int
        Passes over the training data.
    batch_size : int
        Examples per mini-batch, for both splits.
    lr, arch_lr : float
        Adam learning rates of the weights and of ``alpha``.
    seed : int
        Seed of the shuffling.

    Returns
    -------
    DartsHistory
    """
    gen = torch.Generator().manual_seed(seed)
    w_opt = torch.optim.Adam(net.weight_parameters(), lr=lr)
    a_opt = torch.optim.Adam(net.arch_parameters(), lr=arch_lr)
    loss_fn = nn.CrossEntropyLoss()
    history = DartsHistory(op_weights=[net.op_weights().numpy().copy()])
    val_batches = iter(())
    for _ in range(num_epochs):
        net.train()
        order = torch.randperm(len(X_train), generator=gen)
        train_total = val_total = 0.0
        steps = 0
        for start in range(0, len(X_train), batch_size):
            val_idx = next(val_batches, None)
            if val_idx is None:  # a new pass over the validation data
                val_order = torch.randperm(len(X_val), generator=gen)
                val_batches = iter(val_order.split(batch_size))
                val_idx = next(val_batches)
            a_opt.zero_grad()
            val_loss = loss_fn(net(X_val[val_idx]), y_val[val_idx])
            val_loss.backward(inputs=net.arch_parameters())  # alpha's gradient only
            a_opt.step()
            idx = order[start:start + batch_size]
            w_opt.zero_grad()
            train_loss = loss_fn(net(X_train[idx]), y_train[idx])
            train_loss.backward(inputs=net.weight_parameters())  # the weights' only
            w_opt.step()
            train_total += train_loss.item()
            val_total += val_loss.item()
            steps += 1
        history.train_loss.append(train_total / steps)
        history.val_loss.append(val_total / steps)
        net.eval()
        with torch.no_grad():
            history.val_acc.append((net(X_val).argmax(1) == y_val).double().mean().item())
        history.op_weights.append(net.op_weights().numpy().copy())
    return history


# --------------------------------------------------------------------------- scaling


class ResidualBlock(nn.Module):
    """``x + relu(conv(x))``: a same-size convolution with a shortcut around it.

    The shortcut lets the gradient reach early layers unchanged, so that a deep
    stack of blocks still trains (lecture 10.1). Used in lecture 9.3.
    """

    @boundary(width="int >= 1", kernel_size=_odd_kernel)
    def __init__(self, width: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(width, width, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.conv(x))


@boundary(depth="int >= 0", width="int >= 1", kernel_size=_odd_kernel, in_channels="int >= 1",
          num_classes="int >= 1", pooled_size="int >= 1", residual="bool",
          seed="int >= 0 or None")
def scalable_cnn(depth: int, width: int, *, kernel_size: int = 3, in_channels: int = 1,
                 num_classes: int = 10, pooled_size: int = 2, residual: bool = True,
                 seed: int | None = None) -> nn.Sequential:
    """A plain CNN whose depth, width and input resolution are three free numbers.

    A stem ``Conv2d(in_channels, width)`` with a ReLU and ``depth`` blocks of one
    ``Conv2d(width, width)`` each (:class:`ResidualBlock` by default, else convolution
    and ReLU), all with ``padding=kernel_size // 2`` so that the resolution is kept;
    then adaptive average pooling to ``pooled_size x pooled_size`` and a linear
    classifier. Because of the adaptive pooling the same network accepts any
    resolution, so depth, width and resolution can be scaled independently, as
    EfficientNet does. Used in lecture 9.3.
    """
    k = kernel_size

    def block() -> nn.Module:
        if residual:
            return ResidualBlock(width, k)
        return nn.Sequential(nn.Conv2d(width, width, k, padding=k // 2), nn.ReLU())

    def build() -> nn.Sequential:
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, k, padding=k // 2), nn.ReLU()]
        layers += [block() for _ in range(depth)]
        layers += [nn.AdaptiveAvgPool2d(pooled_size), nn.Flatten(),
                   nn.Linear(width * pooled_size**2, num_classes)]
        return nn.Sequential(*layers)

    return _seeded_build(seed, build)


@boundary(depth="int >= 0", width="int >= 1", resolution="int >= 1", kernel_size=_odd_kernel,
          in_channels="int >= 1", num_classes="int >= 1", pooled_size="int >= 1")
def scalable_cnn_flops(depth: int, width: int, resolution: int, *, kernel_size: int = 3,
                       in_channels: int = 1, num_classes: int = 10, pooled_size: int = 2) -> int:
    """FLOPs of :func:`scalable_cnn` on one ``resolution x resolution`` example, in closed form.

    ``2 k^2 r^2 (c_in w + d w^2) + 2 p^2 w K``: the ``d`` blocks cost
    ``2 k^2 w^2 r^2`` each, so for a deep, wide network the FLOPs grow as
    ``d x w^2 x r^2``. Used in lecture 9.3.
    """
    r, k, p = resolution, kernel_size, pooled_size
    if p > r:
        raise ValueError(f"pooled_size={p} is larger than the resolution {r}")
    return (conv_flops(in_channels, width, k, r) + depth * conv_flops(width, width, k, r)
            + dense_flops(width * p**2, num_classes))


@boundary(phi="real >= 0.0", base_depth="int >= 1", base_width="int >= 1",
          base_resolution="int >= 1", alpha="real >= 1.0", beta="real >= 1.0", gamma="real >= 1.0")
def compound_scale(phi: float, *, base_depth: int, base_width: int, base_resolution: int,
                   alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> dict[str, int]:
    """EfficientNet's compound scaling: depth, width and resolution grown together by ``phi``.

    ``d = alpha^phi``, ``w = beta^phi``, ``r = gamma^phi`` multiply the base network's
    depth, width and resolution. FLOPs grow as ``d w^2 r^2 = (alpha beta^2 gamma^2)^phi``,
    so with ``alpha beta^2 gamma^2 ~ 2`` each unit of ``phi`` doubles them. The
    defaults are EfficientNet-B0's coefficients (Tan & Le 2019). As EfficientNet
    does, the depth is rounded up (``ceil``); width and resolution are rounded to the
    nearest integer. Used in lecture 9.3.

    Returns
    -------
    dict
        ``{"depth": ..., "width": ..., "resolution": ...}``.
    """
    return {
        "depth": math.ceil(base_depth * alpha**phi - 1e-9),
        "width": max(1, round(base_width * beta**phi)),
        "resolution": max(1, round(base_resolution * gamma**phi)),
    }


@boundary(step="real > 0.0", max_value="real >= 1.0", target="real > 0.0", tol="real > 0.0")
def compound_coefficients(step: float = 0.05, max_value: float = 2.0, target: float = 2.0,
                          tol: float = 0.1) -> list[tuple[float, float, float]]:
    """The grid of ``(alpha, beta, gamma)`` that EfficientNet searches, under its constraint.

    Every combination of values ``1, 1 + step, ...`` up to ``max_value`` with
    ``|alpha beta^2 gamma^2 - target| <= tol``. EfficientNet trains the base network
    scaled by each such triple at ``phi = 1`` and keeps the most accurate. Used in
    lecture 9.3.
    """
    values = [round(1 + i * step, 10) for i in range(int((max_value - 1) / step + 1e-9) + 1)]
    return [(a, b, g) for a, b, g in itertools.product(values, repeat=3)
            if abs(a * b**2 * g**2 - target) <= tol]
