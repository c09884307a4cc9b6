"""Unit tests for helpers.cleaning (parsers, error detectors and the cleaning step)."""

from __future__ import annotations

import functools
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from matplotlib.cbook import boxplot_stats

from helpers.cleaning import (
    AREA_COLUMNS,
    CURRENCY_COLUMNS,
    DATE_COLUMNS,
    DEFAULT_RANGES,
    NUMERIC_COLUMNS,
    TYPE_SYNONYMS,
    DenialConstraint,
    category_mapping,
    clean_listings,
    denial_violations,
    detection_report,
    edit_distance,
    fd_repair,
    fd_violations,
    fold_category,
    iqr_bounds,
    iqr_outliers,
    logged_error_mask,
    normalize_categories,
    not_null_violations,
    parse_area,
    parse_currency,
    parse_dates,
    parse_listings,
    pattern_signature,
    pattern_violations,
    range_violations,
    unique_violations,
    value_type,
)
from helpers.housing import (
    HOUSE_TYPES,
    SQFT_PER_ACRE,
    ZIP_CITY,
    make_house_sales,
    render_listings,
)


@pytest.fixture(scope="module")
def house():
    """A small standard data set: the truth, its messy view and the truth row per listing."""
    sales, messy = make_house_sales(1500, seed=7)
    truth = sales.data.set_index("Id").loc[messy.source_id.to_numpy()].reset_index()
    return sales, messy, truth


# --------------------------------------------------------------------------- parse_currency


def test_parse_currency_reads_dollars_signs_suffixes_and_decimals():
    out = parse_currency(["$1,234,000", "-$7,493", "$-12", "+$5", "$1.5K", "2M", "$0.99",
                          " $ 835,000 ", "1234"])
    assert out.tolist() == [1234000.0, -7493.0, -12.0, 5.0, 1500.0, 2e6, 0.99, 835000.0,
                            1234.0]


def test_parse_currency_gives_nan_for_missing_and_unparseable():
    out = parse_currency(["$1,000", None, np.nan, "n/a", "$1,23,4", "--$5", "-$-5", "$", ""])
    assert out.iloc[0] == 1000.0
    assert out.iloc[1:].isna().all()


def test_parse_currency_keeps_index_and_name_and_passes_numbers():
    s = pd.Series(["$10", 25, 2.5], index=[5, 3, 9], name="price", dtype=object)
    out = parse_currency(s)
    assert out.index.tolist() == [5, 3, 9] and out.name == "price"
    assert out.tolist() == [10.0, 25.0, 2.5]


def test_parse_currency_strict_raises_naming_the_bad_values():
    with pytest.raises(ValueError, match="cannot parse 2 value.*'abc'"):
        parse_currency(["$1", "abc", "$1,23"], strict=True)
    assert parse_currency(["$1", None], strict=True).iloc[0] == 1.0  # missing is fine


def test_parse_currency_rejects_bad_input_types():
    with pytest.raises(TypeError, match="strings"):
        parse_currency([True, "$1"])
    with pytest.raises(TypeError, match="scalar"):
        parse_currency("$1")
    with pytest.raises(TypeError, match="DataFrame"):
        parse_currency(pd.DataFrame({"a": ["$1"]}))
    with pytest.raises(TypeError, match="strict"):
        parse_currency(["$1"], strict="yes")


