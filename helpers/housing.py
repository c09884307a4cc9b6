"""The course's running example: simulated California house sales, clean and as scraped.

The course scraped Zillow's *sold* listings around Palo Alto and Sunnyvale and used
them from data preprocessing (Part 2) to linear regression (3.3) and validation
splits (4.3). That site cannot be reached offline, so this module simulates the
same kind of data, from a seed, in three views:

1. **The ground truth** -- :func:`simulate_house_sales` returns a :class:`HouseSales`:
   a clean table (one row per house, proper dtypes) and the pieces of the price
   model that generated it (the noise-free expected log price of each house, the
   noise draws, and the :class:`PriceModel` with its coefficients).
2. **The canonical page view** -- :func:`render_listings` turns the clean table into
   the strings a listing page shows ("$1,234,000", "1,480 sqft", "0.25 Acres",
   "04/12/2021"), without any error. It is exactly invertible.
3. **The messy scraped view** -- :func:`messy_listings` injects the errors real
   scraped data has (missing fields, duplicated listings, typos, absurd values,
   spelling variants, several date formats, zip/city conflicts) and returns a
   :class:`MessyListings`: the table of strings plus a tidy log of every injected
   error (listing ``Id``, ``column``, ``error_type``, true and shown value), so that
   lecture 2.2 can measure the precision and recall of error detectors.

How the views connect to the lectures. Lecture 1.3 serves ``messy.listings`` on a
local web site (:class:`helpers.website.ListingSite`) and scrapes it back
(:func:`helpers.scraping.scrape_listings`); the scraped table equals
``messy.listings`` cell for cell (a test checks it). Part 2 skips the scrape and
reads the same table from the compressed CSV written by
:func:`write_house_sales_csv` (``house_sales.csv.gz``, by default 5,000 houses,
seed 0), exactly what the scraper would save for the whole site.

The price model (:class:`PriceModel`, defaults in :data:`PRICE_MODEL`)::

    log(Sold Price) = intercept + zip effect + type effect
                      + b_area   * log(living area / 1500 sqft)   (0 for vacant land)
                      + b_lot    * log(lot size / 5000 sqft)
                      + b_age    * age at sale in years             (0 for vacant land)
                      + b_school * (mean of the 3 school scores - 7)
                      + b_trend  * years since 2020-01-01          (the market trend)
                      + amenity effects (pool, view, remodeled, fixer-upper)
                      + noise,   noise = noise_scale * t(noise_df)  (Student-t)

and the sold price is ``exp(log price)`` rounded to $1,000. The amenities are
not columns of the listing page: they appear only in the free-text ``Summary``.
Sold dates span 2020-2021 and the market trend rises, so a random and a
time-ordered validation split give different answers (lecture 4.3). Listed
prices are sold prices minus a bidding premium that grows over time; assessed
values follow California's Proposition 13 (last sale price grown by 2% a year),
so they lag the market.

Used in lectures 1.3 (scraping), 2.1-2.4 (data preprocessing), 3.3 (linear
regression) and 4.3 (validation splits).
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from os import PathLike
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from helpers.checks import boundary, check_frame, check_real, instance, optional

__all__ = [
    "AMENITY_COLUMNS",
    "CSV_NAME",
    "DEFAULT_ERROR_RATES",
    "ERROR_TYPES",
    "HOUSE_SALES_N",
    "HOUSE_TYPES",
    "LISTING_COLUMNS",
    "PRICE_MODEL",
    "REFERENCE_DATE",
    "SQFT_PER_ACRE",
    "ZIP_CITY",
    "HouseSales",
    "MessyListings",
    "PriceModel",
    "listing_frame",
    "make_house_sales",
    "messy_listings",
    "read_listings_csv",
    "render_listings",
    "simulate_house_sales",
    "write_house_sales_csv",
    "write_listings_csv",
]

HOUSE_SALES_N = 5000
"""Number of houses of the standard data set that Part 2 reads."""

CSV_NAME = "house_sales.csv.gz"
"""File name of the scraped (messy) listings, as written by :func:`write_house_sales_csv`."""

REFERENCE_DATE = pd.Timestamp("2020-01-01")
"""Time zero of the market trend; sales run from this day to 2021-12-31."""

SQFT_PER_ACRE = 43560.0

_SALES_DAYS = 731  # 2020-01-01 .. 2021-12-31
_ACRE_DISPLAY_THRESHOLD = 0.25 * SQFT_PER_ACRE  # lots this large are shown in acres
_DATE_FORMAT = "%m/%d/%Y"

# --------------------------------------------------------------------------- schema

LISTING_COLUMNS: tuple[str, ...] = (
    "Id", "Address", "Sold Price", "Sold On", "Summary", "Type", "Year built",
    "Heating", "Cooling", "Parking", "Bedrooms", "Bathrooms", "Full bathrooms",
    "Total interior livable area", "Total spaces", "Garage spaces",
    "Elementary School", "Elementary School Score", "Elementary School Distance",
    "Middle School", "Middle School Score", "Middle School Distance",
    "High School", "High School Score", "High School Distance",
    "Flooring", "Appliances included", "Laundry features", "Lot size",
    "Tax assessed value", "Annual tax amount", "Listed On", "Listed Price",
    "Last Sold On", "Last Sold Price", "City", "Zip",
)
"""Columns of a listing page, in page order: the scraped table has exactly these."""

AMENITY_COLUMNS: tuple[str, ...] = ("Has pool", "Has view", "Remodeled", "Fixer-upper")
"""Boolean ground-truth columns that affect the price but show only in ``Summary``."""

HOUSE_TYPES: tuple[str, ...] = (
    "SingleFamily", "Condo", "Townhouse", "MultiFamily", "MobileManufactured", "VacantLand",
)

_CURRENCY = ("Sold Price", "Listed Price", "Tax assessed value", "Annual tax amount",
             "Last Sold Price")
_DATES = ("Sold On", "Listed On", "Last Sold On")
_INTEGERS = ("Year built", "Bedrooms", "Full bathrooms", "Total spaces", "Garage spaces",
             "Elementary School Score", "Middle School Score", "High School Score", "Zip")
_DISTANCES = ("Elementary School Distance", "Middle School Distance", "High School Distance")
_PROTECTED = ("Id", "Address", "City", "Zip")  # identify a listing; never blanked

# city: (location effect on log price, typical school score)
_CITIES: dict[str, tuple[float, float]] = {
    "Los Altos": (0.55, 9.2), "Palo Alto": (0.50, 9.0), "Menlo Park": (0.35, 8.0),
    "Cupertino": (0.32, 9.0), "Mountain View": (0.22, 7.6), "Sunnyvale": (0.12, 7.2),
    "Redwood City": (0.05, 6.3), "Santa Clara": (0.00, 6.6), "San Jose": (-0.18, 5.8),
}
# zip: (city, offset of the zip within its city, share of sales)
_ZIPS: dict[int, tuple[str, float, float]] = {
    94022: ("Los Altos", 0.03, 1.0), 94024: ("Los Altos", -0.03, 1.0),
    94301: ("Palo Alto", 0.08, 0.8), 94303: ("Palo Alto", -0.10, 1.0),
    94306: ("Palo Alto", 0.00, 1.0), 94025: ("Menlo Park", 0.00, 1.4),
    95014: ("Cupertino", 0.00, 1.6), 94040: ("Mountain View", 0.04, 1.2),
    94041: ("Mountain View", 0.00, 0.7), 94043: ("Mountain View", -0.05, 1.2),
    94085: ("Sunnyvale", -0.05, 0.8), 94086: ("Sunnyvale", 0.00, 1.3),
    94087: ("Sunnyvale", 0.06, 1.3), 94089: ("Sunnyvale", -0.08, 0.7),
    94061: ("Redwood City", 0.02, 1.0), 94062: ("Redwood City", 0.08, 1.0),
    94063: ("Redwood City", -0.12, 0.9), 94065: ("Redwood City", 0.00, 0.6),
    95050: ("Santa Clara", 0.00, 1.1), 95051: ("Santa Clara", 0.03, 1.4),
    95054: ("Santa Clara", -0.02, 0.8), 95110: ("San Jose", -0.12, 0.9),
    95112: ("San Jose", -0.08, 1.2), 95117: ("San Jose", 0.02, 1.1),
    95118: ("San Jose", 0.00, 1.3), 95120: ("San Jose", 0.15, 1.2),
    95123: ("San Jose", -0.03, 1.6), 95125: ("San Jose", 0.10, 1.5),
    95129: ("San Jose", 0.08, 1.2), 95148: ("San Jose", 0.00, 1.1),
}
ZIP_CITY: Mapping[int, str] = MappingProxyType({z: c for z, (c, _, _) in _ZIPS.items()})
"""The functional dependency zip -> city of the ground truth."""

# type: (share, effect, median area, sigma of log area, median lot, sigma of log lot,
#        mean year built, sd year built)
_TYPES: dict[str, tuple[float, ...]] = {
    "SingleFamily": (0.58, 0.00, 1750, 0.33, 6500, 0.40, 1962, 18),
    "Condo": (0.18, -0.12, 1050, 0.30, 1800, 0.60, 1986, 14),
    "Townhouse": (0.13, -0.06, 1450, 0.25, 2200, 0.45, 1990, 14),
    "MultiFamily": (0.05, -0.10, 2600, 0.30, 7000, 0.40, 1958, 20),
    "MobileManufactured": (0.03, -1.00, 1100, 0.22, 3000, 0.35, 1976, 8),
    "VacantLand": (0.03, -0.90, math.nan, math.nan, 20000, 1.00, math.nan, math.nan),
}
# amenity: (effect on log price, probability per type in _TYPES order)
_AMENITIES: dict[str, tuple[float, tuple[float, ...]]] = {
    "Has pool": (0.05, (0.15, 0.02, 0.03, 0.08, 0.00, 0.00)),
    "Has view": (0.08, (0.07, 0.06, 0.05, 0.04, 0.02, 0.10)),
    "Remodeled": (0.06, (0.25, 0.20, 0.20, 0.15, 0.10, 0.00)),
    "Fixer-upper": (-0.18, (0.07, 0.02, 0.02, 0.08, 0.05, 0.00)),
}
_AMENITY_SENTENCES = {
    "Has pool": ("Sparkling pool in the private backyard.",
                 "Resort-style backyard with pool and spa."),
    "Has view": ("Sweeping bay views.", "Enjoy panoramic hill views."),
    "Remodeled": ("Fully remodeled kitchen and baths.",
                  "Tastefully updated throughout with a new kitchen."),
    "Fixer-upper": ("Fixer-upper sold as-is.", "Needs work: bring your contractor."),
}
_OPENERS = ("Charming", "Spacious", "Bright", "Well-kept", "Light-filled", "Classic", "Lovely")
_FILLERS = ("Quiet tree-lined street.", "Walk to shops and parks.",
            "Easy commute to Caltrain and highways.", "Bright open floor plan.",
            "Landscaped front yard.", "Close to downtown.", "Move-in ready.")
_TYPE_WORDS = {"SingleFamily": "single-family home", "Condo": "condo",
               "Townhouse": "townhouse", "MultiFamily": "multi-family property",
               "MobileManufactured": "manufactured home"}
_STREETS = (
    "Alma", "Bryant", "Cowper", "Waverley", "Middlefield", "Embarcadero", "Hamilton",
    "Lincoln", "Forest", "Hawthorne", "Channing", "Homer", "Addison", "Kingsley", "Melville",
    "Webster", "Emerson", "Ramona", "Tasso", "Byron", "Everett", "Mariposa", "Sierra",
    "Castro", "Dana", "Calderon", "Bush", "Pastoria", "Mathilda", "Fremont", "Homestead",
    "Hollenbeck", "Remington", "Grant", "Miramonte", "Springer", "Eastwood", "Cherry", "Oak",
    "Pine", "Maple", "Willow", "Laurel", "Magnolia", "Juniper", "Sequoia", "Redwood",
    "Cedar", "Birch", "Aspen", "Poplar", "Sycamore", "Cypress", "Elm", "Alder", "Linden",
    "Hemlock", "Orchard", "Meadow", "Vista",
)
_STREET_SUFFIXES = ("St", "Ave", "Ct", "Dr", "Way", "Ln", "Pl", "Rd")
_SCHOOL_NAMES = (
    "Addison", "Barron", "Briones", "Carlmont", "Duveneck", "Escondido", "Fairmeadow",
    "Gardner", "Hoover", "Juana", "Lucas", "Monroe", "Nixon", "Ohlone", "Palo Verde",
    "Ponderosa", "Raynor", "Stevenson", "Terman", "Walter", "Almond", "Bubb", "Castro",
    "Egan", "Huff", "Landels", "Slater", "Blach", "Covington", "Gardner Bullis", "Lakewood",
    "Cherry Chase", "Cumberland", "Ellis", "Fremont", "Peterson", "Bishop", "Hollingsworth",
    "Laurelwood", "Murdock",
)
_HEATING = ("Forced air", "Central", "Wall furnace", "Radiant", "Heat pump")
_COOLING = ("Central Air", "Wall/Window Unit", "Ceiling Fan(s)", "No cooling")
_PARKING = ("Garage - Attached", "Garage - Detached", "Carport", "Driveway", "On Street",
            "Covered")
_FLOORING = ("Hardwood", "Tile", "Carpet", "Laminate", "Vinyl")
_APPLIANCES = ("Dishwasher", "Range / Oven", "Refrigerator", "Microwave", "Washer", "Dryer",
               "Garbage disposal")
_LAUNDRY = ("Inside", "In Garage", "Community", "Washer/Dryer Hookup")


# --------------------------------------------------------------------------- validation


def _check_frame(name: str, frame: object, columns: Sequence[str]) -> pd.DataFrame:
    frame = check_frame(name, frame)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}")
    return frame


# --------------------------------------------------------------------------- price model


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class PriceModel:
    """The stated model of log sold prices; its defaults generate the course's data.

    ``log(price) = intercept + zip_effects[zip] + type_effects[type]
    + b_area * log(area / 1500) + b_lot * log(lot / 5000) + b_age * age
    + b_school * (school - 7) + b_trend * years + sum(amenity effects) + noise``,
    where ``area`` is the living area in sqft (the area and age terms are 0 for
    vacant land), ``lot`` the lot size in sqft, ``age`` the age at sale in years,
    ``school`` the mean of the elementary, middle and high school scores (1-10),
    ``years`` the time of sale in years since 2020-01-01 and ``noise`` is
    ``noise_scale`` times a Student-t variable with ``noise_df`` degrees of
    freedom. A zip's effect is its city's effect plus a small zip offset. Used in
    lectures 1.3, 2.1-2.4, 3.3 and 4.3.

    Attributes
    ----------
    intercept : float
        Log price of the reference house: a 1,500 sqft single-family home on a
        5,000 sqft lot, new, average schools (7), sold on 2020-01-01, in a zip of
        effect 0 (Santa Clara).
    b_area, b_lot, b_age, b_school, b_trend : float
        Slopes (see above). ``b_trend = 0.15`` is a market rising about 16% a year.
    type_effects, zip_effects, amenity_effects : mapping
        Additive effects on the log price.
    noise_scale, noise_df : float
        Scale and degrees of freedom of the Student-t noise.
    """

    intercept: float = math.log(1.3e6)
    b_area: float = 0.75
    b_lot: float = 0.12
    b_age: float = -0.002
    b_school: float = 0.05
    b_trend: float = 0.15
    type_effects: Mapping[str, float] = field(
        default_factory=lambda: _frozen({t: v[1] for t, v in _TYPES.items()}))
    zip_effects: Mapping[int, float] = field(
        default_factory=lambda: _frozen({z: _CITIES[c][0] + off
                                         for z, (c, off, _) in _ZIPS.items()}))
    amenity_effects: Mapping[str, float] = field(
        default_factory=lambda: _frozen({a: v[0] for a, v in _AMENITIES.items()}))
    noise_scale: float = 0.16
    noise_df: float = 4.0

    @property
    def noise_std(self) -> float:
        """Standard deviation of the noise, ``noise_scale * sqrt(df / (df - 2))``."""
        if self.noise_df <= 2:
            return math.inf
        return self.noise_scale * math.sqrt(self.noise_df / (self.noise_df - 2))

    def slopes(self) -> pd.Series:
        """The five slopes, indexed by the feature names of :meth:`features`."""
        return pd.Series({"log area ratio": self.b_area, "log lot ratio": self.b_lot,
                          "age": self.b_age, "school": self.b_school,
                          "years": self.b_trend}, name="coefficient")

    def features(self, data: pd.DataFrame) -> pd.DataFrame:
        """The numeric regressors of the model, computed from a clean table.

        Columns: ``log area ratio`` = log(area / 1500), ``log lot ratio`` =
        log(lot / 5000), ``age`` (years at sale), ``school`` (mean score - 7),
        ``years`` (since 2020-01-01), then the amenity columns as 0/1. Area and age
        are 0 for vacant land, which has neither.
        """
        _check_frame("data", data, ("Type", "Total interior livable area", "Lot size",
                                    "Year built", "Sold On", *AMENITY_COLUMNS,
                                    "Elementary School Score", "Middle School Score",
                                    "High School Score"))
        land = (data["Type"] == "VacantLand").to_numpy()
        area = data["Total interior livable area"].to_numpy(dtype=float)
        sold = pd.to_datetime(data["Sold On"])
        age = (sold.dt.year - data["Year built"].astype("Float64")).to_numpy(
            dtype=float, na_value=np.nan)
        school = data[["Elementary School Score", "Middle School Score",
                       "High School Score"]].to_numpy(dtype=float).mean(axis=1)
        out = pd.DataFrame({
            "log area ratio": np.where(land, 0.0, np.log(np.where(land, 1500.0, area) / 1500.0)),
            "log lot ratio": np.log(data["Lot size"].to_numpy(dtype=float) / 5000.0),
            "age": np.where(land, 0.0, age),
            "school": school - 7.0,
            "years": ((sold - REFERENCE_DATE).dt.days / 365.25).to_numpy(dtype=float),
        }, index=data.index)
        for amenity in AMENITY_COLUMNS:
            out[amenity] = data[amenity].astype(float)
        return out

    def expected_log_price(self, data: pd.DataFrame) -> pd.Series:
        """The noise-free part of the model, ``E[log(Sold Price)]``, for every row."""
        _check_frame("data", data, ("Type", "Zip"))
        x = self.features(data)
        slopes = self.slopes()
        value = self.intercept + x[slopes.index].to_numpy() @ slopes.to_numpy()
        value = value + x[list(AMENITY_COLUMNS)].to_numpy() @ np.array(
            [self.amenity_effects[a] for a in AMENITY_COLUMNS])
        unknown_types = set(data["Type"].astype(str)) - set(self.type_effects)
        unknown_zips = set(data["Zip"].astype(int)) - set(self.zip_effects)
        if unknown_types or unknown_zips:
            raise ValueError(f"no effect for types {sorted(unknown_types)} / zips "
                             f"{sorted(unknown_zips)}")
        value = value + data["Type"].astype(str).map(self.type_effects).to_numpy(float)
        value = value + data["Zip"].astype(int).map(self.zip_effects).to_numpy(float)
        return pd.Series(value, index=data.index, name="expected log price")


PRICE_MODEL = PriceModel()
"""The price model with the course's default coefficients."""


