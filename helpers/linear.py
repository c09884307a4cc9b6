"""Linear models from scratch: least squares, gradient descent, softmax regression.

Used in lecture 3.3. Everything works on torch tensors (use ``float64`` for the
closed form) and reuses the pieces of lectures 3.4 and 3.5:
:func:`helpers.sgd.augment_with_ones` folds the bias into the weights,
:func:`helpers.sgd.linreg_grad` is the gradient of the squared loss,
:func:`helpers.sgd.data_iter` hands out mini-batches, and
:func:`helpers.neural.softmax`, :func:`helpers.neural.cross_entropy` and
:func:`helpers.neural.dense` are the softmax, the cross-entropy and ``X @ W + b``.

- :func:`least_squares` -- the closed-form solution ``w* = (X^T X)^{-1} X^T y`` (with
  an optional bias, folded in by a column of ones, and an optional ridge penalty);
  ``y`` may have several columns, e.g. one-hot class indicators.
- :func:`linreg_gradient_descent` -- the same fit by full-batch gradient descent.
- :func:`fit_regression_classifier` and :func:`predict_classes` -- classification by
  regressing one-hot vectors and predicting the arg-max.
- :func:`cross_entropy_probs` -- ``-sum_j y_j log y_hat_j`` for predicted and target
  probability vectors.
- :func:`softmax_regression_grad` and :func:`train_softmax_regression` -- softmax
  regression trained with the analytic gradient ``X^T (softmax(O) - Y) / n``.

Shapes: ``X`` is ``(n, d)``; a regression target ``y`` is ``(n, 1)`` (or ``(n, k)``
for ``k`` outputs) with weights ``(d, 1)`` (``(d, k)``) and bias ``(1,)``
(``(k,)``); class labels are ``(n,)`` integer tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from helpers.checks import boundary, check_class_indices, check_int, check_tensor
from helpers.neural import cross_entropy, dense, softmax
from helpers.sgd import augment_with_ones, data_iter, linreg, linreg_grad, squared_loss

__all__ = [
    "GDResult",
    "SoftmaxRegressionResult",
    "cross_entropy_probs",
    "fit_regression_classifier",
    "least_squares",
    "linreg_gradient_descent",
    "predict_classes",
    "softmax_regression_grad",
    "softmax_regression_loss",
    "train_softmax_regression",
]


# --------------------------------------------------------------------------- validation


def _check_targets(y: object, n: int) -> torch.Tensor:
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"y must be a torch tensor, got {type(y).__name__}")
    if y.ndim != 2:
        raise ValueError(f"y must be 2-D (num_examples, num_outputs), got shape {tuple(y.shape)}"
                         " (reshape a vector with y.reshape(-1, 1))")
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    if not torch.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    return y


def _check_labels(y: object, n: int, num_classes: int | None = None) -> tuple[torch.Tensor, int]:
    y = check_class_indices("y", y, n)
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    num_classes = check_int("num_classes", num_classes, low=2)
    if int(y.max()) >= num_classes:
        raise ValueError(f"labels must lie in [0, {num_classes - 1}], "
                         f"got [{int(y.min())}, {int(y.max())}]")
    return y, num_classes


# --------------------------------------------------------------------------- least squares


def _least_squares_args(args: dict) -> None:
    """Check ``y`` of :func:`least_squares` against ``X`` (in place)."""
    args["y"] = _check_targets(args["y"], len(args["X"]))


@boundary(X="2-D float tensor", l2="real >= 0.0", check=_least_squares_args)
def least_squares(
    X: torch.Tensor, y: torch.Tensor, *, fit_intercept: bool = True, l2: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The closed-form least-squares fit ``w* = (X^T X)^{-1} X^T y``.

    With ``fit_intercept`` the bias is folded into the weights: ``X`` gets a column of
    ones (:func:`helpers.sgd.augment_with_ones`), the last row of the solution is the
    bias. The normal equations ``(X^T X + l2 * I) w = X^T y`` are *solved*, never
    inverted; the bias is not penalised. Minimises the mean squared error
    ``||X w + b - y||^2 / n`` (plus ``l2 ||w||^2 / n`` when ``l2 > 0``: ridge
    regression). Used in lecture 3.3.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, d)`` features (use ``float64``: ``X^T X`` squares the condition number).
    y : torch.Tensor
        ``(n, k)`` targets, ``k >= 1`` (e.g. ``(n, 1)`` prices or ``(n, c)`` one-hot).
    fit_intercept : bool
        Fit a bias ``b`` (default) or force the fit through the origin.
    l2 : float
        Ridge penalty, non-negative.

    Returns
    -------
    w : torch.Tensor
        ``(d, k)`` weights.
    b : torch.Tensor or None
        ``(k,)`` bias, None without intercept.

    Raises
    ------
    ValueError
        For bad shapes, NaN, or when ``l2 == 0`` and the columns of ``X`` (with the
        column of ones) are linearly dependent, so that ``X^T X`` is singular.
    """
    Xa = augment_with_ones(X) if fit_intercept else X
    p = Xa.shape[1]
    if l2 == 0 and int(torch.linalg.matrix_rank(Xa)) < p:
        raise ValueError(
            f"X^T X is singular: the {p} columns of X{' with the column of ones' * fit_intercept}"
            " are linearly dependent (e.g. a constant column or fewer examples than columns);"
            " drop redundant columns or use l2 > 0")
    penalty = torch.eye(p, dtype=Xa.dtype)
    if fit_intercept:
        penalty[-1, -1] = 0.0
    A = Xa.T @ Xa + l2 * penalty
    theta = torch.linalg.solve(A, Xa.T @ y.to(Xa.dtype))
    if fit_intercept:
        return theta[:-1], theta[-1]
    return theta, None


