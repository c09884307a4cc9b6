"""Decision trees, random forests and gradient boosting from scratch, in NumPy.

Used in lecture 3.2; lectures 5.2 (bagging) and 5.3 (boosting) reuse the tree.

The tree is CART (Breiman et al., 1984) as scikit-learn implements it:

- binary splits ``x[feature] <= threshold`` on numeric features, with the
  threshold at the midpoint between two consecutive distinct sorted values;
- the split maximises the decrease of an impurity: Gini or entropy for
  classification, the variance (mean squared error) for regression;
- the tree is grown depth first (node ids in pre-order, left child first) until a
  node is pure, too small, or at ``max_depth``; ``max_features`` draws a random
  subset of features at every split (the ingredient that makes a forest random);
- minimal cost-complexity pruning (``ccp_alpha``) then removes the branches whose
  impurity decrease per extra leaf is below ``ccp_alpha``.

When the best split of every node is unique, the trees are the same as
``sklearn.tree.DecisionTreeClassifier`` / ``DecisionTreeRegressor`` with the same
settings (scikit-learn breaks exact ties at random; this module takes the lowest
feature index). The split search is vectorised over all candidate features and
thresholds of a node: one sort and one cumulative sum.

The estimators follow scikit-learn's conventions: keyword-only constructor
arguments, ``fit(X, y)`` returning ``self``, ``predict(X)``, ``predict_proba(X)``
for classifiers, ``score(X, y)``, and fitted attributes ending in ``_``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils._param_validation import Interval, StrOptions

from helpers.checks import (
    boundary,
    check_fitted,
    check_fitted_X,
    check_int,
    check_matrix,
    check_real,
    check_target,
    instance,
)

__all__ = [
    "CLASSIFICATION_CRITERIA",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "GradientBoostingRegressor",
    "NotFittedError",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "REGRESSION_CRITERIA",
    "Split",
    "Tree",
    "cost_complexity_path",
    "export_text",
    "find_best_split",
    "grow_tree",
    "half_squared_error",
    "negative_gradient",
    "node_impurity",
    "prune_tree",
    "pruned_subtrees",
    "weakest_link_pruning",
]

CLASSIFICATION_CRITERIA = ("gini", "entropy")
REGRESSION_CRITERIA = ("squared_error",)
FEATURE_THRESHOLD = 1e-7  # values closer than this count as equal (as in scikit-learn)
EPSILON = float(np.finfo(np.float64).eps)  # a node with impurity <= EPSILON is pure
TREE_LEAF = -1  # child id of a leaf
TREE_UNDEFINED = -2  # feature id and threshold of a leaf


# --------------------------------------------------------------------------- validation


# scikit-learn parameter constraints (checked by helpers.checks.boundary)
_MAX_FEATURES = [None, StrOptions({"sqrt", "log2"}), Interval(Integral, 1, None, closed="left"),
                 Interval(Real, 0, 1, closed="right")]
_RANDOM_STATE = [None, np.random.Generator, Interval(Integral, 0, None, closed="left")]


def _resolve_max_features(max_features: object, n_features: int) -> int:
    """Number of features to examine per split, as scikit-learn computes it."""
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, Integral):
        if max_features > n_features:
            raise ValueError(f"max_features={max_features} exceeds the {n_features} features")
        return int(max_features)
    return max(1, int(max_features * n_features))


# --------------------------------------------------------------------------- impurity


def node_impurity(Y: np.ndarray, criterion: str) -> float:
    """Impurity of one node from its targets.

    Used in lecture 3.2.

    Parameters
    ----------
    Y : ndarray of shape (n, k)
        One-hot class indicators (classification) or ``y`` as a column (regression).
    criterion : {"gini", "entropy", "squared_error"}
        Gini ``1 - sum_k p_k^2``, entropy ``-sum_k p_k log2 p_k`` (classes' fractions
        ``p_k``), or the variance of ``y`` (the mean squared error of predicting the mean).

    Returns
    -------
    float
    """
    return _impurity_from_sum(Y.sum(axis=0), Y, criterion)


def _impurity_from_sum(total: np.ndarray, Y: np.ndarray, criterion: str) -> float:
    n = len(Y)
    if criterion == "squared_error":
        centred = Y[:, 0] - total[0] / n
        return float(np.dot(centred, centred) / n)
    p = total / n
    if criterion == "gini":
        return float(1.0 - np.dot(p, p))
    p = p[p > 0]
    return float(-np.dot(p, np.log2(p)))


def _split_proxy(left: np.ndarray, right: np.ndarray, n_left: np.ndarray,
                 n_right: np.ndarray, criterion: str) -> np.ndarray:
    """Score of every candidate split (larger is better) from the children's sums.

    ``left``/``right`` hold per-class counts (classification) or sums of y
    (regression) along the last axis. The score differs from the impurity decrease
    by a constant of the node: for a classifier it is minus the children's impurities
    weighted by their sizes; for regression ``S_L^2/n_L + S_R^2/n_R``, because the
    children's sum of squared errors is ``sum y^2 - S_L^2/n_L - S_R^2/n_R``.
    """
    if criterion == "squared_error":
        return (left[..., 0] ** 2) / n_left + (right[..., 0] ** 2) / n_right
    with np.errstate(divide="ignore", invalid="ignore"):
        if criterion == "gini":
            imp_left = 1.0 - np.sum(left ** 2, axis=-1) / (n_left * n_left)
            imp_right = 1.0 - np.sum(right ** 2, axis=-1) / (n_right * n_right)
        else:
            p_left = left / n_left[..., None]
            p_right = right / n_right[..., None]
            imp_left = -np.sum(np.where(p_left > 0, p_left * np.log2(p_left), 0.0), axis=-1)
            imp_right = -np.sum(np.where(p_right > 0, p_right * np.log2(p_right), 0.0), axis=-1)
    return -n_right * imp_right - n_left * imp_left


# --------------------------------------------------------------------------- split search


@dataclass(frozen=True)
class Split:
    """The best split of a node: ``x[feature] <= threshold`` goes left.

    Attributes
    ----------
    feature : int
        Column of the node's feature matrix.
    threshold : float
        Midpoint between the largest value sent left and the smallest sent right.
    n_left : int
        Number of rows sent left.
    score : float
        The criterion's split score (larger is better; see ``find_best_split``).
    """

    feature: int
    threshold: float
    n_left: int
    score: float


def find_best_split(X: np.ndarray, Y: np.ndarray, criterion: str,
                    min_samples_leaf: int = 1) -> Split | None:
    """Best binary split of one node, searched over all features and thresholds at once.

    Each feature's values are sorted; the candidate split after position ``i`` sends
    the ``i + 1`` smallest values left. A cumulative sum of the sorted targets gives
    the left child's class counts (or sum of y) for every candidate in one pass, so
    the search costs one sort per feature. Candidates between equal values (closer
    than 1e-7) or leaving fewer than ``min_samples_leaf`` rows in a child are
    excluded. Ties go to the lowest feature index, then the lowest threshold.
    Used in lecture 3.2.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The node's rows and candidate features.
    Y : ndarray of shape (n, k)
        One-hot classes (``criterion`` gini/entropy) or ``y`` as a column (squared_error).
    criterion : {"gini", "entropy", "squared_error"}
    min_samples_leaf : int
        Minimum number of rows in each child.

    Returns
    -------
    Split or None
        None when no valid split exists (all features constant, or too few rows).
    """
    n = X.shape[0]
    if n < 2 * min_samples_leaf or n < 2:
        return None
    order = np.argsort(X, axis=0, kind="stable")                 # (n, d)
    xs = X[order, np.arange(X.shape[1])]                         # each column sorted
    cum = np.cumsum(Y[order], axis=0)                            # (n, d, k)
    left, total = cum[:-1], cum[-1]
    n_left = np.arange(1, n, dtype=np.float64)[:, None]          # (n - 1, 1)
    n_right = n - n_left
    score = _split_proxy(left, total - left, n_left, n_right, criterion)  # (n - 1, d)
    valid = ((xs[1:] > xs[:-1] + FEATURE_THRESHOLD)
             & (n_left >= min_samples_leaf) & (n_right >= min_samples_leaf))
    if not valid.any():
        return None
    score = np.where(valid, score, -np.inf).T                    # (d, n - 1): feature-major
    feature, pos = np.unravel_index(np.argmax(score), score.shape)
    lo, hi = xs[pos, feature], xs[pos + 1, feature]
    threshold = lo / 2.0 + hi / 2.0
    if threshold == hi or not np.isfinite(threshold):            # rounding hit the upper value
        threshold = lo
    return Split(int(feature), float(threshold), int(pos) + 1, float(score[feature, pos]))


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Tree:
    """A fitted binary tree stored as parallel arrays, one entry per node (pre-order).

    Used in lecture 3.2. Node 0 is the root; ``children_left[i] == -1`` marks a leaf.

    Attributes
    ----------
    children_left, children_right : ndarray of int
        Child node ids (-1 at leaves).
    feature : ndarray of int
        Split feature (-2 at leaves).
    threshold : ndarray of float
        Split threshold; rows with ``x[feature] <= threshold`` go left (-2 at leaves).
    value : ndarray of shape (n_nodes, k)
        Class fractions (classification) or the mean of y (regression, k = 1).
    impurity : ndarray of float
        The node's impurity under the training criterion.
    n_node_samples : ndarray of int
        Training rows that reached the node.
    """

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    impurity: np.ndarray
    n_node_samples: np.ndarray

    @property
    def node_count(self) -> int:
        """Number of nodes, internal and leaves."""
        return len(self.feature)

    @property
    def n_leaves(self) -> int:
        """Number of leaves."""
        return int(np.sum(self.children_left == TREE_LEAF))

    @property
    def parent(self) -> np.ndarray:
        """Parent id of every node (-1 for the root)."""
        parent = np.full(self.node_count, -1)
        internal = np.flatnonzero(self.children_left != TREE_LEAF)
        parent[self.children_left[internal]] = internal
        parent[self.children_right[internal]] = internal
        return parent

    @property
    def node_depth(self) -> np.ndarray:
        """Depth of every node (the root has depth 0)."""
        depth = np.zeros(self.node_count, dtype=int)
        for i in range(self.node_count):             # pre-order: parents come first
            if self.children_left[i] != TREE_LEAF:
                depth[self.children_left[i]] = depth[self.children_right[i]] = depth[i] + 1
        return depth

    @property
    def max_depth(self) -> int:
        """Depth of the deepest leaf (0 for a single leaf)."""
        return int(self.node_depth.max())

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Leaf id reached by every row of ``X`` (validated, shape (n, d))."""
        node = np.zeros(len(X), dtype=int)
        active = np.arange(len(X))
        while active.size:
            current = node[active]
            inner = self.children_left[current] != TREE_LEAF
            active, current = active[inner], current[inner]
            go_left = X[active, self.feature[current]] <= self.threshold[current]
            node[active] = np.where(go_left, self.children_left[current],
                                    self.children_right[current])
        return node

    def feature_importances(self, n_features: int) -> np.ndarray:
        """Impurity decrease contributed by each feature, weighted by node size, summing to 1."""
        importances = np.zeros(n_features)
        w = self.n_node_samples * self.impurity
        for i in np.flatnonzero(self.children_left != TREE_LEAF):
            left, right = self.children_left[i], self.children_right[i]
            importances[self.feature[i]] += w[i] - w[left] - w[right]
        total = importances.sum()
        return importances / total if total > 0 else importances


