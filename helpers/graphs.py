"""Learning on graphs: homophily, neighbour features and label propagation.

Used in lecture 8.1 (data beyond IID). The nodes of a graph (people in a social
network, papers citing each other) are not independent examples: linked nodes tend
to be alike (*homophily*), so a node's neighbours say something about its label.
This module turns that into predictions:

- :func:`edge_homophily` is the fraction of edges that join two nodes of one class;
- :func:`neighbour_label_fractions` gives every node the class fractions among its
  neighbours whose labels are known, a feature for any classifier;
- :func:`label_propagation` spreads known labels along the edges until every
  unlabelled node holds the average of its neighbours (Zhu and Ghahramani 2002;
  tested against scikit-learn's ``LabelPropagation`` and the closed form);
- :func:`label_spreading` is the variant of Zhou et al. (2004) that lets known
  labels change too (tested against ``LabelSpreading``).

Graphs are given as a dense symmetric adjacency (affinity) matrix ``W`` with
non-negative entries, e.g. ``networkx.to_numpy_array(G)``.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array, check_consistent_length, check_scalar

from helpers.checks import boundary

__all__ = [
    "edge_homophily",
    "harmonic_solution",
    "label_propagation",
    "label_spreading",
    "neighbour_label_fractions",
]


def _adjacency(W: object) -> np.ndarray:
    W = check_array(W, dtype=np.float64, input_name="W")
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square adjacency matrix, got shape {W.shape}")
    if np.any(W < 0):
        raise ValueError("W must have non-negative entries")
    if not np.allclose(W, W.T):
        raise ValueError("W must be symmetric (an undirected graph)")
    return W


def _node_labels(y: object, n: int, *, allow_unknown: bool) -> np.ndarray:
    """Integer class labels per node; -1 marks an unknown label when allowed."""
    arr = check_array(np.asarray(y), ensure_2d=False, dtype=None, input_name="y")
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}")
    check_consistent_length(arr, np.empty(n))
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError("y must hold integer class labels (and -1 for unknown)")
    low = -1 if allow_unknown else 0
    if arr.min() < low:
        raise ValueError(f"y must hold labels >= 0{' or -1 for unknown' * allow_unknown}")
    return arr.astype(np.int64)


def _n_classes(y: np.ndarray, n_classes: int | None) -> int:
    known = y[y >= 0]
    if known.size == 0:
        raise ValueError("y has no known label; give at least one")
    if n_classes is None:
        return int(known.max()) + 1
    n_classes = int(check_scalar(n_classes, "n_classes", Integral, min_val=1))
    if known.max() >= n_classes:
        raise ValueError(f"y has label {known.max()} but n_classes={n_classes}")
    return n_classes


def _homophily_args(args: dict) -> None:
    W = args["W"] = _adjacency(args["W"])
    args["y"] = _node_labels(args["y"], len(W), allow_unknown=False)
    if not np.any(W[~np.eye(len(W), dtype=bool)] > 0):
        raise ValueError("W has no edges")


@boundary(check=_homophily_args)
def edge_homophily(W: object, y: object) -> float:
    """The fraction of edges (weighted by W) whose two ends have the same label.

    Self-loops are ignored. With k balanced classes and labels unrelated to the
    edges it is about 1/k; a homophilous graph scores higher. Used in lecture 8.1.

    Parameters
    ----------
    W : array-like of shape (n, n)
        Symmetric non-negative adjacency matrix.
    y : array-like of shape (n,)
        Integer labels.
    """
    off = W - np.diag(np.diag(W))
    same = y[:, None] == y[None, :]
    return float(off[same].sum() / off.sum())


def neighbour_label_fractions(W: object, y: object, n_classes: int | None = None
                              ) -> np.ndarray:
    """For every node, the (W-weighted) class fractions among its labelled neighbours.

    Only labels that are known (``y >= 0``) count, so a node whose label is to be
    predicted never contributes to its neighbours' features -- mark the labels of
    validation and test nodes -1 before calling this, or their labels leak across
    the edges into the training features. A node without labelled neighbours
    gets a row of zeros. Used in lecture 8.1.

    Parameters
    ----------
    W : array-like of shape (n, n)
        Symmetric non-negative adjacency matrix (diagonal ignored).
    y : array-like of shape (n,)
        Integer labels, -1 for unknown.
    n_classes : int, optional
        By default one more than the largest known label.

    Returns
    -------
    numpy.ndarray of shape (n, n_classes)
    """
    W = _adjacency(W)
    y = _node_labels(y, len(W), allow_unknown=True)
    k = _n_classes(y, n_classes)
    off = W - np.diag(np.diag(W))
    Y = np.zeros((len(y), k))
    Y[y >= 0, y[y >= 0]] = 1.0
    counts = off @ Y
    total = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)


def _one_hot_known(y: np.ndarray, k: int) -> np.ndarray:
    Y = np.zeros((len(y), k))
    Y[y >= 0, y[y >= 0]] = 1.0
    return Y


def _label_propagation_args(args: dict) -> None:
    """Check and convert the arguments of :func:`label_propagation` (in place);
    ``n_classes`` defaults to the number of known classes."""
    args["W"], args["y"], args["n_classes"] = _propagation_inputs(args["W"], args["y"],
                                                                 args["n_classes"])


@boundary(max_iter="int >= 1", tol="real > 0.0", check=_label_propagation_args)
def label_propagation(W: object, y: object, n_classes: int | None = None, *,
                      max_iter: int = 1000, tol: float = 1e-3) -> np.ndarray:
    """Propagate known labels along the edges (Zhu and Ghahramani 2002).

    Start with one-hot rows for the labelled nodes and zeros elsewhere. Repeat:
    every node takes the W-weighted average of its neighbours' rows,
    ``F <- D^-1 W F``, the rows are normalised to sum to 1, and the labelled
    nodes are clamped back to their labels. The fixed point is the harmonic
    solution (:func:`harmonic_solution`): every unlabelled node holds the average
    of its neighbours. Same iteration and stopping rule as scikit-learn's
    ``LabelPropagation``. Used in lecture 8.1.

    Parameters
    ----------
    W : array-like of shape (n, n)
        Symmetric non-negative adjacency matrix, every node with an edge.
    y : array-like of shape (n,)
        Integer labels, -1 for unlabelled nodes.
    n_classes : int, optional
    max_iter : int
    tol : float
        Stop when the summed absolute change of F is below ``tol`` (scikit-learn's
        default; lower it for an answer close to the fixed point).

    Returns
    -------
    numpy.ndarray of shape (n, n_classes)
        Class distribution of every node; ``argmax`` predicts its label.
    """
    P = W / W.sum(axis=1, keepdims=True)
    labelled = (y >= 0)[:, None]
    clamp = _one_hot_known(y, n_classes)
    F, previous = clamp.copy(), np.zeros_like(clamp)
    for _ in range(max_iter):
        if np.abs(F - previous).sum() < tol:
            break
        previous = F
        F = P @ F
        total = F.sum(axis=1, keepdims=True)
        F = np.where(labelled, clamp, F / np.where(total == 0, 1.0, total))
    total = F.sum(axis=1, keepdims=True)
    return F / np.where(total == 0, 1.0, total)


def _propagation_inputs(W, y, n_classes):
    W = _adjacency(W)
    if np.any(W.sum(axis=1) == 0):
        raise ValueError("W has isolated nodes (rows summing to 0); labels cannot reach them")
    y = _node_labels(y, len(W), allow_unknown=True)
    return W, y, _n_classes(y, n_classes)


def harmonic_solution(W: object, y: object, n_classes: int | None = None) -> np.ndarray:
    """The closed form of label propagation: ``F_U = (I - P_UU)^-1 P_UL Y_L``.

    With P = D^-1 W split into labelled (L) and unlabelled (U) blocks, the fixed
    point F_U = P_UU F_U + P_UL Y_L of :func:`label_propagation` solves this
    linear system (rows then normalised). Every connected component needs a
    labelled node. Used in lecture 8.1.

    Parameters
    ----------
    W, y, n_classes
        As in :func:`label_propagation`.

    Returns
    -------
    numpy.ndarray of shape (n, n_classes)
    """
    W, y, k = _propagation_inputs(W, y, n_classes)
    P = W / W.sum(axis=1, keepdims=True)
    L, U = y >= 0, y < 0
    F = _one_hot_known(y, k)
    system = np.eye(U.sum()) - P[np.ix_(U, U)]
    F[U] = np.linalg.solve(system, P[np.ix_(U, L)] @ F[L])
    total = F.sum(axis=1, keepdims=True)
    return F / np.where(total == 0, 1.0, total)


@boundary(alpha="real in (0, 1)")
def label_spreading(W: object, y: object, n_classes: int | None = None, *,
                    alpha: float = 0.2) -> np.ndarray:
    """Label spreading (Zhou et al. 2004), in closed form.

    With S = D^-1/2 W D^-1/2 (diagonal set to 0) and one-hot rows Y for the
    labelled nodes, the iteration ``F <- alpha S F + (1 - alpha) Y`` converges to
    ``F = (1 - alpha) (I - alpha S)^-1 Y``; rows are normalised. Labelled nodes may
    change label when their neighbourhood disagrees (robust to label noise).
    Matches scikit-learn's ``LabelSpreading`` at convergence. Used in lecture 8.1.

    Parameters
    ----------
    W, y, n_classes
        As in :func:`label_propagation`.
    alpha : float
        How much a node listens to its neighbours, 0 < alpha < 1.

    Returns
    -------
    numpy.ndarray of shape (n, n_classes)
    """
    W, y, k = _propagation_inputs(W, y, n_classes)
    d = 1 / np.sqrt(W.sum(axis=1))
    S = d[:, None] * W * d[None, :]
    np.fill_diagonal(S, 0.0)
    F = (1 - alpha) * np.linalg.solve(np.eye(len(W)) - alpha * S, _one_hot_known(y, k))
    total = F.sum(axis=1, keepdims=True)
    return F / np.where(total == 0, 1.0, total)