def test_parse_currency_inverts_the_page_view(house):
    sales, _, _ = house
    view = render_listings(sales.data)
    for column in CURRENCY_COLUMNS:
        parsed = parse_currency(view[column], strict=True)
        expected = sales.data[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_array_equal(parsed.to_numpy(), expected)


# --------------------------------------------------------------------------- parse_area


def test_parse_area_converts_units_to_sqft():
    out = parse_area(["1,480 sqft", "0.37 Acres", "1 acre", "2 ac", "10 sq ft", "5 SQFT",
                      "12 square feet", "3 ft2", "7 sq. ft."])
    expected = [1480, 0.37 * SQFT_PER_ACRE, SQFT_PER_ACRE, 2 * SQFT_PER_ACRE, 10, 5, 12, 3, 7]
    np.testing.assert_allclose(out.to_numpy(), expected)


def test_parse_area_treats_bare_numbers_as_unparseable_unless_a_unit_is_given():
    assert parse_area(["1480", 1480]).isna().all()
    assert parse_area(["1480", 2.5], default_unit="acres").tolist() == [
        1480 * SQFT_PER_ACRE, 2.5 * SQFT_PER_ACRE]
    with pytest.raises(ValueError, match="default_unit"):
        parse_area(["1"], default_unit="hectares")


def test_parse_area_unknown_units_and_strict_mode():
    out = parse_area(["12 m2", "big", None, "1,480 sqft"])
    assert out.iloc[:3].isna().all() and out.iloc[3] == 1480
    with pytest.raises(ValueError, match="areas.*'12 m2'"):
        parse_area(["12 m2"], strict=True)


def test_parse_area_inverts_the_page_view(house):
    sales, _, _ = house
    view = render_listings(sales.data)
    for column in AREA_COLUMNS:
        parsed = parse_area(view[column], strict=True)
        np.testing.assert_allclose(parsed.to_numpy(), sales.data[column].to_numpy(float),
                                   rtol=1e-12)


# --------------------------------------------------------------------------- parse_dates


def test_parse_dates_reads_every_default_format():
    out = parse_dates(["04/12/2021", "2021-04-12", "Apr 12, 2021", "04/12/21", " 04/12/2021 "])
    assert (out == pd.Timestamp("2021-04-12")).all()


def test_parse_dates_first_matching_format_wins():
    out = parse_dates(["04/12/2021", "25/12/2021"], formats=("%d/%m/%Y", "%m/%d/%Y"))
    assert out.tolist() == [pd.Timestamp("2021-12-04"), pd.Timestamp("2021-12-25")]


def test_parse_dates_missing_unparseable_and_strict():
    out = parse_dates(["04/12/2021", None, "12.4.21", "04/12/2021 noon", "13/45/2021"])
    assert out.iloc[0] == pd.Timestamp("2021-04-12") and out.iloc[1:].isna().all()
    with pytest.raises(ValueError, match="dates.*'12.4.21'"):
        parse_dates(["12.4.21"], strict=True)


def test_parse_dates_passes_datetimes_and_keeps_index():
    s = pd.Series([datetime(2020, 1, 2), "2020-01-03"], index=["a", "b"], name="d",
                  dtype=object)
    out = parse_dates(s)
    assert out.tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert out.index.tolist() == ["a", "b"] and out.name == "d"


def test_parse_dates_rejects_bad_formats():
    for formats in ((), "%Y", ("no percent",), (3,)):
        with pytest.raises(ValueError):
            parse_dates(["2021-01-01"], formats=formats)


def test_parse_dates_recovers_the_true_date_of_every_reformatted_date(house):
    _, messy, _ = house
    log = messy.errors[messy.errors["error_type"] == "format"]
    assert len(log) > 20
    shown = parse_dates(log["shown_value"], strict=True)
    true = pd.to_datetime(log["true_value"], format="%m/%d/%Y")
    assert (shown.to_numpy() == true.to_numpy()).all()


# --------------------------------------------------------------------------- outliers


def test_iqr_bounds_match_numpy_percentiles(np_rng):
    x = np_rng.lognormal(size=301)
    q1, q3 = np.percentile(x, [25, 75])
    assert iqr_bounds(x) == pytest.approx((q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)))
    assert iqr_bounds(x, k=0) == pytest.approx((q1, q3))


def test_iqr_outliers_are_matplotlib_box_plot_fliers(np_rng):
    for _ in range(5):
        x = np_rng.standard_t(3, size=200)
        fliers = np.sort(boxplot_stats(x, whis=1.5)[0]["fliers"])
        np.testing.assert_array_equal(np.sort(x[iqr_outliers(x).to_numpy()]), fliers)


def test_iqr_outliers_ignore_missing_values_and_keep_the_index():
    s = pd.Series([1, 2, np.nan, 3, 4, 100], index=list("abcdef"))
    out = iqr_outliers(s)
    assert out.index.tolist() == list("abcdef")
    assert out.tolist() == [False, False, False, False, False, True]


