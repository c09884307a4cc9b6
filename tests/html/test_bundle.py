"""The offline bundle the site links: a reader with only the website can run a lecture.

The slow test does what the bundle's README tells a reader: it unpacks the zip into an
empty folder, runs the README's commands (a fresh virtual environment, the wheel and the
lock, then one lecture executed in place) and compares the lecture's new outputs with the
stored ones under the regression comparator. The pip cache may serve the packages.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest
from built_site import HTML, ROOT, page_tree, toc_entries

sys.path.insert(0, str(ROOT / "tools"))

from bundle import BUNDLE_FILE, BUNDLE_NAME, EXAMPLE_LECTURE  # noqa: E402
from notebook_pipeline import review  # noqa: E402

BUNDLE = HTML / BUNDLE_FILE



@pytest.fixture(scope="session")
def bundle() -> zipfile.ZipFile:
    if not BUNDLE.exists():
        pytest.fail(f"no {BUNDLE_FILE} in the built site: run `python3.11 tools/dev.py book`")
    with zipfile.ZipFile(BUNDLE) as archive:
        yield archive


def _readme_commands(readme: str) -> list[str]:
    """The commands of the README's first bash block (the ones that run a lecture)."""
    block = re.search(r"```bash\n(.*?)```", readme, re.DOTALL)
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_every_lecture_page_and_how_to_use_link_the_bundle():
    pages = [e for e in toc_entries() if e.startswith("notebooks/")] + ["book/how-to-use"]
    unlinked = []
    for entry in pages:
        links = [href for href in page_tree(entry).xpath("//a/@href")
                 if href.endswith(BUNDLE_FILE)]
        if links != [f"../{BUNDLE_FILE}"] * len(links) or not links:
            unlinked.append((entry, links))
    assert not unlinked, unlinked


def test_bundle_holds_every_lecture_pair_the_wheel_the_lock_and_a_readme(bundle):
    names = set(bundle.namelist())
    lectures = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    missing = [f"{BUNDLE_NAME}/notebooks/{stem}{suffix}" for stem in lectures
               for suffix in (".ipynb", ".md")
               if f"{BUNDLE_NAME}/notebooks/{stem}{suffix}" not in names]
    assert not missing, missing
    assert {f"{BUNDLE_NAME}/README.md", f"{BUNDLE_NAME}/constraints.txt",
            f"{BUNDLE_NAME}/notebooks/jupytext.toml"} <= names
    assert [n for n in names if n.endswith(".whl")], "no helpers wheel in the bundle"


def test_following_the_bundle_readme_reproduces_a_lecture(bundle, tmp_path):
    bundle.extractall(tmp_path)
    folder = tmp_path / BUNDLE_NAME
    commands = _readme_commands((folder / "README.md").read_text(encoding="utf-8"))
    assert any(EXAMPLE_LECTURE in command for command in commands), commands
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    # pip's byte-compilation of every installed module (17,000 files, half of the install's
    # CPU time) is pip configuration, not one of the README's steps; the lecture compiles
    # what it imports. (PIP_COMPILE=0 is --no-compile; PIP_NO_COMPILE=1 turns it *on*.)
    env["PIP_COMPILE"] = "0"
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=folder, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    name = f"{EXAMPLE_LECTURE}.ipynb"
    stored = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    new = nbformat.read(folder / "notebooks" / name, as_version=4)
    result = review(stored, new, EXAMPLE_LECTURE)
    assert not result.changes, result.describe()
    assert result.kept_cells > 10, "too few cells compared"