def _candidate_features(X_node: np.ndarray, n_features: int,
                        rng: np.random.Generator | None) -> np.ndarray:
    """Features examined at a node: all, or ``n_features`` random non-constant ones."""
    d = X_node.shape[1]
    if n_features >= d:
        return np.arange(d)
    if rng is None:
        raise ValueError("a random generator is needed when max_features < n_features")
    spread = X_node.max(axis=0) - X_node.min(axis=0)
    perm = rng.permutation(d)
    return perm[spread[perm] > FEATURE_THRESHOLD][:n_features]


def grow_tree(X: np.ndarray, Y: np.ndarray, criterion: str, max_depth: int | None = None,
              min_samples_split: int = 2, min_samples_leaf: int = 1,
              max_features: int | None = None,
              rng: np.random.Generator | None = None) -> Tree:
    """Grow a CART tree depth first, greedily choosing the best split of every node.

    A node becomes a leaf when it is at ``max_depth``, has fewer than
    ``min_samples_split`` rows (or fewer than ``2 * min_samples_leaf``), is pure
    (impurity <= machine epsilon), or has no valid split. Used in lecture 3.2.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Validated features.
    Y : ndarray of shape (n, k)
        One-hot classes or ``y`` as a column (see :func:`find_best_split`).
    criterion : {"gini", "entropy", "squared_error"}
    max_depth, min_samples_split, min_samples_leaf : int
        Stopping rules (``max_depth=None``: no depth limit).
    max_features : int, optional
        Number of random features examined per split (None: all ``d``).
    rng : numpy.random.Generator, optional
        Draws the feature subsets; needed when ``max_features < d``.

    Returns
    -------
    Tree
    """
    n, d = X.shape
    n_try = d if max_features is None else int(max_features)
    nodes: list[list] = []   # [left, right, feature, threshold, value, impurity, n]
    stack = [(np.arange(n), 0, -1, False)]            # (rows, depth, parent, is_left)
    while stack:
        rows, depth, parent, is_left = stack.pop()
        node_id = len(nodes)
        if parent >= 0:
            nodes[parent][0 if is_left else 1] = node_id
        Y_node = Y[rows]
        total = Y_node.sum(axis=0)
        impurity = _impurity_from_sum(total, Y_node, criterion)
        nodes.append([TREE_LEAF, TREE_LEAF, TREE_UNDEFINED, float(TREE_UNDEFINED),
                      total / len(rows), impurity, len(rows)])
        if ((max_depth is not None and depth >= max_depth) or len(rows) < min_samples_split
                or len(rows) < 2 * min_samples_leaf or impurity <= EPSILON):
            continue
        X_rows = X[rows]
        features = _candidate_features(X_rows, n_try, rng)
        split = find_best_split(X_rows[:, features], Y_node, criterion, min_samples_leaf)
        if split is None:
            continue
        feature = int(features[split.feature])
        nodes[node_id][2:4] = [feature, split.threshold]
        go_left = X_rows[:, feature] <= split.threshold
        stack.append((rows[~go_left], depth + 1, node_id, False))   # right popped second
        stack.append((rows[go_left], depth + 1, node_id, True))
    cols = list(zip(*nodes, strict=True))
    return Tree(children_left=np.array(cols[0], dtype=int),
                children_right=np.array(cols[1], dtype=int),
                feature=np.array(cols[2], dtype=int),
                threshold=np.array(cols[3], dtype=np.float64),
                value=np.array(cols[4], dtype=np.float64),
                impurity=np.array(cols[5], dtype=np.float64),
                n_node_samples=np.array(cols[6], dtype=int))


