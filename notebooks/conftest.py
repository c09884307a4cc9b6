"""nbval, with the book's output comparison and failure messages a person can act on.

Loaded by pytest whenever it collects the lecture notebooks in this folder (the
regression gate of ``python3.11 tools/dev.py test``). It replaces two methods of
nbval's cell item:

- ``compare_outputs``: text exactly, numbers within their printed precision, claim
  records field by field (the rules are in ``tools/nbcompare.py``);
- ``repr_failure``: names the lecture, the section heading and the first line of the
  cell, and labels stored and new values.

It also makes ``--nbval-current-env`` kernels pre-forked (``tools/forkkernel.py``): one
server per pytest process imports the heavy libraries once and forks each lecture's
kernel from it. ``CS329P_FORKKERNEL=0`` turns that off.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))

import forkkernel  # noqa: E402
import nbcompare  # noqa: E402
import nbformat  # noqa: E402
from notebook_pipeline import RECORD_KEY, WAITING_FIRST, nbval_order  # noqa: E402

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


def _start_fork_server() -> None:
    """Start this process's kernel server and point the kernels' stand-ins at it."""
    folder = tempfile.mkdtemp(prefix="cs329p-kernels-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = str(Path(folder) / "socket")
    server = subprocess.Popen([sys.executable, forkkernel.__file__, "serve", path],
                              stdout=subprocess.PIPE, start_new_session=True)
    if server.stdout.readline().strip() != b"ready":
        raise RuntimeError("the pre-forking kernel server did not start; run with "
                           f"{forkkernel.SOCKET_VARIABLE}=0 to use plain kernels")
    atexit.register(os.killpg, server.pid, signal.SIGKILL)
    os.environ[forkkernel.SOCKET_VARIABLE] = path


def _forked_kernel_spec(get_kernel_spec):
    """Wrap nbval's kernel-spec lookup: its current-env kernel runs via the stand-in."""
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME

    def lookup(self, kernel_name):
        spec = get_kernel_spec(self, kernel_name)
        if kernel_name != CURRENT_ENV_KERNEL_NAME:
            return spec
        if not os.environ.get(forkkernel.SOCKET_VARIABLE):
            _start_fork_server()
        spec.argv = [sys.executable, forkkernel.__file__, "-f", "{connection_file}"]
        return spec

    return lookup


@functools.cache
def _stored_seconds(path: str) -> float:
    record = nbformat.read(path, as_version=4).metadata.get(RECORD_KEY, {})
    return record.get("execution_seconds") or 0.0


def pytest_collection_modifyitems(config, items):
    """Longest lecture first (its stored execution time), each lecture's cells in order:
    with ``--dist loadfile --no-loadscope-reorder`` the two workers finish together. In
    the passes of the full test command, the lectures that mostly wait go first
    (``notebook_pipeline.nbval_order``)."""
    if getattr(config.option, "nbval", False):
        waiting_first = os.environ.get(WAITING_FIRST) == "1"
        items.sort(key=lambda item: nbval_order(Path(str(item.fspath)).stem,
                                                _stored_seconds(str(item.fspath)),
                                                waiting_first))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return
    from nbval.plugin import IPyNbCell

    IPyNbCell.compare_outputs = _compare_outputs
    IPyNbCell.repr_failure = _repr_failure
    if os.environ.get(forkkernel.SOCKET_VARIABLE) != "0":
        from nbval.kernel import NbvalKernelspecManager

        NbvalKernelspecManager.get_kernel_spec = _forked_kernel_spec(
            NbvalKernelspecManager.get_kernel_spec)
