"""Execute lecture notebooks, review what changed, and record what they ran with.

A lecture is the pair ``notebooks/NAME.md`` (MyST, the truth for inputs) and
``notebooks/NAME.ipynb`` (inputs plus the stored outputs). Executing a lecture

1. rebuilds the ``.ipynb`` inputs from the ``.md`` (jupytext, keeping nothing stale),
2. runs it top to bottom in a fresh kernel, in the notebook folder, with the
   deterministic environment of ``tools/dev.py``, and asks the kernel at the end which
   ``helpers`` modules it imported (directly or through other modules),
3. reviews the new outputs against the stored ones with the regression suite's
   comparator (``tools/nbcompare.py``): cells whose outputs agree keep their stored
   text (no churn from the last digit of another CPU); a cell whose numbers moved
   beyond their printed precision, or whose claim changed, is reported, and nothing
   is written unless the change is accepted,
4. strips volatile metadata (keeps outputs and execution counts), and
5. records in ``metadata.cs329p`` the hash of its code inputs, the hash of each
   ``helpers`` module it imported, the hash of the lock file, its execution time,
   date and machine.

:func:`stale_reasons` recomputes those hashes; the staleness gate
(tests/test_notebooks.py) and ``tools/dev.py execute --stale`` use it.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import hashlib
import json
import platform
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbcompare
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
HELPERS_DIR = ROOT / "helpers"
LOCK_FILE = ROOT / "constraints.txt"
SANITIZE_FILE = ROOT / "nbval_sanitize.cfg"
RECORD_KEY = "cs329p"
KEEP_NOTEBOOK_METADATA = ("kernelspec", "jupytext", RECORD_KEY)
KEEP_CELL_METADATA = ("tags", "mystnb")
"""Cell metadata kept in the executed notebook: tags, and myst-nb options (figure captions
and names); everything else (timings, collapsed state, ids of front ends) is volatile."""
EXECUTION_TIMEOUT_S = 600
IGNORE_OUTPUT_TAG = "nbval-ignore-output"
COMMAND = "python3.11 tools/dev.py"

WAITING_FIRST = "CS329P_WAITING_FIRST"
"""Set to ``1`` in an nbval pass's environment: the lectures that mostly wait go first."""
WAITING_LECTURES = ("01-3-web-scraping",)
"""Lectures that spend most of their run waiting rather than computing (the scraper's
slow answers and timeouts against its loopback server: about a third of its run is CPU)."""


def nbval_order(stem: str, seconds: float, waiting_first: bool = False) -> tuple[bool, float]:
    """Sort key of a lecture in an nbval pass: longest first (``seconds``, its stored
    execution time), so that two workers finish together. With ``waiting_first`` the
    lectures that mostly wait go before all others: the full test command runs its two
    passes side by side with the HTML checks, which use the time they wait at the start
    (later, one pass waiting would leave a core idle)."""
    return (not (waiting_first and stem in WAITING_LECTURES), -seconds)


# Run in the kernel after the lecture: which helpers modules did it import?
_PROBE = """\
import json as _json, sys as _sys
print(_json.dumps(sorted({_m.__name__: getattr(_m, "__file__", None)
    for _m in list(_sys.modules.values())
    if _m is not None and (_m.__name__ == "helpers" or _m.__name__.startswith("helpers."))
}.items())))
"""