def test_iqr_rejects_bad_input():
    with pytest.raises(ValueError, match="k == -1, must be >= 0"):
        iqr_bounds([1, 2, 3], k=-1)
    with pytest.raises(ValueError, match="no non-missing"):
        iqr_bounds([np.nan, np.nan])
    with pytest.raises(TypeError, match="numeric"):
        iqr_outliers(["$1", "$2"])


# --------------------------------------------------------------------------- rules


def test_not_null_violations_is_the_missing_mask():
    frame = pd.DataFrame({"a": [1, None, 3], "b": ["x", "y", None]})
    pd.testing.assert_frame_equal(not_null_violations(frame), frame.isna())
    assert not_null_violations(frame, "b")["b"].tolist() == [False, False, True]
    with pytest.raises(KeyError):
        not_null_violations(frame, ["c"])
    with pytest.raises(TypeError):
        not_null_violations([1, 2])


def test_unique_violations_follow_keep_and_ignore_missing_keys():
    frame = pd.DataFrame({"k": ["a", "b", "a", None, None, "a"], "j": [1, 1, 1, 2, 2, 2]})
    assert unique_violations(frame, "k").tolist() == [False, False, True, False, False, True]
    assert unique_violations(frame, "k", keep="last").tolist() == [True, False, True,
                                                                    False, False, False]
    assert unique_violations(frame, "k", keep=False).tolist() == [True, False, True,
                                                                   False, False, True]
    assert unique_violations(frame, ["k", "j"]).tolist() == [False, False, True,
                                                             False, False, False]
    with pytest.raises(ValueError, match="keep"):
        unique_violations(frame, "k", keep="none")
    with pytest.raises(ValueError, match="at least one"):
        unique_violations(frame, [])


def test_unique_address_finds_exactly_the_reposted_houses(house):
    _, messy, _ = house
    flagged = unique_violations(messy.listings, "Address")
    assert flagged.sum() > 0
    assert (flagged.to_numpy() == messy.source_id.duplicated().to_numpy()).all()
    assert not unique_violations(messy.listings, "Id").any()  # reposts have fresh Ids


def test_range_violations_are_inclusive_and_skip_missing():
    out = range_violations([-1, 0, 5, 10, 11, None], low=0, high=10)
    assert out.tolist() == [True, False, False, False, True, False]
    assert range_violations([1, 50], high=10).tolist() == [False, True]
    with pytest.raises(ValueError, match="at least one"):
        range_violations([1])
    with pytest.raises(ValueError, match="exceed"):
        range_violations([1], low=5, high=1)
    with pytest.raises(ValueError, match="number"):
        range_violations([1], low=float("nan"))


def test_fd_violations_flag_every_row_of_a_conflicting_group():
    frame = pd.DataFrame({"zip": [1, 1, 1, 2, 2, 3, None],
                          "city": ["A", "A", "B", "C", "C", None, "Z"]})
    assert fd_violations(frame, "zip", "city").tolist() == [True, True, True, False, False,
                                                            False, False]


def test_fd_violations_with_a_composite_left_side():
    frame = pd.DataFrame({"a": [1, 1, 1, 1], "b": ["x", "x", "y", "y"], "c": [1, 2, 3, 3]})
    assert fd_violations(frame, ["a", "b"], "c").tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="trivial"):
        fd_violations(frame, ["a", "c"], "c")


def test_fd_repair_takes_the_majority_and_breaks_ties_by_first_seen():
    frame = pd.DataFrame({"zip": [1, 1, 1, 2, 2, 3, 3, None],
                          "city": ["A", "B", "A", "D", "C", "E", None, "Z"]})
    repaired = fd_repair(frame, "zip", "city")
    assert repaired.tolist()[:6] == ["A", "A", "A", "D", "D", "E"]
    assert pd.isna(repaired.iloc[6]) and repaired.iloc[7] == "Z"
    assert fd_repair(frame, "zip", "city", fill_missing=True).iloc[6] == "E"


def test_fd_detectors_find_every_injected_city_conflict(house):
    _, messy, truth = house
    listings = messy.listings.assign(Zip=messy.listings["Zip"].astype(int))
    wrong = logged_error_mask(listings, messy.errors, "inconsistent")["City"]
    assert wrong.sum() > 0
    assert (fd_violations(listings, "Zip", "City") | ~wrong).all()  # recall 1
    repaired = fd_repair(listings, "Zip", "City")
    assert (repaired == listings["Zip"].map(ZIP_CITY)).all()
    assert ((repaired != listings["City"]) == wrong).all()
    assert (repaired.to_numpy() == truth["City"].astype(str).to_numpy()).all()


