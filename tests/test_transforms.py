"""Tests for helpers.transforms (lecture 2.3): scalers, images, whitening, video, text."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from helpers.transforms import (
    IRREGULAR_LEMMAS,
    animated_webp_bytes,
    bpe_encode,
    bpe_tokenize,
    char_tokenize,
    decimal_exponents,
    decimal_scale,
    docstring_corpus,
    downsample,
    extract_patches,
    jpeg_roundtrip,
    lemmatize,
    load_minilm_tokenizer,
    log_scale,
    min_max_scale,
    minilm_model_dir,
    moving_square_clip,
    normalize_text,
    porter_stem,
    segment_frame_indices,
    strided_frame_indices,
    to_grayscale,
    train_bpe,
    uniform_frame_indices,
    whiten,
    whitening_matrix,
    word_tokenize,
    wordpiece_tokenize,
    z_score,
)

# --------------------------------------------------------------------------- scaling


def test_min_max_scale_matches_sklearn(np_rng):
    X = np_rng.normal(size=(50, 4)) * [1, 10, 100, 1000]
    expected = MinMaxScaler(feature_range=(-1, 2)).fit_transform(X)
    np.testing.assert_allclose(min_max_scale(X, (-1, 2)), expected, atol=1e-12)


def test_min_max_scale_uses_training_statistics_for_test_data(np_rng):
    X_train, X_test = np_rng.normal(size=(40, 3)), np_rng.normal(size=(10, 3)) * 3
    expected = MinMaxScaler().fit(X_train).transform(X_test)
    np.testing.assert_allclose(min_max_scale(X_test, fit_on=X_train), expected, atol=1e-12)


def test_min_max_scale_maps_constant_column_to_lower_bound():
    X = np.array([[5.0, 1.0], [5.0, 2.0], [5.0, 3.0]])
    out = min_max_scale(X, (2, 4))
    np.testing.assert_allclose(out[:, 0], 2.0)
    np.testing.assert_allclose(out, MinMaxScaler((2, 4)).fit_transform(X))


def test_min_max_scale_rejects_bad_range_and_nan():
    with pytest.raises(ValueError, match="a < b"):
        min_max_scale([1.0, 2.0], (1, 1))
    with pytest.raises(TypeError, match="pair"):
        min_max_scale([1.0, 2.0], (0, 1, 2))
    with pytest.raises(ValueError, match="NaN"):
        min_max_scale([1.0, np.nan])


def test_z_score_matches_standard_scaler(np_rng):
    X = np_rng.normal(3, 7, size=(60, 5))
    np.testing.assert_allclose(z_score(X), StandardScaler().fit_transform(X), atol=1e-12)
    X_test = np_rng.normal(size=(7, 5))
    np.testing.assert_allclose(z_score(X_test, fit_on=X),
                               StandardScaler().fit(X).transform(X_test), atol=1e-12)


def test_z_score_gives_mean_zero_variance_one(np_rng):
    Z = z_score(np_rng.exponential(size=(200, 3)))
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-12)


def test_z_score_constant_column_becomes_zero():
    X = np.array([[1.0, 2.0], [1.0, 4.0]])
    np.testing.assert_allclose(z_score(X)[:, 0], 0.0)


def test_z_score_rejects_shape_mismatch_and_empty_input():
    with pytest.raises(ValueError, match="incompatible"):
        z_score(np.ones((3, 2)), fit_on=np.ones((3, 3)))
    with pytest.raises(ValueError, match="empty"):
        z_score(np.empty((0, 2)))
    with pytest.raises(ValueError, match="dim 3"):
        z_score(np.ones((2, 2, 2)))


def test_decimal_exponents_at_exact_powers_of_ten():
    assert decimal_exponents([986.0, -12.0]).item() == 3
    assert decimal_exponents([1000.0]).item() == 4
    assert decimal_exponents([0.05, 0.01]).item() == -1
    assert decimal_exponents([0.0, 0.0]).item() == 0
    np.testing.assert_array_equal(decimal_exponents([[1.0, 250.0], [9.0, -999.0]]), [1, 3])


def test_decimal_scale_puts_values_strictly_inside_unit_interval(np_rng):
    X = np_rng.normal(size=(100, 3)) * [1e-3, 5.0, 1e6]
    out = decimal_scale(X)
    assert np.abs(out).max() < 1
    assert (np.abs(out).max(axis=0) >= 0.1).all()  # the smallest such power of ten
    np.testing.assert_allclose(np.sign(out), np.sign(X))


def test_log_scale_matches_numpy_and_needs_positive_values():
    np.testing.assert_allclose(log_scale([1.0, np.e, 10.0]), np.log([1.0, np.e, 10.0]))
    np.testing.assert_allclose(log_scale([0.0, 9.0], offset=1), np.log1p([0.0, 9.0]))
    with pytest.raises(ValueError, match="offset"):
        log_scale([0.0, 1.0])
    with pytest.raises(TypeError, match="offset"):
        log_scale([1.0], offset=np.nan)


# --------------------------------------------------------------------------- images


def _rgb(np_rng, h=32, w=48):
    return np_rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_to_grayscale_matches_luma_weights(np_rng):
    rgb = _rgb(np_rng)
    expected = rgb.astype(float) @ [0.299, 0.587, 0.114]
    assert np.abs(to_grayscale(rgb).astype(float) - expected).max() <= 1.0
    gray = rgb[..., 0]
    np.testing.assert_array_equal(to_grayscale(gray), gray)


def test_jpeg_roundtrip_keeps_shape_and_smaller_quality_means_fewer_bytes():
    import skimage.data

    image = skimage.data.camera()[:128, :128]
    low, low_bytes = jpeg_roundtrip(image, 10)
    high, high_bytes = jpeg_roundtrip(image, 95)
    assert low.shape == image.shape and low.dtype == np.uint8
    assert low_bytes < high_bytes < image.nbytes
    err = [np.abs(x.astype(float) - image).mean() for x in (low, high)]
    assert err[0] > err[1]


def test_jpeg_roundtrip_rejects_bad_input(np_rng):
    with pytest.raises(ValueError, match="quality"):
        jpeg_roundtrip(_rgb(np_rng), 101)
    with pytest.raises(TypeError, match="uint8"):
        jpeg_roundtrip(np.zeros((8, 8)), 50)
    with pytest.raises(ValueError, match="alpha"):
        jpeg_roundtrip(np.zeros((8, 8, 4), dtype=np.uint8), 50)


def test_downsample_matches_skimage_block_mean(np_rng):
    from skimage.transform import downscale_local_mean

    image = np_rng.normal(size=(24, 36, 3))
    np.testing.assert_allclose(downsample(image, 4), downscale_local_mean(image, (4, 4, 1)))


def test_downsample_crops_partial_blocks_and_keeps_uint8(np_rng):
    image = np_rng.integers(0, 256, size=(10, 7), dtype=np.uint8)
    out = downsample(image, 3)
    assert out.shape == (3, 2) and out.dtype == np.uint8
    assert out[0, 0] == np.rint(image[:3, :3].mean())
    with pytest.raises(ValueError, match="larger"):
        downsample(image, 11)


def test_extract_patches_tiles_without_overlap(np_rng):
    image = np_rng.integers(0, 256, size=(10, 13, 3), dtype=np.uint8)
    patches, corners = extract_patches(image, 4)
    assert patches.shape == (2 * 3, 4, 4, 3)
    for patch, (r, c) in zip(patches, corners, strict=True):
        np.testing.assert_array_equal(patch, image[r:r + 4, c:c + 4])


def test_extract_patches_with_stride_overlaps(np_rng):
    image = np_rng.normal(size=(6, 6))
    patches, corners = extract_patches(image, 3, stride=1)
    assert patches.shape == (16, 3, 3)
    np.testing.assert_array_equal(patches[5], image[1:4, 1:4])
    with pytest.raises(ValueError, match="exceeds"):
        extract_patches(image, 7)


@pytest.mark.parametrize("method", ["zca", "pca"])
def test_whitening_gives_identity_covariance(np_rng, method):
    X = np_rng.normal(size=(500, 6)) @ np_rng.normal(size=(6, 6))
    Z = whiten(X, method=method, eps=0.0)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(Z.T @ Z / len(Z), np.eye(6), atol=1e-8)


def test_zca_matrix_is_symmetric_and_closest_to_identity(np_rng):
    X = np_rng.normal(size=(300, 5)) @ np_rng.normal(size=(5, 5))
    _, W_zca = whitening_matrix(X, "zca", eps=0.0)
    _, W_pca = whitening_matrix(X, "pca", eps=0.0)
    np.testing.assert_allclose(W_zca, W_zca.T, atol=1e-10)
    centred = X - X.mean(axis=0)
    dist = [np.linalg.norm(centred @ W.T - centred) for W in (W_zca, W_pca)]
    assert dist[0] < dist[1]


def test_pca_whitening_matches_sklearn_up_to_sign_and_ddof(np_rng):
    X = np_rng.normal(size=(200, 4)) @ np_rng.normal(size=(4, 4))
    Z = whiten(X, "pca", eps=0.0)
    Z_sk = PCA(whiten=True).fit_transform(X) * np.sqrt(len(X) / (len(X) - 1))
    np.testing.assert_allclose(np.abs(Z), np.abs(Z_sk), atol=1e-8)


def test_whitening_singular_covariance_needs_eps(np_rng):
    x = np_rng.normal(size=(50, 1))
    X = np.hstack([x, 2 * x])
    with pytest.raises(ValueError, match="singular"):
        whitening_matrix(X, eps=0.0)
    assert np.isfinite(whiten(X, eps=1e-3)).all()
    with pytest.raises(ValueError, match="method"):
        whitening_matrix(X, method="svd")


# --------------------------------------------------------------------------- video


def test_moving_square_clip_shape_and_determinism():
    clip = moving_square_clip(num_frames=20, height=32, width=40, square=6, seed=3)
    assert clip.shape == (20, 32, 40, 3) and clip.dtype == np.uint8
    np.testing.assert_array_equal(clip, moving_square_clip(20, 32, 40, 6, seed=3))
    red = (clip[..., 0] > 180) & (clip[..., 1] < 90)
    assert red[len(clip) // 2].sum() >= 30       # the square is in the middle frame
    with pytest.raises(ValueError, match="smaller"):
        moving_square_clip(square=64, height=64)


def test_animated_webp_exploits_still_background():
    clip = moving_square_clip(num_frames=30, height=32, width=48, square=6)
    per_frame = sum(jpeg_roundtrip(frame, 90)[1] for frame in clip)
    assert animated_webp_bytes(clip, 90) < per_frame / 3
    with pytest.raises(ValueError, match="T, H, W, 3"):
        animated_webp_bytes(clip[0])
    with pytest.raises(ValueError, match="fps"):
        animated_webp_bytes(clip, fps=0)


def test_uniform_frame_indices_are_segment_centres():
    np.testing.assert_array_equal(uniform_frame_indices(10, 5), [1, 3, 5, 7, 9])
    np.testing.assert_array_equal(uniform_frame_indices(7, 7), np.arange(7))
    with pytest.raises(ValueError, match="distinct"):
        uniform_frame_indices(3, 4)


def test_strided_frame_indices():
    np.testing.assert_array_equal(strided_frame_indices(10, 3), [0, 3, 6, 9])
    np.testing.assert_array_equal(strided_frame_indices(10, 4, start=1), [1, 5, 9])
    with pytest.raises(ValueError, match="start"):
        strided_frame_indices(5, 1, start=5)


def test_segment_frame_indices_one_per_segment():
    rng = np.random.default_rng(0)
    for _ in range(20):
        idx = segment_frame_indices(100, 8, rng)
        bounds = np.floor(np.arange(9) * 100 / 8)
        assert ((idx >= bounds[:-1]) & (idx < bounds[1:])).all()
    np.testing.assert_array_equal(segment_frame_indices(9, 3), [1, 4, 7])
    with pytest.raises(TypeError, match="Generator"):
        segment_frame_indices(9, 3, rng=0)


# --------------------------------------------------------------------------- text


def test_normalize_and_tokenize():
    text = "The  ﬁle's Caf\u00e9\u00a0costs 3.50!"
    assert normalize_text(text) == "the file's café costs 3.50!"
    assert word_tokenize(text) == ["the", "file's", "café", "costs", "3", "50"]
    assert char_tokenize("Ab c") == ["a", "b", " ", "c"]
    with pytest.raises(TypeError):
        word_tokenize(None)


# Outputs of the full Porter (1980) algorithm on the examples of the paper's steps.
PORTER_CASES = {
    "caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
    "feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled",
    "motoring": "motor", "sing": "sing", "conflated": "conflat", "troubled": "troubl",
    "sized": "size", "hopping": "hop", "tanned": "tan", "falling": "fall", "hissing": "hiss",
    "fizzed": "fizz", "failing": "fail", "filing": "file", "happy": "happi", "sky": "sky",
    "relational": "relat", "conditional": "condit", "rational": "ration", "valenci": "valenc",
    "digitizer": "digit", "conformabli": "conform", "radicalli": "radic",
    "differentli": "differ", "vileli": "vile", "analogousli": "analog",
    "vietnamization": "vietnam", "predication": "predic", "operator": "oper",
    "feudalism": "feudal", "decisiveness": "decis", "hopefulness": "hope",
    "callousness": "callous", "formaliti": "formal", "sensitiviti": "sensit",
    "sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form",
    "formalize": "formal", "electriciti": "electr", "electrical": "electr", "hopeful": "hope",
    "goodness": "good", "revival": "reviv", "allowance": "allow", "inference": "infer",
    "airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust",
    "defensible": "defens", "irritant": "irrit", "replacement": "replac",
    "adjustment": "adjust", "dependent": "depend", "adoption": "adopt",
    "homologou": "homolog", "communism": "commun", "activate": "activ",
    "angulariti": "angular", "homologous": "homolog", "effective": "effect",
    "bowdlerize": "bowdler", "probate": "probat", "rate": "rate", "cease": "ceas",
    "controll": "control", "roll": "roll", "generalizations": "gener",
    "oscillators": "oscil", "running": "run", "is": "is", "as": "as",
}


def test_porter_stem_reproduces_the_paper_examples():
    wrong = {w: (porter_stem(w), s) for w, s in PORTER_CASES.items() if porter_stem(w) != s}
    assert wrong == {}


def test_porter_stem_maps_inflections_to_one_key_and_lowercases():
    assert {porter_stem(w) for w in ["connect", "Connected", "connecting", "connection",
                                     "connections"]} == {"connect"}
    with pytest.raises(TypeError):
        porter_stem(3)


def test_lemmatize_irregulars_and_rules():
    vocab = {"be", "study", "run", "compute", "use", "us", "box", "class", "make", "stop",
             "axis", "leaf", "sort"}
    assert [lemmatize(w, vocab) for w in ["am", "are", "is"]] == ["be"] * 3
    assert lemmatize("better", vocab) == IRREGULAR_LEMMAS["better"] == "good"
    cases = {"studies": "study", "running": "run", "computed": "compute", "uses": "use",
             "using": "use", "boxes": "box", "classes": "class", "making": "make",
             "stopped": "stop", "axes": "axis", "sorted": "sort", "Studies": "study"}
    assert {w: lemmatize(w, vocab) for w in cases} == cases


def test_lemmatize_returns_unknown_words_unchanged_and_needs_a_vocabulary():
    assert lemmatize("zillow", {"zillo"}) == "zillow"
    assert lemmatize("parameters", set()) == "parameters"
    with pytest.raises(TypeError, match="collection"):
        lemmatize("cats", "cat")


def test_train_bpe_on_sennrich_example_is_deterministic():
    counts = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
    merges = train_bpe(counts, 3)
    # (e, s) and (s, t</w>) both occur 9 times: the smaller pair wins the tie
    assert merges == [("e", "s"), ("es", "t</w>"), ("l", "o")]
    assert train_bpe(counts, 3) == merges


def test_bpe_encode_reproduces_training_segmentation_and_handles_new_words():
    counts = Counter("the cat sat on the mat with the hat that the cat ate".split())
    merges = train_bpe(counts, 8)
    for word in counts:
        pieces = bpe_encode(word, merges)
        assert "".join(pieces) == word + "</w>"
    assert bpe_encode("the", merges) == ["the</w>"]
    assert bpe_encode("zebra", merges) == ["z", "e", "b", "r", "a</w>"]
    assert bpe_tokenize(["the", "zebra"], merges) == [bpe_encode("the", merges),
                                                      bpe_encode("zebra", merges)]
    with pytest.raises(TypeError, match="sequence"):
        bpe_tokenize("the", merges)


def test_train_bpe_stops_when_every_word_is_one_symbol():
    merges = train_bpe({"ab": 3, "a": 1}, 50)
    assert merges == [("a", "b</w>")]


def test_train_bpe_validates_input():
    with pytest.raises(ValueError, match="empty"):
        train_bpe({}, 3)
    with pytest.raises(ValueError, match="spaces"):
        train_bpe({"a b": 1}, 3)
    with pytest.raises(ValueError, match="positive"):
        train_bpe({"ab": 0}, 3)


def test_wordpiece_greedy_longest_match():
    vocab = {"un", "##aff", "##able", "##a", "##ff", "play", "##ing"}
    assert wordpiece_tokenize("unaffable", vocab) == ["un", "##aff", "##able"]
    assert wordpiece_tokenize("playing", vocab) == ["play", "##ing"]
    assert wordpiece_tokenize("xyz", vocab) == ["[UNK]"]
    assert wordpiece_tokenize("unaffable", vocab, max_chars=5) == ["[UNK]"]


@pytest.fixture(scope="module")
def minilm_tokenizer():
    return load_minilm_tokenizer()


def test_minilm_files_ship_with_the_package():
    path = minilm_model_dir()
    assert (path / "vocab.txt").is_file() and (path / "model.safetensors").is_file()


def test_wordpiece_matches_the_minilm_tokenizer(minilm_tokenizer):
    vocab = minilm_tokenizer.get_vocab()
    assert len(vocab) == 30522
    for word in ["tokenization", "unbelievably", "zillow", "dataframe", "regularisation",
                 "the", "hyperparameter", "standardscaler"]:
        assert wordpiece_tokenize(word, vocab) == minilm_tokenizer.tokenize(word), word


def test_docstring_corpus_is_labelled_deduplicated_and_has_no_signatures():
    corpus = docstring_corpus({"json": ["json"], "collections": ["collections"]})
    assert set(corpus["label"]) == {"json", "collections"}
    assert corpus["text"].is_unique
    assert not corpus["text"].str.match(r"^[\w.]+\(.*\)").any()
    assert (corpus["text"].str.split().str.len() >= 5).all()
    assert "json.dumps" in set(corpus["name"])
    with pytest.raises(ValueError, match="non-empty"):
        docstring_corpus({})


def _naive_bpe(counts, num_merges):
    words = {tuple([*w[:-1], w[-1] + "</w>"]): c for w, c in counts.items()}
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for symbols, c in words.items():
            for pair in zip(symbols, symbols[1:], strict=False):
                pairs[pair] += c
        if not pairs:
            break
        top = max(pairs.values())
        best = min(p for p, c in pairs.items() if c == top)
        merges.append(best)
        new_words = {}
        for symbols, c in words.items():
            out, k = [], 0
            while k < len(symbols):
                if k + 1 < len(symbols) and (symbols[k], symbols[k + 1]) == best:
                    out.append(symbols[k] + symbols[k + 1])
                    k += 2
                else:
                    out.append(symbols[k])
                    k += 1
            new_words[tuple(out)] = c
        words = new_words
    return merges


def test_train_bpe_incremental_counts_match_naive_recount(np_rng):
    letters = np.array(list("abcde"))
    counts = Counter("".join(np_rng.choice(letters, size=np_rng.integers(1, 7)))
                     for _ in range(300))
    assert train_bpe(counts, 40) == _naive_bpe(counts, 40)
