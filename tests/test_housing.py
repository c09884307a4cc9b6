"""Unit tests for helpers.housing (the running example: simulated house sales)."""

from __future__ import annotations

import gzip
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from helpers.housing import (
    AMENITY_COLUMNS,
    CSV_NAME,
    DEFAULT_ERROR_RATES,
    ERROR_TYPES,
    HOUSE_TYPES,
    LISTING_COLUMNS,
    PRICE_MODEL,
    SQFT_PER_ACRE,
    ZIP_CITY,
    HouseSales,
    PriceModel,
    listing_frame,
    make_house_sales,
    messy_listings,
    read_listings_csv,
    render_listings,
    simulate_house_sales,
    write_house_sales_csv,
    write_listings_csv,
)


@pytest.fixture(scope="module")
def sales() -> HouseSales:
    return simulate_house_sales(3000, seed=5)


@pytest.fixture(scope="module")
def big() -> HouseSales:
    return simulate_house_sales(10000, seed=11)


@pytest.fixture(scope="module")
def messy(big: HouseSales):
    return messy_listings(big, seed=3)


# --------------------------------------------------------------------------- a reference parser

_MONEY = ("Sold Price", "Listed Price", "Tax assessed value", "Annual tax amount",
          "Last Sold Price")


def _parse_canonical(view: pd.DataFrame) -> dict[str, pd.Series]:
    """Invert render_listings: the page strings back to numbers and dates."""
    out = {}
    for column in LISTING_COLUMNS:
        s = view[column]
        if column in _MONEY:
            out[column] = pd.to_numeric(s.str.replace(r"[$,]", "", regex=True))
        elif column in ("Sold On", "Listed On", "Last Sold On"):
            out[column] = pd.to_datetime(s, format="%m/%d/%Y")
        elif column in ("Total interior livable area", "Lot size"):
            acres = s.str.endswith(" Acres").fillna(False).astype(bool)
            number = pd.to_numeric(s.str.replace(r" sqft| Acres|,", "", regex=True))
            out[column] = number.where(~acres, number * SQFT_PER_ACRE)
        elif column in ("Id", "Zip", "Year built", "Bedrooms", "Full bathrooms", "Total spaces",
                        "Garage spaces", "Bathrooms") or column.endswith(("Score", "Distance")):
            out[column] = pd.to_numeric(s)
        else:
            out[column] = s
    return out


# --------------------------------------------------------------------------- ground truth


def test_simulation_is_deterministic_in_the_seed():
    a, b = simulate_house_sales(200, seed=1), simulate_house_sales(200, seed=1)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_series_equal(a.noise, b.noise)
    c = simulate_house_sales(200, seed=2)
    assert not a.data["Sold Price"].equals(c.data["Sold Price"])


def test_schema_and_dtypes_of_the_clean_table(sales):
    d = sales.data
    assert list(d.columns) == list(LISTING_COLUMNS) + list(AMENITY_COLUMNS)
    assert d["Id"].dtype == np.int64 and d["Id"].is_unique
    assert d["Address"].is_unique
    for column in ("Sold On", "Listed On", "Last Sold On"):
        assert pd.api.types.is_datetime64_dtype(d[column])
    for column in ("Type", "City", "Heating", "Cooling", "Parking"):
        assert isinstance(d[column].dtype, pd.CategoricalDtype)
    assert list(d["Type"].cat.categories) == list(HOUSE_TYPES)
    small = simulate_house_sales(5, seed=0).data  # categories do not depend on the sample
    for column in ("Type", "City", "Heating", "Cooling", "Parking"):
        assert list(small[column].cat.categories) == list(d[column].cat.categories)
    for column in ("Year built", "Bedrooms", "Full bathrooms", "Last Sold Price"):
        assert d[column].dtype == "Int64"
    for column in ("Sold Price", "Listed Price", "Tax assessed value", "Zip"):
        assert d[column].dtype == np.int64
    for column in AMENITY_COLUMNS:
        assert d[column].dtype == bool


def test_core_columns_are_complete_and_vacant_land_has_no_building(sales):
    d = sales.data
    core = ["Id", "Address", "Sold Price", "Sold On", "Summary", "Type", "Lot size",
            "Listed Price", "Listed On", "Tax assessed value", "Annual tax amount", "City", "Zip",
            "Elementary School Score", "Middle School Score", "High School Score"]
    assert not d[core].isna().any().any()
    land = d["Type"] == "VacantLand"
    assert land.sum() > 0
    building = ["Year built", "Bedrooms", "Bathrooms", "Total interior livable area", "Heating"]
    assert d.loc[land, building].isna().all().all()
    assert not d.loc[~land, building].isna().any().any()