# --------------------------------------------------------------------------- pruning


def weakest_link_pruning(tree: Tree) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimal cost-complexity pruning (Breiman et al., 1984, ch. 3), weakest link first.

    The cost of a subtree ``T`` is ``R_alpha(T) = R(T) + alpha |leaves(T)|`` with
    ``R`` the size-weighted impurity of the leaves. Collapsing the branch at node
    ``t`` into a leaf pays off once ``alpha >= (R(t) - R(T_t)) / (|leaves(T_t)| - 1)``,
    the branch's effective alpha. Repeatedly collapse the branch with the smallest
    effective alpha until only the root is left. Used in lecture 3.2.

    Returns
    -------
    alphas : ndarray
        Effective alpha of each collapse, in order.
    nodes : ndarray of int
        The node collapsed at each step.
    impurities : ndarray
        Total leaf impurity ``R`` of the full tree, then after each collapse.
    """
    n_nodes = tree.node_count
    left, right = tree.children_left, tree.children_right
    parent = tree.parent
    r_node = tree.impurity * tree.n_node_samples / tree.n_node_samples[0]
    n_leaves = np.ones(n_nodes)
    r_branch = r_node.copy()
    for i in range(n_nodes - 1, -1, -1):        # children have larger ids than parents
        if left[i] != TREE_LEAF:
            n_leaves[i] = n_leaves[left[i]] + n_leaves[right[i]]
            r_branch[i] = r_branch[left[i]] + r_branch[right[i]]
    kept = np.ones(n_nodes, dtype=bool)
    is_leaf = left == TREE_LEAF
    alphas, nodes, impurities = [], [], [float(r_branch[0])]
    while not is_leaf[0]:
        candidates = np.flatnonzero(kept & ~is_leaf)
        effective = (r_node[candidates] - r_branch[candidates]) / (n_leaves[candidates] - 1)
        best = int(np.argmin(effective))
        node = int(candidates[best])
        stack = [left[node], right[node]]      # drop the branch's descendants
        while stack:
            i = stack.pop()
            kept[i] = False
            if left[i] != TREE_LEAF:
                stack += [left[i], right[i]]
        is_leaf[node] = True
        removed_leaves = n_leaves[node] - 1
        r_diff = r_node[node] - r_branch[node]
        n_leaves[node], r_branch[node] = 1, r_node[node]
        i = parent[node]
        while i >= 0:                            # bubble the change up to the root
            n_leaves[i] -= removed_leaves
            r_branch[i] += r_diff
            i = parent[i]
        alphas.append(float(effective[best]))
        nodes.append(node)
        impurities.append(float(r_branch[0]))
    return np.array(alphas), np.array(nodes, dtype=int), np.array(impurities)


def cost_complexity_path(tree: Tree) -> tuple[np.ndarray, np.ndarray]:
    """The effective alphas of minimal cost-complexity pruning and the leaves' impurity.

    ``alphas[0] == 0`` is the full tree; the last alpha collapses the root. Same
    output as scikit-learn's ``cost_complexity_pruning_path``. Used in lecture 3.2.

    Returns
    -------
    ccp_alphas : ndarray
        Increasing alphas at which the pruned tree changes.
    impurities : ndarray
        Size-weighted total leaf impurity of the pruned tree at each alpha.
    """
    alphas, _, impurities = weakest_link_pruning(tree)
    return np.concatenate([[0.0], alphas]), impurities


def _collapse(tree: Tree, collapsed_nodes: np.ndarray) -> Tree:
    """The tree with the given internal nodes turned into leaves (their branches removed)."""
    if len(collapsed_nodes) == 0:
        return tree
    collapsed = np.zeros(tree.node_count, dtype=bool)
    collapsed[collapsed_nodes] = True
    kept = np.ones(tree.node_count, dtype=bool)
    for i in range(tree.node_count):                 # pre-order: parents come first
        if tree.children_left[i] != TREE_LEAF and (collapsed[i] or not kept[i]):
            kept[tree.children_left[i]] = kept[tree.children_right[i]] = False
    collapsed &= kept
    new_id = np.cumsum(kept) - 1                     # pre-order is preserved
    keep = np.flatnonzero(kept)
    leaf = collapsed[keep] | (tree.children_left[keep] == TREE_LEAF)

    def child(ids: np.ndarray) -> np.ndarray:
        return np.where(leaf, TREE_LEAF, new_id[np.maximum(ids[keep], 0)])

    return Tree(children_left=child(tree.children_left),
                children_right=child(tree.children_right),
                feature=np.where(leaf, TREE_UNDEFINED, tree.feature[keep]),
                threshold=np.where(leaf, float(TREE_UNDEFINED), tree.threshold[keep]),
                value=tree.value[keep], impurity=tree.impurity[keep],
                n_node_samples=tree.n_node_samples[keep])


def pruned_subtrees(tree: Tree, ccp_alphas: Sequence[float]) -> list[Tree]:
    """The cost-complexity pruned subtree for each alpha, pruning sequence computed once.

    ``pruned_subtrees(tree, alphas)[i]`` equals ``prune_tree(tree, alphas[i])``; use it
    to choose ``ccp_alpha`` by cross-validation without refitting. Used in lecture 3.2.
    """
    alphas, nodes, _ = weakest_link_pruning(tree)
    result = []
    for ccp_alpha in ccp_alphas:
        ccp_alpha = check_real("ccp_alpha", ccp_alpha, low=0.0)
        above = np.flatnonzero(alphas > ccp_alpha)   # pruning stops at the first one
        steps = above[0] if above.size else len(alphas)
        result.append(_collapse(tree, nodes[:steps]))
    return result


def prune_tree(tree: Tree, ccp_alpha: float) -> Tree:
    """The subtree kept by minimal cost-complexity pruning with complexity cost ``ccp_alpha``.

    Collapses the weakest link (smallest effective alpha) while its effective alpha
    is ``<= ccp_alpha``, as scikit-learn's ``ccp_alpha`` does. Used in lecture 3.2.
    """
    return pruned_subtrees(tree, [ccp_alpha])[0]


# --------------------------------------------------------------------------- estimators


def _y_of_X(args: dict) -> None:
    """Check ``y`` against the checked ``X``: numeric targets of a regressor, labels of a
    classifier (``_numeric_y`` of the estimator; a class without it is a regressor)."""
    numeric = getattr(args["self"], "_numeric_y", True)
    args["y"] = check_target(args["y"], len(args["X"]), numeric=numeric)


class _BaseDecisionTree:
    _criteria: tuple[str, ...] = ()

    @boundary(max_features=_MAX_FEATURES, random_state=_RANDOM_STATE)
    def __init__(self, *, criterion: str, max_depth: int | None = None,
                 min_samples_split: int = 2, min_samples_leaf: int = 1,
                 max_features: int | float | str | None = None, ccp_alpha: float = 0.0,
                 random_state: int | np.random.Generator | None = None) -> None:
        if criterion not in self._criteria:
            raise ValueError(f"criterion must be one of {self._criteria}, got {criterion!r}")
        self.criterion = criterion
        self.max_depth = None if max_depth is None else check_int("max_depth", max_depth, low=1)
        self.min_samples_split = check_int("min_samples_split", min_samples_split, low=2)
        self.min_samples_leaf = check_int("min_samples_leaf", min_samples_leaf, low=1)
        self.max_features = max_features
        self.ccp_alpha = check_real("ccp_alpha", ccp_alpha, low=0.0)
        self.random_state = random_state

    # -- fitting
    def _targets(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fit_arrays(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        """Grow (and prune) the tree on validated arrays; used by the ensembles too."""
        d = X.shape[1]
        self.n_features_in_ = d
        self.max_features_ = _resolve_max_features(self.max_features, d)
        tree = grow_tree(X, Y, self.criterion, self.max_depth, self.min_samples_split,
                         self.min_samples_leaf, self.max_features_, rng)
        self.tree_ = prune_tree(tree, self.ccp_alpha) if self.ccp_alpha > 0 else tree

    def fit(self, X: object, y: object) -> _BaseDecisionTree:
        """Grow the tree on ``X`` of shape (n, d) and targets ``y`` of shape (n,); return self."""
        names = getattr(X, "columns", None)
        X = check_matrix(X)
        Y = self._targets(check_target(y, len(X), numeric=self._numeric_y))
        self._fit_arrays(X, Y, np.random.default_rng(self.random_state))
        self.feature_names_in_ = (np.array([str(c) for c in names], dtype=object)
                                  if names is not None else None)
        return self

    # -- inspection
    def apply(self, X: object) -> np.ndarray:
        """Id of the leaf each row of ``X`` ends in."""
        return self.tree_.apply(check_fitted_X(self, X, "tree_"))

    def get_depth(self) -> int:
        """Depth of the fitted tree (number of splits from the root to the deepest leaf)."""
        check_fitted(self, "tree_")
        return self.tree_.max_depth

    def get_n_leaves(self) -> int:
        """Number of leaves of the fitted tree."""
        check_fitted(self, "tree_")
        return self.tree_.n_leaves

    @property
    def node_count(self) -> int:
        """Number of nodes of the fitted tree."""
        check_fitted(self, "tree_")
        return self.tree_.node_count

    @property
    def feature_importances_(self) -> np.ndarray:
        """Normalised total impurity decrease due to each feature."""
        check_fitted(self, "tree_")
        return self.tree_.feature_importances(self.n_features_in_)

    @boundary(X="matrix", check=_y_of_X)
    def cost_complexity_pruning_path(self, X: object, y: object) -> dict[str, np.ndarray]:
        """Grow an unpruned tree on ``(X, y)`` and return its pruning path.

        Returns ``{"ccp_alphas": ..., "impurities": ...}`` as scikit-learn does.
        """
        Y = self._targets(y)
        d = X.shape[1]
        tree = grow_tree(X, Y, self.criterion, self.max_depth, self.min_samples_split,
                         self.min_samples_leaf, _resolve_max_features(self.max_features, d),
                         np.random.default_rng(self.random_state))
        alphas, impurities = cost_complexity_path(tree)
        return {"ccp_alphas": alphas, "impurities": impurities}


class DecisionTreeClassifier(_BaseDecisionTree):
    """CART classification tree (Gini or entropy), from scratch.

    Used in lecture 3.2.

    Parameters
    ----------
    criterion : {"gini", "entropy"}
        Impurity the splits minimise.
    max_depth : int, optional
        Maximum depth (None: grow until the leaves are pure or too small).
    min_samples_split : int
        A node with fewer rows is not split.
    min_samples_leaf : int
        Every leaf keeps at least this many rows.
    max_features : None, "sqrt", "log2", int or float in (0, 1]
        Number (or fraction) of random features examined per split; None examines all.
    ccp_alpha : float
        Complexity cost per leaf of minimal cost-complexity pruning (0: no pruning).
    random_state : int or numpy.random.Generator, optional
        Seeds the feature subsets (irrelevant when ``max_features`` is None).

    Attributes
    ----------
    classes_ : ndarray
        Sorted class labels; ``predict_proba`` columns follow this order.
    tree_ : Tree
        The fitted tree.
    """

    _criteria = CLASSIFICATION_CRITERIA
    _numeric_y = False

    def __init__(self, *, criterion: str = "gini", max_depth: int | None = None,
                 min_samples_split: int = 2, min_samples_leaf: int = 1,
                 max_features: int | float | str | None = None, ccp_alpha: float = 0.0,
                 random_state: int | np.random.Generator | None = None) -> None:
        super().__init__(criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, ccp_alpha=ccp_alpha,
                         random_state=random_state)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        self.classes_, codes = np.unique(y, return_inverse=True)
        return np.eye(len(self.classes_))[codes]

    def predict_proba(self, X: object) -> np.ndarray:
        """Class fractions of the leaf each row ends in, shape (n, n_classes)."""
        X = check_fitted_X(self, X, "tree_")
        return self.tree_.value[self.tree_.apply(X)]

    def predict(self, X: object) -> np.ndarray:
        """Majority class of the leaf each row ends in."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @boundary(X="matrix", check=_y_of_X)
    def score(self, X: object, y: object) -> float:
        """Accuracy on ``(X, y)`` (``sklearn.metrics.accuracy_score``)."""
        return float(accuracy_score(y, self.predict(X)))


