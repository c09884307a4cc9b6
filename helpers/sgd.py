"""Mini-batch stochastic gradient descent (SGD) from scratch, on linear regression.

Used in lecture 3.4. The pieces are the ones every model of the course except
trees is trained with: a shuffling data iterator (a Python generator), a model,
a loss, and the update ``w <- w - lr * grad / batch_size``. Linear regression is
the test bed because its true solution is known when the data are synthetic.

Shapes follow one convention: ``X`` is ``(n, d)``, ``y`` is ``(n, 1)``, the
weights ``w`` are ``(d, 1)`` and the bias ``b`` is ``(1,)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import torch

from helpers.checks import (
    boundary,
    check_positive_int,
    check_same_length,
    check_tensor,
    instance,
    optional,
)

__all__ = [
    "TrainResult",
    "augment_with_ones",
    "data_iter",
    "init_params",
    "linreg",
    "linreg_grad",
    "sgd",
    "squared_loss",
    "synthetic_linear_data",
    "train_linear_regression",
]


# --------------------------------------------------------------------------- validation


def _check_generator(generator: object) -> None:
    optional(instance(torch.Generator, what="a torch.Generator or None"))("generator", generator)


def _check_Xy(X: object, y: object) -> None:
    """``X``: a non-empty ``(n, d)`` tensor; ``y``: a tensor with ``n`` rows."""
    check_tensor("X", X, ndim=2)
    check_tensor("y", y, min_ndim=1)
    check_same_length(X=X, y=y)


# --------------------------------------------------------------------------- data


@boundary(b="real", num_examples="int >= 1", noise="real >= 0.0",
          generator=optional(instance(torch.Generator)))
def synthetic_linear_data(
    w: Sequence[float] | torch.Tensor,
    b: float,
    num_examples: int,
    noise: float = 0.01,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw a linear-regression data set ``y = X w + b + noise * eps`` with a known answer.

    Used in lecture 3.4.

    Parameters
    ----------
    w : sequence of float or 1-D tensor
        The true weights, one per feature.
    b : float
        The true bias.
    num_examples : int
        Number of rows of ``X``.
    noise : float
        Standard deviation of the Gaussian label noise (0 for noise-free labels).
    generator : torch.Generator, optional
        Source of randomness; pass a seeded one for reproducible data.

    Returns
    -------
    X : torch.Tensor
        ``(num_examples, len(w))`` features drawn from N(0, 1).
    y : torch.Tensor
        ``(num_examples, 1)`` labels.
    """
    w = torch.as_tensor(w, dtype=torch.float32)
    if w.ndim != 1 or len(w) == 0:
        raise ValueError(
            f"w must be a non-empty 1-D sequence of weights, got shape {tuple(w.shape)}"
        )
    X = torch.randn(num_examples, len(w), generator=generator)
    y = X @ w + float(b)
    y = y + float(noise) * torch.randn(num_examples, generator=generator)
    return X, y.reshape(-1, 1)


def data_iter(
    batch_size: int,
    X: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield the examples in shuffled mini-batches, one batch at a time: one epoch.

    A generator function: calling it runs nothing; each ``next()`` resumes the
    loop after the last ``yield``. The argument checks therefore run at the first
    ``next()``. Every example appears exactly once per epoch; the last batch is
    smaller when ``batch_size`` does not divide the number of examples. Used in
    lecture 3.4.

    Parameters
    ----------
    batch_size : int
        Number of examples per batch (a positive int; may exceed the data size).
    X : torch.Tensor
        ``(n, d)`` features.
    y : torch.Tensor
        ``(n, ...)`` labels, one row per example.
    generator : torch.Generator, optional
        Source of the shuffling; a seeded generator makes the order reproducible.

    Yields
    ------
    (X_batch, y_batch) : tuple of torch.Tensor
        The rows of ``X`` and ``y`` of one mini-batch.

    Raises
    ------
    TypeError, ValueError
        On the first ``next()``, for a bad ``batch_size``, mismatched or empty data.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    _check_Xy(X, y)
    _check_generator(generator)
    num_examples = len(X)
    indices = torch.randperm(num_examples, generator=generator)
    for start in range(0, num_examples, batch_size):
        batch = indices[start:start + batch_size]
        yield X[batch], y[batch]


@boundary(X="2-D tensor")
def augment_with_ones(X: torch.Tensor) -> torch.Tensor:
    """Append a column of ones to ``X`` so that the bias becomes one more weight.

    With ``X_aug = [X, 1]`` and ``w_aug = [w; b]``, ``X_aug @ w_aug == X @ w + b``.
    Used in lecture 3.4.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, d)`` features.

    Returns
    -------
    torch.Tensor
        ``(n, d + 1)`` features whose last column is all ones.
    """
    return torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], dim=1)


