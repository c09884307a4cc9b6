"""Unit tests for helpers.trees (lecture 3.2: CART trees, random forests, gradient boosting).

The reference is scikit-learn. Its trees break exact ties between equally good
splits at random (by visiting the features in a random order), ours take the lowest
feature index; so a structural comparison is only meaningful when the best split of
every node is unique. The tests check that by brute force (every split of every
node scored with explicit loops) and compare only on data where it holds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import ensemble as sk_ensemble
from sklearn import tree as sk_tree
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.model_selection import train_test_split

from helpers.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GradientBoostingRegressor,
    NotFittedError,
    RandomForestClassifier,
    RandomForestRegressor,
    cost_complexity_path,
    export_text,
    find_best_split,
    grow_tree,
    half_squared_error,
    negative_gradient,
    node_impurity,
    prune_tree,
    pruned_subtrees,
)


def _float32_exact(X: np.ndarray) -> np.ndarray:
    """Values that float32 represents exactly, as scikit-learn's trees work in float32."""
    return X.astype(np.float32).astype(np.float64)


def _classification_data(seed: int, n: int = 120, d: int = 4, n_classes: int = 3):
    rng = np.random.default_rng(seed)
    X = _float32_exact(rng.normal(size=(n, d)))
    score = X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.3 * rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


def _regression_data(seed: int, n: int = 150, d: int = 5):
    rng = np.random.default_rng(seed)
    X = _float32_exact(rng.normal(size=(n, d)))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n)
    return X, y


def _brute_force_scores(X, Y, criterion, min_samples_leaf):
    """Impurity decrease of every valid split of one node, by brute force (loops)."""
    scores = []
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for lo, hi in zip(values[:-1], values[1:], strict=True):
            left = X[:, j] <= (lo + hi) / 2
            if min(left.sum(), (~left).sum()) < min_samples_leaf:
                continue
            children = sum(part.shape[0] * node_impurity(part, criterion)
                           for part in (Y[left], Y[~left]))
            scores.append(len(Y) * node_impurity(Y, criterion) - children)
    return np.array(scores)


def _best_splits_are_unique(model, X, Y, min_samples_leaf=1):
    """True if at every internal node of the fitted tree one split beats all others."""
    tree = model.tree_
    stack = [(0, np.arange(len(X)))]
    while stack:
        node, rows = stack.pop()
        if tree.children_left[node] == -1:
            continue
        scores = np.sort(_brute_force_scores(X[rows], Y[rows], model.criterion,
                                             min_samples_leaf))
        if len(scores) > 1 and scores[-1] - scores[-2] <= 1e-9 * max(1.0, abs(scores[-1])):
            return False
        left = X[rows, tree.feature[node]] <= tree.threshold[node]
        stack += [(tree.children_left[node], rows[left]), (tree.children_right[node], rows[~left])]
    return True


