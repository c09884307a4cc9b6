"""Tests of helpers.graphs against scikit-learn and closed forms (lecture 8.1)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from sklearn.semi_supervised import LabelPropagation, LabelSpreading

from helpers.graphs import (
    edge_homophily,
    harmonic_solution,
    label_propagation,
    label_spreading,
    neighbour_label_fractions,
)


def karate():
    G = nx.karate_club_graph()
    W = nx.to_numpy_array(G, nodelist=range(34), weight=None)
    y = np.array([G.nodes[i]["club"] == "Officer" for i in range(34)], dtype=np.int64)
    return W, y


def adjacency_kernel(W):
    """A kernel for scikit-learn that returns the adjacency between node indices."""
    def kernel(A, B):
        return W[np.ix_(A[:, 0].astype(int), B[:, 0].astype(int))]
    return kernel


def random_graph(seed, n=40, k=3):
    rng = np.random.default_rng(seed)
    W = rng.uniform(size=(n, n)) * (rng.uniform(size=(n, n)) < 0.2)
    W = np.triu(W, 1)
    W = W + W.T
    W[np.arange(n), (np.arange(n) + 1) % n] += 0.5  # a ring keeps it connected
    W[(np.arange(n) + 1) % n, np.arange(n)] += 0.5
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)
    unknown = rng.uniform(size=n) < 0.7
    unknown[:k] = False
    return W, np.where(unknown, -1, y)


@pytest.mark.parametrize("seed", range(5))
def test_label_propagation_matches_sklearn_and_the_closed_form(seed):
    W, y = random_graph(seed)
    ours = label_propagation(W, y, max_iter=100_000, tol=1e-12)
    ref = LabelPropagation(kernel=adjacency_kernel(W), max_iter=100_000, tol=1e-12).fit(
        np.arange(len(y))[:, None].astype(float), y)
    assert np.allclose(ours, ref.label_distributions_, atol=1e-8)
    assert np.allclose(ours, harmonic_solution(W, y), atol=1e-8)


def test_label_propagation_on_karate_with_default_tolerance():
    W, y_true = karate()
    y = np.full(34, -1)
    y[[0, 33]] = y_true[[0, 33]]
    ours = label_propagation(W, y)
    ref = LabelPropagation(kernel=adjacency_kernel(W)).fit(np.arange(34.0)[:, None], y)
    assert np.allclose(ours, ref.label_distributions_, atol=1e-9)
    assert np.mean(ours.argmax(1) == y_true) > 0.9


@pytest.mark.parametrize("seed", range(5))
def test_label_spreading_matches_sklearn(seed):
    W, y = random_graph(seed)
    ours = label_spreading(W, y, alpha=0.3)
    ref = LabelSpreading(kernel=adjacency_kernel(W), alpha=0.3, max_iter=100_000,
                         tol=1e-13).fit(np.arange(len(y))[:, None].astype(float), y)
    assert np.allclose(ours, ref.label_distributions_, atol=1e-8)


def test_propagation_keeps_labelled_nodes_and_fills_a_path():
    W = np.diag(np.ones(4), 1) + np.diag(np.ones(4), -1)  # path 0-1-2-3-4
    F = harmonic_solution(W, [0, -1, -1, -1, 1])
    assert np.allclose(F[:, 1], [0, 0.25, 0.5, 0.75, 1])


def test_homophily_and_neighbour_fractions():
    W = np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0.0]])
    assert edge_homophily(W, [0, 0, 1, 1]) == pytest.approx(0.5)
    assert edge_homophily(W, [0, 1, 1, 0]) == pytest.approx(0.0)
    F = neighbour_label_fractions(W, [0, -1, 1, -1], n_classes=2)
    assert np.allclose(F, [[0, 1], [1, 0], [1, 0], [0, 1]])
    assert np.allclose(neighbour_label_fractions(W, [0, -1, -1, -1])[0], [0.0])
    W_k, y_k = karate()
    assert edge_homophily(W_k, y_k) > 0.8


@pytest.mark.parametrize("W, y, match", [
    (np.ones((3, 2)), [0, 1, 0], "square"),
    (np.array([[0, 1.0], [0, 0]]), [0, 1], "symmetric"),
    (np.array([[0, -1.0], [-1, 0]]), [0, 1], "non-negative"),
    (np.array([[0, 1.0], [1, 0]]), [0, 1, 1], "consistent"),
    (np.array([[0, 1.0], [1, 0]]), [-1, -1], "no known label"),
    (np.array([[0, 1.0], [1, 0]]), [0.5, 1.0], "integer"),
    (np.array([[0, np.nan], [np.nan, 0]]), [0, 1], "NaN"),
    (np.zeros((2, 2)), [0, -1], "isolated"),
])
def test_graph_helpers_reject_bad_input(W, y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        label_propagation(W, y)
