"""The offline bundle: everything a reader who has only the website needs to run a lecture.

``cs329p-bundle.zip`` holds, under one folder ``cs329p-bundle/``:

- ``notebooks/``: every lecture as ``.ipynb`` (with the stored outputs) and its ``.md`` twin,
  with ``jupytext.toml`` so the two stay paired;
- a wheel of the project (the ``helpers`` package; its ``run`` extra adds the notebook
  runner), built from this checkout;
- ``constraints.txt``, the lock every test ran against;
- ``README.md``, generated here: requirements and the commands that run a lecture.

The Sphinx extension writes it into the built site when a build finishes, so every lecture
page and the how-to-use page can link it. ``tests/html/test_bundle.py`` unpacks it into an
empty folder, follows the README in a fresh virtual environment and compares the executed
lecture with its stored outputs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE_NAME = "cs329p-bundle"
BUNDLE_FILE = f"{BUNDLE_NAME}.zip"
EXAMPLE_LECTURE = "07-1-label-shift"  # the shortest lecture
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-TEXT")

README = """\
# Practical Machine Learning (CS329P): the lectures, offline

This folder runs every lecture of the course book without the book's repository.

- `notebooks/`: each lecture as a notebook with the outputs shown on the website (`.ipynb`)
  and as MyST Markdown (`.md`, the same cells as text; `jupytext.toml` pairs the two).
- `{wheel}`: the `helpers` package the lectures import.
- `constraints.txt`: the exact version of every package the book was tested with.

## Requirements

- **Python 3.11 or 3.12** (the book is tested on both with this lock; with 3.12, type
  `python3.12` where the commands below say `python3.11`). If neither is installed: on
  Debian or Ubuntu `sudo apt install python3.11 python3.11-venv` (or the deadsnakes PPA
  on older Ubuntu), on macOS `brew install python@3.11`, anywhere
  `uv python install 3.11` or pyenv; on Windows the python.org installer.
- About 2 GB of disk for the environment, most of it PyTorch. No GPU: everything runs
  on the CPU, each lecture in under a minute.

## Run a lecture

From this folder:

```bash
python3.11 -m venv .venv
.venv/bin/python -m pip install --upgrade pip
.venv/bin/pip install -c constraints.txt "./{wheel}[run]"
.venv/bin/jupyter execute --inplace notebooks/{example}.ipynb
```

The second command replaces the pip that comes with Python 3.11, which takes about
twice as long to install the lock. The last command runs lecture {example}
and stores its new outputs in the notebook; replace the name to run another lecture
(`ls notebooks`). The numbers should equal the website's up to the last printed digit.
On Windows, use `.venv\\Scripts\\` instead of `.venv/bin/`.

**On Linux, install the CPU build of PyTorch first.** There, `pip install torch==2.13.0`
from PyPI brings the CUDA build and several GB of NVIDIA libraries that the book never
uses. Run this after the second command:

```bash
.venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
```

(macOS and Windows wheels on PyPI are CPU builds already.)

## Work in JupyterLab

```bash
.venv/bin/pip install jupyterlab==4.6.6
.venv/bin/jupyter lab notebooks/
```

Open a lecture's `.ipynb` and run all cells; edits to it are mirrored into its `.md`.
"""


def build_wheel(root: Path, out_dir: Path) -> Path:
    """Build the project's wheel from a clean copy of its sources (no build files in
    ``root``); return its path."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in PROJECT_FILES:
            if (root / name).exists():
                shutil.copy2(root / name, source / name)
        shutil.copytree(root / "helpers", source / "helpers",
                        ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--no-build-isolation", "--wheel-dir", str(out_dir), str(source)],
                       check=True)
    (wheel,) = out_dir.glob("*.whl")
    return wheel


def build_bundle(root: Path, target: Path) -> Path:
    """Write the bundle zip to ``target`` (a file path) and return it."""
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(root, Path(tmp))
        readme = README.format(wheel=wheel.name, example=EXAMPLE_LECTURE)
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr(f"{BUNDLE_NAME}/README.md", readme)
            bundle.write(wheel, f"{BUNDLE_NAME}/{wheel.name}")
            bundle.write(root / "constraints.txt", f"{BUNDLE_NAME}/constraints.txt")
            notebooks = root / "notebooks"
            bundle.write(notebooks / "jupytext.toml", f"{BUNDLE_NAME}/notebooks/jupytext.toml")
            for path in sorted(notebooks.glob("*.ipynb")) + sorted(notebooks.glob("*.md")):
                bundle.write(path, f"{BUNDLE_NAME}/notebooks/{path.name}")
    return target


if __name__ == "__main__":
    print(build_bundle(ROOT, ROOT / "_build" / BUNDLE_FILE))