def _assert_same_tree(ours, theirs):
    a, b = ours.tree_, theirs.tree_
    np.testing.assert_array_equal(a.children_left, b.children_left)
    np.testing.assert_array_equal(a.children_right, b.children_right)
    np.testing.assert_array_equal(a.feature, b.feature)
    np.testing.assert_array_equal(a.threshold, b.threshold)
    np.testing.assert_array_equal(a.n_node_samples, b.n_node_samples)
    np.testing.assert_allclose(a.value, b.value[:, 0, :], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.impurity, b.impurity, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- trees vs sklearn


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_classifier_grows_the_same_tree_as_sklearn_when_splits_are_unique(criterion):
    compared = 0
    for seed in range(6):
        X, y = _classification_data(seed, n=300)
        params = dict(criterion=criterion, max_depth=3, min_samples_leaf=5)
        ours = DecisionTreeClassifier(**params).fit(X, y)
        if not _best_splits_are_unique(ours, X, np.eye(3)[y], min_samples_leaf=5):
            continue
        ref = sk_tree.DecisionTreeClassifier(random_state=seed, **params).fit(X, y)
        _assert_same_tree(ours, ref)
        X_new = np.random.default_rng(100 + seed).normal(size=(200, X.shape[1]))
        np.testing.assert_array_equal(ours.predict(X_new), ref.predict(X_new))
        np.testing.assert_allclose(ours.predict_proba(X_new), ref.predict_proba(X_new))
        compared += 1
    assert compared >= 4, "too few tie-free data sets: the comparison would be vacuous"


def test_regressor_grows_the_same_tree_as_sklearn_when_splits_are_unique():
    compared = 0
    for seed in range(6):
        X, y = _regression_data(seed)
        for params in (dict(max_depth=3, min_samples_leaf=5), dict(min_samples_leaf=8),
                       dict(min_samples_split=20, min_samples_leaf=4)):
            ours = DecisionTreeRegressor(**params).fit(X, y)
            msl = params.get("min_samples_leaf", 1)
            if not _best_splits_are_unique(ours, X, y.reshape(-1, 1), msl):
                continue
            ref = sk_tree.DecisionTreeRegressor(random_state=seed, **params).fit(X, y)
            _assert_same_tree(ours, ref)
            X_new = np.random.default_rng(seed).normal(size=(200, X.shape[1]))
            np.testing.assert_allclose(ours.predict(X_new), ref.predict(X_new), rtol=1e-12)
            compared += 1
    assert compared >= 10


def test_fully_grown_regressor_matches_sklearn_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = _float32_exact(X)
    ours = DecisionTreeRegressor(min_samples_leaf=5).fit(X, y)
    ref = sk_tree.DecisionTreeRegressor(min_samples_leaf=5, random_state=0).fit(X, y)
    _assert_same_tree(ours, ref)
    assert ours.get_depth() == ref.get_depth() and ours.get_n_leaves() == ref.get_n_leaves()


def test_split_ties_go_to_the_lowest_feature_index():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])   # two identical features
    y = np.array([0, 0, 1, 1])
    tree = DecisionTreeClassifier().fit(X, y)
    assert tree.tree_.feature[0] == 0 and tree.tree_.threshold[0] == 1.5


def test_thresholds_are_midpoints_between_consecutive_distinct_values():
    X = np.array([[1.0], [1.0], [2.0], [4.0], [4.0], [10.0]])
    Y = np.array([[0.0], [0.0], [0.0], [5.0], [5.0], [5.0]])
    split = find_best_split(X, Y, "squared_error")
    assert split.threshold == 3.0 and split.n_left == 3
    tree = grow_tree(X, Y, "squared_error")
    internal = tree.feature >= 0
    uniques = np.unique(X)
    midpoints = (uniques[:-1] + uniques[1:]) / 2
    assert np.isin(tree.threshold[internal], midpoints).all()


def test_node_impurity_formulas():
    one_hot = np.eye(2)[[0, 0, 0, 1]]
    assert node_impurity(one_hot, "gini") == pytest.approx(1 - 0.75 ** 2 - 0.25 ** 2)
    assert node_impurity(one_hot, "entropy") == pytest.approx(
        -(0.75 * np.log2(0.75) + 0.25 * np.log2(0.25)))
    assert node_impurity(np.array([[1.0], [3.0]]), "squared_error") == pytest.approx(1.0)
    assert node_impurity(np.eye(2)[[1, 1]], "entropy") == 0.0


def test_export_text_reproduces_sklearn_export_text():
    X, y = load_digits(return_X_y=True)
    ours = DecisionTreeClassifier(max_depth=3).fit(X, y)
    ref = sk_tree.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    _assert_same_tree(ours, ref)
    names = [f"pixel_{i}" for i in range(64)]
    assert export_text(ours, feature_names=names) == sk_tree.export_text(ref, feature_names=names)
    assert export_text(ours, max_depth=1) == sk_tree.export_text(ref, max_depth=1)
    Xr, yr = _regression_data(0)
    ours_r = DecisionTreeRegressor(max_depth=2).fit(Xr, yr)
    ref_r = sk_tree.DecisionTreeRegressor(max_depth=2, random_state=0).fit(Xr, yr)
    assert export_text(ours_r, decimals=3) == sk_tree.export_text(ref_r, decimals=3)