def test_values_are_in_plausible_ranges(sales):
    d = sales.data
    assert d["Sold On"].min() >= pd.Timestamp("2020-01-01")
    assert d["Sold On"].max() <= pd.Timestamp("2021-12-31")
    assert (d["Listed On"] < d["Sold On"]).all()
    assert (d["Last Sold On"].dropna() < d.loc[d["Last Sold On"].notna(), "Sold On"]).all()
    assert (d["Year built"].dropna() <= d.loc[d["Year built"].notna(), "Sold On"].dt.year).all()
    assert d["Sold Price"].min() >= 1000 and (d["Sold Price"] % 1000 == 0).all()
    assert d["Bedrooms"].dropna().between(0, 8).all()
    for level in ("Elementary", "Middle", "High"):
        assert d[f"{level} School Score"].between(1, 10).all()
        assert (d[f"{level} School Distance"] >= 0.1).all()


def test_zip_determines_city_in_the_truth(sales):
    d = sales.data
    assert (d["City"].astype(str) == d["Zip"].map(ZIP_CITY)).all()


def test_each_school_has_one_score(sales):
    d = sales.data
    for level in ("Elementary", "Middle", "High"):
        assert (d.groupby(f"{level} School")[f"{level} School Score"].nunique() == 1).all()


def test_expected_log_price_is_the_stated_model_and_prices_add_the_noise(sales):
    recomputed = sales.model.expected_log_price(sales.data)
    np.testing.assert_allclose(recomputed, sales.expected_log_price, rtol=0, atol=1e-12)
    price = sales.data["Sold Price"].to_numpy(float)
    unrounded = np.exp(sales.expected_log_price + sales.noise).to_numpy()
    assert np.all(np.abs(price - unrounded) <= 500 + 1e-6)


def test_regression_recovers_the_stated_slopes(big):
    d = big.data
    x = big.model.features(d)
    design = pd.concat([x, pd.get_dummies(d["Type"].astype(str), drop_first=True, dtype=float),
                        pd.get_dummies(d["Zip"], drop_first=True, dtype=float)], axis=1)
    fit = sm.OLS(np.log(d["Sold Price"].to_numpy(float)), sm.add_constant(design)).fit()
    truth = pd.concat([big.model.slopes(), pd.Series(dict(big.model.amenity_effects))])
    z = (fit.params[truth.index] - truth) / fit.bse[truth.index]
    assert (z.abs() < 4.5).all(), z
    assert abs(fit.params["log area ratio"] - PRICE_MODEL.b_area) < 0.03


def test_noise_is_heavy_tailed_with_the_stated_scale(big):
    noise = big.noise.to_numpy()
    assert abs(np.median(np.abs(noise)) / big.model.noise_scale - 0.741) < 0.05  # t(4) MAD
    assert pd.Series(noise).kurt() > 1.0  # Gaussian: 0


def test_market_rises_and_listed_prices_are_close_to_sold_prices(big):
    d = big.data
    half = d["Sold On"].dt.year * 2 + (d["Sold On"].dt.month > 6)
    medians = d.groupby(half)["Sold Price"].median()
    assert medians.is_monotonic_increasing
    ratio = np.log(d["Sold Price"] / d["Listed Price"])
    assert 0.02 < ratio.median() < 0.12 and ratio.abs().quantile(0.95) < 0.2


def test_assessed_value_lags_the_price(big):
    d = big.data
    assert (d["Tax assessed value"] < d["Sold Price"]).mean() > 0.9
    tax_rate = d["Annual tax amount"] / d["Tax assessed value"]
    assert tax_rate.median() == pytest.approx(0.0125, abs=0.003)


def test_price_model_rejects_unknown_types_and_frames():
    data = simulate_house_sales(20, seed=0).data.copy()
    data["Zip"] = 12345
    with pytest.raises(ValueError, match="zips"):
        PRICE_MODEL.expected_log_price(data)
    with pytest.raises(TypeError):
        PRICE_MODEL.features([1, 2])
    with pytest.raises(ValueError, match="lacks"):
        PRICE_MODEL.features(data.drop(columns="Lot size"))


def test_a_custom_model_changes_the_prices():
    flat = PriceModel(b_trend=0.0, noise_scale=0.0)
    s = simulate_house_sales(300, seed=4, model=flat)
    assert np.allclose(s.noise, 0)
    assert s.model.noise_std == 0


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_simulation_validates_n(bad, error):
    with pytest.raises(error):
        simulate_house_sales(bad)


