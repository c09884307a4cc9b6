"""Tests of helpers.integration: keys, joins, redundant columns, conflicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.integration import (
    anti_join,
    count_mismatches,
    find_conflicts,
    join_report,
    key_report,
    redundant_columns,
    resolve_closest,
)


@pytest.fixture
def tables():
    left = pd.DataFrame({"id": ["a", "b", "c", "d"], "x": [1.0, 2.0, 3.0, 4.0]})
    right = pd.DataFrame({"key": ["b", "c", "c", "e"], "z": [20, 30, 31, 50]})
    return left, right


def random_tables(rng):
    left = pd.DataFrame({"k1": rng.integers(0, 6, 30), "k2": rng.integers(0, 3, 30),
                         "v": rng.normal(size=30)})
    right = pd.DataFrame({"a": rng.integers(0, 6, 25), "b": rng.integers(0, 3, 25),
                          "w": rng.normal(size=25)})
    return left, right


# --------------------------------------------------------------------------- key_report


def test_key_report_detects_duplicates_and_missing_keys():
    df = pd.DataFrame({"id": ["a", "b", "b", None], "y": [1, 2, 3, 4]})
    report = key_report(df, "id")
    assert report == {"rows": 4, "distinct_keys": 3, "missing_keys": 1,
                      "duplicated_rows": 1, "unique": False}


def test_key_report_accepts_composite_keys():
    df = pd.DataFrame({"s": ["A", "A", "G"], "n": [1, 2, 1]})
    assert key_report(df, "n")["unique"] is False
    assert key_report(df, ["s", "n"])["unique"] is True


def test_key_report_rejects_unknown_columns_and_non_frames():
    with pytest.raises(KeyError, match="nope"):
        key_report(pd.DataFrame({"a": [1]}), "nope")
    with pytest.raises(TypeError):
        key_report({"a": [1]}, "a")
    with pytest.raises(ValueError):
        key_report(pd.DataFrame({"a": [1]}), [])


# --------------------------------------------------------------------------- joins


def test_join_report_counts_match_pandas_merges(tables):
    left, right = tables
    report = join_report(left, right, left_on="id", right_on="key")
    assert report["left only"] == 2          # a, d
    assert report["right only"] == 1         # e
    for how in ("inner", "left", "right", "outer"):
        merged = left.merge(right, left_on="id", right_on="key", how=how)
        assert report[f"{how} join"] == len(merged)
    assert report["inner join"] == 3         # c matches twice


@pytest.mark.parametrize("seed", range(5))
def test_join_report_matches_pandas_on_random_composite_keys(seed):
    left, right = random_tables(np.random.default_rng(seed))
    report = join_report(left, right, left_on=["k1", "k2"], right_on=["a", "b"])
    for how in ("inner", "left", "right", "outer"):
        merged = left.merge(right, left_on=["k1", "k2"], right_on=["a", "b"], how=how)
        assert report[f"{how} join"] == len(merged)
    outer = left.merge(right, left_on=["k1", "k2"], right_on=["a", "b"], how="outer",
                       indicator=True)
    assert report["left only"] == (outer["_merge"] == "left_only").sum()
    assert report["right only"] == (outer["_merge"] == "right_only").sum()


@pytest.mark.parametrize("seed", range(5))
def test_anti_join_equals_left_rows_without_partner(seed):
    left, right = random_tables(np.random.default_rng(seed))
    result = anti_join(left, right, left_on=["k1", "k2"], right_on=["a", "b"])
    keys = set(zip(right["a"], right["b"], strict=True))
    expected = left[[(a, b) not in keys for a, b in zip(left["k1"], left["k2"], strict=True)]]
    pd.testing.assert_frame_equal(result, expected)


def test_anti_join_never_matches_missing_keys():
    left = pd.DataFrame({"id": ["a", None]})
    right = pd.DataFrame({"id": ["a", None]})
    assert anti_join(left, right, on="id")["id"].isna().tolist() == [True]


def test_join_functions_reject_ambiguous_or_missing_keys(tables):
    left, right = tables
    with pytest.raises(ValueError):
        join_report(left, right)
    with pytest.raises(ValueError):
        join_report(left, right, on="id", left_on="id", right_on="key")
    with pytest.raises(ValueError):
        anti_join(left, right, left_on=["id", "x"], right_on="key")
    with pytest.raises(KeyError):
        anti_join(left, right, on="id")


# --------------------------------------------------------------------------- redundant columns


def test_redundant_columns_finds_constants_relabelings_and_affine_columns():
    df = pd.DataFrame({
        "study": ["P07", "P07", "P08", "P08", "P09", "P09"],
        "year": [2007, 2007, 2008, 2008, 2009, 2009],
        "region": ["Anvers"] * 6,
        "mass_g": [3750.0, 3800.0, 3250.0, np.nan, 3450.0, 3650.0],
        "mass_kg": [3.75, 3.80, 3.25, 3.65, 3.45, 3.65],
        "length": [39.1, 39.5, 40.3, 36.7, 39.3, 38.9],
    })
    found = {(r.column, r.reason, r.partner) for r in redundant_columns(df).itertuples()}
    assert found == {("year", "one-to-one", "study"), ("region", "constant", ""),
                     ("mass_kg", "affine", "mass_g")}


def test_redundant_columns_needs_repeated_values_for_a_one_to_one_finding():
    df = pd.DataFrame({"a": ["x", "y", "z"], "b": ["p", "q", "r"]})
    assert redundant_columns(df).empty


def test_redundant_columns_ignores_many_valued_columns_that_merely_look_one_to_one():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    assert redundant_columns(df).empty


def test_redundant_columns_rejects_bad_parameters():
    df = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(ValueError):
        redundant_columns(df, max_categories=1)
    with pytest.raises(ValueError):
        redundant_columns(df, atol=-1)


# --------------------------------------------------------------------------- conflicts


def test_find_conflicts_ignores_gaps_and_respects_tolerance():
    df = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0, 5.0], "b": [1.0, 2.4, 3.0, np.nan, 9.0]})
    assert find_conflicts(df, "a", "b").index.tolist() == [1, 4]
    assert find_conflicts(df, "a", "b", atol=0.5).index.tolist() == [4]


def test_find_conflicts_compares_strings_exactly():
    df = pd.DataFrame({"a": ["male", "female", None], "b": ["male", "male", "male"]})
    assert find_conflicts(df, "a", "b").index.tolist() == [1]


def test_find_conflicts_rejects_unknown_columns_and_negative_tolerance():
    df = pd.DataFrame({"a": [1.0], "b": [1.0]})
    with pytest.raises(KeyError):
        find_conflicts(df, "a", "c")
    with pytest.raises(ValueError):
        find_conflicts(df, "a", "b", atol=-1)


def test_resolve_closest_keeps_plausible_values_and_fills_gaps():
    a = [3750.0, 37500.0, np.nan, 4000.0, np.nan]
    b = [3750.0, 3750.0, 3900.0, 4.0, np.nan]
    expected = [3700.0, 3700.0, np.nan, 4100.0, np.nan]
    out = resolve_closest(a, b, expected)
    assert np.allclose(out[:4], [3750.0, 3750.0, 3900.0, 4000.0])
    assert np.isnan(out[4])


def test_resolve_closest_breaks_ties_towards_a():
    assert resolve_closest([1.0], [3.0], [2.0])[0] == 1.0


def test_resolve_closest_rejects_mismatched_shapes_and_missing_expectations():
    with pytest.raises(ValueError, match="same length"):
        resolve_closest([1.0, 2.0], [1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="expected is NaN"):
        resolve_closest([1.0], [2.0], [np.nan])


def test_count_mismatches_treats_two_missing_values_as_equal():
    ref = pd.DataFrame({"x": [1.0, np.nan, 3.0], "s": ["a", None, "c"]})
    res = pd.DataFrame({"s": ["a", None, "d"], "x": [1.0, np.nan, np.nan]})
    counts = count_mismatches(res, ref)
    assert counts.to_dict() == {"x": 1, "s": 1}


def test_count_mismatches_uses_relative_tolerance():
    ref = pd.DataFrame({"x": [1000.0]})
    assert count_mismatches(pd.DataFrame({"x": [1000.0 + 1e-7]}), ref).sum() == 0
    assert count_mismatches(pd.DataFrame({"x": [1001.0]}), ref).sum() == 1


def test_count_mismatches_rejects_different_shapes():
    ref = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="columns"):
        count_mismatches(pd.DataFrame({"y": [1.0, 2.0]}), ref)
    with pytest.raises(ValueError, match="rows"):
        count_mismatches(pd.DataFrame({"x": [1.0]}), ref)
