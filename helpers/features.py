"""Feature engineering: turning raw columns, dates and text into features a model can use.

Used in lecture 2.4 (feature engineering); lecture 11.2 reuses the sentence
encoder. A linear model sees only what its features spell out, so the functions
here make structure explicit:

==================  ========================================================================
raw data            features
==================  ========================================================================
numbers             :func:`bin_edges` + :func:`bin_values` (n bins -> n integer codes)
categories          :func:`category_levels` + :func:`one_hot` (rare and unseen ->
                    "unknown"), :func:`cross_categories` (feature crosses)
dates               :func:`expand_datetime` (year, month, day, day of year, week, ...)
text                :func:`build_vocabulary`, :func:`bag_of_words`,
                    :func:`inverse_document_frequency`, :func:`tfidf`
                    (tokens from :func:`helpers.transforms.word_tokenize`)
text, pretrained    :func:`load_minilm`, :func:`mean_pool`, :func:`encode_sentences`
                    (sentence embeddings from the offline all-MiniLM-L6-v2 encoder)
==================  ========================================================================

Every encoder is *fitted* on the training data (bin edges, category levels,
vocabulary, idf weights) and then applied unchanged to validation and test
data: the functions take what was learnt as an argument, so nothing about the
test set leaks into the features.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.checks import boundary, check_matrix, one_of
from helpers.transforms import import_transformers, minilm_model_dir

__all__ = [
    "UNKNOWN",
    "bag_of_words",
    "bin_edges",
    "bin_values",
    "build_vocabulary",
    "category_levels",
    "cross_categories",
    "encode_sentences",
    "expand_datetime",
    "inverse_document_frequency",
    "load_minilm",
    "mean_pool",
    "one_hot",
    "tfidf",
]

UNKNOWN = "<unknown>"
"""Name of the one-hot column that collects rare and unseen categories."""


# --------------------------------------------------------------------------- validation



def _as_series(name: str, values: object) -> pd.Series:
    if isinstance(values, pd.Series):
        # a category column behaves as its values (concatenation, comparison, mapping)
        return values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
    if isinstance(values, str) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a sequence of values, got {type(values).__name__}")
    return pd.Series(list(values))


def _check_token_lists(name: str, docs: object) -> list[list[str]]:
    if isinstance(docs, str) or not isinstance(docs, Sequence | pd.Series):
        raise TypeError(f"{name} must be a sequence of token lists (tokenise the texts first)")
    out = []
    for i, doc in enumerate(docs):
        if isinstance(doc, str) or not isinstance(doc, Sequence):
            raise TypeError(f"{name}[{i}] must be a list of tokens, got {type(doc).__name__}; "
                            "tokenise each text, e.g. with helpers.transforms.word_tokenize")
        out.append(list(doc))
    return out


# --------------------------------------------------------------------------- numbers


@boundary(x="vector", num_bins="int >= 1", strategy=one_of(("uniform", "quantile")))
def bin_edges(x: object, num_bins: int, strategy: str = "quantile") -> np.ndarray:
    """Edges of ``num_bins`` bins for a numeric column, learnt from training values.

    ``"uniform"`` cuts ``[min, max]`` into equal widths; ``"quantile"`` puts
    (about) the same number of values into every bin (linear-interpolated
    quantiles), which adapts to skewed columns. Repeated edges (many equal
    values) are dropped, so fewer bins may result. Used in lecture 2.4.

    Returns
    -------
    numpy.ndarray
        Increasing edges, ``len = bins + 1``; the first is the minimum, the last the
        maximum of ``x``.
    """
    if strategy == "uniform":
        edges = np.linspace(x.min(), x.max(), num_bins + 1)
    else:
        edges = np.quantile(x, np.linspace(0, 1, num_bins + 1))
    edges = np.unique(edges)
    if len(edges) < 2:
        raise ValueError("x is constant: it cannot be binned")
    return edges


@boundary(x="vector", edges="vector")
def bin_values(x: object, edges: object) -> np.ndarray:
    """Integer bin code (0 .. len(edges) - 2) of every value; outside values go to the end bins.

    Bin ``k`` holds ``edges[k] <= x < edges[k + 1]``, the last bin also its right
    edge. Values below the first or above the last edge (possible for test data)
    are put in the first or last bin. Used in lecture 2.4.
    """
    if len(edges) < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError("edges must be strictly increasing with at least 2 entries")
    codes = np.searchsorted(edges, x, side="right") - 1
    return np.clip(codes, 0, len(edges) - 2).astype(np.int64)


# --------------------------------------------------------------------------- categories


def _category_levels_args(args: dict) -> None:
    """Check and convert the arguments of :func:`category_levels` (in place)."""
    if args["values"].dropna().empty:
        raise ValueError("values has no non-missing entries")


@boundary(values=_as_series, min_frequency="int >= 1", max_categories="int >= 1 or None",
          check=_category_levels_args)
def category_levels(values: object, min_frequency: int = 1,
                    max_categories: int | None = None) -> list:
    """The categories that get their own one-hot column: the frequent ones.

    A level is kept if it occurs at least ``min_frequency`` times in the training
    ``values``; with ``max_categories`` only the most frequent ones are kept. Rare
    levels (the long tail) are left to the "unknown" column of :func:`one_hot`.
    Missing values are never a level. Sorted by decreasing count, ties by value.
    Used in lecture 2.4.
    """
    counts = values.dropna().value_counts()
    table = pd.DataFrame({"level": counts.index.astype(object), "count": counts.to_numpy()})
    table["key"] = table["level"].map(str)
    table = table.sort_values(["count", "key"], ascending=[False, True], kind="stable")
    kept = table.loc[table["count"] >= min_frequency, "level"].tolist()
    return kept if max_categories is None else kept[:max_categories]


def _one_hot_args(args: dict) -> None:
    """Check and convert the arguments of :func:`one_hot` (in place)."""
    levels = args["levels"]
    if isinstance(levels, str) or not isinstance(levels, Sequence):
        raise TypeError("levels must be a sequence of categories (from category_levels)")
    if len(levels) == 0 and not args["unknown"]:
        raise ValueError("levels is empty: with unknown=False nothing could be encoded")
    if len(set(levels)) != len(levels):
        raise ValueError("levels contains duplicates")


@boundary(values=_as_series, check=_one_hot_args)
def one_hot(values: object, levels: Sequence, unknown: bool = True) -> pd.DataFrame:
    """One-hot encode ``values`` over the learnt ``levels``, plus an "unknown" column.

    Each known level gets a 0/1 column; every other value -- a rare level left out
    of ``levels``, a category never seen in training, or a missing value -- sets the
    :data:`UNKNOWN` column (with no levels at all, every value is unknown). With
    ``unknown=False`` there is no such column and any value outside ``levels``
    raises ``ValueError``: the failure a deployed model meets the first time a new
    zip code or product appears. Used in lecture 2.4.

    Returns
    -------
    pandas.DataFrame
        ``float`` columns named after the levels (and :data:`UNKNOWN`), the index of
        ``values``.
    """
    position = {level: k for k, level in enumerate(levels)}
    codes = values.map(lambda v: position.get(v, -1)).to_numpy(dtype=np.int64)
    other = codes < 0
    if other.any() and not unknown:
        outside = sorted({str(v) for v in values[other]})
        raise ValueError(f"{int(other.sum())} values are not among the learnt levels "
                         f"(e.g. {outside[:5]}); use unknown=True to map them to {UNKNOWN!r}")
    width = len(levels) + (1 if unknown else 0)
    matrix = np.zeros((len(values), width))
    matrix[np.arange(len(values)), np.where(other, len(levels), codes)] = 1.0
    columns = [str(level) for level in levels] + ([UNKNOWN] if unknown else [])
    return pd.DataFrame(matrix, columns=columns, index=values.index)


def cross_categories(*columns: object, sep: str = " x ") -> pd.Series:
    """A feature cross: one new category per combination of the given categories.

    ``cross_categories(city, type)`` turns ("Palo Alto", "Condo") into the level
    ``"Palo Alto x Condo"``; one-hot encoding it lets a linear model learn one
    effect per combination (an interaction) instead of a sum of two effects.
    Missing values propagate (the cross is missing). Used in lecture 2.4.
    """
    if len(columns) < 2:
        raise ValueError("a feature cross needs at least two columns")
    series = [_as_series(f"columns[{i}]", c).reset_index(drop=True) for i, c in enumerate(columns)]
    if len({len(s) for s in series}) != 1:
        raise ValueError(f"columns have different lengths {[len(s) for s in series]}")
    missing = pd.concat([s.isna() for s in series], axis=1).any(axis=1)
    crossed = series[0].map(str)
    for s in series[1:]:
        crossed = crossed + sep + s.map(str)
    crossed = crossed.astype(object).where(~missing, None)
    index = columns[0].index if isinstance(columns[0], pd.Series) else None
    if index is not None:
        crossed.index = index
    return crossed.rename("cross")


# --------------------------------------------------------------------------- dates


def _expand_datetime_args(args: dict) -> None:
    """Check ``dates`` of :func:`expand_datetime` and make it a datetime Series."""
    series = args["dates"] = pd.to_datetime(_as_series("dates", args["dates"]))
    if series.isna().any():
        raise ValueError(f"dates has {int(series.isna().sum())} missing values; impute or drop")
    if series.empty:
        raise ValueError("dates is empty")


@boundary(check=_expand_datetime_args)
def expand_datetime(dates: object, start: object = None) -> pd.DataFrame:
    """Expand timestamps into the calendar features a model can use.

    Columns: ``year``, ``month`` (1-12), ``day`` (of month), ``day_of_year``
    (1-366), ``week_of_year`` (ISO 8601, 1-53), ``day_of_week`` (Monday = 0),
    ``is_weekend`` (0/1) and ``days_since_start`` (whole days since ``start``,
    default the earliest date: a trend feature). Holidays would need a calendar
    of the region and are left out. Used in lecture 2.4.
    """
    origin = dates.min() if start is None else pd.Timestamp(start)
    out = pd.DataFrame({
        "year": dates.dt.year,
        "month": dates.dt.month,
        "day": dates.dt.day,
        "day_of_year": dates.dt.day_of_year,
        "week_of_year": dates.dt.isocalendar().week,
        "day_of_week": dates.dt.day_of_week,
        "is_weekend": (dates.dt.day_of_week >= 5),
        "days_since_start": (dates - origin).dt.days,
    }, index=dates.index)
    return out.astype(np.int64)


# --------------------------------------------------------------------------- text


@boundary(min_count="int >= 1", max_size="int >= 1 or None")
def build_vocabulary(docs: Sequence[Sequence[str]], min_count: int = 1,
                     max_size: int | None = None) -> dict[str, int]:
    """Token -> column index for the tokens seen at least ``min_count`` times in ``docs``.

    Tokens are ordered by decreasing count (ties alphabetically) and
    ``max_size`` keeps the most frequent. Rare tokens (typos, names, numbers) are
    left out: this is the "vocabulary care" bag of words needs, which keeps the
    number of columns in check. Used in lecture 2.4.
    """
    docs = _check_token_lists("docs", docs)
    counts = Counter(token for doc in docs for token in doc)
    ranked = sorted((t for t, c in counts.items() if c >= min_count),
                    key=lambda t: (-counts[t], t))
    if max_size is not None:
        ranked = ranked[:max_size]
    if not ranked:
        raise ValueError("no token occurs min_count times: the vocabulary would be empty")
    return {token: k for k, token in enumerate(ranked)}


def _bag_of_words_args(args: dict) -> None:
    """Check and convert the arguments of :func:`bag_of_words` (in place)."""
    args["docs"] = _check_token_lists("docs", args["docs"])
    vocabulary = args["vocabulary"]
    if not isinstance(vocabulary, Mapping) or not vocabulary:
        raise ValueError("vocabulary must be a non-empty mapping token -> column")
    if sorted(vocabulary.values()) != list(range(len(vocabulary))):
        raise ValueError("vocabulary columns must be 0 .. len(vocabulary) - 1")


@boundary(check=_bag_of_words_args)
def bag_of_words(docs: Sequence[Sequence[str]], vocabulary: Mapping[str, int]) -> np.ndarray:
    """Count matrix: entry ``(i, j)`` is how often token ``j`` occurs in document ``i``.

    Word order is lost ("dog bites man" and "man bites dog" get the same row), and
    tokens outside the vocabulary are ignored. Dense ``float`` output, meant for
    vocabularies of up to a few thousand tokens. Used in lecture 2.4.
    """
    counts = np.zeros((len(docs), len(vocabulary)))
    for i, doc in enumerate(docs):
        columns = [vocabulary[t] for t in doc if t in vocabulary]
        np.add.at(counts[i], columns, 1.0)
    return counts


def _check_counts(counts: object) -> np.ndarray:
    counts = check_matrix(counts, "counts")
    if (counts < 0).any():
        raise ValueError("counts must be non-negative numbers without NaN")
    return counts


def inverse_document_frequency(counts: object) -> np.ndarray:
    """Smoothed idf of every column: ``log((1 + n) / (1 + df)) + 1``.

    ``df`` is the number of training documents containing the token, ``n`` the
    number of documents; a token in every document gets weight 1, a rare one
    more. scikit-learn's default (``smooth_idf=True``). Used in lecture 2.4.
    """
    counts = _check_counts(counts)
    n = counts.shape[0]
    df = (counts > 0).sum(axis=0)
    return np.log((1.0 + n) / (1.0 + df)) + 1.0


def tfidf(counts: object, idf: object) -> np.ndarray:
    """TF-IDF rows: counts times idf, each row scaled to unit Euclidean length.

    Down-weights tokens that occur everywhere ("the", "a", "returns") relative to
    distinctive ones, and makes long and short documents comparable. Rows without
    any known token stay zero. Matches ``sklearn``'s ``TfidfVectorizer`` defaults.
    Used in lecture 2.4.
    """
    counts = _check_counts(counts)
    idf = np.asarray(idf, dtype=float)
    if idf.shape != (counts.shape[1],):
        raise ValueError(f"idf has shape {idf.shape}, expected ({counts.shape[1]},)")
    weights = counts * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return weights / np.where(norms > 0, norms, 1.0)


# --------------------------------------------------------------------------- MiniLM


def load_minilm():
    """Tokenizer and encoder of all-MiniLM-L6-v2 from the locally installed package.

    Loads with ``transformers`` only (``AutoTokenizer`` / ``AutoModel``,
    ``local_files_only=True``): no network, and faster than importing
    ``sentence-transformers``. The encoder is a 6-layer, 384-wide BERT-style
    Transformer (22.7M parameters) trained to map sentences with similar meaning to
    nearby vectors. Returned in evaluation mode. Used in lectures 2.4 and 11.2.

    Returns
    -------
    tokenizer, model
        A ``transformers`` fast tokenizer and ``BertModel``.
    """
    transformers = import_transformers()
    path = str(minilm_model_dir())
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModel.from_pretrained(path, local_files_only=True)
    return tokenizer, model.eval()


@boundary(hidden="3-D tensor")
def mean_pool(hidden, attention_mask):
    """Average the token vectors of each sequence, ignoring padding.

    ``hidden`` is ``(batch, tokens, dim)``, ``attention_mask`` ``(batch, tokens)``
    with 1 for real tokens and 0 for padding. This is the pooling
    all-MiniLM-L6-v2 was trained with. Used in lectures 2.4 and 11.2.
    """
    import torch

    if not isinstance(attention_mask, torch.Tensor) or attention_mask.shape != hidden.shape[:2]:
        raise ValueError(f"attention_mask must be a tensor of shape {tuple(hidden.shape[:2])}")
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
    if (mask.sum(dim=1) == 0).any():
        raise ValueError("a sequence has no real token (its attention mask is all zero)")
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1)


def _encode_sentences_args(args: dict) -> None:
    """Check and convert the arguments of :func:`encode_sentences` (in place)."""
    texts = args["texts"]
    if isinstance(texts, str) or not isinstance(texts, Sequence | pd.Series):
        raise TypeError("texts must be a sequence of strings")
    texts = args["texts"] = list(texts)
    if not texts:
        raise ValueError("texts is empty")
    if not all(isinstance(t, str) and t.strip() for t in texts):
        raise ValueError("every text must be a non-empty string")


@boundary(batch_size="int >= 1", max_length="int >= 2", check=_encode_sentences_args)
def encode_sentences(texts: Sequence[str], tokenizer, model, batch_size: int = 32,
                     max_length: int = 128) -> np.ndarray:
    """Sentence embeddings: MiniLM token vectors, mean-pooled and scaled to unit length.

    Reproduces ``SentenceTransformer("all-MiniLM-L6-v2").encode(texts,
    normalize_embeddings=True)`` up to float rounding (tokens beyond
    ``max_length`` are cut; the model's own limit is 256). Texts are processed in
    order of length so that a batch needs little padding, and returned in the
    input order. Runs without gradients. Used in lectures 2.4 and 11.2.

    Returns
    -------
    numpy.ndarray
        ``(len(texts), 384)`` float32, each row of Euclidean length 1.
    """
    import torch

    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            pooled = torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]),
                                                   dim=1)
            out[rows] = pooled.numpy()
    return out

