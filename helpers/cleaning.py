"""Data cleaning: parse scraped strings, then detect (and repair) the errors they hide.

Used in lectures 2.1 (exploratory data analysis), 2.2 (data cleaning) and 2.5 (the
whole pipeline). The functions follow the lecture's taxonomy of errors:

- **parsers** turn page strings into numbers: :func:`parse_currency`
  (``"$1,234,000"``), :func:`parse_area` (``"1,480 sqft"``, ``"0.37 Acres"``),
  :func:`parse_dates` (several formats). Each returns NaN (NaT) for a value it
  cannot read, or with ``strict=True`` raises a ValueError that names the values;
- **outliers**: the box-plot rule, :func:`iqr_bounds` and :func:`iqr_outliers`;
- **rule violations**: :func:`not_null_violations`, :func:`unique_violations`,
  :func:`range_violations`; functional dependencies :func:`fd_violations` and the
  majority-vote repair :func:`fd_repair`; denial constraints
  (:class:`DenialConstraint`, :func:`denial_violations`);
- **pattern violations**: syntactic, by the majority pattern or type of a column
  (:func:`pattern_signature`, :func:`value_type`, :func:`pattern_violations`), and
  category spellings, by folding case and punctuation and matching known
  categories by edit distance (:func:`fold_category`, :func:`edit_distance`,
  :func:`category_mapping`, :func:`normalize_categories`).

Every detector returns a boolean mask aligned with its input, so that detectors can
be combined with ``|`` and scored with :func:`detection_report` against the error
log of the simulated house sales (:func:`logged_error_mask`). Finally
:func:`parse_listings` and :func:`clean_listings` are the parsing and cleaning steps
of the book's house-price pipeline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from helpers.checks import boundary, check_frame, check_int, instance, one_of, with_options
from helpers.housing import HOUSE_TYPES, LISTING_COLUMNS, SQFT_PER_ACRE

__all__ = [
    "AREA_COLUMNS",
    "CURRENCY_COLUMNS",
    "DATE_COLUMNS",
    "DATE_FORMATS",
    "DEFAULT_RANGES",
    "NUMERIC_COLUMNS",
    "TYPE_SYNONYMS",
    "DenialConstraint",
    "category_mapping",
    "clean_listings",
    "denial_violations",
    "detection_report",
    "edit_distance",
    "fd_repair",
    "fd_violations",
    "fold_category",
    "iqr_bounds",
    "iqr_outliers",
    "logged_error_mask",
    "normalize_categories",
    "not_null_violations",
    "parse_area",
    "parse_currency",
    "parse_dates",
    "parse_listings",
    "pattern_signature",
    "pattern_violations",
    "range_violations",
    "unique_violations",
    "value_type",
]

CURRENCY_COLUMNS: tuple[str, ...] = ("Sold Price", "Listed Price", "Tax assessed value",
                                     "Annual tax amount", "Last Sold Price")
"""Listing columns shown as dollar amounts."""

AREA_COLUMNS: tuple[str, ...] = ("Total interior livable area", "Lot size")
"""Listing columns shown as areas with a unit (sqft or acres)."""

DATE_COLUMNS: tuple[str, ...] = ("Sold On", "Listed On", "Last Sold On")
"""Listing columns shown as dates."""

NUMERIC_COLUMNS: tuple[str, ...] = (
    "Year built", "Bedrooms", "Bathrooms", "Full bathrooms", "Total spaces", "Garage spaces",
    "Elementary School Score", "Elementary School Distance", "Middle School Score",
    "Middle School Distance", "High School Score", "High School Distance",
)
"""Listing columns shown as plain numbers (besides ``Id`` and ``Zip``)."""

DATE_FORMATS: tuple[str, ...] = ("%m/%d/%Y", "%Y-%m-%d", "%b %d, %Y", "%m/%d/%y")
"""Date formats :func:`parse_dates` tries, in order: 04/12/2021, 2021-04-12,
Apr 12, 2021 and 04/12/21."""

DEFAULT_RANGES: Mapping[str, tuple[float | None, float | None]] = {
    "Total interior livable area": (100.0, 50_000.0),
    "Lot size": (100.0, 100 * SQFT_PER_ACRE),
    "Year built": (1800.0, 2021.0),
    "Bedrooms": (0.0, 20.0),
    "Annual tax amount": (0.0, None),
    "Sold Price": (10_000.0, None),
    "Listed Price": (10_000.0, None),
    "Tax assessed value": (0.0, None),
}
"""Plausible ranges (inclusive; ``None`` = unbounded) used by :func:`clean_listings`:
the rule checks of lecture 2.2, written down by someone who knows houses."""

TYPE_SYNONYMS: Mapping[str, str] = {
    "condominium": "Condo", "manufactured": "MobileManufactured", "mobile": "MobileManufactured",
    "lotland": "VacantLand", "land": "VacantLand", "singlefamilyresidence": "SingleFamily",
}
"""Folded spellings of house types that edit distance cannot match: a small knowledge
base (keys are :func:`fold_category` forms). Used in lecture 2.2."""

_MISSING_TYPES = (type(None), type(pd.NA), type(pd.NaT))


# --------------------------------------------------------------------------- validation


def _as_series(values: object, name: str = "values") -> pd.Series:
    """A pandas Series view of 1-D input (a Series keeps its index and name)."""
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{name} must be one column (a Series or 1-D array), got a DataFrame")
    if isinstance(values, str) or np.ndim(values) == 0:
        raise TypeError(f"{name} must be a Series or 1-D array-like, got a scalar "
                        f"{type(values).__name__}; wrap it in a list")
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return pd.Series(arr, dtype=object)


def _columns(frame: pd.DataFrame, columns: str | Sequence[str], name: str) -> list[str]:
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols:
        raise ValueError(f"{name} must name at least one column")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"{name}: no column(s) {missing} in the frame; it has "
                       f"{list(frame.columns)}")
    return cols


def _is_missing(value: object) -> bool:
    if isinstance(value, _MISSING_TYPES):
        return True
    return isinstance(value, float) and math.isnan(value)


def _is_number(value: object) -> bool:
    return isinstance(value, Real | np.number) and not isinstance(value, bool | np.bool_)


def _raise_unparsed(what: str, series: pd.Series, bad: np.ndarray, hint: str) -> None:
    labels = series.index[bad]
    shown = ", ".join(f"{label!r}: {series[label]!r}" for label in labels[:5])
    more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
    raise ValueError(f"cannot parse {len(labels)} value(s) as {what} ({hint}); "
                     f"index: value {shown}{more}")


def _check_str_or_missing(series: pd.Series, name: str, allow: Callable[[object], bool]
                          ) -> None:
    for label, value in series.items():
        if not (isinstance(value, str) or _is_missing(value) or allow(value)):
            raise TypeError(f"{name} must hold strings or missing values, got "
                            f"{type(value).__name__} {value!r} at index {label!r}")


# --------------------------------------------------------------------------- parsers

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_CURRENCY_RE = re.compile(
    rf"^\s*(?P<sign>[+-]?)\s*\$?\s*(?P<sign2>[+-]?)\s*(?P<num>{_NUMBER})\s*(?P<suffix>[KkMmBb]?)\s*$")
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}
_AREA_UNITS = {"sqft": 1.0, "sq ft": 1.0, "sq. ft.": 1.0, "sq.ft.": 1.0, "square feet": 1.0,
               "ft2": 1.0, "acre": SQFT_PER_ACRE, "acres": SQFT_PER_ACRE,
               "ac": SQFT_PER_ACRE}
_AREA_RE = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>[a-z. 2]*?)\s*$", re.IGNORECASE)


@boundary(values=with_options(_as_series), strict="bool")
def parse_currency(values: object, strict: bool = False) -> pd.Series:
    """Parse dollar amounts such as ``"$1,234,000"``, ``"-$7,493"`` or ``"$1.2M"``.

    Accepts an optional sign (before or after the ``$``), an optional ``$``,
    thousands separators in the right places, decimals and a ``K``/``M``/``B``
    suffix. Numbers pass through unchanged. Unlike the quick fix
    ``str.replace(r"[$,-]", "")``, the sign is kept, so a negative amount stays
    negative and a range rule can flag it. Used in lectures 2.1 and 2.2.

    Parameters
    ----------
    values : Series or 1-D array-like of str
        Amounts as shown; missing values (None, NaN) are allowed.
    strict : bool
        If True, raise instead of returning NaN for a present value that is not an
        amount.

    Returns
    -------
    pandas.Series
        Floats (dollars), same index and name as ``values``; NaN where missing or,
        unless ``strict``, unparseable.

    Raises
    ------
    TypeError
        If a value is neither a string, a number nor missing.
    ValueError
        With ``strict=True``, if a present value cannot be parsed; the message lists them.

    Examples
    --------
    >>> parse_currency(["$1,234,000", "-$7,493", "$1.5K", None, "n/a"]).tolist()
    [1234000.0, -7493.0, 1500.0, nan, nan]
    """
    series = values
    _check_str_or_missing(series, "values", _is_number)
    out = np.full(len(series), np.nan)
    bad = np.zeros(len(series), dtype=bool)
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if _is_missing(value):
            continue
        if _is_number(value):
            out[i] = float(value)
            bad[i] = not math.isfinite(out[i])  # an infinite amount is not an amount
            out[i] = out[i] if not bad[i] else np.nan
            continue
        match = _CURRENCY_RE.match(value)
        if match is None or (match["sign"] and match["sign2"]):
            bad[i] = True
            continue
        number = float(match["num"].replace(",", "")) * _SUFFIX[match["suffix"].lower()]
        out[i] = -number if "-" in (match["sign"], match["sign2"]) else number
    if strict and bad.any():
        _raise_unparsed("dollar amounts", series, bad, "expected e.g. '$1,234,000'")
    return pd.Series(out, index=series.index, name=series.name)


def _parse_area_args(args: dict) -> None:
    """Check and convert the arguments of :func:`parse_area` (in place)."""
    series = args["values"] = _as_series(args["values"])
    default_unit = args["default_unit"]
    if default_unit is not None and not isinstance(default_unit, str):
        raise TypeError(f"default_unit must be a unit name such as 'sqft' or None, got "
                        f"{type(default_unit).__name__}")
    if default_unit is not None and default_unit.lower() not in _AREA_UNITS:
        raise ValueError(f"unknown default_unit {default_unit!r}; expected one of "
                         f"{sorted(_AREA_UNITS)}")
    _check_str_or_missing(series, "values", _is_number)


@boundary(strict="bool", check=_parse_area_args)
def parse_area(values: object, strict: bool = False, default_unit: str | None = None
               ) -> pd.Series:
    """Parse areas with a unit into square feet: ``"1,480 sqft"``, ``"0.37 Acres"``.

    Units (case-insensitive): sqft, sq ft, sq. ft., square feet, ft2 (x 1) and
    acre(s), ac (x 43,560 sqft per acre). A bare number is ambiguous: it is
    unparseable unless ``default_unit`` names its unit. Used in lectures 2.1 and 2.2.

    Parameters
    ----------
    values : Series or 1-D array-like of str
        Areas as shown; missing values are allowed. Numbers count as bare numbers.
    strict : bool
        If True, raise instead of returning NaN for a present, unparseable value.
    default_unit : str, optional
        Unit of bare numbers, e.g. ``"sqft"``; by default bare numbers are unparseable.

    Returns
    -------
    pandas.Series
        Floats (square feet), same index and name as ``values``.

    Examples
    --------
    >>> parse_area(["1,480 sqft", "0.5 Acres", "12", None]).tolist()
    [1480.0, 21780.0, nan, nan]
    """
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values.to_numpy(dtype=object)):
        if _is_missing(value):
            continue
        if _is_number(value):  # a bare number, in default_unit
            number, unit = float(value), default_unit
        else:
            match = _AREA_RE.match(value)
            number = None if match is None else float(match["num"].replace(",", ""))
            unit = None if match is None else (match["unit"].lower() or default_unit)
        factor = _AREA_UNITS.get(unit.lower()) if unit is not None else None
        if factor is None or not math.isfinite(number):
            bad[i] = True
            continue
        out[i] = number * factor
    if strict and bad.any():
        _raise_unparsed("areas", values, bad,
                        "expected a number and a unit, e.g. '1,480 sqft' or '0.37 Acres'")
    return pd.Series(out, index=values.index, name=values.name)


@boundary(values=with_options(_as_series), strict="bool")
def parse_dates(values: object, formats: Sequence[str] = DATE_FORMATS, strict: bool = False
                ) -> pd.Series:
    """Parse dates written in any of several formats; the first format that fits wins.

    Each format is a :func:`datetime.strptime` pattern applied to the whole string
    (surrounding spaces ignored). A string that fits several formats takes the
    first; order ``formats`` from the most to the least common. Dates and
    timestamps pass through; time-zone-aware ones are refused (convert them first:
    the result has no time zone). Used in lectures 2.1 and 2.2.

    Parameters
    ----------
    values : Series or 1-D array-like of str
        Dates as shown; missing values are allowed.
    formats : sequence of str
        strptime formats, tried in order; :data:`DATE_FORMATS` by default.
    strict : bool
        If True, raise instead of returning NaT for a present, unparseable value.

    Returns
    -------
    pandas.Series
        ``datetime64`` values, same index and name as ``values``; NaT where missing
        or unparseable.

    Examples
    --------
    >>> parse_dates(["04/12/2021", "2021-04-12", "Apr 12, 2021", "12.4.21"]).dt.day.tolist()
    [12.0, 12.0, 12.0, nan]
    """
    series = values
    if isinstance(formats, str) or not formats:
        raise ValueError("formats must be a non-empty sequence of strptime formats")
    for fmt in formats:
        if not isinstance(fmt, str) or "%" not in fmt:
            raise ValueError(f"not a strptime format: {fmt!r}")
    _check_str_or_missing(series, "values", lambda v: isinstance(v, datetime | date))
    raw = series.to_numpy(dtype=object)
    is_date = np.array([isinstance(v, datetime | date) for v in raw], dtype=bool)
    aware = [v for v in raw[is_date] if isinstance(v, datetime) and v.tzinfo is not None]
    if aware:
        raise ValueError(f"values holds {len(aware)} time-zone-aware timestamps (e.g. "
                         f"{aware[0]!s}); convert them first, e.g. with "
                         "Series.dt.tz_convert(None) for UTC")
    text = pd.Series([v.strip() if isinstance(v, str) else None for v in raw], dtype=object)
    out = pd.Series(pd.NaT, index=range(len(series)), dtype="datetime64[us]")
    if is_date.any():
        out[is_date] = pd.to_datetime(pd.Series(raw[is_date], dtype=object)).to_numpy()
    todo = text.notna().to_numpy().copy()
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        hit = parsed.notna().to_numpy()
        rows = np.flatnonzero(todo)[hit]
        out.iloc[rows] = parsed[hit].to_numpy()
        todo[rows] = False
    if strict and todo.any():
        _raise_unparsed("dates", series, todo, f"tried formats {list(formats)}")
    out.index = series.index
    out.name = series.name
    return out


# --------------------------------------------------------------------------- outliers


def _numeric(values: object, name: str = "values") -> pd.Series:
    series = _as_series(values, name)
    try:
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index,
                         name=series.name)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numeric (parse strings first), got dtype "
                        f"{series.dtype}") from err


def _iqr_args(args: dict) -> None:
    """Check ``k`` of :func:`iqr_bounds`; ``values`` becomes a float array (NaN = missing)."""
    x = args["values"] = _numeric(args["values"]).to_numpy()
    if np.isnan(x).all():
        raise ValueError("values has no non-missing value; the quartiles are undefined")


@boundary(k="real >= 0.0", check=_iqr_args)
def iqr_bounds(values: object, k: float = 1.5) -> tuple[float, float]:
    """The box-plot fences: ``[Q1 - k IQR, Q3 + k IQR]``, with ``IQR = Q3 - Q1``.

    Q1 and Q3 are the 25th and 75th percentiles (linear interpolation, as
    ``numpy.percentile`` and matplotlib's box plots); missing values are ignored.
    Used in lectures 2.1 and 2.2.

    Parameters
    ----------
    values : Series or 1-D array-like of numbers
        The sample; at least one non-missing value.
    k : float
        Fence distance in box lengths (1.5 for the usual rule, 3 for "far out").

    Returns
    -------
    (float, float)
        Lower and upper fence.
    """
    x = values[~np.isnan(values)]                 # the non-missing values
    q1, q3 = np.percentile(x, [25, 75])
    iqr = q3 - q1
    return float(q1 - k * iqr), float(q3 + k * iqr)


def iqr_outliers(values: object, k: float = 1.5) -> pd.Series:
    """Flag values beyond the box-plot fences (more than ``k`` box lengths out).

    An outlier by this rule is unusual, not necessarily wrong: a large house or a
    mansion is a rare event, not an error. Missing values are never flagged. Used
    in lectures 2.1 and 2.2.

    Returns
    -------
    pandas.Series of bool
        True where ``value < Q1 - k IQR`` or ``value > Q3 + k IQR``; same index as
        ``values``.

    Examples
    --------
    >>> iqr_outliers([1, 2, 3, 4, 100]).tolist()
    [False, False, False, False, True]
    """
    x = _numeric(values)
    low, high = iqr_bounds(x, k)
    flags = (x < low) | (x > high)
    return flags.rename(x.name)


# --------------------------------------------------------------------------- rules


def not_null_violations(frame: pd.DataFrame, columns: str | Sequence[str] | None = None
                        ) -> pd.DataFrame:
    """The not-null rule: True for every missing cell of ``columns`` (default: all).

    Returns a boolean frame with the chosen columns; ``.sum()`` counts violations
    per column. Used in lecture 2.2.
    """
    frame = check_frame("frame", frame)
    cols = list(frame.columns) if columns is None else _columns(frame, columns, "columns")
    return frame[cols].isna()


@boundary(frame=check_frame, keep=one_of(("first", "last", False)))
def unique_violations(frame: pd.DataFrame, columns: str | Sequence[str],
                      keep: str | bool = "first") -> pd.Series:
    """The uniqueness rule: rows whose values of ``columns`` repeat an earlier row's.

    Parameters
    ----------
    frame : DataFrame
    columns : str or sequence of str
        The key that should be unique (e.g. ``"Id"``, or ``"Address"`` to find the same
        house listed twice).
    keep : {"first", "last", False}
        Which copy is *not* flagged: the first, the last, or none (flag every member
        of a repeated key). As :meth:`pandas.DataFrame.duplicated`.

    Returns
    -------
    pandas.Series of bool
        Rows with a missing key value are never flagged (a missing key is the
        not-null rule's business). Used in lecture 2.2.
    """
    cols = _columns(frame, columns, "columns")
    present = frame[cols].notna().all(axis=1)
    return frame[cols].duplicated(keep=keep) & present


def range_violations(values: object, low: float | None = None, high: float | None = None
                     ) -> pd.Series:
    """The range rule: values below ``low`` or above ``high`` (both inclusive bounds).

    ``low=0`` is the non-negativity rule. Missing values are not flagged. Used in
    lectures 2.1 and 2.2.

    Examples
    --------
    >>> range_violations([-1, 0, 5, None], low=0).tolist()
    [True, False, False, False]
    """
    if low is None and high is None:
        raise ValueError("give at least one of low and high")
    for name, bound in (("low", low), ("high", high)):
        if bound is not None and (not _is_number(bound) or math.isnan(bound)):
            raise ValueError(f"{name} must be a number or None, got {bound!r}")
    if low is not None and high is not None and low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high})")
    x = _numeric(values)
    flags = pd.Series(False, index=x.index, name=x.name)
    if low is not None:
        flags |= x < low
    if high is not None:
        flags |= x > high
    return flags


def _group_keys(frame: pd.DataFrame, lhs: list[str]) -> pd.Series:
    """One hashable key per row for the columns ``lhs`` (NaN where any is missing)."""
    if len(lhs) == 1:
        return frame[lhs[0]]
    keys = pd.Series(list(zip(*(frame[c] for c in lhs), strict=True)), index=frame.index,
                     dtype=object)
    return keys.where(frame[lhs].notna().all(axis=1))


def _fd_args(args: dict) -> None:
    """Check and convert the arguments of :func:`fd_violations` and :func:`fd_repair`
    (in place): ``lhs`` becomes a list of column names, ``rhs`` one column name."""
    frame = args["frame"] = check_frame("frame", args["frame"])
    lhs = args["lhs"] = _columns(frame, args["lhs"], "lhs")
    rhs = args["rhs"] = _columns(frame, args["rhs"], "rhs")[0]
    if rhs in lhs:
        raise ValueError(f"rhs {rhs!r} is also in lhs; the dependency is trivial")


@boundary(check=_fd_args)
def fd_violations(frame: pd.DataFrame, lhs: str | Sequence[str], rhs: str) -> pd.Series:
    """Rows that take part in a violation of the functional dependency ``lhs -> rhs``.

    A functional dependency X -> Y says that equal X values have equal Y values
    (a zip code determines its city). It is violated by every group of rows with
    the same X but more than one distinct Y; all rows of such a group are flagged,
    since the rule alone cannot say which Y is wrong (:func:`fd_repair` guesses by
    majority vote). Rows with a missing X or Y are ignored. Used in lecture 2.2.

    Returns
    -------
    pandas.Series of bool
        Same index as ``frame``.
    """
    keys = _group_keys(frame, lhs)
    y = frame[rhs]
    present = keys.notna() & y.notna()
    distinct = y[present].groupby(keys[present], sort=False).transform("nunique")
    flags = pd.Series(False, index=frame.index, name=f"{','.join(lhs)} -> {rhs}")
    flags[present] = distinct.to_numpy() > 1
    return flags


@boundary(fill_missing="bool", check=_fd_args)
def fd_repair(frame: pd.DataFrame, lhs: str | Sequence[str], rhs: str,
              fill_missing: bool = False) -> pd.Series:
    """Repair ``lhs -> rhs`` by majority vote: each row gets its X group's most common Y.

    Assumes errors are rare, so the majority of a group is right. Ties go to the
    value seen first in the group. Rows with a missing X keep their Y; a missing Y
    stays missing unless ``fill_missing`` (then the FD imputes it). Compare the
    result with the original column to see which cells the repair changes. Used
    in lectures 2.2 and 2.5.

    Returns
    -------
    pandas.Series
        The repaired ``rhs`` column (same index and dtype where possible).
    """
    keys = _group_keys(frame, lhs)
    y = frame[rhs]
    present = keys.notna() & y.notna()
    pairs = pd.DataFrame({"key": keys[present], "y": y[present]})
    counts = pairs.groupby(["key", "y"], sort=False, observed=True).size()
    counts = counts[counts > 0].reset_index(name="n")
    # stable sort by count keeps the first-seen value first among ties
    majority = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates("key")
    vote = keys.map(majority.set_index("key")["y"])
    target = keys.notna() & (y.notna() | fill_missing) & vote.notna()
    repaired = y.astype(object).copy()
    repaired[target] = vote[target]
    try:
        return repaired.astype(y.dtype)
    except (TypeError, ValueError):
        return repaired


@dataclass(frozen=True)
class DenialConstraint:
    """A denial constraint: a condition that no row may satisfy.

    A denial constraint says "for all rows t: not (P1(t) and ... and Pk(t))"; it
    generalises range rules (one predicate) and relations between columns. Here
    ``condition`` computes the forbidden conjunction for every row at once.
    (Constraints over pairs of rows, such as functional dependencies, are checked by
    :func:`fd_violations`.) Used in lecture 2.2.

    Attributes
    ----------
    name : str
        What the constraint forbids, in words.
    condition : callable
        ``condition(frame)`` returns a boolean Series, True for violating rows.
        Missing (NA) results count as not violating: unknown is not wrong.
    """

    name: str
    condition: Callable[[pd.DataFrame], pd.Series]

    def violations(self, frame: pd.DataFrame) -> pd.Series:
        """Rows of ``frame`` for which the forbidden condition holds."""
        frame = check_frame("frame", frame)
        result = self.condition(frame)
        if not isinstance(result, pd.Series) or not result.index.equals(frame.index):
            raise ValueError(f"condition of {self.name!r} must return a Series aligned "
                             "with the frame's index")
        values = result.astype(object).where(result.notna(), False)
        if not all(isinstance(v, bool | np.bool_) for v in values):
            raise ValueError(f"condition of {self.name!r} must return booleans, got dtype "
                             f"{result.dtype}")
        return values.astype(bool).rename(self.name)


def denial_violations(frame: pd.DataFrame, constraints: Sequence[DenialConstraint]
                      ) -> pd.DataFrame:
    """Check several denial constraints: one boolean column per constraint.

    ``.any(axis=1)`` gives the rows that violate at least one. Used in lecture 2.2.
    """
    frame = check_frame("frame", frame)
    constraints = list(constraints)
    if not constraints:
        raise ValueError("give at least one DenialConstraint")
    for c in constraints:
        instance(DenialConstraint)("constraints", c)
    names = [c.name for c in constraints]
    if len(set(names)) != len(names):
        raise ValueError(f"constraint names must be unique, got {names}")
    return pd.DataFrame({c.name: c.violations(frame) for c in constraints}, index=frame.index)


# --------------------------------------------------------------------------- patterns

_SIGNATURE_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|\s+")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_DECIMAL_RE = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+)$")


def pattern_signature(value: object) -> object:
    """The syntactic shape of a string: numbers -> ``9``, words -> ``a``, spaces -> `` ``.

    Digits with embedded ``,`` or ``.`` form one number; other characters stay. So
    ``"$1,234,000"`` and ``"$835,000"`` share ``"$9"``, ``"04/12/2021"`` is
    ``"9/9/9"`` but ``"2021-04-12"`` is ``"9-9-9"``; ``"Single Family"`` is ``"a a"``.
    Missing values give NaN. Used in lecture 2.2.

    Examples
    --------
    >>> pattern_signature("Apr 12, 2021")
    'a 9, 9'
    """
    if _is_missing(value):
        return np.nan
    if not isinstance(value, str):
        value = str(value)

    def token(match: re.Match) -> str:
        text = match.group(0)
        if text[0].isdigit():
            return "9"
        return " " if text[0].isspace() else "a"

    return _SIGNATURE_RE.sub(token, value)


def value_type(value: object) -> object:
    """The data type a string spells: ``"integer"``, ``"decimal"`` or ``"text"``.

    Numbers are typed by value (``3`` integer, ``2.5`` decimal); missing values give
    NaN. The majority type of a column is the type a loader should give it. Used in
    lecture 2.2.
    """
    if _is_missing(value):
        return np.nan
    if _is_number(value):
        return "integer" if float(value).is_integer() else "decimal"
    text = str(value).strip()
    if _INTEGER_RE.match(text):
        return "integer"
    if _DECIMAL_RE.match(text):
        return "decimal"
    return "text"


_SIGNATURES: dict[str, Callable[[object], object]] = {
    "pattern": pattern_signature, "type": value_type,
}


def pattern_violations(values: object, signature: str | Callable[[object], object] = "pattern"
                       ) -> pd.Series:
    """Cells whose pattern differs from the most common pattern of their column.

    The syntactic check of lecture 2.2: a column's majority pattern (or type, with
    ``signature="type"``) is taken as its intended format, and every present value
    with another one is flagged. Ties for the majority go to the pattern seen
    first. Missing values are not flagged.

    Parameters
    ----------
    values : Series or 1-D array-like
    signature : {"pattern", "type"} or callable
        :func:`pattern_signature`, :func:`value_type`, or any function of one value.

    Returns
    -------
    pandas.Series of bool
        Same index as ``values``; its ``attrs["majority"]`` holds the majority
        pattern and ``attrs["share"]`` the share of present values that have it.
    """
    series = _as_series(values)
    if isinstance(signature, str):
        if signature not in _SIGNATURES:
            raise ValueError(f"signature must be one of {sorted(_SIGNATURES)} or a callable, "
                             f"got {signature!r}")
        signature = _SIGNATURES[signature]
    elif not callable(signature):
        raise TypeError("signature must be a name or a callable")
    present = series.notna()
    if not present.any():
        raise ValueError("values has no non-missing value; there is no majority pattern")
    sig = series[present].map(signature)
    counts = sig.value_counts(sort=False)
    majority = counts.index[int(np.argmax(counts.to_numpy()))]  # first seen among ties
    flags = pd.Series(False, index=series.index, name=series.name)
    flags[present] = (sig != majority).to_numpy()
    flags.attrs["majority"] = majority
    flags.attrs["share"] = float(counts[majority] / present.sum())
    return flags


def fold_category(value: object) -> object:
    """A category's canonical form: lower case, letters and digits only.

    ``"Single Family"``, ``"single-family"`` and ``"SingleFamily"`` all fold to
    ``"singlefamily"``. Missing values give NaN. Used in lecture 2.2.
    """
    if _is_missing(value):
        return np.nan
    return re.sub(r"[\W_]+", "", str(value).casefold())


@boundary(a="str", b="str")
def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from a to b.

    Dynamic programming over one row of the ``(len(a)+1) x (len(b)+1)`` table,
    ``O(len(a) len(b))`` time. Used in lecture 2.2.

    Examples
    --------
    >>> edit_distance("kitten", "sitting")
    3
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def category_mapping(values: object, known: Sequence[str] | None = None,
                     max_distance: int = 2, synonyms: Mapping[str, str] | None = None
                     ) -> pd.DataFrame:
    """How each distinct spelling of a categorical column maps to a canonical category.

    Steps, for each distinct value: (1) ``exact``: it is a known category;
    (2) ``folded``: its :func:`fold_category` form equals a known category's;
    (3) ``synonym``: its folded form is a key of ``synonyms`` (a small knowledge
    base: "condominium" -> "Condo"); (4) ``edit``: a single known category lies
    within ``max_distance`` edits of it, folded (a tie is ambiguous and not
    matched); otherwise ``unmatched``. Without ``known``, the canonical form of each
    folded group is its most frequent spelling (ties: the first seen). Used in
    lecture 2.2.

    Returns
    -------
    pandas.DataFrame
        One row per distinct present value: ``value``, ``count``, ``canonical`` (NaN if
        unmatched), ``method`` and ``distance`` (edits between folded forms).
    """
    series = _as_series(values)
    max_distance = check_int("max_distance", max_distance, low=0)
    present = series[series.notna()].astype(str)
    counts = present.value_counts(sort=False)
    if known is None:
        folded = pd.Series(counts.index.map(fold_category), index=counts.index)
        order = counts.sort_values(ascending=False, kind="stable")
        known = list(dict.fromkeys(order.index.map(
            lambda v: order[folded == folded[v]].index[0])))
    known = [str(k) for k in known]
    if not known:
        raise ValueError("known must list at least one category")
    folded_known: dict[str, str] = {}
    for k in known:
        f = fold_category(k)
        if f in folded_known and folded_known[f] != k:
            raise ValueError(f"known categories {folded_known[f]!r} and {k!r} fold to the "
                             f"same form {f!r}")
        folded_known[f] = k
    synonyms = {fold_category(k): v for k, v in (synonyms or {}).items()}
    unknown = sorted(set(synonyms.values()) - set(known))
    if unknown:
        raise ValueError(f"synonyms map to categories that are not known: {unknown}")
    rows = []
    for value, count in counts.items():
        f = fold_category(value)
        if value in known:
            rows.append((value, count, value, "exact", 0))
        elif f in folded_known:
            rows.append((value, count, folded_known[f], "folded", 0))
        elif f in synonyms:
            rows.append((value, count, synonyms[f], "synonym",
                         edit_distance(f, fold_category(synonyms[f]))))
        else:
            dist = {k: edit_distance(f, fk) for fk, k in folded_known.items()}
            best = min(dist.values())
            winners = [k for k, d in dist.items() if d == best]
            if best <= max_distance and len(winners) == 1:
                rows.append((value, count, winners[0], "edit", best))
            else:
                rows.append((value, count, np.nan, "unmatched", best))
    table = pd.DataFrame(rows, columns=["value", "count", "canonical", "method", "distance"])
    return table.astype({"count": "int64", "distance": "int64"})


@boundary(values=with_options(_as_series), unmatched=one_of(("keep", "nan", "raise")))
def normalize_categories(values: object, known: Sequence[str] | None = None,
                         max_distance: int = 2, synonyms: Mapping[str, str] | None = None,
                         unmatched: str = "keep") -> pd.Series:
    """Replace every spelling of a category by its canonical form (see :func:`category_mapping`).

    Parameters
    ----------
    values : Series or 1-D array-like of str
    known : sequence of str, optional
        The valid categories; by default the most frequent spelling of each folded form.
    max_distance : int
        Largest edit distance accepted for a fuzzy match.
    synonyms : mapping, optional
        Spellings (any case) -> known category, for variants no edit distance finds.
    unmatched : {"keep", "nan", "raise"}
        What to do with a value that matches nothing: keep it as it is, make it
        missing, or raise a ValueError naming it.

    Returns
    -------
    pandas.Series
        Strings (object dtype), same index and name as ``values``. Used in lectures
        2.2 and 2.5.
    """
    series = values
    table = category_mapping(series, known, max_distance, synonyms)
    failed = table[table["method"] == "unmatched"]
    if unmatched == "raise" and len(failed):
        raise ValueError(f"{len(failed)} value(s) match no known category: "
                         f"{failed['value'].tolist()[:10]}")
    mapping = dict(zip(table["value"], table["canonical"], strict=True))
    if unmatched == "keep":
        mapping.update({v: v for v in failed["value"]})
    out = series.map(lambda v: np.nan if _is_missing(v) else mapping[str(v)])
    return out.astype(object).rename(series.name)


# --------------------------------------------------------------------------- evaluation


@boundary(listings=check_frame, errors=check_frame)
def logged_error_mask(listings: pd.DataFrame, errors: pd.DataFrame,
                      error_types: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The cells an error log says are wrong, as a boolean frame shaped like ``listings``.

    ``errors`` has the columns ``Id``, ``column`` and ``error_type`` (as
    :attr:`helpers.housing.MessyListings.errors`); rows of ``listings`` are matched by
    their ``Id``. Use it as the truth when scoring a detector. Used in lecture 2.2.
    """
    _columns(listings, "Id", "listings")
    _columns(errors, ["Id", "column", "error_type"], "errors")
    if error_types is not None:
        kinds = [error_types] if isinstance(error_types, str) else list(error_types)
        errors = errors[errors["error_type"].isin(kinds)]
    unknown = sorted(set(errors["column"]) - set(listings.columns))
    if unknown:
        raise ValueError(f"the error log names columns that listings lacks: {unknown}")
    ids = pd.to_numeric(listings["Id"]).astype("int64")
    if ids.duplicated().any():
        raise ValueError("listings has repeated Ids; cannot match the log by Id")
    position = pd.Series(np.arange(len(listings)), index=ids.to_numpy())
    mask = np.zeros(listings.shape, dtype=bool)
    rows = position.reindex(errors["Id"].astype("int64").to_numpy())
    if rows.isna().any():
        raise ValueError("the error log names Ids that listings lacks")
    cols = listings.columns.get_indexer(errors["column"])
    mask[rows.to_numpy(dtype=np.int64), cols] = True
    return pd.DataFrame(mask, index=listings.index, columns=listings.columns)


def detection_report(flagged: object, actual: object) -> dict[str, float]:
    """Score a detector: how many cells it flagged, how many were errors, precision, recall.

    ``precision = |flagged and actual| / |flagged|`` (of what we flag, how much is
    wrong) and ``recall = |flagged and actual| / |actual|`` (of what is wrong, how
    much we find); both are 0 when their denominator is 0. Masks may be Series or
    frames of the same shape. Used in lecture 2.2.
    """
    f = np.asarray(flagged)
    a = np.asarray(actual)
    if f.shape != a.shape:
        raise ValueError(f"flagged and actual must have the same shape, got {f.shape} and "
                         f"{a.shape}")
    if f.dtype != bool or a.dtype != bool:
        raise TypeError(f"flagged and actual must be boolean masks, got {f.dtype} and {a.dtype}")
    hits = int((f & a).sum())
    n_flagged, n_actual = int(f.sum()), int(a.sum())
    return {"flagged": n_flagged, "true errors": n_actual, "hits": hits,
            "precision": hits / n_flagged if n_flagged else 0.0,
            "recall": hits / n_actual if n_actual else 0.0}


# --------------------------------------------------------------------------- pipeline steps


def parse_listings(listings: pd.DataFrame, strict: bool = False) -> pd.DataFrame:
    """Parse a table of listing strings into numbers, dates and text.

    Currency columns -> dollars, areas -> sqft, dates -> ``datetime64``, other
    numeric columns -> float, ``Id`` and ``Zip`` -> int64; text and categories stay
    strings. Nothing is repaired: unparseable values become NaN (or raise with
    ``strict``). The parsing step of the pipeline of lectures 2.1, 2.2 and 2.5.
    """
    listings = check_frame("listings", listings)
    _columns(listings, list(LISTING_COLUMNS), "listings")
    out = listings[list(LISTING_COLUMNS)].copy()
    for c in CURRENCY_COLUMNS:
        out[c] = parse_currency(listings[c], strict=strict)
    for c in AREA_COLUMNS:
        out[c] = parse_area(listings[c], strict=strict)
    for c in DATE_COLUMNS:
        out[c] = parse_dates(listings[c], strict=strict)
    for c in NUMERIC_COLUMNS:
        out[c] = pd.to_numeric(listings[c], errors="raise" if strict else "coerce"
                               ).astype(float)
    for c in ("Id", "Zip"):
        out[c] = pd.to_numeric(listings[c], errors="raise").astype("int64")
    return out


@boundary(drop_duplicates=["boolean"], repair_city=["boolean"], normalize_types=["boolean"],
          price_ratio=[Interval(Real, 1, None, closed="neither")])
def clean_listings(listings: pd.DataFrame, ranges: Mapping[str, tuple] | None = None,
                   drop_duplicates: bool = True, repair_city: bool = True,
                   normalize_types: bool = True, price_ratio: float = 3.0) -> pd.DataFrame:
    """The cleaning step of the book's pipeline: parse, deduplicate, repair, blank errors.

    1. :func:`parse_listings`;
    2. drop repeated listings of the same ``Address`` (keep the first);
    3. normalise ``Type`` to :data:`helpers.housing.HOUSE_TYPES` (folding, the
       :data:`TYPE_SYNONYMS` knowledge base, edit distance) and ``Heating``,
       ``Cooling``, ``Parking`` to their most frequent spelling;
    4. repair ``City`` from ``Zip`` by majority vote (:func:`fd_repair`);
    5. blank (set to NaN) values outside ``ranges`` (default :data:`DEFAULT_RANGES`);
    6. a denial constraint between the sold and listed price: if one is more than
       ``price_ratio`` times the other, blank both (one of them has a typo; which
       one is not known).

    Each step is one of lecture 2.2's detectors; the switches exist so that
    lecture 2.5 can show that changing the cleaning step changes the data.

    Returns
    -------
    pandas.DataFrame
        The parsed, cleaned table with a fresh 0..n-1 index.
    """
    data = parse_listings(listings)
    if drop_duplicates:
        data = data[~unique_violations(data, "Address", keep="first")]
    if normalize_types:
        data["Type"] = normalize_categories(data["Type"], HOUSE_TYPES,
                                            synonyms=TYPE_SYNONYMS, unmatched="nan")
        for c in ("Heating", "Cooling", "Parking"):
            data[c] = normalize_categories(data[c])
    if repair_city:
        data["City"] = fd_repair(data, "Zip", "City")
    for column, (low, high) in (DEFAULT_RANGES if ranges is None else ranges).items():
        _columns(data, column, "ranges")
        bad = range_violations(data[column], low, high)
        data.loc[bad, column] = np.nan
    ratio = data["Sold Price"] / data["Listed Price"]
    bad = (ratio > price_ratio) | (ratio < 1 / price_ratio)
    data.loc[bad, ["Sold Price", "Listed Price"]] = np.nan
    return data.reset_index(drop=True)
