"""A small, reusable training loop for torch models: classification and regression.

Used from lecture 3.5 on. Lecture 3.4 wrote every piece of mini-batch SGD by hand;
from here on the same recipe is written once, with PyTorch's building blocks:

- :func:`make_loader` wraps tensors in a ``DataLoader`` (``num_workers=0``, shuffling
  from a seeded ``torch.Generator``, so every run sees the same batches);
- :func:`train` runs ``num_epochs`` epochs of forward pass, loss, backward pass and
  optimizer step, and records the training loss and accuracy of every epoch and,
  when validation data are given, the validation loss and accuracy;
- :func:`evaluate`, :func:`accuracy` and :func:`predict` measure a trained model.

A run is a deterministic function of the network's initial weights, the data, the
hyper-parameters and ``seed``: the loader's shuffling and any randomness inside the
network (dropout) are drawn from ``seed``, and the caller's global torch random state
is left untouched.

Conventions. Features ``X`` are a float tensor with one example per row (any trailing
shape, e.g. ``(n, d)`` or ``(n, c, h, w)``). For classification the network returns
logits ``(n, k)`` with ``k >= 2`` and the labels are class indices ``(n,)`` of an integer
dtype; a single logit per example ``(n,)``/``(n, 1)`` with 0/1 labels is also understood by
:func:`accuracy` (pass ``loss=torch.nn.BCEWithLogitsLoss()``). For regression the
labels have the shape of the network's output and the default loss is the mean
squared error.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

from helpers.checks import boundary, check_class_indices, check_same_length, check_tensor, one_of

__all__ = [
    "History",
    "accuracy",
    "evaluate",
    "make_loader",
    "predict",
    "train",
]

TASKS = ("classification", "regression")


# --------------------------------------------------------------------------- validation


def _check_data(X: object, y: object, task: str, what: str = "X and y") -> None:
    """Features: a non-empty finite float tensor; labels: a tensor of as many rows, finite
    floats for regression. ``what`` names the two, e.g. ``"X_val and y_val"``."""
    x_name, y_name = what.split(" and ")
    check_tensor(x_name, X, min_ndim=1, dtype="float")
    check_tensor(y_name, y, min_ndim=1)
    if task == "regression" or y.is_floating_point():
        check_tensor(y_name, y, dtype="float")
    check_same_length(**{x_name: X, y_name: y})


def _default_loss(task: str) -> nn.Module:
    return nn.CrossEntropyLoss() if task == "classification" else nn.MSELoss()


def _check_output(y_hat: torch.Tensor, y: torch.Tensor, task: str, loss: nn.Module) -> None:
    """Catch the silent errors: a regression output that would broadcast against y."""
    if task == "regression" and y_hat.shape != y.shape:
        raise ValueError(f"regression output has shape {tuple(y_hat.shape)} but y has shape "
                         f"{tuple(y.shape)}; they must match (reshape y, e.g. to (n, 1))")
    if task == "classification" and isinstance(loss, nn.CrossEntropyLoss):
        if y_hat.ndim != 2:
            raise ValueError(f"classification with CrossEntropyLoss needs logits (n, k), got "
                             f"{tuple(y_hat.shape)}")
        check_class_indices("y", y, len(y_hat), y_hat.shape[1])


# --------------------------------------------------------------------------- data


@boundary(X=functools.partial(check_tensor, min_ndim=1),
          y=functools.partial(check_tensor, min_ndim=1), batch_size="int >= 1", seed="int",
          same_length=("X", "y"))
def make_loader(
    X: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
) -> DataLoader:
    """A ``DataLoader`` over ``(X, y)`` in mini-batches, reproducible from ``seed``.

    ``num_workers=0`` (batches are built in the main process: deterministic and cheap
    for in-memory tensors) and a ``torch.Generator`` seeded with ``seed`` for the
    shuffling. Each batch is taken with one indexing operation ``X[indices]`` rather
    than example by example, which is many times faster for small examples. Every
    example appears once per epoch; the last batch is smaller when ``batch_size``
    does not divide ``len(X)``. Iterating the loader again gives a new order (the
    generator advances), the same sequence of orders on every run. Used from
    lecture 3.5 on.

    Parameters
    ----------
    X, y : torch.Tensor
        Features and labels with the same number of rows.
    batch_size : int
        Examples per batch.
    shuffle : bool
        Shuffle every epoch (training) or keep the order (evaluation).
    seed : int
        Seed of the shuffling generator.

    Returns
    -------
    torch.utils.data.DataLoader
        Yields ``(X_batch, y_batch)`` tuples.
    """
    dataset = torch.utils.data.TensorDataset(X, y)
    generator = torch.Generator().manual_seed(seed)
    order = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    batches = BatchSampler(order, batch_size=batch_size, drop_last=False)
    # batch_size=None: the sampler already yields lists of indices, one per batch, and
    # TensorDataset[list] returns the whole batch at once.
    return DataLoader(dataset, sampler=batches, batch_size=None, num_workers=0,
                      generator=generator)


# --------------------------------------------------------------------------- metrics


@boundary(y_hat="tensor", y="tensor")
def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of examples whose predicted class equals the label.

    ``y_hat`` holds logits (or probabilities): ``(n, k)`` with ``k >= 2`` is read as
    ``argmax`` over classes; ``(n,)`` or ``(n, 1)`` as one logit per example, predicting
    class 1 when it is positive. Used from lecture 3.5 on.

    Parameters
    ----------
    y_hat : torch.Tensor
        Network outputs.
    y : torch.Tensor
        ``(n,)`` labels (class indices, or 0/1 for a single logit).

    Returns
    -------
    float
        Accuracy in [0, 1].
    """
    if len(y_hat) != len(y):
        raise ValueError(f"y_hat and y must have the same length, got {len(y_hat)} and {len(y)}")
    if y_hat.ndim == 2 and y_hat.shape[1] > 1:
        predicted = y_hat.argmax(dim=1)
    elif y_hat.ndim == 1 or (y_hat.ndim == 2 and y_hat.shape[1] == 1):
        predicted = (y_hat.reshape(-1) > 0).long()
    else:
        raise ValueError(f"y_hat must have shape (n, k) or (n,), got {tuple(y_hat.shape)}")
    y = y.reshape(-1)
    if y.is_floating_point():
        y = y.round().long()
    return (predicted == y).float().mean().item()