@dataclass
class GDResult:
    """What :func:`linreg_gradient_descent` returns. Used in lecture 3.3.

    Attributes
    ----------
    w, b : torch.Tensor
        Final ``(d, 1)`` weights and ``(1,)`` bias.
    losses : list of float
        Mean squared error ``mean((X w + b - y)^2)`` before the first step and after
        every step (``num_steps + 1`` values).
    """

    w: torch.Tensor
    b: torch.Tensor
    losses: list[float] = field(default_factory=list)


def _linreg_gd_args(args: dict) -> None:
    """Check and convert the arguments of :func:`linreg_gradient_descent` (in place)."""
    X = args["X"]
    y = args["y"] = _check_targets(args["y"], len(X))
    if y.shape[1] != 1:
        raise ValueError(f"y must have shape ({len(X)}, 1), got {tuple(y.shape)}")
    d = X.shape[1]
    if args["w_init"] is not None and args["w_init"].shape != (d, 1):
        raise ValueError(f"w_init must have shape ({d}, 1), got {tuple(args['w_init'].shape)}")


@boundary(X="2-D float tensor", lr="real > 0.0", num_steps="int >= 1",
          w_init="tensor or None", b_init="tensor or None", check=_linreg_gd_args)
def linreg_gradient_descent(
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    num_steps: int,
    w_init: torch.Tensor | None = None,
    b_init: torch.Tensor | None = None,
) -> GDResult:
    """Fit linear regression by full-batch gradient descent on the squared loss.

    Each step is ``theta <- theta - lr * grad`` with the gradient of the mean of
    ``(X w + b - y)^2 / 2`` from :func:`helpers.sgd.linreg_grad`; the minimiser is the
    least-squares solution of :func:`least_squares`. Every step touches all ``n``
    examples (``O(n d)``), so there is no ``d x d`` system to solve, the reason
    gradient methods scale to problems where the closed form does not. The
    iteration converges for ``lr < 2 / lambda_max(X_aug^T X_aug / n)`` and slows down
    when the features have very different scales. Used in lecture 3.3.

    Parameters
    ----------
    X, y : torch.Tensor
        ``(n, d)`` features and ``(n, 1)`` targets.
    lr : float
        Learning rate (positive).
    num_steps : int
        Number of gradient steps (at least 1).
    w_init, b_init : torch.Tensor, optional
        Starting point; zeros by default. Copied, never modified.

    Returns
    -------
    GDResult
        Final parameters and the mean squared error after every step.
    """
    d = X.shape[1]
    w = torch.zeros(d, 1, dtype=X.dtype) if w_init is None else w_init.detach().clone()
    b = torch.zeros(1, dtype=X.dtype) if b_init is None else b_init.detach().clone().reshape(1)

    def mse() -> float:
        return 2 * squared_loss(linreg(X, w, b), y).mean().item()

    losses = [mse()]
    for _ in range(num_steps):
        grad_w, grad_b = linreg_grad(X, y, w, b)
        w = w - lr * grad_w
        b = b - lr * grad_b
        losses.append(mse())
    return GDResult(w=w, b=b, losses=losses)