def test_export_text_uses_dataframe_columns_and_class_names():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"length": [1.0, 2.0, 3.0, 4.0], "width": [0.5, 0.1, 0.9, 0.3]})
    tree = DecisionTreeClassifier().fit(X, np.array(["a", "a", "b", "b"]))
    text = export_text(tree)
    assert text.splitlines()[0] == "|--- length <= 2.50"
    assert "class: b" in text
    with pytest.raises(ValueError, match="feature_names"):
        export_text(tree, feature_names=["only_one"])


def test_feature_importances_match_sklearn():
    X, y = load_digits(return_X_y=True)
    ours = DecisionTreeClassifier(max_depth=3).fit(X, y)
    ref = sk_tree.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    _assert_same_tree(ours, ref)
    np.testing.assert_allclose(ours.feature_importances_, ref.feature_importances_, atol=1e-12)


def test_accuracy_on_breast_cancer_is_close_to_sklearn():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    ours = DecisionTreeClassifier(random_state=0).fit(X_train, y_train).score(X_test, y_test)
    ref = sk_tree.DecisionTreeClassifier(random_state=0).fit(X_train, y_train).score(
        X_test, y_test)
    assert ours > 0.85 and abs(ours - ref) <= 0.04


def test_stopping_rules_are_respected():
    X, y = _regression_data(3, n=200)
    tree = DecisionTreeRegressor(max_depth=3, min_samples_leaf=7).fit(X, y)
    leaves = tree.tree_.children_left == -1
    assert tree.get_depth() <= 3
    assert tree.tree_.n_node_samples[leaves].min() >= 7
    big = DecisionTreeRegressor(min_samples_split=50).fit(X, y)
    internal = big.tree_.children_left != -1
    assert big.tree_.n_node_samples[internal].min() >= 50


def test_fully_grown_classifier_fits_the_training_data_perfectly():
    X, y = _classification_data(5)
    tree = DecisionTreeClassifier().fit(X, y)
    assert tree.score(X, y) == 1.0
    assert tree.get_n_leaves() == tree.node_count // 2 + 1


# --------------------------------------------------------------------------- pruning