@dataclass(frozen=True)
class HouseSales:
    """The ground truth of the simulation: the clean table and how prices were made.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per house: the :data:`LISTING_COLUMNS` with proper dtypes (ints,
        floats, ``Int64`` where vacant land has no value, ``datetime64`` dates,
        categories) plus the boolean :data:`AMENITY_COLUMNS`. Areas in sqft.
    expected_log_price : pandas.Series
        ``PriceModel.expected_log_price(data)``: the best possible prediction of
        ``log(Sold Price)`` (up to the $1,000 rounding of prices).
    noise : pandas.Series
        The Student-t noise drawn for each house (``log price - expected``).
    model : PriceModel
        The coefficients used.
    seed : int
        The seed that reproduces the table.
    """

    data: pd.DataFrame
    expected_log_price: pd.Series
    noise: pd.Series
    model: PriceModel
    seed: int

    def __len__(self) -> int:
        return len(self.data)


# --------------------------------------------------------------------------- simulation


def _sale_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days since 2020-01-01: more sales in late spring, fewer in the spring-2020 lockdown."""
    days = np.arange(_SALES_DAYS)
    dates = REFERENCE_DATE + pd.to_timedelta(days, unit="D")
    weight = 1.0 + 0.35 * np.cos(2 * np.pi * (dates.day_of_year.to_numpy() - 150) / 365.25)
    lockdown = (dates >= pd.Timestamp("2020-03-20")) & (dates <= pd.Timestamp("2020-05-31"))
    weight = np.where(lockdown, 0.5 * weight, weight)
    return rng.choice(days, size=n, p=weight / weight.sum())


def _unique_addresses(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    n = len(types)
    streets = rng.integers(len(_STREETS), size=n)
    suffixes = rng.integers(len(_STREET_SUFFIXES), size=n)
    numbers = rng.integers(1, 4000, size=n)
    units = rng.integers(1, 60, size=n)
    unit_types = np.isin(types, ("Condo", "Townhouse"))

    def make(i: int) -> str:
        text = f"{numbers[i]} {_STREETS[streets[i]]} {_STREET_SUFFIXES[suffixes[i]]}"
        return f"{text} #{units[i]}" if unit_types[i] else text

    addresses = np.array([make(i) for i in range(n)], dtype=object)
    while True:  # re-draw house numbers of the (rare) repeated addresses
        dup = pd.Series(addresses).duplicated().to_numpy()
        if not dup.any():
            return addresses
        numbers[dup] = rng.integers(4000, 20000, size=int(dup.sum()))
        for i in np.flatnonzero(dup):
            addresses[i] = make(i)


def _schools(rng: np.random.Generator, zips: np.ndarray) -> dict[str, np.ndarray]:
    """Three elementary, two middle and one high school per zip; each school one score."""
    levels = {"Elementary": (3, 0.6), "Middle": (2, 1.2), "High": (1, 1.8)}
    names = [f"{name}{form}" for form in ("", " Park", " Hills") for name in _SCHOOL_NAMES]
    out: dict[str, np.ndarray] = {}
    zip_codes = np.array(sorted(_ZIPS))
    zip_index = np.searchsorted(zip_codes, zips)
    for level, (per_zip, median_miles) in levels.items():
        count = per_zip * len(zip_codes)
        pool = rng.permutation(len(names))[:count]
        school_zip = np.repeat(np.arange(len(zip_codes)), per_zip)
        base = np.array([_CITIES[_ZIPS[z][0]][1] + 4.0 * _ZIPS[z][1] for z in zip_codes])
        scores = np.clip(np.rint(base[school_zip] + rng.normal(0, 0.9, count)), 1, 10)
        pick = zip_index * per_zip + rng.integers(per_zip, size=len(zips))
        out[f"{level} School"] = np.array([f"{names[pool[k]]} {level} School" for k in pick],
                                          dtype=object)
        out[f"{level} School Score"] = scores[pick].astype(np.int64)
        miles = median_miles * np.exp(rng.normal(0, 0.5, len(zips)))
        out[f"{level} School Distance"] = np.maximum(np.round(miles, 1), 0.1)
    return out


def _pick_lists(rng: np.random.Generator, options: Sequence[str], probs: Sequence[float],
                n: int) -> np.ndarray:
    chosen = rng.random((n, len(options))) < np.asarray(probs)
    chosen[~chosen.any(axis=1), 0] = True
    return np.array([", ".join(o for o, c in zip(options, row, strict=True) if c)
                     for row in chosen], dtype=object)


def _summaries(rng: np.random.Generator, types: np.ndarray, beds: np.ndarray, baths: np.ndarray,
               cities: np.ndarray, lots: np.ndarray, amenities: dict[str, np.ndarray],
               schools: np.ndarray) -> np.ndarray:
    n = len(types)
    openers = rng.integers(len(_OPENERS), size=n)
    fillers = rng.integers(len(_FILLERS), size=n)
    variants = rng.integers(2, size=(n, len(AMENITY_COLUMNS)))
    mention_school = rng.random(n) < 0.4
    out = np.empty(n, dtype=object)
    for i in range(n):
        if types[i] == "VacantLand":
            parts = [f"Rare {lots[i] / SQFT_PER_ACRE:.2f}-acre lot in {cities[i]}, "
                     "ready for your dream home."]
        else:
            parts = [f"{_OPENERS[openers[i]]} {beds[i]}-bed, {baths[i]:g}-bath "
                     f"{_TYPE_WORDS[types[i]]} in {cities[i]}."]
        for k, amenity in enumerate(AMENITY_COLUMNS):
            if amenities[amenity][i]:
                parts.append(_AMENITY_SENTENCES[amenity][variants[i, k]])
        parts.append(_FILLERS[fillers[i]])
        if mention_school[i]:
            parts.append(f"Served by {schools[i]}.")
        out[i] = " ".join(parts)
    return out


@boundary(n="int >= 1", seed="int >= 0", model=optional(instance(PriceModel)))
def simulate_house_sales(n: int = HOUSE_SALES_N, seed: int = 0,
                         model: PriceModel | None = None) -> HouseSales:
    """Simulate ``n`` house sales around Palo Alto and Sunnyvale in 2020-2021.

    The ground truth of the course's running example (see the module docstring for
    the stated price model). Deterministic in ``seed``; 5,000 houses take well
    under a second. Used in lectures 1.3, 2.1-2.4, 3.3 and 4.3.

    Parameters
    ----------
    n : int
        Number of houses (at least 1).
    seed : int
        Non-negative seed.
    model : PriceModel, optional
        Price model; :data:`PRICE_MODEL` by default.

    Returns
    -------
    HouseSales
        The clean table, the expected log prices, the noise and the model.
    """
    model = PRICE_MODEL if model is None else model
    rng = np.random.default_rng([seed, 0])

    type_names = np.array(HOUSE_TYPES, dtype=object)
    shares = np.array([_TYPES[t][0] for t in HOUSE_TYPES])
    type_idx = rng.choice(len(HOUSE_TYPES), size=n, p=shares / shares.sum())
    types = type_names[type_idx]
    params = np.array([_TYPES[t] for t in HOUSE_TYPES], dtype=float)[type_idx]
    land = types == "VacantLand"

    zip_codes = np.array(sorted(_ZIPS))
    zip_weight = np.array([_ZIPS[z][2] for z in zip_codes])
    zips = rng.choice(zip_codes, size=n, p=zip_weight / zip_weight.sum())
    cities = np.array([_ZIPS[z][0] for z in zips], dtype=object)

    day = _sale_days(rng, n)
    sold_on = REFERENCE_DATE + pd.to_timedelta(day, unit="D")
    sold_year = sold_on.year.to_numpy()

    # the building: living area, lot, rooms, age
    z_area = rng.normal(size=n)
    area = np.where(land, np.nan,
                    np.rint(np.clip(params[:, 2] * np.exp(params[:, 3] * z_area), 300, 12000)))
    lot = params[:, 4] * np.exp(0.5 * np.where(land, 0.0, params[:, 3] * z_area)
                                + params[:, 5] * rng.normal(size=n))
    lot = np.clip(lot, 400, 40 * SQFT_PER_ACRE)
    big = lot >= _ACRE_DISPLAY_THRESHOLD  # shown in acres with 2 decimals: make that exact
    lot = np.where(big, np.round(lot / SQFT_PER_ACRE, 2) * SQFT_PER_ACRE, np.rint(lot))
    beds = np.clip(np.rint(np.nan_to_num(area) / 520 + rng.normal(0, 0.6, n)), 1, 8)
    studio = (types == "Condo") & (area < 650) & (rng.random(n) < 0.5)
    beds = np.where(studio, 0, beds)
    baths = np.clip(np.round((0.55 * beds + 0.6 + rng.normal(0, 0.35, n)) * 2) / 2,
                    1, beds + 2)
    year_built = np.minimum(np.rint(params[:, 6] + params[:, 7] * rng.normal(size=n)), sold_year)
    year_built = np.clip(year_built, 1885, None)
    age = sold_year - year_built

    schools = _schools(rng, zips)
    amenity_probs = np.array([_AMENITIES[a][1] for a in AMENITY_COLUMNS]).T[type_idx]
    has = rng.random((n, len(AMENITY_COLUMNS))) < amenity_probs
    old_bonus = np.nan_to_num(age) > 50
    has[:, 3] |= old_bonus & (rng.random(n) < 0.04) & ~land
    has[:, 2] &= ~has[:, 3]  # a fixer-upper is not remodeled
    amenities = {a: has[:, k] for k, a in enumerate(AMENITY_COLUMNS)}

    int_or_na = {"dtype": "Int64"}
    data = pd.DataFrame({
        "Id": _fresh_ids(rng, set(), n),
        "Address": _unique_addresses(rng, types),
        "Sold Price": np.zeros(n, dtype=np.int64),  # filled in below
        "Sold On": sold_on,
        "Type": pd.Categorical(types, categories=HOUSE_TYPES),
        "Year built": pd.array(np.where(land, np.nan, year_built), **int_or_na),
        "Bedrooms": pd.array(np.where(land, np.nan, beds), **int_or_na),
        "Bathrooms": np.where(land, np.nan, baths),
        "Full bathrooms": pd.array(np.where(land, np.nan, np.floor(baths)), **int_or_na),
        "Total interior livable area": area,
        **schools,
        "Lot size": lot,
        "City": pd.Categorical(cities, categories=list(_CITIES)),
        "Zip": zips.astype(np.int64),
        **amenities,
    })

    expected = model.expected_log_price(data)
    noise = model.noise_scale * rng.standard_t(model.noise_df, size=n)
    price = np.maximum(np.round(np.exp(expected.to_numpy() + noise), -3), 1000).astype(np.int64)
    data["Sold Price"] = price
    t = day / 365.25

    # listing: the list price is below the sold price by a premium that grows with the market
    premium = rng.normal(0.01 + 0.05 * t + 0.02 * (types == "SingleFamily"), 0.045)
    listed = np.maximum(np.round(price * np.exp(-premium), -3), 1000).astype(np.int64)
    on_market = np.rint(np.exp(rng.normal(np.log(14), 0.8, n))) + rng.integers(21, 46, n)
    listed_on = sold_on - pd.to_timedelta(on_market, unit="D")

    # previous sale and Proposition 13 assessment: base value grows 2% a year
    held = 1 + rng.exponential(9.0, n)
    first_sale = ~land & (held >= age)
    held = np.where(land, np.minimum(held, 40), np.where(first_sale, age, held))
    growth = 0.055
    last_price = np.round(price * np.exp(-growth * held + rng.normal(0, 0.08, n)), -3)
    base_value = np.where(first_sale, 0.85 * price * np.exp(-growth * held), last_price)
    assessed = np.rint(base_value * 1.02 ** np.floor(held)).astype(np.int64)
    tax = np.rint(assessed * rng.uniform(0.0112, 0.0125, n) + rng.uniform(150, 1500, n))
    last_sold_on = sold_on - pd.to_timedelta(np.rint(held * 365.25), unit="D")

    # features without a price effect
    heat = rng.choice(len(_HEATING), size=n, p=[0.5, 0.2, 0.12, 0.1, 0.08])
    cool = rng.choice(len(_COOLING), size=n, p=[0.45, 0.1, 0.1, 0.35])
    garage_p = np.where((types == "SingleFamily") | (types == "MultiFamily"), 0.9, 0.6)
    garage = np.where(rng.random(n) < garage_p, rng.choice([1, 2, 2, 3], size=n), 0)
    spaces = garage + rng.choice([0, 0, 1, 2], size=n)
    parking = np.where(
        garage > 0,
        np.where(rng.random(n) < 0.8, "Garage - Attached", "Garage - Detached"),
        np.array(_PARKING[2:])[rng.integers(4, size=n)])
    laundry_p = np.where((types == "Condo")[:, None], [0.3, 0.1, 0.5, 0.1], [0.5, 0.35, 0.0, 0.15])
    laundry = np.array(_LAUNDRY, dtype=object)[
        (rng.random(n)[:, None] > np.cumsum(laundry_p, axis=1)).sum(axis=1)]
    flooring = _pick_lists(rng, _FLOORING, [0.6, 0.5, 0.4, 0.2, 0.15], n)
    appliances = _pick_lists(rng, _APPLIANCES, [0.85, 0.9, 0.6, 0.6, 0.35, 0.35, 0.5], n)
    summary = _summaries(rng, types, beds.astype(int), baths, cities, lot, amenities,
                         schools["Elementary School"])

    def building(values: np.ndarray, categories: Sequence[str] | None = None) -> object:
        values = np.where(land, None, values).astype(object)
        if categories is None:
            return pd.array(values, dtype="str")
        return pd.Categorical(values, categories=categories)

    data.insert(4, "Summary", pd.array(summary, dtype="str"))
    data.insert(7, "Heating", building(np.array(_HEATING, dtype=object)[heat], _HEATING))
    data.insert(8, "Cooling", building(np.array(_COOLING, dtype=object)[cool], _COOLING))
    data.insert(9, "Parking", building(parking, _PARKING))
    data.insert(14, "Total spaces", pd.array(np.where(land, np.nan, spaces), **int_or_na))
    data.insert(15, "Garage spaces", pd.array(np.where(land, np.nan, garage), **int_or_na))
    position = data.columns.get_loc("Lot size")
    data.insert(position, "Flooring", building(flooring))
    data.insert(position + 1, "Appliances included", building(appliances))
    data.insert(position + 2, "Laundry features", building(laundry))
    position = data.columns.get_loc("City")
    data.insert(position, "Tax assessed value", assessed)
    data.insert(position + 1, "Annual tax amount", tax.astype(np.int64))
    data.insert(position + 2, "Listed On", listed_on)
    data.insert(position + 3, "Listed Price", listed)
    data.insert(position + 4, "Last Sold On", last_sold_on.where(~first_sale))
    data.insert(position + 5, "Last Sold Price",
                pd.array(np.where(first_sale, np.nan, last_price), **int_or_na))
    data["Address"] = data["Address"].astype("str")
    data = data[list(LISTING_COLUMNS) + list(AMENITY_COLUMNS)]

    return HouseSales(data=data, expected_log_price=expected,
                      noise=pd.Series(noise, index=data.index, name="noise"),
                      model=model, seed=seed)


# --------------------------------------------------------------------------- page view


def listing_frame(records: pd.DataFrame | Sequence[Mapping[str, object]] | Mapping,
                  columns: Sequence[str] = LISTING_COLUMNS) -> pd.DataFrame:
    """A table of listing strings: exactly ``columns``, every column of dtype ``str``.

    Missing fields are NaN. The one constructor of string tables shared by
    :func:`messy_listings`, :func:`read_listings_csv` and the scraper, so that
    their outputs compare equal with :func:`pandas.testing.assert_frame_equal`.
    Used in lecture 1.3.

    Parameters
    ----------
    records : DataFrame, mapping of column -> values, or sequence of mappings
        The listings; absent keys become NaN, extra keys are an error.
    columns : sequence of str
        Column names, in order.
    """
    if isinstance(records, pd.DataFrame):
        frame = records
    elif isinstance(records, Mapping):
        frame = pd.DataFrame(dict(records))
    else:
        records = list(records)
        frame = pd.DataFrame.from_records(records, columns=list(columns)) if records else \
            pd.DataFrame(columns=list(columns))
        extra = {k for r in records for k in r} - set(columns)
        if extra:
            raise ValueError(f"records have unknown fields {sorted(extra)}")
    extra = [c for c in frame.columns if c not in columns]
    if extra:
        raise ValueError(f"unknown columns {extra}")
    frame = frame.reindex(columns=list(columns)).reset_index(drop=True)
    return frame.astype("str")


def _strings(values: pd.Series, render) -> np.ndarray:
    """Apply ``render`` to the present values; missing values stay NaN."""
    raw = values.to_numpy(dtype=object, na_value=np.nan)
    present = ~pd.isna(raw).astype(bool)
    out = np.full(len(raw), np.nan, dtype=object)
    out[present] = [render(v) for v in raw[present]]
    return out


def _money(v: object) -> str:
    return "$" + f"{int(v):,}"


def _sqft(v: object) -> str:
    return f"{int(round(float(v))):,} sqft"


def _lot(v: object) -> str:
    v = float(v)
    return f"{v / SQFT_PER_ACRE:.2f} Acres" if v >= _ACRE_DISPLAY_THRESHOLD else _sqft(v)


def render_listings(data: pd.DataFrame) -> pd.DataFrame:
    """The error-free page view of a clean table: every field as a listing page shows it.

    Prices ``"$1,234,000"``, living areas ``"1,480 sqft"``, lot sizes in sqft below
    a quarter acre and ``"0.37 Acres"`` from a quarter acre up, dates
    ``"04/12/2021"``, bathrooms ``"2.5"``, school distances ``"0.6"`` (miles).
    Missing values stay NaN. The view is exactly invertible: parsing it gives back
    the clean table. :func:`messy_listings` starts from it. Used in lectures 1.3
    and 2.2.

    Parameters
    ----------
    data : pandas.DataFrame
        A clean table such as ``HouseSales.data`` (must have :data:`LISTING_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        The :data:`LISTING_COLUMNS` as strings (see :func:`listing_frame`).
    """
    _check_frame("data", data, LISTING_COLUMNS)
    out = {}
    for column in LISTING_COLUMNS:
        values = data[column]
        if column in _CURRENCY:
            out[column] = _strings(values, _money)
        elif column in _DATES:
            out[column] = pd.to_datetime(values).dt.strftime(_DATE_FORMAT).to_numpy(
                dtype=object, na_value=np.nan)
        elif column in _INTEGERS or column == "Id":
            out[column] = _strings(values, lambda v: str(int(v)))
        elif column == "Total interior livable area":
            out[column] = _strings(values, _sqft)
        elif column == "Lot size":
            out[column] = _strings(values, _lot)
        elif column == "Bathrooms":
            out[column] = _strings(values, lambda v: f"{v:g}")
        elif column in _DISTANCES:
            out[column] = _strings(values, lambda v: f"{v:.1f}")
        else:
            out[column] = _strings(values, str)
    return listing_frame(out)


# --------------------------------------------------------------------------- messy view

ERROR_TYPES: tuple[str, ...] = (
    "duplicate", "missing", "typo", "absurd", "spelling", "format", "inconsistent",
)
"""Kinds of injected errors, in the order they are applied.

``duplicate``: the listing is a repost of another house's listing under a new Id
(logged on its ``Id`` cell; ``true_value`` is the original Id). ``missing``: the
field is blank although the truth has a value. ``typo``: a price with a digit too
many or too few (x10 or /10). ``absurd``: an impossible value (a lot of a million
acres, a 0-bedroom house of 3,000 sqft, built in year 9999, a negative tax).
``spelling``: a category spelled differently ("Single Family" for "SingleFamily");
the value is right, the pattern is not. ``format``: a date in another format
("2021-04-12", "Apr 12, 2021"). ``inconsistent``: a city that contradicts the zip
code (violates the functional dependency zip -> city).
"""

_MISSING_RATES = {
    "Sold Price": 0.005, "Sold On": 0.005, "Summary": 0.02, "Type": 0.01, "Year built": 0.05,
    "Heating": 0.12, "Cooling": 0.2, "Parking": 0.1, "Bedrooms": 0.05, "Bathrooms": 0.05,
    "Full bathrooms": 0.1, "Total interior livable area": 0.04, "Total spaces": 0.15,
    "Garage spaces": 0.15, "Elementary School": 0.08, "Elementary School Score": 0.08,
    "Elementary School Distance": 0.08, "Middle School": 0.45, "Middle School Score": 0.45,
    "Middle School Distance": 0.45, "High School": 0.08, "High School Score": 0.08,
    "High School Distance": 0.08, "Flooring": 0.5, "Appliances included": 0.4,
    "Laundry features": 0.45, "Lot size": 0.1, "Tax assessed value": 0.06,
    "Annual tax amount": 0.08, "Listed On": 0.05, "Listed Price": 0.05,
    "Last Sold On": 0.55, "Last Sold Price": 0.6,
}
DEFAULT_ERROR_RATES: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "duplicate": _frozen({"Id": 0.01}),
    "missing": _frozen(_MISSING_RATES),
    "typo": _frozen({"Sold Price": 0.004, "Listed Price": 0.004, "Tax assessed value": 0.004}),
    "absurd": _frozen({"Lot size": 0.005, "Total interior livable area": 0.003,
                       "Bedrooms": 0.003, "Year built": 0.004, "Annual tax amount": 0.003}),
    "spelling": _frozen({"Type": 0.05, "Heating": 0.03}),
    "format": _frozen({"Sold On": 0.03, "Listed On": 0.03, "Last Sold On": 0.03}),
    "inconsistent": _frozen({"City": 0.01}),
})
"""Probability that a cell (a listing, for ``duplicate``) gets each kind of error.

A cell gets at most one error; the kinds are tried in :data:`ERROR_TYPES` order on
cells whose true value exists and is still intact, so the marginal rate of a later
kind is slightly below its nominal rate.
"""

_SUPPORTED = {
    "duplicate": ("Id",),
    "missing": tuple(c for c in LISTING_COLUMNS if c not in _PROTECTED),
    "typo": ("Sold Price", "Listed Price", "Tax assessed value", "Annual tax amount",
             "Last Sold Price"),
    "absurd": ("Lot size", "Total interior livable area", "Bedrooms", "Year built",
               "Annual tax amount"),
    "spelling": ("Type", "Heating", "Cooling", "Parking"),
    "format": _DATES,
    "inconsistent": ("City",),
}
_TYPE_SPELLINGS = {
    "SingleFamily": ("Single Family", "single-family", "Single Family Residence"),
    "Condo": ("condo", "Condominium"),
    "Townhouse": ("Town House", "townhouse"),
    "MultiFamily": ("Multi Family", "multi-family"),
    "MobileManufactured": ("Mobile / Manufactured", "Manufactured"),
    "VacantLand": ("Vacant Land", "Lot/Land"),
}


@dataclass(frozen=True)
class MessyListings:
    """The scraped view of the house sales and the log of its injected errors.

    Attributes
    ----------
    listings : pandas.DataFrame
        One row per listing (houses plus duplicated reposts), the
        :data:`LISTING_COLUMNS` as strings as they appear on the pages.
    errors : pandas.DataFrame
        One row per injected error: ``Id`` (the listing's Id, int), ``column``,
        ``error_type`` (one of :data:`ERROR_TYPES`), ``true_value`` (the error-free
        string, from :func:`render_listings`) and ``shown_value`` (what the page
        shows; NaN when missing).
    source_id : pandas.Series
        For each listing row, the Id of the house in the ground truth (differs from
        ``listings["Id"]`` only for duplicates). Joins the messy view to the truth.
    """

    listings: pd.DataFrame
    errors: pd.DataFrame
    source_id: pd.Series


def _check_error_rates(rates: Mapping) -> dict[str, dict[str, float]]:
    instance(Mapping, what="a mapping")("error_rates", rates)
    out = {}
    for kind, per_column in rates.items():
        if kind not in _SUPPORTED:
            raise ValueError(f"unknown error type {kind!r}; expected one of {ERROR_TYPES}")
        if not isinstance(per_column, Mapping):
            raise TypeError(f"error_rates[{kind!r}] must map column -> rate")
        for column, rate in per_column.items():
            if column not in _SUPPORTED[kind]:
                raise ValueError(f"error type {kind!r} is not supported for column {column!r}; "
                                 f"supported: {_SUPPORTED[kind]}")
            check_real(f"the rate of {kind!r} errors in {column!r}", rate, low=0, high=1)
        out[kind] = {c: float(r) for c, r in per_column.items()}
    return out


def _fresh_ids(rng: np.random.Generator, taken: set[int], k: int) -> np.ndarray:
    ids: list[int] = []
    while len(ids) < k:
        for candidate in rng.integers(10_000_000, 100_000_000, size=k - len(ids)).tolist():
            if candidate not in taken:
                taken.add(candidate)
                ids.append(candidate)
    return np.array(ids, dtype=np.int64)


def _corrupt(kind: str, column: str, value: str, area: float,
             rng: np.random.Generator) -> object:
    """One wrong version of the true page string ``value``."""
    if kind == "missing":
        return np.nan
    if kind == "typo":
        dollars = int(value.replace("$", "").replace(",", ""))
        wrong = dollars * 10 if rng.random() < 0.5 else max(round(dollars / 10), 1)
        return "$" + f"{wrong:,}"
    if kind == "absurd":
        if column == "Lot size":
            return str(rng.choice(["1,000,000 Acres", "999,999 Acres", "1 sqft", "0 sqft"]))
        if column == "Total interior livable area":
            return str(rng.choice(["1 sqft", "0 sqft", "999,999 sqft"]))
        if column == "Bedrooms":
            return "0" if area > 2500 else "99"
        if column == "Year built":
            return str(rng.choice(["0", "9999", "2099"]))
        return "-" + value  # a negative tax amount
    if kind == "spelling":
        if column == "Type":
            return str(rng.choice(_TYPE_SPELLINGS[value]))
        return value.lower() if value.lower() != value else value.upper()
    if kind == "format":
        date = datetime.strptime(value, _DATE_FORMAT)
        return date.strftime("%Y-%m-%d") if rng.random() < 0.5 else date.strftime("%b %d, %Y")
    # inconsistent: a city that does not match the zip code
    others = [c for c in _CITIES if c != value]
    return str(others[rng.integers(len(others))])


@boundary(sales=instance(HouseSales), seed="int >= 0")
def messy_listings(sales: HouseSales, seed: int = 0,
                   error_rates: Mapping[str, Mapping[str, float]] | None = None
                   ) -> MessyListings:
    """Inject scraping errors into the page view of ``sales`` and log every one of them.

    Starts from :func:`render_listings` (correct strings), reposts about 1% of the
    listings under new Ids (near-duplicates: each copy gets its own errors), then
    blanks, mistypes, distorts, respells, reformats and contradicts cells at the
    rates of :data:`DEFAULT_ERROR_RATES`. Deterministic in ``seed``. Used in
    lectures 1.3 (the site serves these listings) and 2.1-2.2 (reading, cleaning
    and detecting errors).

    Parameters
    ----------
    sales : HouseSales
        The ground truth, from :func:`simulate_house_sales`.
    seed : int
        Seed of the error injection.
    error_rates : mapping, optional
        ``{error_type: {column: rate}}`` replacing :data:`DEFAULT_ERROR_RATES`
        entirely; ``{}`` gives an error-free view. See :data:`ERROR_TYPES`.

    Returns
    -------
    MessyListings
        The listings (strings), the error log and each listing's source house Id.
    """
    rates = _check_error_rates(DEFAULT_ERROR_RATES if error_rates is None else error_rates)
    rng = np.random.default_rng([seed, 1])
    canon = render_listings(sales.data)
    ids = sales.data["Id"].to_numpy(dtype=np.int64)
    n = len(canon)

    dup_src = np.flatnonzero(rng.random(n) < rates.get("duplicate", {}).get("Id", 0.0))
    new_ids = _fresh_ids(rng, set(ids.tolist()), len(dup_src))
    keys = np.concatenate([np.arange(n, dtype=float), rng.uniform(0, n, len(dup_src))])
    order = np.argsort(keys, kind="stable")
    src = np.concatenate([np.arange(n), dup_src])[order]
    is_dup = np.concatenate([np.zeros(n, bool), np.ones(len(dup_src), bool)])[order]
    listing_ids = np.concatenate([ids, new_ids])[order]
    m = len(src)

    truth = {c: canon[c].to_numpy(dtype=object)[src] for c in LISTING_COLUMNS}
    shown = {c: v.copy() for c, v in truth.items()}
    shown["Id"] = np.array([str(i) for i in listing_ids], dtype=object)
    touched = {c: np.zeros(m, bool) for c in LISTING_COLUMNS}
    area = sales.data["Total interior livable area"].to_numpy(dtype=float)[src]
    chunks = [(np.flatnonzero(is_dup), "Id", "duplicate")]
    touched["Id"][is_dup] = True
    for kind in ERROR_TYPES[1:]:
        for column, rate in rates.get(kind, {}).items():
            draws = rng.random(m)  # drawn for every row: the stream does not depend on data
            present = ~pd.isna(truth[column]).astype(bool)
            rows = np.flatnonzero((draws < rate) & present & ~touched[column])
            if kind == "missing":
                shown[column][rows] = np.nan
            else:
                for row in rows:
                    shown[column][row] = _corrupt(kind, column, truth[column][row], area[row],
                                                  rng)
            touched[column][rows] = True
            chunks.append((rows, column, kind))

    rows = np.concatenate([r for r, _, _ in chunks]).astype(np.int64)
    col_index = np.concatenate([np.full(len(r), LISTING_COLUMNS.index(c)) for r, c, _ in chunks])
    order = np.lexsort((col_index, rows))
    rows, col_index = rows[order], col_index[order]
    kinds = np.concatenate([np.full(len(r), k, dtype=object) for r, _, k in chunks])[order]
    columns = np.array(LISTING_COLUMNS, dtype=object)[col_index]
    errors = pd.DataFrame({
        "Id": listing_ids[rows].astype(np.int64),
        "column": pd.array(columns, dtype="str"),
        "error_type": pd.array(kinds, dtype="str"),
        "true_value": pd.array([truth[c][r] for r, c in zip(rows, columns, strict=True)],
                               dtype="str"),
        "shown_value": pd.array([shown[c][r] for r, c in zip(rows, columns, strict=True)],
                                dtype="str"),
    })
    return MessyListings(listings=listing_frame(shown), errors=errors,
                         source_id=pd.Series(ids[src], name="source Id"))


def make_house_sales(n: int = HOUSE_SALES_N, seed: int = 0
                     ) -> tuple[HouseSales, MessyListings]:
    """The running example in one call: the truth and its messy scraped view.

    ``simulate_house_sales(n, seed)`` and ``messy_listings(sales, seed)``. Used in
    lectures 2.1-2.4, 3.3 and 4.3.
    """
    sales = simulate_house_sales(n, seed)
    return sales, messy_listings(sales, seed)


# --------------------------------------------------------------------------- files


def write_listings_csv(listings: pd.DataFrame, path: str | PathLike) -> Path:
    """Save a table of listing strings as a gzip-compressed CSV, byte for byte reproducibly.

    Missing fields are written as empty strings; the gzip header carries neither a
    timestamp nor a file name, so the same table always gives the same bytes. Used in lecture 1.3.

    Parameters
    ----------
    listings : pandas.DataFrame
        Listings with the :data:`LISTING_COLUMNS` (e.g. a scrape's result).
    path : str or path-like
        File to write, conventionally ending in ``.csv.gz``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    _check_frame("listings", listings, LISTING_COLUMNS)
    path = Path(path)
    text = listing_frame(listings[list(LISTING_COLUMNS)]).to_csv(index=False)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                mtime=0) as f:
        f.write(text.encode("utf-8"))
    return path


def read_listings_csv(path: str | PathLike) -> pd.DataFrame:
    """Read listings saved by :func:`write_listings_csv` back as strings, unchanged.

    Only empty fields become NaN (pandas' default would also turn strings such as
    ``"NA"`` or ``"None"`` into NaN). Part 2 may instead call ``pd.read_csv(path)``
    to let pandas guess the types, as a data scientist meeting the file would. Used
    in lectures 1.3 and 2.1.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return listing_frame(frame)


def write_house_sales_csv(directory: str | PathLike, n: int = HOUSE_SALES_N,
                          seed: int = 0) -> Path:
    """Write the standard scraped data set, ``<directory>/house_sales.csv.gz``.

    The messy listings of ``make_house_sales(n, seed)``: the same file lecture 1.3's
    scraper saves after scraping a :class:`helpers.website.ListingSite` that serves
    them, without running the server. Used in lectures 2.1-2.4.

    Returns
    -------
    pathlib.Path
        The path of the written file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"directory {directory} does not exist")
    _, messy = make_house_sales(n, seed)
    return write_listings_csv(messy.listings, directory / CSV_NAME)