def test_simulation_validates_seed_and_model():
    with pytest.raises(ValueError):
        simulate_house_sales(10, seed=-1)
    with pytest.raises(TypeError):
        simulate_house_sales(10, model="linear")


# --------------------------------------------------------------------------- page view


def test_render_listings_is_exactly_invertible(sales):
    view = render_listings(sales.data)
    assert list(view.columns) == list(LISTING_COLUMNS)
    assert all(str(t) == "str" for t in view.dtypes)
    parsed = _parse_canonical(view)
    d = sales.data
    for column in LISTING_COLUMNS:
        truth = d[column]
        if isinstance(truth.dtype, pd.CategoricalDtype) or truth.dtype == "str":
            assert parsed[column].equals(truth.astype(object).where(truth.notna(), np.nan)
                                         .astype("str")), column
        elif pd.api.types.is_datetime64_dtype(truth):
            assert (parsed[column].fillna(pd.Timestamp(0)) == truth.fillna(pd.Timestamp(0))).all()
        else:
            np.testing.assert_allclose(parsed[column].to_numpy(float),
                                       truth.to_numpy(float, na_value=np.nan),
                                       rtol=1e-12, err_msg=column)


def test_render_uses_acres_for_large_lots_and_sqft_for_small_ones(sales):
    view = render_listings(sales.data)
    lot = sales.data["Lot size"]
    assert view.loc[lot >= SQFT_PER_ACRE / 4, "Lot size"].str.endswith(" Acres").all()
    assert view.loc[lot < SQFT_PER_ACRE / 4, "Lot size"].str.endswith(" sqft").all()
    assert view["Sold Price"].str.fullmatch(r"\$\d{1,3}(,\d{3})*").all()


def test_listing_frame_rejects_unknown_fields():
    with pytest.raises(ValueError, match="unknown"):
        listing_frame([{"Id": "1", "Colour": "red"}])
    empty = listing_frame([])
    assert list(empty.columns) == list(LISTING_COLUMNS) and len(empty) == 0


# --------------------------------------------------------------------------- messy view


def test_messy_view_is_deterministic(sales):
    a, b = messy_listings(sales, seed=2), messy_listings(sales, seed=2)
    pd.testing.assert_frame_equal(a.listings, b.listings)
    pd.testing.assert_frame_equal(a.errors, b.errors)
    c = messy_listings(sales, seed=3)
    assert not a.errors.equals(c.errors)


def test_no_error_rates_gives_the_canonical_view(sales):
    clean = messy_listings(sales, error_rates={})
    pd.testing.assert_frame_equal(clean.listings, render_listings(sales.data))
    assert len(clean.errors) == 0
    assert (clean.source_id == sales.data["Id"]).all()


def test_error_log_lists_exactly_the_cells_that_differ_from_the_truth(big, messy):
    canon = render_listings(big.data).set_index(big.data["Id"].to_numpy())
    truth = canon.loc[messy.source_id.to_numpy()].reset_index(drop=True)
    shown = messy.listings
    differs = ~((truth == shown) | (truth.isna() & shown.isna()))
    rows, cols = np.nonzero(differs.to_numpy())
    found = set(zip(shown["Id"].to_numpy()[rows].astype(np.int64),
                    np.array(LISTING_COLUMNS)[cols], strict=True))
    logged = set(zip(messy.errors["Id"], messy.errors["column"], strict=True))
    assert found == logged
    assert messy.errors.groupby(["Id", "column"]).size().max() == 1


def test_error_log_values_match_the_tables(messy):
    e = messy.errors.set_index(["Id", "column"])
    shown = messy.listings.set_index(messy.listings["Id"].astype(np.int64))
    for (listing_id, column), row in e.sample(300, random_state=0).iterrows():
        value = shown.loc[listing_id, column]
        assert (pd.isna(value) and pd.isna(row["shown_value"])) or value == row["shown_value"]


def test_every_error_type_occurs(messy):
    assert set(messy.errors["error_type"]) == set(ERROR_TYPES)


def test_missing_and_duplicate_rates_match_the_nominal_rates(big, messy):
    e, m = messy.errors, len(messy.listings)
    canon = render_listings(big.data)
    dups = (e["error_type"] == "duplicate").sum()
    assert abs(dups / len(big) - 0.01) < 4 * np.sqrt(0.01 * 0.99 / len(big))
    for column in ("Flooring", "Sold Price", "Cooling", "Last Sold Price"):
        rate = DEFAULT_ERROR_RATES["missing"][column]
        eligible = canon[column].notna().mean() * m
        hits = ((e["error_type"] == "missing") & (e["column"] == column)).sum()
        assert abs(hits / eligible - rate) < 4 * np.sqrt(rate * (1 - rate) / eligible) + 1e-3