def test_pruning_path_matches_sklearn():
    X, y = load_diabetes(return_X_y=True)
    X = _float32_exact(X)
    ours = DecisionTreeRegressor(min_samples_leaf=5).cost_complexity_pruning_path(X, y)
    ref = sk_tree.DecisionTreeRegressor(min_samples_leaf=5, random_state=0)
    ref = ref.cost_complexity_pruning_path(X, y)
    np.testing.assert_allclose(ours["ccp_alphas"], ref["ccp_alphas"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours["impurities"], ref["impurities"], rtol=1e-9)


def test_pruned_tree_matches_sklearn_at_several_alphas():
    X, y = load_diabetes(return_X_y=True)
    X = _float32_exact(X)
    alphas = DecisionTreeRegressor(min_samples_leaf=5).cost_complexity_pruning_path(
        X, y)["ccp_alphas"]
    for alpha in alphas[[3, 20, 45]] * (1 + 1e-7):
        ours = DecisionTreeRegressor(min_samples_leaf=5, ccp_alpha=alpha).fit(X, y)
        ref = sk_tree.DecisionTreeRegressor(min_samples_leaf=5, ccp_alpha=alpha,
                                            random_state=0).fit(X, y)
        _assert_same_tree(ours, ref)


def test_pruning_removes_leaves_monotonically_and_ends_at_the_root():
    X, y = _classification_data(1, n=200)
    full = DecisionTreeClassifier().fit(X, y)
    alphas, impurities = cost_complexity_path(full.tree_)
    assert alphas[0] == 0 and np.all(np.diff(alphas) >= 0) and np.all(np.diff(impurities) >= 0)
    leaves = [prune_tree(full.tree_, a).n_leaves for a in alphas]
    assert leaves[0] == full.get_n_leaves() and leaves[-1] == 1
    assert all(a >= b for a, b in zip(leaves, leaves[1:], strict=False))
    stump = DecisionTreeClassifier(ccp_alpha=1e9).fit(X, y)
    assert stump.node_count == 1


def test_pruned_subtrees_equal_pruning_one_alpha_at_a_time():
    X, y = _regression_data(4)
    full = DecisionTreeRegressor().fit(X, y).tree_
    alphas, _ = cost_complexity_path(full)
    grid = np.concatenate([alphas[::7], [0.0, 1e9]])
    for subtree, alpha in zip(pruned_subtrees(full, grid), grid, strict=True):
        one = prune_tree(full, alpha)
        np.testing.assert_array_equal(subtree.feature, one.feature)
        np.testing.assert_array_equal(subtree.children_right, one.children_right)
        np.testing.assert_array_equal(subtree.apply(X), one.apply(X))


# --------------------------------------------------------------------------- max_features


def test_max_features_is_seeded_and_changes_the_tree():
    X, y = load_digits(return_X_y=True)
    a = DecisionTreeClassifier(max_features="sqrt", random_state=1).fit(X, y)
    b = DecisionTreeClassifier(max_features="sqrt", random_state=1).fit(X, y)
    c = DecisionTreeClassifier(max_features="sqrt", random_state=2).fit(X, y)
    assert a.max_features_ == 8
    np.testing.assert_array_equal(a.tree_.feature, b.tree_.feature)
    assert not np.array_equal(a.tree_.feature, c.tree_.feature)


def test_max_features_one_examines_a_single_random_feature():
    X, y = _regression_data(0)
    tree = DecisionTreeRegressor(max_features=1, max_depth=1, random_state=0).fit(X, y)
    full = DecisionTreeRegressor(max_depth=1).fit(X, y)
    roots = {DecisionTreeRegressor(max_features=1, max_depth=1, random_state=s).fit(X, y)
             .tree_.feature[0] for s in range(20)}
    assert len(roots) > 1 and tree.tree_.impurity[0] == full.tree_.impurity[0]


# --------------------------------------------------------------------------- forests


def test_random_forest_accuracy_is_close_to_sklearn():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    ours = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)
    ref = sk_ensemble.RandomForestClassifier(n_estimators=20, random_state=0).fit(
        X_train, y_train)
    single = DecisionTreeClassifier().fit(X_train, y_train).score(X_test, y_test)
    assert abs(ours.score(X_test, y_test) - ref.score(X_test, y_test)) <= 0.03
    assert ours.score(X_test, y_test) >= single


def test_random_forest_regressor_r2_is_close_to_sklearn():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    params = dict(n_estimators=15, max_features=0.5, min_samples_leaf=5)
    ours = RandomForestRegressor(random_state=0, **params).fit(X_train, y_train)
    ref = sk_ensemble.RandomForestRegressor(random_state=0, **params).fit(X_train, y_train)
    assert abs(ours.score(X_test, y_test) - ref.score(X_test, y_test)) <= 0.06