# --------------------------------------------------------------------------- model and loss


@boundary(num_inputs="int >= 1", generator=optional(instance(torch.Generator)),
          sigma="real > 0.0")
def init_params(
    num_inputs: int,
    generator: torch.Generator | None = None,
    sigma: float = 0.01,
    bias: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Initial parameters: ``w ~ N(0, sigma^2)`` of shape ``(num_inputs, 1)``, ``b = 0``.

    Both tensors have ``requires_grad=True``. Used in lecture 3.4.

    Parameters
    ----------
    num_inputs : int
        Number of features (rows of ``w``).
    generator : torch.Generator, optional
        Source of randomness for ``w``.
    sigma : float
        Standard deviation of the initial weights.
    bias : bool
        If False, return ``None`` for ``b`` (bias folded into ``w``).

    Returns
    -------
    w : torch.Tensor
        ``(num_inputs, 1)`` weights.
    b : torch.Tensor or None
        ``(1,)`` zero bias, or ``None``.
    """
    w = (sigma * torch.randn(num_inputs, 1, generator=generator)).requires_grad_(True)
    b = torch.zeros(1, requires_grad=True) if bias else None
    return w, b


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """The linear regression model ``X @ w + b`` (``X @ w`` when ``b`` is None).

    Used in lecture 3.4.
    """
    if X.shape[-1] != w.shape[0]:
        raise ValueError(
            f"X has {X.shape[-1]} features but w has {w.shape[0]} rows"
        )
    y_hat = X @ w
    return y_hat if b is None else y_hat + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example squared loss ``(y_hat - y)^2 / 2`` (not reduced).

    The shapes must match exactly: subtracting a ``(n,)`` tensor from a ``(n, 1)``
    one would silently broadcast to ``(n, n)``. Used in lecture 3.4.
    """
    if y_hat.shape != y.shape:
        raise ValueError(
            f"y_hat and y must have the same shape, got {tuple(y_hat.shape)} and "
            f"{tuple(y.shape)} (reshape y to (n, 1))"
        )
    return (y_hat - y) ** 2 / 2


def linreg_grad(
    X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Analytic gradient of the mean squared loss of :func:`linreg` on ``(X, y)``.

    ``grad_w = X^T (X w + b - y) / n`` and ``grad_b = mean(X w + b - y)``, the
    formulas derived in lecture 3.4 (no autograd involved).

    Returns
    -------
    grad_w : torch.Tensor
        Same shape as ``w``.
    grad_b : torch.Tensor or None
        Shape ``(1,)``, or None when ``b`` is None.
    """
    _check_Xy(X, y)
    with torch.no_grad():
        residual = linreg(X, w, b) - y
        if residual.shape != y.shape:
            raise ValueError(f"y must have shape {tuple(residual.shape)}, got {tuple(y.shape)}")
        grad_w = X.T @ residual / len(X)
        grad_b = None if b is None else residual.mean().reshape(1)
    return grad_w, grad_b


# --------------------------------------------------------------------------- optimisation


def _sgd_args(args: dict) -> None:
    """Check and convert the arguments of :func:`sgd` (in place)."""
    params = args["params"] = list(args["params"])
    for param in params:
        if param.grad is None:
            raise ValueError("a parameter has no gradient: call loss.backward() before sgd()")


@boundary(lr="real > 0.0", batch_size="int >= 1", check=_sgd_args)
def sgd(params: Sequence[torch.Tensor], lr: float, batch_size: int) -> None:
    """One mini-batch SGD step, in place: ``p <- p - lr * p.grad / batch_size``, then zero grads.

    Expects the gradient of the *summed* loss over a batch of ``batch_size``
    examples, so that ``p.grad / batch_size`` is the gradient of the mean loss.
    Used in lecture 3.4.

    Parameters
    ----------
    params : sequence of torch.Tensor
        Leaf tensors with ``requires_grad=True`` whose ``.grad`` has been filled by
        ``loss.backward()``.
    lr : float
        Learning rate (positive).
    batch_size : int
        Number of examples the summed loss was taken over.
    """
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


@dataclass
class TrainResult:
    """What :func:`train_linear_regression` returns. Used in lecture 3.4.

    Attributes
    ----------
    w : torch.Tensor
        Trained weights (detached).
    b : torch.Tensor or None
        Trained bias (detached), None when the model has no separate bias.
    epoch_losses : list of float
        Mean squared loss on all of ``(X, y)`` before training and after each epoch
        (``num_epochs + 1`` values).
    step_losses : list of float
        Mean loss on all of ``(X, y)`` before training and after each update; only
        filled when ``track_steps=True``.
    """

    w: torch.Tensor
    b: torch.Tensor | None
    epoch_losses: list[float] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)


def _train_linear_args(args: dict) -> None:
    """Check and convert the arguments of :func:`train_linear_regression` (in place)."""
    X, y, w_init = args["X"], args["y"], args["w_init"]
    _check_Xy(X, y)
    if w_init.shape != (X.shape[1], 1):
        raise ValueError(f"w_init must have shape {(X.shape[1], 1)}, got {tuple(w_init.shape)}")
    if y.shape != (len(X), 1):
        raise ValueError(f"y must have shape {(len(X), 1)}, got {tuple(y.shape)}")


@boundary(lr="real > 0.0", batch_size="int >= 1", num_epochs="int >= 1",
          check=_train_linear_args)
def train_linear_regression(
    X: torch.Tensor,
    y: torch.Tensor,
    w_init: torch.Tensor,
    b_init: torch.Tensor | None,
    *,
    lr: float,
    batch_size: int,
    num_epochs: int,
    generator: torch.Generator | None = None,
    track_steps: bool = False,
) -> TrainResult:
    """Train linear regression with mini-batch SGD on the squared loss.

    The initial parameters are copied, never modified. Pass ``b_init=None`` to
    train ``y = X w`` without a separate bias (e.g. on :func:`augment_with_ones`
    features). Each update divides the summed batch loss by the *actual* batch
    size, so a smaller last batch is handled correctly. Used in lecture 3.4.

    Parameters
    ----------
    X, y : torch.Tensor
        ``(n, d)`` features and ``(n, 1)`` labels.
    w_init : torch.Tensor
        ``(d, 1)`` initial weights.
    b_init : torch.Tensor or None
        ``(1,)`` initial bias, or None for a model without a bias.
    lr : float
        Learning rate.
    batch_size : int
        Mini-batch size.
    num_epochs : int
        Number of passes over the data.
    generator : torch.Generator, optional
        Source of the shuffling (seed it for reproducible runs).
    track_steps : bool
        Also record the full-data loss after every update (costs one pass over
        the data per update).

    Returns
    -------
    TrainResult
        Final parameters and loss histories. Losses become ``inf`` or ``nan`` when
        training diverges; they are recorded, not hidden.
    """
    w = w_init.detach().clone().requires_grad_(True)
    b = None if b_init is None else b_init.detach().clone().reshape(1).requires_grad_(True)
    params = [w] if b is None else [w, b]

    def full_loss() -> float:
        with torch.no_grad():
            return squared_loss(linreg(X, w, b), y).mean().item()

    result = TrainResult(w=w, b=b, epoch_losses=[full_loss()])
    if track_steps:
        result.step_losses.append(result.epoch_losses[0])
    for _ in range(num_epochs):
        for X_batch, y_batch in data_iter(batch_size, X, y, generator):
            loss = squared_loss(linreg(X_batch, w, b), y_batch)
            loss.sum().backward()
            sgd(params, lr, len(y_batch))
            if track_steps:
                result.step_losses.append(full_loss())
        result.epoch_losses.append(full_loss())
    result.w = w.detach()
    result.b = None if b is None else b.detach()
    return result