class DecisionTreeRegressor(_BaseDecisionTree):
    """CART regression tree (squared error: each leaf predicts the mean of its rows).

    Used in lectures 3.2 and 5.3. Same parameters as :class:`DecisionTreeClassifier`,
    with ``criterion="squared_error"``.
    """

    _criteria = REGRESSION_CRITERIA
    _numeric_y = True

    def __init__(self, *, criterion: str = "squared_error", max_depth: int | None = None,
                 min_samples_split: int = 2, min_samples_leaf: int = 1,
                 max_features: int | float | str | None = None, ccp_alpha: float = 0.0,
                 random_state: int | np.random.Generator | None = None) -> None:
        super().__init__(criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, ccp_alpha=ccp_alpha,
                         random_state=random_state)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1)

    def predict(self, X: object) -> np.ndarray:
        """Mean training target of the leaf each row ends in, shape (n,)."""
        X = check_fitted_X(self, X, "tree_")
        return self.tree_.value[self.tree_.apply(X), 0]

    @boundary(X="matrix", check=_y_of_X)
    def score(self, X: object, y: object) -> float:
        """Coefficient of determination R^2 on ``(X, y)`` (``sklearn.metrics.r2_score``)."""
        return float(r2_score(y, self.predict(X)))


# --------------------------------------------------------------------------- random forests