def test_random_forest_is_reproducible_and_seed_dependent():
    X, y = _classification_data(2)
    p1 = RandomForestClassifier(n_estimators=5, random_state=3).fit(X, y).predict_proba(X)
    p2 = RandomForestClassifier(n_estimators=5, random_state=3).fit(X, y).predict_proba(X)
    p3 = RandomForestClassifier(n_estimators=5, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.array_equal(p1, p3)


def test_forest_without_randomness_is_one_tree_repeated():
    X, y = _classification_data(4)
    forest = RandomForestClassifier(n_estimators=3, bootstrap=False, max_features=None,
                                    random_state=0).fit(X, y)
    tree = DecisionTreeClassifier().fit(X, y)
    np.testing.assert_array_equal(forest.predict_proba(X), tree.predict_proba(X))


def test_forest_probabilities_cover_classes_missing_from_a_bootstrap_sample():
    X = np.arange(12.0).reshape(-1, 1)
    y = np.array(["a"] * 10 + ["b", "c"])
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    proba = forest.predict_proba(X)
    assert proba.shape == (12, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(forest.predict(X)) <= {"a", "b", "c"}
    assert all(len(rows) == 12 for rows in forest.estimators_samples_)


# --------------------------------------------------------------------------- gradient boosting


def test_negative_gradient_of_half_squared_error_is_the_residual():
    rng = np.random.default_rng(0)
    y, F = rng.normal(size=50), rng.normal(size=50)
    h = 1e-6
    numeric = -(half_squared_error(y, F + h) - half_squared_error(y, F - h)) / (2 * h)
    np.testing.assert_allclose(negative_gradient(y, F), numeric, atol=1e-8)
    np.testing.assert_array_equal(negative_gradient(y, F), y - F)


@pytest.mark.parametrize("max_depth", [1, 2, 3])
def test_gradient_boosting_matches_sklearn(max_depth):
    X, y = load_diabetes(return_X_y=True)
    X = _float32_exact(X)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    params = dict(n_estimators=60, learning_rate=0.1, max_depth=max_depth, min_samples_leaf=10)
    ours = GradientBoostingRegressor(**params).fit(X_train, y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ref = sk_ensemble.GradientBoostingRegressor(loss="squared_error", subsample=1.0,
                                                    random_state=0, **params)
        ref.fit(X_train, y_train)
    np.testing.assert_allclose(ours.predict(X_train), ref.predict(X_train), rtol=1e-10)
    np.testing.assert_allclose(ours.predict(X_test), ref.predict(X_test), rtol=1e-10)
    np.testing.assert_allclose(ours.train_mse_, ref.train_score_, rtol=1e-10)


def test_gradient_boosting_training_mse_decreases_every_round():
    X, y = _regression_data(1)
    gbr = GradientBoostingRegressor(n_estimators=40, learning_rate=0.3, max_depth=2).fit(X, y)
    assert np.all(np.diff(gbr.train_mse_) < 0)
    assert gbr.train_mse_[0] < np.var(y)


def test_gradient_boosting_first_round_is_mean_plus_shrunk_tree_on_residuals():
    X, y = _regression_data(2)
    gbr = GradientBoostingRegressor(n_estimators=1, learning_rate=0.5, max_depth=2).fit(X, y)
    tree = DecisionTreeRegressor(max_depth=2).fit(X, y - y.mean())
    np.testing.assert_allclose(gbr.predict(X), y.mean() + 0.5 * tree.predict(X))


def test_staged_predict_ends_at_predict_and_has_one_stage_per_tree():
    X, y = _regression_data(3)
    gbr = GradientBoostingRegressor(n_estimators=7, subsample=0.7, random_state=0).fit(X, y)
    stages = list(gbr.staged_predict(X))
    assert len(stages) == 7
    np.testing.assert_array_equal(stages[-1], gbr.predict(X))
    np.testing.assert_allclose(np.mean((y - stages[-1]) ** 2), gbr.train_mse_[-1])


# --------------------------------------------------------------------------- edge cases


def test_one_class_gives_a_single_leaf_predicting_that_class():
    X = np.random.default_rng(0).normal(size=(10, 3))
    tree = DecisionTreeClassifier().fit(X, np.full(10, "cat"))
    assert tree.node_count == 1 and list(tree.predict(X[:2])) == ["cat", "cat"]
    np.testing.assert_array_equal(tree.predict_proba(X[:2]), [[1.0], [1.0]])
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, np.full(10, 7))
    assert set(forest.predict(X)) == {7}


def test_constant_target_gives_a_single_leaf():
    X = np.random.default_rng(0).normal(size=(10, 3))
    tree = DecisionTreeRegressor().fit(X, np.full(10, 0.1))
    assert tree.node_count == 1 and tree.get_depth() == 0
    np.testing.assert_allclose(tree.predict(X), 0.1)
    gbr = GradientBoostingRegressor(n_estimators=3).fit(X, np.full(10, 2.5))
    np.testing.assert_allclose(gbr.predict(X), 2.5)


def test_constant_feature_is_never_split_on():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(50), rng.normal(size=50)])
    tree = DecisionTreeClassifier().fit(X, (X[:, 1] > 0).astype(int))
    assert 0 not in tree.tree_.feature
    only_constant = DecisionTreeRegressor().fit(np.ones((20, 1)), rng.normal(size=20))
    assert only_constant.node_count == 1


