"""Data integration: join tables on keys and find the problems joins hide.

Used in lecture 1.2. Joining two sources of the same entities goes wrong in four
typical ways, and each function here makes one of them visible:

- identifying IDs: :func:`key_report` says whether a key is unique and complete
  before anything is joined on it;
- missing rows: :func:`join_report` counts the rows an inner, left, right or outer
  join keeps, and :func:`anti_join` returns the rows that found no partner;
- redundant columns: :func:`redundant_columns` finds constant columns, columns that
  are one-to-one relabelings of another, and numeric columns that are an affine
  function of another;
- conflicting values: :func:`find_conflicts` lists keys whose two values disagree,
  :func:`resolve_closest` settles each conflict by a plausibility rule, and
  :func:`count_mismatches` compares a result with a reference, cell by cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.checks import boundary, check_frame

__all__ = [
    "anti_join",
    "count_mismatches",
    "find_conflicts",
    "join_report",
    "key_report",
    "redundant_columns",
    "resolve_closest",
]


# --------------------------------------------------------------------------- validation


def _as_key_list(key: str | Sequence[str], name: str) -> list[str]:
    keys = [key] if isinstance(key, str) else list(key)
    if not keys:
        raise ValueError(f"{name} must name at least one column")
    return keys


def _check_columns(df: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{name} has no column(s) {missing}; it has {list(df.columns)}")


def _key_pair(left, right, on, left_on, right_on) -> tuple[list[str], list[str]]:
    if on is not None:
        if left_on is not None or right_on is not None:
            raise ValueError("give either on, or left_on and right_on, not both")
        left_on = right_on = on
    if left_on is None or right_on is None:
        raise ValueError("give the key: on=, or both left_on= and right_on=")
    left_keys = _as_key_list(left_on, "left_on")
    right_keys = _as_key_list(right_on, "right_on")
    if len(left_keys) != len(right_keys):
        raise ValueError(f"left_on has {len(left_keys)} columns but right_on has "
                         f"{len(right_keys)}")
    _check_columns(left, left_keys, "left")
    _check_columns(right, right_keys, "right")
    return left_keys, right_keys


# --------------------------------------------------------------------------- keys and rows


def key_report(df: pd.DataFrame, key: str | Sequence[str]) -> dict[str, int | bool]:
    """Is ``key`` a usable identifier of the rows of ``df``?

    A key identifies rows only if it is never missing and never repeated. Used in
    lecture 1.2.

    Parameters
    ----------
    df : pandas.DataFrame
    key : str or sequence of str
        The key column(s).

    Returns
    -------
    dict
        ``rows``, ``distinct_keys``, ``missing_keys`` (rows with a missing key part),
        ``duplicated_rows`` (rows whose key appeared in an earlier row) and ``unique``
        (True when the key identifies every row).
    """
    df = check_frame("df", df)
    keys = _as_key_list(key, "key")
    _check_columns(df, keys, "df")
    missing = int(df[keys].isna().any(axis=1).sum())
    duplicated = int(df.duplicated(subset=keys).sum())
    return {"rows": len(df), "distinct_keys": len(df[keys].drop_duplicates()),
            "missing_keys": missing, "duplicated_rows": duplicated,
            "unique": missing == 0 and duplicated == 0}


def join_report(
    left: pd.DataFrame,
    right: pd.DataFrame,
    on: str | Sequence[str] | None = None,
    *,
    left_on: str | Sequence[str] | None = None,
    right_on: str | Sequence[str] | None = None,
) -> pd.Series:
    """How many rows each kind of join keeps, and how many rows find no partner.

    Used in lecture 1.2.

    Parameters
    ----------
    left, right : pandas.DataFrame
    on : str or sequence of str, optional
        Key column(s) with the same names in both tables.
    left_on, right_on : str or sequence of str, optional
        Key column(s) with different names.

    Returns
    -------
    pandas.Series
        ``left rows``, ``right rows``, ``left only`` and ``right only`` (rows whose key
        is absent from the other table), and the row counts of the ``inner``, ``left``,
        ``right`` and ``outer`` joins. A join with more rows than both inputs means a
        key is duplicated.
    """
    left, right = check_frame("left", left), check_frame("right", right)
    lk, rk = _key_pair(left, right, on, left_on, right_on)
    left_keys = left[lk].set_axis(lk, axis=1)
    right_keys = right[rk].set_axis(lk, axis=1)
    counts = {"left rows": len(left), "right rows": len(right),
              "left only": len(anti_join(left, right, left_on=lk, right_on=rk)),
              "right only": len(anti_join(right, left, left_on=rk, right_on=lk))}
    for how in ("inner", "left", "right", "outer"):
        counts[f"{how} join"] = len(left_keys.merge(right_keys, on=lk, how=how))
    return pd.Series(counts, name="rows")


def anti_join(
    left: pd.DataFrame,
    right: pd.DataFrame,
    on: str | Sequence[str] | None = None,
    *,
    left_on: str | Sequence[str] | None = None,
    right_on: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """The rows of ``left`` whose key does not occur in ``right`` (a left anti-join).

    These are the rows an inner join silently drops. Missing key values never match
    (unlike in :meth:`pandas.DataFrame.merge`, which matches NaN with NaN). Used in
    lecture 1.2.

    Returns
    -------
    pandas.DataFrame
        A copy of those rows of ``left``, in their original order and with their index.
    """
    left, right = check_frame("left", left), check_frame("right", right)
    lk, rk = _key_pair(left, right, on, left_on, right_on)
    right_keys = set(right[rk].dropna().itertuples(index=False, name=None))
    has_partner = [(not any(pd.isna(v) for v in row)) and row in right_keys
                   for row in left[lk].itertuples(index=False, name=None)]
    return left.loc[~np.asarray(has_partner, dtype=bool)].copy()


# --------------------------------------------------------------------------- columns


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


@boundary(df=check_frame, max_categories="int >= 2", atol="real >= 0.0")
def redundant_columns(
    df: pd.DataFrame, *, max_categories: int = 50, atol: float = 1e-9
) -> pd.DataFrame:
    """Columns that add no information: constant, a relabeling, or affine in another.

    Three checks, each on the rows where the columns involved are not missing:

    - ``constant``: one distinct value;
    - ``one-to-one`` with a partner: both columns are categorical-like (at most
      ``max_categories`` distinct values, each appearing twice on average, since any
      two all-distinct columns would match trivially) and each value of one
      determines the value of the other (``studyName`` and ``year``, ``"MALE"`` and
      ``"male"``); exact copies are a special case;
    - ``affine`` in a partner: numeric and ``col = a * partner + b`` up to ``atol``
      (grams and kilograms), with at least 3 shared rows.

    Each pair is reported once, for the later column. Used in lecture 1.2.

    Parameters
    ----------
    df : pandas.DataFrame
    max_categories : int
        Largest number of distinct values for the one-to-one check (continuous columns
        with all-distinct values would otherwise look one-to-one with each other).
    atol : float
        Absolute tolerance of the affine fit, relative to the column's scale.

    Returns
    -------
    pandas.DataFrame
        Columns ``column``, ``reason``, ``partner`` (empty string for constants), one
        row per finding.
    """
    findings = []
    columns = list(df.columns)
    for j, col in enumerate(columns):
        values = df[col].dropna()
        if values.nunique() <= 1:
            findings.append((col, "constant", ""))
            continue
        for partner in columns[:j]:
            pair = df[[partner, col]].dropna()
            a, b = pair[partner], pair[col]
            if a.nunique() <= 1:
                continue
            n_distinct = max(a.nunique(), b.nunique())
            if n_distinct <= max_categories and 2 * n_distinct <= len(pair):
                n_pairs = len(pair.drop_duplicates())
                if n_pairs == a.nunique() == b.nunique():
                    findings.append((col, "one-to-one", partner))
                    break
            if _is_numeric(a) and _is_numeric(b) and len(pair) >= 3:
                x, z = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
                slope, intercept = np.polyfit(x, z, 1)
                scale = max(np.abs(z).max(), 1.0)
                if np.abs(slope * x + intercept - z).max() <= atol * scale:
                    findings.append((col, "affine", partner))
                    break
    return pd.DataFrame(findings, columns=["column", "reason", "partner"])


# --------------------------------------------------------------------------- values


@boundary(df=check_frame, atol="real >= 0.0")
def find_conflicts(
    df: pd.DataFrame, col_a: str, col_b: str, *, atol: float = 0.0
) -> pd.DataFrame:
    """Rows where two columns that should agree both have a value and disagree.

    Numeric columns disagree when they differ by more than ``atol``; others when they
    are not equal. A missing value on one side is a gap, not a conflict. Used in
    lecture 1.2.

    Returns
    -------
    pandas.DataFrame
        The conflicting rows of ``df`` (all columns).
    """
    _check_columns(df, [col_a, col_b], "df")
    a, b = df[col_a], df[col_b]
    both = a.notna() & b.notna()
    if _is_numeric(a) and _is_numeric(b):
        differ = (a - b).abs() > atol
    else:
        differ = a.astype(object) != b.astype(object)
    return df.loc[both & differ].copy()


def resolve_closest(a: object, b: object, expected: object) -> np.ndarray:
    """Merge two candidate values per row: keep the one closer to an expected value.

    Where only one candidate is present it is kept; where both are missing the
    result is NaN; where both agree nothing changes. Where they disagree, the
    candidate nearer to ``expected`` (e.g. the median of similar entities) wins, ties
    going to ``a``. A plausibility rule: it fixes gross errors (an extra zero, the
    wrong unit), not small ones. Used in lecture 1.2.

    Parameters
    ----------
    a, b : array-like of float
        The two sources' values, aligned row by row.
    expected : array-like of float
        A plausible value per row; only used where both candidates are present.

    Returns
    -------
    numpy.ndarray of float
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.shape != expected.shape:
        raise ValueError(f"a, b and expected must be 1-D of the same length, got shapes "
                         f"{a.shape}, {b.shape}, {expected.shape}")
    both = ~np.isnan(a) & ~np.isnan(b)
    if np.isnan(expected[both & (a != b)]).any():
        raise ValueError("expected is NaN on a row where a and b conflict")
    out = np.where(np.isnan(a), b, a)
    closer_b = both & (np.abs(b - expected) < np.abs(a - expected))
    out[closer_b] = b[closer_b]
    return out


