"""nbval, with the book's output comparison and failure messages a person can act on.

Loaded by pytest whenever it collects the lecture notebooks in this folder (the
regression gate of ``python3.11 tools/dev.py test``). It replaces two methods of
nbval's cell item:

- ``compare_outputs``: text exactly, numbers within their printed precision, claim
  records field by field (the rules are in ``tools/nbcompare.py``);
- ``repr_failure``: names the lecture, the section heading and the first line of the
  cell, and labels stored and new values.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import nbcompare  # noqa: E402

FIX_HINT = (
    "If the change is intended, store the new outputs after reviewing them:\n"
    "    python3.11 tools/dev.py execute --accept {stem}\n"
    "Run this lecture alone: python3.11 tools/dev.py test nbval {stem}"
)


def _compare_outputs(self, test, ref, skip_compare=None):
    """nbval hook: compare with the book's comparator (see tools/nbcompare.py)."""
    tags = self.cell.get("metadata", {}).get("tags", [])
    differences = nbcompare.compare_outputs(
        ref, test, nbcompare.Tolerance.from_tags(tags), sanitize=self.sanitize)
    self.comparison_traceback = [d.describe() for d in differences]
    return not differences


def _location(item) -> str:
    cells = item.parent.nb.cells
    index = next(i for i, c in enumerate(cells) if c is item.cell)
    stem = Path(str(item.fspath)).stem
    title = nbcompare.lecture_title(cells, stem)
    return f"lecture {title} ({stem}), {nbcompare.cell_location(cells, index)}"


def _repr_failure(self, excinfo, style=None):
    """nbval hook: say where the failing cell is and what changed, stored vs new."""
    from nbval.plugin import NbCellError

    exc = excinfo.value
    if not isinstance(exc, NbCellError):
        return f"pytest plugin exception: {exc}"
    stem = Path(str(self.fspath)).stem
    lines = [f"{_location(self)}:", f"{exc}"]
    if exc.inner_traceback:
        lines.append(exc.inner_traceback)
    if str(exc) == "Cell outputs differ":
        lines.append(FIX_HINT.format(stem=stem))
    return "\n".join(lines)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if not (getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)):
        return
    from nbval.plugin import IPyNbCell

    IPyNbCell.compare_outputs = _compare_outputs
    IPyNbCell.repr_failure = _repr_failure
