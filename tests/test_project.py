"""Checks on the project as a whole: table of contents, pins, self-containment, CI."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part.get("chapters", [])]
    return files


def _tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / f for f in out]


def test_every_toc_entry_has_a_source_file():
    for entry in _toc_files():
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(p.exists() for p in candidates), f"_toc.yml lists missing {entry}"


def test_every_lecture_is_in_the_toc():
    listed = set(_toc_files())
    for md in (ROOT / "notebooks").glob("*.md"):
        assert f"notebooks/{md.stem}" in listed, f"{md.name} is not in _toc.yml"


def test_toc_lists_lectures_in_course_order():
    lectures = [f for f in _toc_files() if f.startswith("notebooks/")]
    assert lectures == sorted(lectures)


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = {}
    for req in reqs:
        name, _, version = req.partition("==")
        assert version, f"pyproject.toml: {req!r} is not pinned with =="
        pins[name.lower()] = version
    return pins


def _environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {}
    for req in pip_section:
        if req.startswith("-"):
            continue
        name, _, version = req.partition("==")
        pins[name.lower()] = version
    return pins


def test_environment_yml_pins_the_same_packages_as_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_environment_yml_uses_python_3_11():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_lock_file_agrees_with_pyproject_pins():
    lock = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[name.lower().replace("_", "-")] = version
    for name, version in _pyproject_pins().items():
        assert lock.get(name.replace("_", "-")) == version, f"{name}: lock vs pyproject"


def test_torch_and_jupyter_book_are_pinned_as_required():
    pins = _pyproject_pins()
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1.")


def test_project_never_reads_the_shared_folder():
    folder = "sha" + "red"  # spelled apart so this test does not match itself
    pattern = re.compile(rf"\.\./{folder}\b|/work/{folder}\b")
    offenders = [str(p.relative_to(ROOT)) for p in _tracked_files()
                 if p.suffix in {".py", ".md", ".yml", ".toml", ".cfg", ".txt", ""}
                 and p.is_file() and pattern.search(p.read_text(errors="ignore"))]
    assert not offenders, offenders


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", quick, re.S).group(1)
    return [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]


def test_readme_quick_start_has_exactly_two_commands():
    assert len(_readme_commands()) == 2


def test_ci_runs_the_readme_test_command():
    test_command = _readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci


def test_no_generated_files_are_tracked():
    bad = [p for p in _tracked_files()
           if any(part in {"_build", ".venv", "__pycache__", ".ipynb_checkpoints"}
                  for part in p.relative_to(ROOT).parts) or p.suffix == ".pyc"]
    assert not bad, bad


def test_toc_is_the_generated_one():
    from toc import render_toc

    assert (ROOT / "_toc.yml").read_text() == render_toc(ROOT / "notebooks"), (
        "run: python3.11 tools/dev.py toc")


def _ruff_on_lecture_cell(tmp_path: Path, line: str) -> str:
    """Lint a one-cell notebook with the lectures' ruff settings; return ruff's output."""
    path = tmp_path / "lecture.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(line)]), path)
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format",
            "concise", "--config", str(ROOT / "notebooks" / "ruff.toml"), str(path)]
    return subprocess.run(ruff, capture_output=True, text=True).stdout


def test_lint_refuses_a_lecture_code_line_over_88_characters(tmp_path):
    line = "x = " + "1 + " * 20 + "1" * 5  # 89 characters
    assert len(line) == 89
    assert "E501" in _ruff_on_lecture_cell(tmp_path, line)


def test_lint_checks_only_the_line_width_of_lecture_cells(tmp_path):
    assert "All checks passed" in _ruff_on_lecture_cell(tmp_path, "import os")