@boundary(result=check_frame, reference=check_frame, rtol="real >= 0.0")
def count_mismatches(
    result: pd.DataFrame, reference: pd.DataFrame, *, rtol: float = 1e-9
) -> pd.Series:
    """Cells in which ``result`` differs from ``reference``, per column.

    The frames must have the same shape and column names (in any order); rows are
    compared in order. Two missing values match; numbers match within ``rtol``. Used
    in lecture 1.2.

    Returns
    -------
    pandas.Series of int
        Mismatch count per column of ``reference``; ``.sum()`` is the total.
    """
    if sorted(map(str, result.columns)) != sorted(map(str, reference.columns)):
        raise ValueError(f"the frames have different columns: {sorted(result.columns)} vs "
                         f"{sorted(reference.columns)}")
    if len(result) != len(reference):
        raise ValueError(f"the frames have different numbers of rows: {len(result)} vs "
                         f"{len(reference)}")
    counts = {}
    for col in reference.columns:
        x, y = result[col].reset_index(drop=True), reference[col].reset_index(drop=True)
        both_missing = x.isna() & y.isna()
        if _is_numeric(x) and _is_numeric(y):
            xf, yf = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                same = np.isclose(xf, yf, rtol=rtol, atol=0.0)
        else:
            same = (x.astype(object) == y.astype(object)).to_numpy()
        counts[col] = int((~(same | both_missing.to_numpy())).sum())
    return pd.Series(counts, name="mismatches", dtype=int)
