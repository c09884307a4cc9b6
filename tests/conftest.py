"""Shared fixtures for the unit tests and the checks on the book itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def np_rng():
    import numpy as np

    return np.random.default_rng(12345)