@torch.no_grad()
@boundary(net="module", X="tensor", batch_size="int >= 1")
def predict(net: nn.Module, X: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The network's outputs on ``X``, in evaluation mode and without gradients.

    Restores the network's previous train/eval mode. Used from lecture 3.5 on.
    """
    was_training = net.training
    net.eval()
    try:
        return torch.cat([net(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])
    finally:
        net.train(was_training)


def _evaluate_args(args: dict) -> None:
    _check_data(args["X"], args["y"], args["task"])


@boundary(task=one_of(TASKS), batch_size="int >= 1", check=_evaluate_args)
def evaluate(
    net: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    loss: nn.Module | None = None,
    task: str = "classification",
    batch_size: int = 1024,
) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``net`` on ``(X, y)`` (accuracy is None for regression).

    Runs in evaluation mode without gradients. ``loss`` must average over the batch
    (PyTorch's default ``reduction="mean"``); the default is cross-entropy for
    classification and mean squared error for regression. Used from lecture 3.5 on.

    Returns
    -------
    (mean_loss, accuracy) : tuple
        ``accuracy`` is a float in [0, 1] for classification, None for regression.
    """
    loss = _default_loss(task) if loss is None else loss
    y_hat = predict(net, X, batch_size)
    _check_output(y_hat, y, task, loss)
    with torch.no_grad():
        mean_loss = loss(y_hat, y).item()
    return mean_loss, (accuracy(y_hat, y) if task == "classification" else None)


# --------------------------------------------------------------------------- training


@dataclass
class History:
    """Per-epoch measurements recorded by :func:`train`. Used from lecture 3.5 on.

    Attributes
    ----------
    train_loss : list of float
        Mean training loss of each epoch, averaged over its mini-batches (weighted
        by batch size) while the weights were being updated.
    train_acc : list of float
        Training accuracy of each epoch, measured the same way (classification only;
        empty for regression).
    val_loss, val_acc : list of float
        Loss and accuracy on the validation data at the end of each epoch, in
        evaluation mode (empty without validation data; ``val_acc`` empty for
        regression).
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)

    @property
    def num_epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)


def _make_optimizer(
    net: nn.Module, optimizer: str | torch.optim.Optimizer, lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    cls = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    return cls([p for p in net.parameters() if p.requires_grad], lr=lr,
               weight_decay=weight_decay)


def _train_args(args: dict) -> None:
    """Check and convert the arguments of :func:`train` (in place)."""
    task = args["task"]
    _check_data(args["X_train"], args["y_train"], task, "X_train and y_train")
    if (args["X_val"] is None) != (args["y_val"] is None):
        raise ValueError("give both X_val and y_val, or neither")
    if args["X_val"] is not None:
        _check_data(args["X_val"], args["y_val"], task, "X_val and y_val")
    if getattr(args["loss"], "reduction", "mean") != "mean":
        raise ValueError("loss must average over the batch (reduction='mean')")
    if not isinstance(args["optimizer"], torch.optim.Optimizer):
        if args["optimizer"] not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd', 'adam' or a torch.optim.Optimizer, "
                             f"got {args['optimizer']!r}")
        if not any(p.requires_grad for p in args["net"].parameters()):
            raise ValueError("net has no trainable parameters")


@boundary(net="module", num_epochs="int >= 1", batch_size="int >= 1", lr="real > 0.0",
          weight_decay="real >= 0.0", loss="module or None", task=one_of(TASKS),
          seed="int", check=_train_args)
def train(
    net: nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    *,
    num_epochs: int,
    batch_size: int,
    lr: float = 0.1,
    optimizer: str | torch.optim.Optimizer = "sgd",
    weight_decay: float = 0.0,
    loss: nn.Module | None = None,
    task: str = "classification",
    X_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    seed: int = 0,
) -> History:
    """Train ``net`` in place with mini-batch gradient descent; return the per-epoch history.

    Each epoch shuffles the training data (a :func:`make_loader` seeded with
    ``seed``), and for every mini-batch computes the outputs, the mean loss, its
    gradient (``backward``) and one optimizer step. The network is in training mode
    during the epoch and in evaluation mode while the validation data are scored.
    Randomness inside the network (dropout) comes from ``seed`` too; the caller's
    global torch random state is restored afterwards. The network's initial weights
    are the caller's responsibility (seed before building it). A diverging run is
    recorded (losses become ``inf``/``nan``), not hidden. Used from lecture 3.5 on.

    Parameters
    ----------
    net : torch.nn.Module
        The model; its parameters are updated in place.
    X_train, y_train : torch.Tensor
        Training features and labels (see the module docstring for the conventions).
    num_epochs : int
        Passes over the training data.
    batch_size : int
        Examples per mini-batch.
    lr : float
        Learning rate, used when ``optimizer`` is a name.
    optimizer : {"sgd", "adam"} or torch.optim.Optimizer
        A name builds ``torch.optim.SGD``/``Adam`` over ``net``'s parameters with ``lr``
        and ``weight_decay``; an optimizer instance (built on ``net.parameters()``) is
        used as is, e.g. for momentum.
    weight_decay : float
        L2 penalty coefficient, used when ``optimizer`` is a name.
    loss : torch.nn.Module, optional
        A loss that averages over the batch. Default: ``CrossEntropyLoss`` for
        classification, ``MSELoss`` for regression.
    task : {"classification", "regression"}
        Whether to record accuracies.
    X_val, y_val : torch.Tensor, optional
        Validation data, scored after every epoch (give both or neither).
    seed : int
        Seed for the shuffling and for randomness inside the network.

    Returns
    -------
    History
        ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``, one value per epoch.
    """
    loss = _default_loss(task) if loss is None else loss
    opt = _make_optimizer(net, optimizer, lr, weight_decay)
    loader = make_loader(X_train, y_train, batch_size, shuffle=True, seed=seed)
    history = History()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(num_epochs):
            net.train()
            total_loss, total_correct, total = 0.0, 0.0, 0
            for X_batch, y_batch in loader:
                y_hat = net(X_batch)
                if total == 0:
                    _check_output(y_hat, y_batch, task, loss)
                batch_loss = loss(y_hat, y_batch)
                opt.zero_grad()
                batch_loss.backward()
                opt.step()
                m = len(y_batch)
                total_loss += batch_loss.item() * m
                if task == "classification":
                    total_correct += accuracy(y_hat.detach(), y_batch) * m
                total += m
            history.train_loss.append(total_loss / total)
            if task == "classification":
                history.train_acc.append(total_correct / total)
            if X_val is not None:
                val_loss, val_acc = evaluate(net, X_val, y_val, loss=loss, task=task)
                history.val_loss.append(val_loss)
                if val_acc is not None:
                    history.val_acc.append(val_acc)
    net.train()
    return history