class _BaseForest:
    _tree_class: type[_BaseDecisionTree] = _BaseDecisionTree
    _numeric_y = True

    @boundary(bootstrap="bool", random_state=_RANDOM_STATE)
    def __init__(self, *, n_estimators: int, criterion: str, max_depth: int | None,
                 min_samples_split: int, min_samples_leaf: int,
                 max_features: int | float | str | None, bootstrap: bool,
                 random_state: int | None) -> None:
        self.n_estimators = check_int("n_estimators", n_estimators, low=1)
        self.bootstrap = bootstrap
        self.random_state = random_state
        self._tree_params = dict(criterion=criterion, max_depth=max_depth,
                                 min_samples_split=min_samples_split,
                                 min_samples_leaf=min_samples_leaf, max_features=max_features)
        self._tree_class(**self._tree_params)        # validates the tree's parameters
        self.criterion, self.max_depth = criterion, max_depth
        self.min_samples_split, self.min_samples_leaf = min_samples_split, min_samples_leaf
        self.max_features = max_features

    def _targets(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @boundary(X="matrix", check=_y_of_X)
    def fit(self, X: object, y: object) -> _BaseForest:
        """Fit ``n_estimators`` trees, each on a bootstrap sample of the rows; return self.

        Every tree draws ``max_features`` random features at each split. The rows of
        tree ``t`` are kept in ``estimators_samples_[t]`` (for out-of-bag estimates).
        """
        Y = self._targets(y)
        n = len(X)
        rng = np.random.default_rng(self.random_state)
        self.n_features_in_ = X.shape[1]
        self.estimators_, self.estimators_samples_ = [], []
        for _ in range(self.n_estimators):
            rows = rng.integers(0, n, size=n) if self.bootstrap else np.arange(n)
            tree = self._tree_class(**self._tree_params)
            tree._fit_arrays(X[rows], Y[rows], rng)
            if hasattr(self, "classes_"):
                tree.classes_ = self.classes_
            self.estimators_.append(tree)
            self.estimators_samples_.append(rows)
        return self

    def _tree_values(self, X: np.ndarray) -> Iterator[np.ndarray]:
        for tree in self.estimators_:
            yield tree.tree_.value[tree.tree_.apply(X)]


class RandomForestClassifier(_BaseForest):
    """Random forest of CART classification trees (Breiman, 2001), from scratch.

    Each tree is grown on a bootstrap sample (rows drawn with replacement) and
    examines ``max_features`` random features at every split; the forest averages
    the trees' class probabilities (with fully grown trees this is close to a
    majority vote). Used in lectures 3.2 and 5.2.

    Parameters
    ----------
    n_estimators : int
        Number of trees.
    criterion, max_depth, min_samples_split, min_samples_leaf :
        As in :class:`DecisionTreeClassifier`.
    max_features : "sqrt", "log2", int, float or None
        Features examined per split; None examines all (bagged trees).
    bootstrap : bool
        Draw each tree's rows with replacement (False: every tree sees all rows).
    random_state : int, optional
        Seed of the bootstrap samples and the feature subsets.
    """

    _tree_class = DecisionTreeClassifier
    _numeric_y = False

    def __init__(self, *, n_estimators: int = 100, criterion: str = "gini",
                 max_depth: int | None = None, min_samples_split: int = 2,
                 min_samples_leaf: int = 1, max_features: int | float | str | None = "sqrt",
                 bootstrap: bool = True, random_state: int | None = None) -> None:
        super().__init__(n_estimators=n_estimators, criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, bootstrap=bootstrap,
                         random_state=random_state)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        self.classes_, codes = np.unique(y, return_inverse=True)
        return np.eye(len(self.classes_))[codes]

    def predict_proba(self, X: object) -> np.ndarray:
        """Average of the trees' class probabilities, shape (n, n_classes)."""
        X = check_fitted_X(self, X)
        return sum(self._tree_values(X)) / len(self.estimators_)

    def predict(self, X: object) -> np.ndarray:
        """Class with the highest average probability."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @boundary(X="matrix", check=_y_of_X)
    def score(self, X: object, y: object) -> float:
        """Accuracy on ``(X, y)`` (``sklearn.metrics.accuracy_score``)."""
        return float(accuracy_score(y, self.predict(X)))


class RandomForestRegressor(_BaseForest):
    """Random forest of CART regression trees, from scratch: the average of the trees.

    Used in lectures 3.2 and 5.2. Parameters as in :class:`RandomForestClassifier`
    (``criterion="squared_error"``; ``max_features="sqrt"`` by default).
    """

    _tree_class = DecisionTreeRegressor

    def __init__(self, *, n_estimators: int = 100, criterion: str = "squared_error",
                 max_depth: int | None = None, min_samples_split: int = 2,
                 min_samples_leaf: int = 1, max_features: int | float | str | None = "sqrt",
                 bootstrap: bool = True, random_state: int | None = None) -> None:
        super().__init__(n_estimators=n_estimators, criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, bootstrap=bootstrap,
                         random_state=random_state)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1)

    def predict(self, X: object) -> np.ndarray:
        """Average of the trees' predictions, shape (n,)."""
        X = check_fitted_X(self, X)
        return sum(self._tree_values(X))[:, 0] / len(self.estimators_)

    @boundary(X="matrix", check=_y_of_X)
    def score(self, X: object, y: object) -> float:
        """Coefficient of determination R^2 on ``(X, y)`` (``sklearn.metrics.r2_score``)."""
        return float(r2_score(y, self.predict(X)))


# --------------------------------------------------------------------------- gradient boosting


def half_squared_error(y: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Per-example loss ``L(y, F) = (y - F)^2 / 2``. Used in lectures 3.2 and 5.3."""
    return 0.5 * (np.asarray(y, dtype=np.float64) - np.asarray(F, dtype=np.float64)) ** 2


def negative_gradient(y: np.ndarray, F: np.ndarray) -> np.ndarray:
    """``-dL/dF`` of :func:`half_squared_error`: the residual ``y - F``.

    Used in lectures 3.2 and 5.3.
    """
    return np.asarray(y, dtype=np.float64) - np.asarray(F, dtype=np.float64)


class GradientBoostingRegressor:
    """Gradient-boosted regression trees for the squared loss (Friedman, 2001), from scratch.

    ``F_0`` is the mean of y; round ``t`` fits a regression tree ``h_t`` to the
    residuals ``y - F_{t-1}`` (the negative gradient of ``(y - F)^2 / 2``) and sets
    ``F_t = F_{t-1} + learning_rate * h_t``. Used in lectures 3.2 and 5.3.

    Parameters
    ----------
    n_estimators : int
        Number of boosting rounds (trees).
    learning_rate : float
        Shrinkage ``nu`` in ``(0, inf)``; smaller values need more rounds but generalise better.
    max_depth, min_samples_split, min_samples_leaf, max_features :
        Parameters of every tree (as in :class:`DecisionTreeRegressor`).
    subsample : float in (0, 1]
        Fraction of rows, drawn without replacement, each tree is fitted on
        (stochastic gradient boosting; 1.0 uses all rows).
    random_state : int, optional
        Seed of the row subsamples and feature subsets.

    Attributes
    ----------
    init_ : float
        ``F_0``, the mean of the training targets.
    estimators_ : list of DecisionTreeRegressor
        The fitted trees, in order.
    train_mse_ : ndarray of shape (n_estimators,)
        Training mean squared error after each round.
    """

    @boundary(random_state=_RANDOM_STATE)
    def __init__(self, *, n_estimators: int = 100, learning_rate: float = 0.1,
                 max_depth: int | None = 3, min_samples_split: int = 2,
                 min_samples_leaf: int = 1, max_features: int | float | str | None = None,
                 subsample: float = 1.0, random_state: int | None = None) -> None:
        self.n_estimators = check_int("n_estimators", n_estimators, low=1)
        self.learning_rate = check_real("learning_rate", learning_rate, low=0, low_inclusive=False)
        self.subsample = check_real("subsample", subsample, low=0.0, high=1.0, low_inclusive=False)
        self.random_state = random_state
        self._tree_params = dict(max_depth=max_depth, min_samples_split=min_samples_split,
                                 min_samples_leaf=min_samples_leaf, max_features=max_features)
        DecisionTreeRegressor(**self._tree_params)     # validates the tree's parameters
        self.max_depth, self.max_features = max_depth, max_features
        self.min_samples_split, self.min_samples_leaf = min_samples_split, min_samples_leaf

    @boundary(X="matrix", check=_y_of_X)
    def fit(self, X: object, y: object) -> GradientBoostingRegressor:
        """Run ``n_estimators`` boosting rounds on ``X`` (n, d) and ``y`` (n,); return self."""
        n = len(X)
        rng = np.random.default_rng(self.random_state)
        n_rows = max(1, int(self.subsample * n))
        self.n_features_in_ = X.shape[1]
        self.init_ = float(np.mean(y))
        F = np.full(n, self.init_)
        self.estimators_, mse = [], []
        for _ in range(self.n_estimators):
            residual = negative_gradient(y, F)
            rows = np.arange(n) if n_rows == n else np.sort(rng.choice(n, n_rows, replace=False))
            tree = DecisionTreeRegressor(**self._tree_params)
            tree._fit_arrays(X[rows], residual[rows, None], rng)
            F = F + self.learning_rate * tree.tree_.value[tree.tree_.apply(X), 0]
            self.estimators_.append(tree)
            mse.append(float(np.mean((y - F) ** 2)))
        self.train_mse_ = np.array(mse)
        return self

    def staged_predict(self, X: object) -> Iterator[np.ndarray]:
        """Yield the predictions ``F_t(X)`` after each round ``t = 1, ..., n_estimators``."""
        X = check_fitted_X(self, X)
        F = np.full(len(X), self.init_)
        for tree in self.estimators_:
            F = F + self.learning_rate * tree.tree_.value[tree.tree_.apply(X), 0]
            yield F

    def predict(self, X: object) -> np.ndarray:
        """Predictions of the full model, shape (n,)."""
        return deque(self.staged_predict(X), maxlen=1)[0]      # the last stage

    @boundary(X="matrix", check=_y_of_X)
    def score(self, X: object, y: object) -> float:
        """Coefficient of determination R^2 on ``(X, y)`` (``sklearn.metrics.r2_score``)."""
        return float(r2_score(y, self.predict(X)))


# --------------------------------------------------------------------------- rules as text


@boundary(model=instance(_BaseDecisionTree, what="a tree of helpers.trees"),
          decimals="int >= 0", max_depth="int >= 0")
def export_text(model: _BaseDecisionTree, feature_names: Sequence[str] | None = None,
                class_names: Sequence[str] | None = None, decimals: int = 2,
                max_depth: int = 10) -> str:
    """The fitted tree's rules as indented text, in scikit-learn's ``export_text`` format.

    Used in lecture 3.2.

    Parameters
    ----------
    model : DecisionTreeClassifier or DecisionTreeRegressor
        A fitted tree of this module.
    feature_names : sequence of str, optional
        Names of the features (default: the DataFrame's columns, else ``feature_i``).
    class_names : sequence of str, optional
        Names of the classes, in the order of ``model.classes_``.
    decimals : int
        Decimals of thresholds and leaf values.
    max_depth : int
        Branches deeper than this are summarised as "truncated branch".

    Returns
    -------
    str
    """
    check_fitted(model, "tree_")
    tree = model.tree_
    if feature_names is None:
        names = getattr(model, "feature_names_in_", None)    # None for a forest's trees
        feature_names = (list(names) if names is not None
                         else [f"feature_{i}" for i in range(model.n_features_in_)])
    if len(feature_names) != model.n_features_in_:
        raise ValueError(f"feature_names must contain {model.n_features_in_} elements, "
                         f"got {len(feature_names)}")
    is_classifier = isinstance(model, DecisionTreeClassifier)
    if is_classifier:
        class_names = model.classes_ if class_names is None else class_names
        if len(class_names) != len(model.classes_):
            raise ValueError(f"class_names must contain {len(model.classes_)} elements, "
                             f"got {len(class_names)}")
    depth_below = _subtree_depths(tree)
    lines: list[str] = []

    def leaf(node: int, indent: str) -> None:
        if is_classifier:
            lines.append(f"{indent} class: {class_names[int(np.argmax(tree.value[node]))]}")
        else:
            lines.append(f"{indent} value: [{tree.value[node, 0]:.{decimals}f}]")

    def recurse(node: int, depth: int) -> None:
        indent = ("|" + " " * 3) * depth
        indent = indent[:-3] + "-" * 3
        if depth > max_depth + 1:
            if depth_below[node] == 0:
                leaf(node, indent)
            else:
                lines.append(f"{indent} truncated branch of depth {depth_below[node] + 1}")
            return
        if tree.children_left[node] == TREE_LEAF:
            leaf(node, indent)
            return
        name = feature_names[tree.feature[node]]
        threshold = f"{tree.threshold[node]:.{decimals}f}"
        lines.append(f"{indent} {name} <= {threshold}")
        recurse(int(tree.children_left[node]), depth + 1)
        lines.append(f"{indent} {name} >  {threshold}")
        recurse(int(tree.children_right[node]), depth + 1)

    recurse(0, 1)
    return "\n".join(lines) + "\n"


def _subtree_depths(tree: Tree) -> np.ndarray:
    """Depth of the subtree below every node (0 for a leaf)."""
    below = np.zeros(tree.node_count, dtype=int)
    for i in range(tree.node_count - 1, -1, -1):
        if tree.children_left[i] != TREE_LEAF:
            below[i] = 1 + max(below[tree.children_left[i]], below[tree.children_right[i]])
    return below
