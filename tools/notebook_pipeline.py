"""Execute lecture notebooks and record what they ran with.

A lecture is the pair ``notebooks/NAME.md`` (MyST, the truth for inputs) and
``notebooks/NAME.ipynb`` (inputs plus the stored outputs). Executing a lecture

1. rebuilds the ``.ipynb`` inputs from the ``.md`` (jupytext, keeping nothing stale),
2. runs it top to bottom in a fresh kernel, in the notebook folder, with the
   deterministic environment of ``tools/dev.py``,
3. strips volatile metadata (keeps outputs and execution counts), and
4. records in ``metadata.cs329p`` the hash of its code inputs, the hash of the
   ``helpers`` package it ran with, and its wall-clock execution time.

The staleness gate (tests/test_notebooks.py) recomputes both hashes and fails when
they differ from the record, so editing a lecture or ``helpers`` forces re-execution.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
HELPERS_DIR = ROOT / "helpers"
RECORD_KEY = "cs329p"
KEEP_NOTEBOOK_METADATA = ("kernelspec", "jupytext", RECORD_KEY)
EXECUTION_TIMEOUT_S = 600


def find_notebooks(folder: Path, names: Iterable[str] = ()) -> list[Path]:
    """Return the lecture ``.md`` sources in ``folder``, all or those named."""
    sources = sorted(folder.glob("*.md"))
    names = list(names)
    if not names:
        return sources
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".md").removesuffix(".ipynb")
        match = [p for p in sources if p.stem == stem]
        if not match:
            raise SystemExit(f"no notebook named {name!r} in {folder}")
        chosen.extend(match)
    return chosen


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """The (source, tags) of every code cell, the inputs that determine outputs."""
    return [(c.source, sorted(c.get("metadata", {}).get("tags", [])))
            for c in nb.cells if c.cell_type == "code"]


def inputs_digest(nb: nbformat.NotebookNode) -> str:
    """Hash of a notebook's code inputs (prose edits do not change it)."""
    payload = json.dumps(code_cells(nb), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def helpers_digest(helpers_dir: Path = HELPERS_DIR) -> str:
    """Hash of every file of the helpers package (code and package data)."""
    h = hashlib.sha256()
    for path in sorted(helpers_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(path.relative_to(helpers_dir).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def read_source(md: Path) -> nbformat.NotebookNode:
    """Read the MyST source of a lecture as a notebook (no outputs)."""
    return jupytext.read(md)


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep outputs and execution counts; drop timings, random ids and kernel details."""
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NOTEBOOK_METADATA}
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:03d}"  # stable ids: re-execution must not churn the diff
        tags = cell.get("metadata", {}).get("tags")
        cell.metadata = {"tags": tags} if tags else {}
        for output in cell.get("outputs", []):
            if "metadata" in output and output.metadata:
                output.metadata = {}
    return nb


def execute_notebook(md: Path, env: dict[str, str]) -> float:
    """Execute the lecture ``md`` in a fresh kernel and write its ``.ipynb``; return seconds."""
    nb = read_source(md)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    client = NotebookClient(nb, timeout=EXECUTION_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(md.parent)}})
    t0 = time.perf_counter()
    client.execute(env=env)
    seconds = time.perf_counter() - t0
    strip_volatile(nb)
    nb.metadata[RECORD_KEY] = {
        "inputs_sha256": inputs_digest(nb),
        "helpers_sha256": helpers_digest(),
        "execution_seconds": round(seconds, 1),
    }
    nbformat.write(nb, md.with_suffix(".ipynb"))
    return seconds


def sync_prose(md: Path) -> None:
    """Copy edited Markdown cells of ``md`` into its executed ``.ipynb``, keeping outputs.

    Only for prose edits: if any code cell or the cell structure changed, the
    notebook must be executed again, and this raises ``SystemExit`` saying so.
    """
    ipynb = md.with_suffix(".ipynb")
    source = read_source(md)
    nb = nbformat.read(ipynb, as_version=4)
    if nb.metadata.get(RECORD_KEY, {}).get("inputs_sha256") != inputs_digest(source):
        raise SystemExit(f"{md.name}: code cells changed; run: tools/dev.py execute {md.stem}")
    if [c.cell_type for c in source.cells] != [c.cell_type for c in nb.cells]:
        raise SystemExit(f"{md.name}: cells were added or removed; run: tools/dev.py execute "
                         f"{md.stem}")
    for new, old in zip(source.cells, nb.cells, strict=True):
        if old.cell_type == "markdown":
            old.source = new.source
    nbformat.write(nb, ipynb)