# ------------------------------------------------------------- regression for classification


def fit_regression_classifier(
    X: torch.Tensor, y: torch.Tensor, num_classes: int | None = None, *, l2: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Classification by regression: least squares on one-hot targets.

    The label ``y_i = c`` becomes the vector ``e_c`` (1 in position ``c``, 0 elsewhere)
    and :func:`least_squares` fits one linear score per class; predict with
    :func:`predict_classes`. Used in lecture 3.3.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, d)`` features.
    y : torch.Tensor
        ``(n,)`` integer labels in ``[0, num_classes)``.
    num_classes : int, optional
        Number of classes; ``max(y) + 1`` by default.
    l2 : float
        Ridge penalty passed to :func:`least_squares`.

    Returns
    -------
    W : torch.Tensor
        ``(d, num_classes)`` weights.
    b : torch.Tensor
        ``(num_classes,)`` biases.
    """
    X = check_tensor("X", X, ndim=2, dtype="float")
    y, num_classes = _check_labels(y, len(X), num_classes)
    Y = torch.nn.functional.one_hot(y.long(), num_classes).to(X.dtype)
    return least_squares(X, Y, l2=l2)


def predict_classes(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None
                    ) -> torch.Tensor:
    """The class with the largest score ``argmax_j (X W + b)_j``, per row. Used in lecture 3.3.

    Works for any linear scores, from :func:`fit_regression_classifier` or from
    softmax regression (softmax is increasing, so it does not change the arg-max).
    """
    X = check_tensor("X", X, ndim=2, dtype="float")
    return dense(X, W, b).argmax(dim=1)


# --------------------------------------------------------------------------- softmax regression


def cross_entropy_probs(Y_hat: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Per-example cross-entropy ``-sum_j Y_j log Y_hat_j`` between probability vectors.

    ``Y`` is the target distribution (a one-hot row for a hard label), ``Y_hat`` the
    predicted one. For a one-hot ``Y`` with the 1 in position ``c`` the sum has a
    single term, ``-log Y_hat_c``: only the predicted probability of the true class
    enters the loss. Terms with ``Y_j = 0`` count as 0 even where ``Y_hat_j = 0``.
    From logits, :func:`helpers.neural.cross_entropy` is the numerically safe
    version. Used in lecture 3.3.

    Parameters
    ----------
    Y_hat, Y : torch.Tensor
        ``(n, k)`` rows of non-negative numbers that sum to 1.

    Returns
    -------
    torch.Tensor
        ``(n,)`` losses (``inf`` where the true class has predicted probability 0).
    """
    for name, P in (("Y_hat", Y_hat), ("Y", Y)):
        check_tensor(name, P, ndim=2, dtype="float")
        if (P < 0).any():
            raise ValueError(f"{name} must hold probabilities (non-negative)")
        sums = P.sum(dim=1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
            raise ValueError(f"every row of {name} must sum to 1, got sums in "
                             f"[{sums.min().item():.4g}, {sums.max().item():.4g}]")
    if Y_hat.shape != Y.shape:
        raise ValueError(f"Y_hat and Y must have the same shape, got {tuple(Y_hat.shape)} "
                         f"and {tuple(Y.shape)}")
    terms = torch.where(Y > 0, Y * torch.log(Y_hat), torch.zeros_like(Y_hat))
    return -terms.sum(dim=1)


@boundary(l2="real >= 0.0")
def softmax_regression_loss(X: torch.Tensor, y: torch.Tensor, W: torch.Tensor,
                            b: torch.Tensor, l2: float = 0.0) -> torch.Tensor:
    """The objective of softmax regression: mean cross-entropy plus ``l2 / 2 * ||W||^2``.

    The logits are ``O = X W + b`` (:func:`helpers.neural.dense`) and the per-example
    loss is :func:`helpers.neural.cross_entropy`. Differentiable with autograd.
    Used in lecture 3.3.
    """
    loss = cross_entropy(dense(X, W, b), y).mean()
    return loss + l2 / 2 * (W ** 2).sum() if l2 else loss


def _softmax_grad_args(args: dict) -> None:
    """Check and convert the arguments of :func:`softmax_regression_grad` (in place)."""
    X, W = args["X"], args["W"]
    args["y"] = _check_labels(args["y"], len(X), W.shape[1] if W.ndim == 2 else None)[0]


@boundary(X="2-D float tensor", l2="real >= 0.0", check=_softmax_grad_args)
def softmax_regression_grad(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, l2: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Analytic gradient of :func:`softmax_regression_loss` (no autograd).

    With ``O = X W + b`` and the one-hot matrix ``Y``, the derivative of the mean
    cross-entropy is ``dL/dO = (softmax(O) - Y) / n``, hence ``grad_W = X^T
    (softmax(O) - Y) / n + l2 * W`` and ``grad_b = mean over rows of (softmax(O) - Y)``.
    Used in lecture 3.3.

    Returns
    -------
    grad_W : torch.Tensor
        ``(d, k)``, same shape as ``W``.
    grad_b : torch.Tensor
        ``(k,)``, same shape as ``b``.
    """
    with torch.no_grad():
        P = softmax(dense(X, W, b))
        Y = torch.nn.functional.one_hot(y.long(), W.shape[1]).to(P.dtype)
        residual = (P - Y) / len(X)
        return X.T @ residual + l2 * W, residual.sum(dim=0)


@dataclass
class SoftmaxRegressionResult:
    """What :func:`train_softmax_regression` returns. Used in lecture 3.3.

    Attributes
    ----------
    W, b : torch.Tensor
        Final ``(d, k)`` weights and ``(k,)`` biases.
    losses : list of float
        The objective (:func:`softmax_regression_loss`) on all training data before
        training and after every epoch (``num_epochs + 1`` values).
    """

    W: torch.Tensor
    b: torch.Tensor
    losses: list[float] = field(default_factory=list)


def _train_softmax_args(args: dict) -> None:
    """Check and convert the arguments of :func:`train_softmax_regression` (in place);
    ``num_classes`` defaults to ``max(y) + 1``."""
    args["y"], args["num_classes"] = _check_labels(args["y"], len(args["X"]),
                                                   args["num_classes"])


@boundary(X="2-D float tensor", lr="real > 0.0", num_epochs="int >= 1", l2="real >= 0.0",
          batch_size="int >= 1 or None", check=_train_softmax_args)
def train_softmax_regression(
    X: torch.Tensor,
    y: torch.Tensor,
    num_classes: int | None = None,
    *,
    lr: float,
    num_epochs: int,
    batch_size: int | None = None,
    l2: float = 0.0,
    generator: torch.Generator | None = None,
) -> SoftmaxRegressionResult:
    """Train softmax regression from zeros with the analytic gradient.

    Full-batch gradient descent when ``batch_size`` is None (one step per epoch),
    otherwise mini-batch SGD over :func:`helpers.sgd.data_iter` batches. The
    objective is convex, so from any start it approaches the same minimum (unique when
    ``l2 > 0``). Used in lecture 3.3.

    Parameters
    ----------
    X : torch.Tensor
        ``(n, d)`` features (standardise them: the step size depends on their scale).
    y : torch.Tensor
        ``(n,)`` integer labels.
    num_classes : int, optional
        Number of classes; ``max(y) + 1`` by default.
    lr : float
        Learning rate.
    num_epochs : int
        Passes over the data.
    batch_size : int, optional
        Mini-batch size; None for full-batch gradient descent.
    l2 : float
        Weight decay: adds ``l2 / 2 * ||W||^2`` to the objective (bias not penalised).
    generator : torch.Generator, optional
        Shuffling of the mini-batches.

    Returns
    -------
    SoftmaxRegressionResult
        Weights, biases and the objective after each epoch.
    """
    W = torch.zeros(X.shape[1], num_classes, dtype=X.dtype)
    b = torch.zeros(num_classes, dtype=X.dtype)

    def objective() -> float:
        return softmax_regression_loss(X, y, W, b, l2).item()

    losses = [objective()]
    for _ in range(num_epochs):
        batches = [(X, y)] if batch_size is None else data_iter(batch_size, X, y, generator)
        for X_batch, y_batch in batches:
            grad_W, grad_b = softmax_regression_grad(X_batch, y_batch, W, b, l2)
            W = W - lr * grad_W
            b = b - lr * grad_b
        losses.append(objective())
    return SoftmaxRegressionResult(W=W, b=b, losses=losses)