def test_a_single_example_is_a_single_leaf():
    X, y = np.array([[1.0, 2.0]]), np.array([3.0])
    assert DecisionTreeRegressor().fit(X, y).predict(X)[0] == 3.0
    assert DecisionTreeClassifier().fit(X, np.array([1])).predict(X)[0] == 1
    assert RandomForestRegressor(n_estimators=2, random_state=0).fit(X, y).predict(X)[0] == 3.0
    assert GradientBoostingRegressor(n_estimators=2).fit(X, y).predict(X)[0] == 3.0


@pytest.mark.parametrize("cls", [DecisionTreeClassifier, DecisionTreeRegressor,
                                 RandomForestClassifier, RandomForestRegressor,
                                 GradientBoostingRegressor])
def test_nan_and_infinite_inputs_raise(cls):
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    X_nan = X.copy()
    X_nan[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        cls().fit(X_inf, y)
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(X, np.array([0.0, np.nan, 1.0, 1.0]))


@pytest.mark.parametrize("cls", [DecisionTreeClassifier, DecisionTreeRegressor,
                                 RandomForestClassifier, RandomForestRegressor,
                                 GradientBoostingRegressor])
def test_wrong_shapes_raise(cls):
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="2-D"):
        cls().fit(np.ones(4), y)
    with pytest.raises(ValueError, match="same number of rows"):
        cls().fit(X, y[:3])
    with pytest.raises(ValueError, match="1-D"):
        cls().fit(X, y.reshape(-1, 1))
    with pytest.raises(ValueError, match="empty"):
        cls().fit(np.ones((0, 2)), np.array([]))
    model = cls().fit(X, y)
    with pytest.raises(ValueError, match="fitted with 2"):
        model.predict(np.ones((3, 5)))


@pytest.mark.parametrize("cls", [DecisionTreeClassifier, DecisionTreeRegressor,
                                 RandomForestClassifier, RandomForestRegressor,
                                 GradientBoostingRegressor])
def test_predict_before_fit_raises(cls):
    with pytest.raises(NotFittedError, match="not fitted"):
        cls().predict(np.ones((2, 2)))


def test_non_numeric_features_are_rejected_with_a_hint():
    with pytest.raises(TypeError, match="encode categorical"):
        DecisionTreeClassifier().fit(np.array([["a", "b"], ["c", "d"]], dtype=object), [0, 1])


@pytest.mark.parametrize("kwargs, error", [
    (dict(criterion="mse"), ValueError),
    (dict(max_depth=0), ValueError),
    (dict(max_depth=2.5), TypeError),
    (dict(min_samples_split=1), ValueError),
    (dict(min_samples_leaf=0), ValueError),
    (dict(max_features="all"), ValueError),
    (dict(max_features=1.5), ValueError),
    (dict(max_features=0.0), ValueError),
    (dict(ccp_alpha=-0.1), ValueError),
    (dict(random_state=-1), ValueError),
])
def test_bad_tree_hyper_parameters_raise(kwargs, error):
    with pytest.raises(error):
        DecisionTreeRegressor(**kwargs)


def test_bad_ensemble_hyper_parameters_raise():
    with pytest.raises(ValueError, match="n_estimators"):
        RandomForestClassifier(n_estimators=0)
    with pytest.raises(ValueError, match="criterion"):
        RandomForestClassifier(criterion="squared_error")
    with pytest.raises(TypeError, match="bootstrap"):
        RandomForestRegressor(bootstrap=1)
    with pytest.raises(ValueError, match="learning_rate"):
        GradientBoostingRegressor(learning_rate=0.0)
    with pytest.raises(ValueError, match="subsample"):
        GradientBoostingRegressor(subsample=1.5)
    with pytest.raises(ValueError, match="max_depth"):
        GradientBoostingRegressor(max_depth=0)
    with pytest.raises(ValueError, match="exceeds"):
        DecisionTreeClassifier(max_features=5).fit(np.ones((3, 2)), [0, 1, 0])