def test_duplicates_are_reposts_of_existing_houses(big, messy):
    ids = messy.listings["Id"].astype(np.int64)
    assert ids.is_unique
    dup = messy.errors[messy.errors["error_type"] == "duplicate"]
    source = messy.source_id.set_axis(ids)
    assert (source.loc[dup["Id"]].to_numpy() == dup["true_value"].astype(np.int64)).all()
    assert set(source) == set(big.data["Id"])
    addresses = messy.listings["Address"]
    assert addresses.duplicated().sum() == len(dup)


def test_injected_values_have_the_documented_form(big, messy):
    e = messy.errors
    typo = e[e["error_type"] == "typo"]
    money = {c: typo[c + "_value"].str.replace(r"[$,]", "", regex=True).astype(float)
             for c in ("true", "shown")}
    assert np.allclose(np.sort([10.0, 0.1]), np.unique(np.round(money["shown"] / money["true"],
                                                                1)))
    absurd = e[e["error_type"] == "absurd"]
    assert absurd.loc[absurd["column"] == "Year built", "shown_value"].isin(
        ["0", "9999", "2099"]).all()
    assert absurd.loc[absurd["column"] == "Annual tax amount", "shown_value"].str.startswith(
        "-$").all()
    fmt = e[e["error_type"] == "format"]
    reparsed = [pd.to_datetime(v, format="mixed") for v in fmt["shown_value"]]
    original = [datetime.strptime(v, "%m/%d/%Y") for v in fmt["true_value"]]
    assert reparsed == original
    spelling = e[(e["error_type"] == "spelling") & (e["column"] == "Type")]
    squashed = spelling["shown_value"].str.lower().str.replace(r"[^a-z]", "", regex=True)
    truth = spelling["true_value"].str.lower()
    assert (squashed.str[:4] == truth.str[:4]).mean() > 0.7  # "Lot/Land", "Manufactured" differ
    city = e[e["error_type"] == "inconsistent"]
    zips = messy.listings.set_index("Id").loc[city["Id"].astype(str), "Zip"].astype(int)
    assert (city["shown_value"].to_numpy() != zips.map(ZIP_CITY).to_numpy()).all()


def test_protected_columns_are_never_corrupted(messy):
    e = messy.errors
    assert not e["column"].isin(["Address", "Zip"]).any()
    assert (e.loc[e["column"] == "City", "error_type"] == "inconsistent").all()
    assert (e.loc[e["column"] == "Id", "error_type"] == "duplicate").all()
    assert messy.listings[["Id", "Address", "City", "Zip"]].notna().all().all()


@pytest.mark.parametrize("rates, message", [
    ({"smudge": {"Type": 0.1}}, "unknown error type"),
    ({"missing": {"Id": 0.1}}, "not supported"),
    ({"typo": {"Type": 0.1}}, "not supported"),
    ({"missing": {"Type": 1.5}}, "rate of 'missing' errors in 'Type' == 1.5, must be <= 1"),
])
def test_messy_listings_validates_error_rates(sales, rates, message):
    with pytest.raises(ValueError, match=message):
        messy_listings(sales, error_rates=rates)


def test_messy_listings_validates_its_inputs(sales):
    with pytest.raises(TypeError):
        messy_listings(sales.data)
    with pytest.raises(ValueError):
        messy_listings(sales, seed=-3)


# --------------------------------------------------------------------------- files


def test_csv_round_trip_is_exact(tmp_path, sales):
    listings = messy_listings(sales, seed=1).listings
    path = write_listings_csv(listings, tmp_path / "x.csv.gz")
    pd.testing.assert_frame_equal(read_listings_csv(path), listings)
    with gzip.open(path, "rt") as f:
        assert f.readline().strip().split(",")[:3] == ["Id", "Address", "Sold Price"]


def test_house_sales_csv_is_the_messy_view_and_reproducible(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_house_sales_csv(tmp_path / "a", n=300, seed=1)
    b = write_house_sales_csv(tmp_path / "b", n=300, seed=1)
    assert a.name == CSV_NAME and a.read_bytes() == b.read_bytes()
    _, messy = make_house_sales(300, seed=1)
    pd.testing.assert_frame_equal(read_listings_csv(a), messy.listings)
    plain = pd.read_csv(a)  # what Part 2 sees when it lets pandas guess the types
    assert plain["Zip"].dtype == np.int64 and plain["Sold Price"].dtype != np.float64


def test_write_house_sales_csv_needs_an_existing_directory(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        write_house_sales_csv(tmp_path / "nope", n=10)
