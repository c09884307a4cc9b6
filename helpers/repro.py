"""Reproducibility: one call that makes a notebook deterministic, and stable printing.

Used by every lecture notebook (first code cell: ``helpers.setup_notebook()``).
Bitwise results differ between CPU kernels, so printed numbers are rounded to a
few significant digits with :func:`fmt`; see the book's "How to use" page.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import random
import sys
from collections.abc import Callable
from numbers import Real

import numpy as np

from helpers.checks import check_int

DEFAULT_SEED = 0
DEFAULT_THREADS = 1


def seed_everything(seed: int = DEFAULT_SEED) -> np.random.Generator:
    """Seed Python's, NumPy's and torch's global random number generators.

    Used by every lecture through :func:`setup_notebook`. torch is seeded now if it is
    imported, else the moment it is first imported (see :func:`when_torch_imported`), so
    a lecture that never uses torch does not pay for importing it.

    Parameters
    ----------
    seed : int
        Non-negative integer seed.

    Returns
    -------
    numpy.random.Generator
        A fresh generator seeded with ``seed``, for code that prefers an explicit one.
    """
    seed = check_int("seed", seed, low=0)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - legacy global state that libraries still use
    when_torch_imported(lambda torch: torch.manual_seed(seed), key="seed")
    return np.random.default_rng(seed)


def setup_notebook(seed: int = DEFAULT_SEED, threads: int = DEFAULT_THREADS) -> np.random.Generator:
    """Make a notebook deterministic and its output readable; call it once at the top.

    Seeds Python, NumPy and torch; fixes the thread count of torch and of the BLAS and
    OpenMP libraries that NumPy, SciPy and scikit-learn call (through threadpoolctl),
    so results are the same with 1 or 2 cores and in plain Jupyter as in the test
    suite; sets NumPy/pandas/torch print options to a few significant digits; and
    applies the book's plot style. Used by every lecture. The torch settings apply
    when torch is first imported, if that happens later.

    Python's hash seed cannot be changed inside a running kernel, so nothing the
    lectures print may depend on it (set and dict order of strings); the test suite
    runs every lecture with two different hash seeds to check that.

    Parameters
    ----------
    seed : int
        Seed for all generators.
    threads : int
        Number of torch intra-op threads and of BLAS/OpenMP threads (at least 1).

    Returns
    -------
    numpy.random.Generator
        A generator seeded with ``seed``.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    import pandas as pd

    from helpers.plotting import set_plot_style

    when_torch_imported(lambda torch: _configure_torch(torch, threads), key="threads")
    _limit_native_threads(threads)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    pd.set_option("display.precision", 4)
    pd.set_option("display.width", 100)
    pd.set_option("display.max_columns", 20)
    set_plot_style()
    return seed_everything(seed)


def _configure_torch(torch, threads: int) -> None:
    torch.set_num_threads(threads)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)


_TORCH_SETTINGS: dict[str, Callable] = {}  # applied, in order, when torch is imported


def when_torch_imported(apply: Callable, key: str) -> None:
    """Apply ``apply(torch)`` now if torch is imported, else right after its first import.

    ``key`` names the setting: a later call with the same key replaces a pending one
    (the last seed wins, as it would if torch had been imported all along). Importing
    torch takes about 1.5 s of a lecture's start, and half of the lectures never use it.
    Used by :func:`seed_everything` and :func:`setup_notebook`.
    """
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        apply(torch)
        return
    _TORCH_SETTINGS[key] = apply
    if not any(isinstance(finder, _TorchImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TorchImportHook())


class _TorchImportHook(importlib.abc.MetaPathFinder):
    """Finds torch with the other finders and runs the pending settings once it loaded."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            for apply in _TORCH_SETTINGS.values():
                apply(module)
            _TORCH_SETTINGS.clear()

        spec.loader.exec_module = exec_module
        return spec


_THREADPOOL_LIMITS: list = []  # keep the limiter alive for the kernel's lifetime


def _limit_native_threads(threads: int) -> None:
    """Limit BLAS and OpenMP thread pools, now and for libraries loaded later."""
    import scipy.linalg  # noqa: F401 - load SciPy's BLAS so the limit covers it too
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)  # read by pools that are created later
    _THREADPOOL_LIMITS.append(threadpool_limits(limits=threads))


def fmt(value: Real | np.ndarray | list | tuple, digits: int = 3) -> str:
    """Format a number (or a sequence of numbers) with ``digits`` significant digits.

    Printed results are regression baselines, so they must not depend on the last
    bits a particular CPU kernel produces. Used by every lecture and by
    :func:`helpers.claims.check_claim`.

    Parameters
    ----------
    value : real number, or array-like of real numbers
        What to format. Booleans are rejected (they are not measurements).
    digits : int
        Significant digits, 1 to 15.

    Returns
    -------
    str
        For example ``fmt(3.14159) == '3.14'`` and ``fmt([1, 2.5]) == '[1, 2.5]'``.

    Examples
    --------
    >>> fmt(0.000123456)
    '0.000123'
    >>> fmt(-12345.6, digits=2)
    '-1.2e+04'
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 15:
        raise ValueError(f"digits must be an int between 1 and 15, got {digits!r}")
    if isinstance(value, np.ndarray | list | tuple):
        arr = np.asarray(value, dtype=float)
        return "[" + ", ".join(fmt(float(v), digits) for v in arr.ravel()) + "]"
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"fmt expects a real number, got {type(value).__name__}")
    text = f"{float(value):.{digits}g}"  # also "nan", "inf" and "-inf"
    return "0" if text in ("-0", "0") else text