def test_denial_constraints_flag_forbidden_rows_and_treat_na_as_unknown():
    frame = pd.DataFrame({"price": [100.0, 5.0, np.nan], "tax": [50.0, 100.0, 10.0]})
    cheap = DenialConstraint("price below a tenth of tax", lambda d: d["price"] < 0.1 * d["tax"])
    assert cheap.violations(frame).tolist() == [False, True, False]
    nullable = DenialConstraint("na", lambda d: pd.Series([True, pd.NA, False], dtype="boolean"))
    assert nullable.violations(frame).tolist() == [True, False, False]
    table = denial_violations(frame, [cheap, nullable])
    assert list(table.columns) == ["price below a tenth of tax", "na"]
    assert table.any(axis=1).tolist() == [True, True, False]


def test_denial_constraints_reject_bad_conditions():
    frame = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(ValueError, match="aligned"):
        DenialConstraint("short", lambda d: pd.Series([True])).violations(frame)
    with pytest.raises(ValueError, match="booleans"):
        DenialConstraint("ints", lambda d: d["a"]).violations(frame)
    c = DenialConstraint("c", lambda d: d["a"] > 1)
    with pytest.raises(ValueError, match="unique"):
        denial_violations(frame, [c, c])
    with pytest.raises(ValueError, match="at least one"):
        denial_violations(frame, [])
    with pytest.raises(TypeError):
        denial_violations(frame, [lambda d: d["a"] > 1])


# --------------------------------------------------------------------------- patterns


def test_pattern_signature_examples():
    cases = {"$1,234,000": "$9", "$835,000": "$9", "04/12/2021": "9/9/9",
             "2021-04-12": "9-9-9", "Apr 12, 2021": "a 9, 9", "0.37 Acres": "9 a",
             "Single Family": "a a", "single-family": "a-a", "SingleFamily": "a",
             "Mobile / Manufactured": "a / a", "": ""}
    for value, expected in cases.items():
        assert pattern_signature(value) == expected, value
    assert pd.isna(pattern_signature(None)) and pd.isna(pattern_signature(np.nan))


def test_value_type_examples():
    assert [value_type(v) for v in ["12", "-3", "2.5", ".5", "1e3", "12a", 4, 4.5]] == [
        "integer", "integer", "decimal", "decimal", "text", "text", "integer", "decimal"]
    assert pd.isna(value_type(None))


def test_pattern_violations_flag_the_minority_patterns():
    s = pd.Series(["01/02/2021", "03/04/2021", "2021-05-06", None, "Jul 8, 2021"])
    out = pattern_violations(s)
    assert out.tolist() == [False, False, True, False, True]
    assert out.attrs == {"majority": "9/9/9", "share": 0.5}
    typed = pattern_violations(["1", "2", "x", "3.5"], signature="type")
    assert typed.tolist() == [False, False, True, True]
    assert pattern_violations(["a", "1"], signature=len).tolist() == [False, False]


def test_pattern_violations_ties_go_to_the_first_seen_pattern():
    assert pattern_violations(["2021-01-01", "01/01/2021"]).tolist() == [False, True]


def test_pattern_violations_reject_bad_input():
    with pytest.raises(ValueError, match="no non-missing"):
        pattern_violations([None, np.nan])
    with pytest.raises(ValueError, match="signature"):
        pattern_violations(["a"], signature="shape")
    with pytest.raises(TypeError):
        pattern_violations(["a"], signature=3)


def test_date_pattern_violations_are_exactly_the_format_errors(house):
    _, messy, _ = house
    wrong = logged_error_mask(messy.listings, messy.errors, "format")
    for column in DATE_COLUMNS:
        flagged = pattern_violations(messy.listings[column])
        assert (flagged.to_numpy() == wrong[column].to_numpy()).all(), column


def test_fold_category_drops_case_and_punctuation():
    assert {fold_category(v) for v in ["Single Family", "single-family", "SingleFamily",
                                       " single_family "]} == {"singlefamily"}
    assert pd.isna(fold_category(None))


