"""Unit tests for helpers.validation (lecture 4.3), against scikit-learn's splitters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold, KFold, TimeSeriesSplit
from sklearn.model_selection import cross_val_score as sk_cross_val_score
from sklearn.tree import DecisionTreeRegressor

from helpers.validation import (
    balanced_validation_indices,
    cross_split_duplicates,
    cross_val_score,
    group_k_fold,
    group_split,
    k_fold_indices,
    random_split,
    row_hashes,
    sequential_split,
    time_series_splits,
)


def _assert_partition(train, val, n):
    """Sorted, disjoint, int64, non-empty, covering range(n)."""
    assert train.dtype == np.int64 and val.dtype == np.int64
    assert len(train) and len(val)
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
    assert np.intersect1d(train, val).size == 0
    np.testing.assert_array_equal(np.union1d(train, val), np.arange(n))


# --------------------------------------------------------------------------- random split


@pytest.mark.parametrize(("n", "fraction"), [(10, 0.2), (101, 0.25), (7, 0.5), (3, 0.1)])
def test_random_split_is_a_partition_of_ceil_size(n, fraction):
    train, val = random_split(n, fraction, seed=1)
    _assert_partition(train, val, n)
    assert len(val) == int(np.ceil(fraction * n))


def test_random_split_counts_exact_fractions_exactly():
    # 7 / 25 * 25 is 7.000000000000001 in floating point; a plain ceil would give 8
    assert len(random_split(25, 7 / 25)[1]) == 7
    assert len(random_split(8000, 200 / 8000)[1]) == 200


def test_random_split_is_deterministic_in_the_seed_and_varies_with_it():
    a, b, c = random_split(50, 0.3, 0), random_split(50, 0.3, 0), random_split(50, 0.3, 1)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_random_split_validates_every_example_equally_often():
    counts = np.zeros(10)
    for seed in range(2000):
        counts[random_split(10, 0.3, seed)[1]] += 1
    np.testing.assert_allclose(counts / 2000, 0.3, atol=0.04)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_random_split_rejects_fractions_outside_the_open_unit_interval(fraction):
    with pytest.raises(ValueError, match="val_fraction"):
        random_split(10, fraction)


def test_random_split_rejects_bad_n_and_seed_and_a_fraction_that_leaves_no_training():
    with pytest.raises(ValueError, match="n == 1, must be >= 2"):
        random_split(1, 0.5)
    with pytest.raises(TypeError, match="n must be an instance of int"):
        random_split(10.0, 0.5)
    with pytest.raises(ValueError, match="seed"):
        random_split(10, 0.5, seed=-1)
    with pytest.raises(ValueError, match="no training example"):
        random_split(3, 0.9)


# --------------------------------------------------------------------------- sequential split


def test_sequential_split_puts_every_validation_time_after_every_training_time(np_rng):
    times = np_rng.integers(0, 30, size=200)  # many ties
    train, val = sequential_split(times, val_fraction=0.2)
    _assert_partition(train, val, 200)
    assert times[train].max() < times[val].min()
    assert len(val) >= 40  # ties at the cutoff go to validation


def test_sequential_split_takes_the_last_examples_for_distinct_sorted_times():
    train, val = sequential_split(np.arange(10.0), val_fraction=0.3)
    np.testing.assert_array_equal(val, [7, 8, 9])
    np.testing.assert_array_equal(train, np.arange(7))


def test_sequential_split_handles_unsorted_datetimes_and_a_cutoff():
    dates = pd.Series(pd.to_datetime(["2021-03-01", "2020-01-05", "2021-07-01", "2020-06-01"]))
    train, val = sequential_split(dates, cutoff="2021-01-01")
    np.testing.assert_array_equal(train, [1, 3])
    np.testing.assert_array_equal(val, [0, 2])
    train_f, val_f = sequential_split(dates, val_fraction=0.5)
    np.testing.assert_array_equal(val_f, val)


def test_sequential_split_with_a_numeric_cutoff_validates_from_the_cutoff_on():
    train, val = sequential_split([5, 1, 3, 3, 9], cutoff=3)
    np.testing.assert_array_equal(train, [1])
    np.testing.assert_array_equal(val, [0, 2, 3, 4])


def test_sequential_split_rejects_bad_arguments():
    with pytest.raises(ValueError, match="exactly one"):
        sequential_split([1, 2, 3])
    with pytest.raises(ValueError, match="exactly one"):
        sequential_split([1, 2, 3], val_fraction=0.5, cutoff=2)
    with pytest.raises(ValueError, match="training set would be empty"):
        sequential_split([4, 4, 4, 4], val_fraction=0.25)
    with pytest.raises(ValueError, match="validation set would be empty"):
        sequential_split([1, 2, 3], cutoff=10)
    with pytest.raises(ValueError, match="missing"):
        sequential_split([1.0, np.nan, 3.0], val_fraction=0.5)
    with pytest.raises(TypeError, match="numbers or datetime64"):
        sequential_split(np.array(["a", "b"]), val_fraction=0.5)
    with pytest.raises(ValueError, match="empty"):
        sequential_split([], val_fraction=0.5)
    with pytest.raises(ValueError, match="val_fraction"):
        sequential_split([1, 2, 3], val_fraction=1.0)


# --------------------------------------------------------------------------- group split


def test_group_split_never_puts_a_group_on_both_sides(np_rng):
    groups = np_rng.integers(0, 25, size=300)
    train, val = group_split(groups, 0.2, seed=3)
    _assert_partition(train, val, 300)
    assert not set(groups[train]) & set(groups[val])
    assert len(np.unique(groups[val])) == int(np.ceil(0.2 * len(np.unique(groups))))


def test_group_split_accepts_string_groups():
    groups = np.array(["a", "b", "a", "c", "b", "d"])
    train, val = group_split(groups, 0.5, seed=0)
    assert not set(groups[train]) & set(groups[val])


def test_group_split_rejects_empty_missing_and_single_groups():
    with pytest.raises(ValueError, match="empty"):
        group_split([], 0.2)
    with pytest.raises(ValueError, match="missing"):
        group_split(np.array(["a", None, "b"], dtype=object), 0.2)
    with pytest.raises(ValueError, match="at least 2 groups"):
        group_split([7, 7, 7], 0.2)
    with pytest.raises(ValueError, match="no training group"):
        group_split([1, 2], 0.9)
    with pytest.raises(ValueError, match="1-D"):
        group_split(np.zeros((2, 2)), 0.5)


# --------------------------------------------------------------------------- balanced


def test_balanced_validation_has_per_class_examples_of_every_class(np_rng):
    y = np.where(np_rng.random(500) < 0.1, 1, 0)
    y[:3] = 2  # a third, tiny class
    train, val = balanced_validation_indices(y, per_class=2, seed=0)
    _assert_partition(train, val, 500)
    classes, counts = np.unique(y[val], return_counts=True)
    np.testing.assert_array_equal(classes, [0, 1, 2])
    np.testing.assert_array_equal(counts, [2, 2, 2])


def test_balanced_validation_rejects_classes_too_small_and_bad_per_class():
    y = np.array([0] * 10 + [1] * 3)
    with pytest.raises(ValueError, match=r"classes \['1'\]"):
        balanced_validation_indices(y, per_class=3)
    with pytest.raises(ValueError, match="per_class == 0, must be >= 1"):
        balanced_validation_indices(y, per_class=0)
    with pytest.raises(TypeError, match="per_class must be an instance of int"):
        balanced_validation_indices(y, per_class=2.0)


# --------------------------------------------------------------------------- K-fold


@pytest.mark.parametrize(("n", "k"), [(10, 2), (23, 5), (7, 7), (101, 10)])
def test_k_fold_equals_sklearn_kfold_without_shuffling(n, k):
    ours = k_fold_indices(n, k)
    theirs = list(KFold(n_splits=k).split(np.zeros((n, 1))))
    assert len(ours) == k
    for (tr, va), (tr_sk, va_sk) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(tr, tr_sk)
        np.testing.assert_array_equal(va, va_sk)


@pytest.mark.parametrize("shuffle", [False, True])
def test_k_fold_validates_every_example_exactly_once_with_sizes_within_one(shuffle):
    n, k = 53, 6
    folds = k_fold_indices(n, k, shuffle=shuffle, seed=4)
    counts = np.zeros(n, dtype=int)
    for train, val in folds:
        _assert_partition(train, val, n)
        counts[val] += 1
    np.testing.assert_array_equal(counts, 1)
    sizes = [len(val) for _, val in folds]
    assert max(sizes) - min(sizes) <= 1


def test_k_fold_shuffle_changes_the_folds_with_the_seed():
    a = k_fold_indices(30, 3, shuffle=True, seed=0)[0][1]
    b = k_fold_indices(30, 3, shuffle=True, seed=1)[0][1]
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, np.arange(10))


def test_k_fold_rejects_k_greater_than_n_and_k_below_two():
    with pytest.raises(ValueError, match="k <= n"):
        k_fold_indices(4, 5)
    with pytest.raises(ValueError, match="k == 1, must be >= 2"):
        k_fold_indices(4, 1)
    with pytest.raises(TypeError, match="shuffle must be a bool"):
        k_fold_indices(4, 2, shuffle="yes")


# --------------------------------------------------------------------------- group K-fold


def test_group_k_fold_equals_sklearn_group_kfold(np_rng):
    groups = np_rng.integers(0, 40, size=400)  # unequal sizes, some ties
    ours = group_k_fold(groups, 5)
    theirs = list(GroupKFold(n_splits=5).split(np.zeros((400, 1)), groups=groups))
    for (tr, va), (tr_sk, va_sk) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(tr, tr_sk)
        np.testing.assert_array_equal(va, va_sk)


def test_group_k_fold_validates_each_group_once_and_never_leaks(np_rng):
    groups = np.array([f"user{g}" for g in np_rng.integers(0, 12, size=150)])
    counts = np.zeros(150, dtype=int)
    for train, val in group_k_fold(groups, 4):
        _assert_partition(train, val, 150)
        assert not set(groups[train]) & set(groups[val])
        counts[val] += 1
    np.testing.assert_array_equal(counts, 1)


def test_group_k_fold_rejects_more_folds_than_groups_and_missing_groups():
    with pytest.raises(ValueError, match="need k <= number of groups"):
        group_k_fold([1, 1, 2, 2], 3)
    with pytest.raises(ValueError, match="missing"):
        group_k_fold([1.0, np.nan, 2.0], 2)


# --------------------------------------------------------------------------- time series


@pytest.mark.parametrize(("n", "k"), [(20, 3), (50, 5), (11, 2), (6, 5)])
def test_time_series_splits_equal_sklearn_for_sorted_distinct_times(n, k):
    ours = time_series_splits(np.arange(n), k)
    theirs = list(TimeSeriesSplit(n_splits=k).split(np.zeros((n, 1))))
    for (tr, va), (tr_sk, va_sk) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(tr, tr_sk)
        np.testing.assert_array_equal(va, va_sk)


def test_time_series_splits_train_only_on_the_past_with_ties_and_shuffled_rows(np_rng):
    times = np_rng.permutation(np.repeat(np.arange(30), 4))  # every time four times
    splits = time_series_splits(times, 4)
    assert len(splits) == 4
    seen = np.zeros(len(times), dtype=int)
    for train, val in splits:
        assert times[train].max() < times[val].min()
        seen[val] += 1
    assert seen.max() == 1  # validation blocks do not overlap
    assert [len(tr) for tr, _ in splits] == sorted(len(tr) for tr, _ in splits)


def test_time_series_splits_work_on_datetimes():
    dates = pd.Series(pd.date_range("2020-01-01", periods=12, freq="MS")[::-1])
    train, val = time_series_splits(dates, 2)[-1]
    assert dates.iloc[train].max() < dates.iloc[val].min()
    assert len(val) == 4


def test_time_series_splits_reject_too_many_splits_and_all_equal_times():
    with pytest.raises(ValueError, match="k \\+ 1 <= n"):
        time_series_splits(np.arange(4), 4)
    with pytest.raises(ValueError, match="share a time"):
        time_series_splits(np.zeros(10), 3)


# --------------------------------------------------------------------------- cross_val_score


@pytest.fixture
def regression(np_rng):
    X = np_rng.normal(size=(90, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + np.sin(3 * X[:, 0]) + 0.3 * np_rng.normal(size=90)
    return X, y


@pytest.mark.parametrize("make_model", [lambda: Ridge(alpha=1.0),
                                        lambda: DecisionTreeRegressor(max_depth=3,
                                                                      random_state=0)])
def test_cross_val_score_equals_sklearn_with_the_same_folds(regression, make_model):
    X, y = regression
    folds = k_fold_indices(len(X), 5, shuffle=True, seed=2)
    ours = cross_val_score(make_model, X, y, folds)
    theirs = -sk_cross_val_score(make_model(), X, y, cv=folds,
                                 scoring="neg_mean_squared_error")
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_cross_val_score_uses_the_given_metric_and_a_fresh_model_per_fold(regression):
    X, y = regression
    models = []

    def make_model():
        models.append(Ridge())
        return models[-1]

    def mean_abs(t, p):
        return float(np.mean(np.abs(t - p)))

    folds = k_fold_indices(len(X), 3)
    values = cross_val_score(make_model, X, y, folds, metric=mean_abs)
    assert len({id(m) for m in models}) == 3
    train, val = folds[1]
    expected = mean_abs(y[val], Ridge().fit(X[train], y[train]).predict(X[val]))
    assert values[1] == pytest.approx(expected)


def test_cross_val_score_rejects_leaky_or_malformed_folds(regression):
    X, y = regression
    with pytest.raises(ValueError, match="overlap"):
        cross_val_score(Ridge, X, y, [(np.arange(50), np.arange(40, 90))])
    with pytest.raises(ValueError, match="folds is empty"):
        cross_val_score(Ridge, X, y, [])
    with pytest.raises(ValueError, match=r"lie in \[0, 90\)"):
        cross_val_score(Ridge, X, y, [(np.arange(10), np.array([95]))])
    with pytest.raises(ValueError, match="2-D"):
        cross_val_score(Ridge, X[:, 0], y, k_fold_indices(90, 3))
    with pytest.raises(ValueError, match="one value per row"):
        cross_val_score(Ridge, X, y[:-1], k_fold_indices(90, 3))
    with pytest.raises(TypeError, match="make_model must be callable"):
        cross_val_score(Ridge(), X, y, k_fold_indices(90, 3))


# --------------------------------------------------------------------------- duplicates


def test_row_hashes_are_equal_exactly_for_equal_rows():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [np.nan, 1.0], [np.nan, 1.0]])
    h = row_hashes(X)
    assert h.dtype == np.uint64
    assert h[0] == h[1] and h[3] == h[4]
    assert len(set(h.tolist())) == 3


def test_row_hashes_of_a_frame_ignore_the_index():
    frame = pd.DataFrame({"a": [1, 1], "b": ["x", "x"]}, index=[10, 20])
    h = row_hashes(frame)
    assert h[0] == h[1]


def test_cross_split_duplicates_match_a_brute_force_search(np_rng):
    X = np_rng.integers(0, 3, size=(200, 3))  # many repeated rows
    train, val = random_split(200, 0.3, seed=0)
    train_rows = {tuple(row) for row in X[train]}
    expected = [i for i in val if tuple(X[i]) in train_rows]
    np.testing.assert_array_equal(cross_split_duplicates(X, train, val), expected)


def test_cross_split_duplicates_is_empty_for_distinct_rows(np_rng):
    X = np_rng.normal(size=(50, 2))
    train, val = random_split(50, 0.2)
    assert cross_split_duplicates(X, train, val).size == 0


def test_duplicate_checks_reject_bad_inputs():
    with pytest.raises(ValueError, match="2-D"):
        row_hashes(np.zeros(3))
    with pytest.raises(ValueError, match="no columns"):
        row_hashes(pd.DataFrame(index=[0, 1]))
    with pytest.raises(ValueError, match="lie in"):
        cross_split_duplicates(np.zeros((3, 1)), [0, 1], [5])
    with pytest.raises(ValueError, match="must be a 1-D integer array"):
        cross_split_duplicates(np.zeros((3, 1)), [0.0], [1])
