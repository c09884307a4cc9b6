"""Tests for helpers.features (lecture 2.4): binning, one-hot, dates, crosses, text features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

from helpers.features import (
    UNKNOWN,
    bag_of_words,
    bin_edges,
    bin_values,
    build_vocabulary,
    category_levels,
    cross_categories,
    encode_sentences,
    expand_datetime,
    inverse_document_frequency,
    load_minilm,
    mean_pool,
    one_hot,
    tfidf,
)
from helpers.transforms import word_tokenize

# --------------------------------------------------------------------------- binning


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_binning_matches_kbins_discretizer(np_rng, strategy):
    x = np_rng.lognormal(size=300)
    x_test = np_rng.lognormal(size=50)
    kwargs = {"quantile_method": "linear"} if strategy == "quantile" else {}
    kb = KBinsDiscretizer(n_bins=6, encode="ordinal", strategy=strategy, **kwargs)
    kb.fit(x[:, None])
    edges = bin_edges(x, 6, strategy)
    np.testing.assert_allclose(edges, kb.bin_edges_[0])
    np.testing.assert_array_equal(bin_values(x_test, edges), kb.transform(x_test[:, None])[:, 0])


def test_quantile_bins_hold_equal_counts(np_rng):
    x = np_rng.exponential(size=1000)
    counts = np.bincount(bin_values(x, bin_edges(x, 4)))
    assert counts.tolist() == [250, 250, 250, 250]


def test_bin_values_clips_outside_values_and_merges_tied_edges():
    edges = bin_edges(np.array([0.0, 1, 2, 3, 4]), 2, "uniform")
    np.testing.assert_array_equal(bin_values([-5.0, 0, 2, 4, 99], edges), [0, 0, 1, 1, 1])
    assert len(bin_edges(np.array([1.0, 1, 1, 1, 2]), 4)) == 2    # ties: fewer bins


def test_binning_rejects_nan_constant_and_bad_strategy():
    with pytest.raises(ValueError, match="NaN"):
        bin_edges([1.0, np.nan], 2)
    with pytest.raises(ValueError, match="constant"):
        bin_edges([3.0, 3.0], 2)
    with pytest.raises(ValueError, match="strategy"):
        bin_edges([1.0, 2.0], 2, "kmeans")
    with pytest.raises(ValueError, match="increasing"):
        bin_values([1.0], [2.0, 1.0])


# --------------------------------------------------------------------------- categories


def test_category_levels_keep_frequent_ones_in_count_order():
    values = ["b", "a", "b", "c", "a", "b", "d", None]
    assert category_levels(values) == ["b", "a", "c", "d"]
    assert category_levels(values, min_frequency=2) == ["b", "a"]
    assert category_levels(values, max_categories=1) == ["b"]
    with pytest.raises(ValueError, match="non-missing"):
        category_levels([None, None])


def test_one_hot_matches_sklearn_with_infrequent_categories(np_rng):
    train = pd.Series(np_rng.choice(list("abcdefg"), p=[.4, .3, .15, .1, .03, .01, .01],
                                    size=300), name="c")
    test = pd.Series(list("abcdefgz"), name="c")
    levels = category_levels(train, min_frequency=10)
    ours = one_hot(test, levels)
    enc = OneHotEncoder(min_frequency=10, handle_unknown="infrequent_if_exist",
                        sparse_output=False).fit(train.to_frame())
    theirs = pd.DataFrame(enc.transform(test.to_frame()), columns=enc.get_feature_names_out())
    for level in levels:
        np.testing.assert_array_equal(ours[level], theirs[f"c_{level}"])
    np.testing.assert_array_equal(ours[UNKNOWN], theirs["c_infrequent_sklearn"])


def test_one_hot_rows_sum_to_one_and_unseen_goes_to_unknown():
    out = one_hot(["x", "y", "new", None], ["x", "y"])
    assert list(out.columns) == ["x", "y", UNKNOWN]
    np.testing.assert_array_equal(out.sum(axis=1), 1.0)
    np.testing.assert_array_equal(out[UNKNOWN], [0, 0, 1, 1])


def test_one_hot_without_unknown_fails_on_unseen_category():
    with pytest.raises(ValueError, match="not among the learnt levels"):
        one_hot(["x", "new"], ["x", "y"], unknown=False)
    assert one_hot(["y"], ["x", "y"], unknown=False).to_numpy().tolist() == [[0.0, 1.0]]


def test_one_hot_keeps_index_and_rejects_bad_levels():
    values = pd.Series(["a", "b"], index=[10, 20])
    assert list(one_hot(values, ["a"]).index) == [10, 20]
    with pytest.raises(ValueError, match="duplicates"):
        one_hot(values, ["a", "a"])
    with pytest.raises(ValueError, match="empty"):
        one_hot(values, [], unknown=False)
    with pytest.raises(TypeError, match="sequence"):
        one_hot(values, "ab")
    assert one_hot(values, [])[UNKNOWN].tolist() == [1.0, 1.0]   # every category rare


def test_cross_categories_combines_and_propagates_missing():
    city = pd.Series(["Palo Alto", "San Jose", None], index=[3, 4, 5])
    kind = ["Condo", "Condo", "Townhouse"]
    out = cross_categories(city, kind)
    assert out.tolist() == ["Palo Alto x Condo", "San Jose x Condo", None]
    assert list(out.index) == [3, 4, 5]
    with pytest.raises(ValueError, match="two"):
        cross_categories(city)
    with pytest.raises(ValueError, match="lengths"):
        cross_categories(city, ["a"])


# --------------------------------------------------------------------------- dates


def test_expand_datetime_calendar_fields():
    dates = pd.Series(pd.to_datetime(["2020-01-01", "2021-01-03", "2020-12-31"]))
    out = expand_datetime(dates)
    assert out.loc[0].tolist() == [2020, 1, 1, 1, 1, 2, 0, 0]          # a Wednesday
    assert out.loc[1, "week_of_year"] == 53                         # ISO week of 2020
    assert out.loc[1, "is_weekend"] == 1 and out.loc[1, "day_of_week"] == 6
    assert out.loc[2, "day_of_year"] == 366                         # leap year
    assert out["days_since_start"].tolist() == [0, 368, 365]
    assert expand_datetime(dates, start="2019-12-31")["days_since_start"].iloc[0] == 1


def test_expand_datetime_rejects_missing_dates():
    with pytest.raises(ValueError, match="missing"):
        expand_datetime(pd.Series([pd.Timestamp("2020-01-01"), pd.NaT]))


# --------------------------------------------------------------------------- text

DOCS = ["The dog bites the man.", "The man bites the dog!", "A cat sat on the mat, the cat."]


def test_bag_of_words_matches_count_vectorizer():
    tokens = [word_tokenize(d) for d in DOCS]
    vocab = build_vocabulary(tokens)
    ours = bag_of_words(tokens, vocab)
    cv = CountVectorizer(token_pattern=r"(?u)\b\w+\b").fit(DOCS)
    theirs = cv.transform(DOCS).toarray()
    order = [cv.vocabulary_[t] for t in vocab]
    np.testing.assert_array_equal(ours, theirs[:, order])


def test_bag_of_words_loses_word_order():
    tokens = [word_tokenize(d) for d in DOCS[:2]]
    counts = bag_of_words(tokens, build_vocabulary(tokens))
    np.testing.assert_array_equal(counts[0], counts[1])


def test_build_vocabulary_min_count_and_max_size():
    tokens = [word_tokenize(d) for d in DOCS]
    vocab = build_vocabulary(tokens, min_count=2)
    assert list(vocab) == ["the", "bites", "cat", "dog", "man"]
    assert list(build_vocabulary(tokens, max_size=2)) == ["the", "bites"]
    with pytest.raises(ValueError, match="empty"):
        build_vocabulary(tokens, min_count=100)
    with pytest.raises(TypeError, match="tokenise"):
        build_vocabulary(DOCS)


def test_bag_of_words_ignores_out_of_vocabulary_tokens():
    counts = bag_of_words([["a", "zzz", "a"]], {"a": 0, "b": 1})
    np.testing.assert_array_equal(counts, [[2.0, 0.0]])
    with pytest.raises(ValueError, match="columns"):
        bag_of_words([["a"]], {"a": 1})


def test_tfidf_matches_tfidf_vectorizer():
    tokens = [word_tokenize(d) for d in DOCS]
    vocab = build_vocabulary(tokens)
    counts = bag_of_words(tokens, vocab)
    ours = tfidf(counts, inverse_document_frequency(counts))
    vec = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b").fit(DOCS)
    theirs = vec.transform(DOCS).toarray()[:, [vec.vocabulary_[t] for t in vocab]]
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_idf_weights_common_tokens_least_and_empty_rows_stay_zero():
    counts = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    idf = inverse_document_frequency(counts)
    assert idf[0] == pytest.approx(1.0) and idf[1] > idf[0]
    out = tfidf(np.vstack([counts, np.zeros(3)]), idf)
    np.testing.assert_allclose(out[-1], 0.0)
    np.testing.assert_allclose(np.linalg.norm(out[:3], axis=1), 1.0)
    with pytest.raises(ValueError, match="shape"):
        tfidf(counts, idf[:2])
    with pytest.raises(ValueError, match="non-negative"):
        inverse_document_frequency(-counts)


# --------------------------------------------------------------------------- MiniLM


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    torch.testing.assert_close(mean_pool(hidden, mask), torch.tensor([[2.0, 3.0]]))
    with pytest.raises(ValueError, match="no real token"):
        mean_pool(hidden, torch.zeros(1, 3))
    with pytest.raises(ValueError, match="shape"):
        mean_pool(hidden, torch.ones(1, 2))


@pytest.fixture(scope="module")
def minilm():
    return load_minilm()


def test_encode_sentences_unit_vectors_independent_of_batching(minilm):
    tokenizer, model = minilm
    texts = ["Return the mean of the array elements.", "dog bites man", "A short one.",
             "Fit a linear model with an L2 penalty on the coefficients."]
    E = encode_sentences(texts, tokenizer, model, batch_size=3)
    assert E.shape == (4, 384) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-5)
    E1 = encode_sentences(texts, tokenizer, model, batch_size=1)
    np.testing.assert_allclose(E, E1, atol=1e-5)


def test_embeddings_see_word_order_and_meaning(minilm):
    tokenizer, model = minilm
    E = encode_sentences(["dog bites man", "man bites dog", "a dog attacks a man",
                          "compute the singular value decomposition of a matrix"],
                         tokenizer, model)
    assert E[0] @ E[1] < 0.99                      # same bag of words, different vectors
    assert E[0] @ E[2] > E[0] @ E[3] + 0.3         # paraphrase closer than unrelated text


def test_encode_sentences_validates_input(minilm):
    tokenizer, model = minilm
    with pytest.raises(ValueError, match="empty"):
        encode_sentences([], tokenizer, model)
    with pytest.raises(ValueError, match="non-empty string"):
        encode_sentences(["ok", "  "], tokenizer, model)
    with pytest.raises(TypeError):
        encode_sentences("one string", tokenizer, model)