@functools.cache
def _reference_distance(a: str, b: str) -> int:
    if not a or not b:
        return len(a) + len(b)
    return min(_reference_distance(a[1:], b) + 1, _reference_distance(a, b[1:]) + 1,
               _reference_distance(a[1:], b[1:]) + (a[0] != b[0]))


def test_edit_distance_matches_the_recursive_definition(np_rng):
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3
    assert edit_distance("", "") == 0
    for _ in range(200):
        a = "".join(np_rng.choice(list("abc"), size=np_rng.integers(0, 7)))
        b = "".join(np_rng.choice(list("abc"), size=np_rng.integers(0, 7)))
        assert edit_distance(a, b) == _reference_distance(a, b) == edit_distance(b, a)
    with pytest.raises(TypeError):
        edit_distance("a", 1)


def test_category_mapping_methods():
    table = category_mapping(["Condo", "condo", "Condominium", "Sinlge Family", "Castle",
                              None], known=["Condo", "SingleFamily"],
                             synonyms={"Condominium": "Condo"})
    methods = dict(zip(table["value"], table["method"], strict=True))
    assert methods == {"Condo": "exact", "condo": "folded", "Condominium": "synonym",
                       "Sinlge Family": "edit", "Castle": "unmatched"}
    canonical = dict(zip(table["value"], table["canonical"], strict=True))
    assert canonical["Sinlge Family"] == "SingleFamily" and pd.isna(canonical["Castle"])
    assert table.set_index("value").loc["Sinlge Family", "distance"] == 2


def test_category_mapping_leaves_ties_unmatched():
    table = category_mapping(["cat"], known=["bat", "hat"], max_distance=1)
    assert table["method"].tolist() == ["unmatched"]


def test_category_mapping_without_known_picks_the_most_frequent_spelling():
    values = ["forced air", "Forced air", "Forced air", "Central", "central"]
    table = category_mapping(values)
    assert dict(zip(table["value"], table["canonical"], strict=True)) == {
        "forced air": "Forced air", "Forced air": "Forced air", "Central": "Central",
        "central": "Central"}


def test_category_mapping_rejects_bad_arguments():
    with pytest.raises(ValueError, match="fold"):
        category_mapping(["a"], known=["Condo", "condo"])
    with pytest.raises(ValueError, match="not known"):
        category_mapping(["a"], known=["A"], synonyms={"b": "B"})
    with pytest.raises(ValueError, match="max_distance"):
        category_mapping(["a"], known=["A"], max_distance=-1)


def test_normalize_categories_handles_unmatched_values():
    values = pd.Series(["Condo", "condo", "Castle", None], name="Type")
    assert normalize_categories(values, ["Condo"]).tolist()[:3] == ["Condo", "Condo", "Castle"]
    assert normalize_categories(values, ["Condo"], unmatched="nan").isna().tolist() == [
        False, False, True, True]
    with pytest.raises(ValueError, match="Castle"):
        normalize_categories(values, ["Condo"], unmatched="raise")
    with pytest.raises(ValueError, match="unmatched"):
        normalize_categories(values, ["Condo"], unmatched="drop")
    assert normalize_categories(values, ["Condo"]).name == "Type"


def test_normalized_types_equal_the_truth(house):
    _, messy, truth = house
    shown = messy.listings["Type"]
    normalized = normalize_categories(shown, HOUSE_TYPES, synonyms=TYPE_SYNONYMS,
                                      unmatched="raise")
    present = shown.notna().to_numpy()
    assert (normalized[present].to_numpy() == truth["Type"].astype(str)[present].to_numpy()).all()


# --------------------------------------------------------------------------- evaluation


def test_logged_error_mask_marks_one_cell_per_logged_error(house):
    _, messy, _ = house
    mask = logged_error_mask(messy.listings, messy.errors)
    assert mask.shape == messy.listings.shape and int(mask.to_numpy().sum()) == len(messy.errors)
    typos = logged_error_mask(messy.listings, messy.errors, ["typo"])
    assert int(typos.to_numpy().sum()) == (messy.errors["error_type"] == "typo").sum()


