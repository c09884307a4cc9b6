"""Fixtures of the built-book checks: one headless Chromium per worker.

The expensive fixtures of this folder are session-scoped: xdist interleaves the tests of
several modules on a worker, and a module-scoped fixture would be built again each time
the worker comes back to its module (the page renders took twice as long)."""

from __future__ import annotations

import pytest
from built_site import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