def find_notebooks(folder: Path, names: Iterable[str] = ()) -> list[Path]:
    """Return the lecture ``.md`` sources in ``folder``: all, or those named.

    A name may be a file name, a path, or a prefix such as ``05-3``.
    """
    sources = sorted(p for p in folder.glob("*.md") if p.name != "README.md")
    names = list(names)
    if not names:
        return sources
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".md").removesuffix(".ipynb")
        match = [p for p in sources if p.stem == stem] or [
            p for p in sources if p.stem.startswith(stem + "-")]
        if not match:
            raise SystemExit(f"no notebook named {name!r} in {folder}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """The (source, tags) of every code cell, the inputs that determine outputs."""
    return [(c.source, sorted(c.get("metadata", {}).get("tags", [])))
            for c in nb.cells if c.cell_type == "code"]


def inputs_digest(nb: nbformat.NotebookNode) -> str:
    """Hash of a notebook's code inputs (prose edits do not change it)."""
    payload = json.dumps(code_cells(nb), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, or ``"missing"``."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def lock_digest() -> str:
    """Hash of the lock file: a changed dependency can change any output."""
    return file_digest(LOCK_FILE)


def helpers_files(modules: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Map the imported ``helpers`` modules' files (relative to the root) to hashes.

    Raises ``RuntimeError`` when a module came from outside this checkout (a virtual
    environment installed from another clone would hash one tree and run another).
    """
    files = {}
    for name, path in modules:
        if path is None:
            continue
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(HELPERS_DIR):
            raise RuntimeError(
                f"the kernel imported {name} from {resolved}, not from {HELPERS_DIR}; "
                f"recreate the environment: rm -rf .venv && {COMMAND} setup")
        relative = resolved.relative_to(ROOT).as_posix()
        files[relative] = file_digest(resolved)
    return dict(sorted(files.items()))


def read_source(md: Path) -> nbformat.NotebookNode:
    """Read the MyST source of a lecture as a notebook (no outputs)."""
    return jupytext.read(md)


def read_record(ipynb: Path) -> dict:
    """The execution record stored in a lecture's ``.ipynb`` (empty if none)."""
    if not ipynb.exists():
        return {}
    return nbformat.read(ipynb, as_version=4).metadata.get(RECORD_KEY, {})


def stale_reasons(md: Path) -> list[str]:
    """Why the stored outputs of lecture ``md`` are out of date (empty: they are not)."""
    ipynb = md.with_suffix(".ipynb")
    if not ipynb.exists():
        return ["never executed"]
    record = read_record(ipynb)
    reasons = []
    if record.get("inputs_sha256") != inputs_digest(read_source(md)):
        reasons.append(f"code cells of {md.name} changed")
    recorded = record.get("helpers_files")
    if not isinstance(recorded, dict):
        reasons.append("no record of the helpers modules it imported")
    else:
        changed = [f for f, digest in recorded.items() if file_digest(ROOT / f) != digest]
        if changed:
            reasons.append("changed: " + ", ".join(changed))
    if record.get("lock_sha256") != lock_digest():
        reasons.append("constraints.txt changed")
    return reasons


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep outputs and execution counts; drop timings, random ids and kernel details."""
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NOTEBOOK_METADATA}
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:03d}"  # stable ids: re-execution must not churn the diff
        cell.metadata = {k: v for k, v in cell.get("metadata", {}).items()
                         if k in KEEP_CELL_METADATA and v}
        for output in cell.get("outputs", []):
            if "metadata" in output and output.metadata:
                # only the display size of images (a 2x PNG is shown at half its pixels)
                output.metadata = {k: v for k, v in output.metadata.items()
                                   if k.startswith(nbcompare.IMAGE_PREFIX)}
    return nb


# --------------------------------------------------------------------------- review


@dataclass
class CellChange:
    """A code cell whose new outputs differ from the stored ones beyond tolerance."""

    location: str
    differences: list[nbcompare.Difference]

    def describe(self) -> str:
        return "\n".join([f"{self.location}:", *(d.describe() for d in self.differences)])


@dataclass
class Review:
    """What re-executing a lecture changed, compared with its stored outputs."""

    lecture: str
    changes: list[CellChange] = field(default_factory=list)
    new_cells: int = 0
    kept_cells: int = 0

    def describe(self) -> str:
        head = (f"{self.lecture}: {len(self.changes)} cell(s) changed beyond tolerance, "
                f"{self.new_cells} new or edited cell(s), {self.kept_cells} cell(s) kept "
                "(same within tolerance)")
        return "\n".join([head, *(c.describe() for c in self.changes)])


def _sanitizer() -> nbcompare.Sanitizer:
    text = SANITIZE_FILE.read_text() if SANITIZE_FILE.exists() else ""
    return nbcompare.make_sanitizer(nbcompare.read_sanitize_patterns(text))


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _merge(stored_outputs: list, new_outputs: list) -> list:
    """The stored outputs, with the new images where both have the same shape."""
    if [o.get("output_type") for o in stored_outputs] != [
            o.get("output_type") for o in new_outputs]:
        return new_outputs
    merged = []
    for old, new in zip(stored_outputs, new_outputs, strict=True):
        old = nbformat.from_dict(json.loads(json.dumps(old)))
        if "execution_count" in new:
            old["execution_count"] = new["execution_count"]
        if "data" in old and "data" in new:
            for key, value in new["data"].items():
                if key.startswith(nbcompare.IMAGE_PREFIX):
                    old["data"][key] = value
                    # the display size of a 2x (retina) PNG lives in the output metadata
                    size = new.get("metadata", {}).get(key)
                    old.setdefault("metadata", {}).pop(key, None)
                    if size is not None:
                        old["metadata"][key] = size
        merged.append(old)
    return merged


def review(stored: nbformat.NotebookNode | None, new: nbformat.NotebookNode,
           lecture: str) -> Review:
    """Compare ``new`` outputs with ``stored`` ones, cell by matching cell source.

    Cells whose outputs agree within tolerance get their stored outputs back (new
    images only), so a re-execution on another CPU does not churn digits.
    """
    result = Review(lecture)
    new_code = [c for c in new.cells if c.cell_type == "code"]
    old_code = [c for c in stored.cells if c.cell_type == "code"] if stored else []
    matcher = difflib.SequenceMatcher(a=[c.source for c in old_code],
                                      b=[c.source for c in new_code], autojunk=False)
    matched = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched[block.b + k] = old_code[block.a + k]
    sanitize = _sanitizer()
    for index, cell in enumerate(new_code):
        old = matched.get(index)
        if old is None or old.execution_count is None:
            result.new_cells += 1
            continue
        if IGNORE_OUTPUT_TAG in _tags(cell):
            continue
        differences = nbcompare.compare_outputs(
            old.outputs, cell.outputs, nbcompare.Tolerance.from_tags(_tags(cell)), sanitize)
        if differences:
            position = new.cells.index(cell)
            result.changes.append(CellChange(
                nbcompare.cell_location(new.cells, position), differences))
        else:
            cell.outputs = _merge(old.outputs, cell.outputs)
            result.kept_cells += 1
    return result


# --------------------------------------------------------------------------- execute


@dataclass
class Execution:
    """The outcome of :func:`execute_notebook`."""

    seconds: float
    review: Review
    written: bool


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def coalesce_streams(nb: nbformat.NotebookNode) -> None:
    """Join consecutive stream outputs of the same name in every code cell, in place.

    A busy kernel can send one ``print`` in pieces; stored apart, the pieces render
    as separate output boxes in the book, one of them holding half a line. (nbformat
    and nbclient give stream text as one string.)
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        joined = []
        for output in cell.outputs:
            last = joined[-1] if joined else None
            if (last is not None and output.get("output_type") == "stream"
                    and last.get("output_type") == "stream"
                    and output.get("name") == last.get("name")):
                last["text"] += output["text"]
            else:
                joined.append(output)
        cell.outputs = joined


def execute_notebook(md: Path, env: dict[str, str], accept: bool = False,
                     write: bool = True) -> Execution:
    """Execute lecture ``md`` in a fresh kernel, review it, and write its ``.ipynb``.

    The ``.ipynb`` is written when no stored output changed beyond tolerance (cells
    that agree keep their stored outputs), or when ``accept`` is true; otherwise it is
    left as it was. An accepted run is stored as executed, every cell: kept outputs
    from the old run could contradict the new ones beside them (a count of slow
    answers kept at 4 within its tolerance, next to 3 timeouts); this also stores a
    change of how something is printed (e.g. fewer digits), which the review would
    keep in its old form. ``write=False`` only measures and reviews (the benchmark).
    """
    ipynb = md.with_suffix(".ipynb")
    nb = read_source(md)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE))
    client = NotebookClient(nb, timeout=EXECUTION_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(md.parent)}})
    t0 = time.perf_counter()
    client.execute(env=env)
    seconds = time.perf_counter() - t0
    probe = nb.cells.pop()
    coalesce_streams(nb)
    modules = json.loads("".join(o.get("text", "") for o in probe.outputs
                                 if o.get("name") == "stdout"))
    stored = nbformat.read(ipynb, as_version=4) if ipynb.exists() else None
    result = review(stored, copy.deepcopy(nb) if accept else nb, md.stem)
    if not write or (result.changes and not accept):
        return Execution(seconds, result, written=False)
    strip_volatile(nb)
    nb.metadata[RECORD_KEY] = {
        "inputs_sha256": inputs_digest(nb),
        "helpers_files": helpers_files(modules),
        "lock_sha256": lock_digest(),
        "execution_seconds": round(seconds, 1),
        "executed_on": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "machine": _machine(),
    }
    nbformat.write(nb, ipynb)
    return Execution(seconds, result, written=True)


def sync_prose(md: Path) -> None:
    """Copy edited Markdown cells of ``md`` into its executed ``.ipynb``, keeping outputs.

    Only for prose edits: if any code cell or the cell structure changed, the
    notebook must be executed again, and this raises ``SystemExit`` saying so.
    """
    ipynb = md.with_suffix(".ipynb")
    source = read_source(md)
    nb = nbformat.read(ipynb, as_version=4)
    if nb.metadata.get(RECORD_KEY, {}).get("inputs_sha256") != inputs_digest(source):
        raise SystemExit(f"{md.name}: code cells changed; run: {COMMAND} execute {md.stem}")
    if [c.cell_type for c in source.cells] != [c.cell_type for c in nb.cells]:
        raise SystemExit(f"{md.name}: cells were added or removed; run: {COMMAND} execute "
                         f"{md.stem}")
    for new, old in zip(source.cells, nb.cells, strict=True):
        if old.cell_type == "markdown":
            old.source = new.source
        elif "mystnb" in new.metadata or "mystnb" in old.metadata:
            # figure captions and names are prose too
            old.metadata.pop("mystnb", None)
            if new.metadata.get("mystnb"):
                old.metadata["mystnb"] = new.metadata["mystnb"]
    nbformat.write(nb, ipynb)