def test_logged_error_mask_rejects_unknown_ids_and_columns(house):
    _, messy, _ = house
    bad = messy.errors.head(1).assign(Id=1)
    with pytest.raises(ValueError, match="Ids"):
        logged_error_mask(messy.listings, bad)
    with pytest.raises(ValueError, match="columns"):
        logged_error_mask(messy.listings, messy.errors.head(1).assign(column="Nope"))


def test_detection_report_counts_and_ratios():
    report = detection_report(np.array([True, True, False, False]),
                              np.array([True, False, True, False]))
    assert report == {"flagged": 2, "true errors": 2, "hits": 1, "precision": 0.5,
                      "recall": 0.5}
    empty = detection_report(np.zeros(3, bool), np.zeros(3, bool))
    assert empty["precision"] == 0.0 and empty["recall"] == 0.0
    with pytest.raises(ValueError, match="shape"):
        detection_report(np.zeros(3, bool), np.zeros(4, bool))
    with pytest.raises(TypeError, match="boolean"):
        detection_report(np.zeros(3), np.zeros(3, bool))


# --------------------------------------------------------------------------- pipeline steps


def test_parse_listings_of_the_error_free_view_is_the_truth(house):
    sales, _, _ = house
    parsed = parse_listings(render_listings(sales.data), strict=True)
    for column in CURRENCY_COLUMNS + AREA_COLUMNS + NUMERIC_COLUMNS:
        expected = sales.data[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_allclose(parsed[column].to_numpy(float), expected, rtol=1e-12)
    for column in DATE_COLUMNS:
        assert (parsed[column].isna() == sales.data[column].isna()).all()
        assert (parsed[column].dropna().to_numpy() == sales.data[column].dropna().to_numpy()).all()
    assert parsed["Zip"].dtype == np.int64 and (parsed["Zip"] == sales.data["Zip"]).all()


def test_clean_listings_removes_the_injected_errors_it_targets(house):
    sales, messy, _ = house
    clean = clean_listings(messy.listings)
    assert clean["Address"].is_unique and len(clean) == len(sales)
    assert set(clean["Type"].dropna()) <= set(HOUSE_TYPES)
    assert (clean["City"] == clean["Zip"].map(ZIP_CITY)).all()
    for column, (low, high) in DEFAULT_RANGES.items():
        assert not range_violations(clean[column], low, high).any(), column
    ratio = clean["Sold Price"] / clean["Listed Price"]
    assert ratio.dropna().between(1 / 3, 3).all()
    truth = sales.data.set_index("Address").loc[clean["Address"]]
    price = clean["Sold Price"].to_numpy()
    known = ~np.isnan(price)
    assert (price[known] == truth["Sold Price"].to_numpy(float)[known]).mean() > 0.999


def test_clean_listings_switches_change_the_result(house):
    _, messy, _ = house
    default = clean_listings(messy.listings)
    assert len(clean_listings(messy.listings, drop_duplicates=False)) > len(default)
    raw_city = clean_listings(messy.listings, repair_city=False)
    assert (raw_city["City"] != default["City"]).any()
    with pytest.raises(ValueError, match="price_ratio"):
        clean_listings(messy.listings, price_ratio=1)
    with pytest.raises(TypeError, match="drop_duplicates"):
        clean_listings(messy.listings, drop_duplicates="yes")


def test_parse_listings_reads_every_messy_value_and_strict_names_unreadable_ones(house):
    _, messy, _ = house
    parsed = parse_listings(messy.listings, strict=True)  # every scraped value is readable
    assert parsed["Sold On"].notna().sum() == messy.listings["Sold On"].notna().sum()
    broken = messy.listings.copy()
    broken.loc[0, "Sold Price"] = "call for price"
    assert np.isnan(parse_listings(broken)["Sold Price"].iloc[0])
    with pytest.raises(ValueError, match="call for price"):
        parse_listings(broken, strict=True)
    with pytest.raises(TypeError):
        parse_listings(messy.listings["Id"])


def test_clean_listings_rejects_ranges_for_unknown_columns(house):
    _, messy, _ = house
    with pytest.raises(KeyError, match="Nope"):
        clean_listings(messy.listings, ranges={"Nope": (0, 1)})
