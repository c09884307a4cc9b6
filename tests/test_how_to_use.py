"""The how-to-use page's shell commands, run the way a reader runs them: in a fresh clone.

Every command on the page (inline code or a bash block that starts with a shell program)
is either run, in page order, in a fresh clone of this repository, or excused below with
the reason it cannot run here. ``NAME`` stands for the example lecture. The clone gets the
working tree's uncommitted changes (so a maintainer tests what they are editing) and
shares this checkout's ``.venv`` through a symbolic link: the set-up a first command
performs is exercised by the test command itself, from a fresh clone in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import dev
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "how-to-use.md"
EXAMPLE = "07-1"  # the shortest lecture: the page runs it four times
PROGRAMS = ("python3.11 ", "python ", "pip ", ".venv/bin/", "git ", "sudo ", "brew ", "uv ",
            "conda ", "pyenv ", "jupyter ")

EXCUSED = {
    "sudo apt install python3.11 python3.11-venv": "installs system packages (root, network)",
    "brew install python@3.11": "macOS only",
    "uv python install 3.11": "downloads Python from the network",
    "pip install torch==2.13.0": "the CUDA build the page warns about (several GB)",
    "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu":
        "download.pytorch.org is outside the package registries this machine can reach",
    ".venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu":
        "download.pytorch.org is outside the package registries this machine can reach",
    "python3.11 -m venv .venv": "the clone shares this checkout's environment (see above)",
    "jupyter execute": "names the bundle's command; tests/html/test_bundle.py runs the "
                       "bundle README's full command",
    "python3.11 tools/dev.py book": "the test command's book gate runs this build",
    "python3.11 tools/dev.py lab": "opens a browser UI",
    "python3.11 tools/dev.py test": "the test command itself",
    "conda env create -f environment.yml && conda activate cs329p":
        "no conda here; a unit test checks environment.yml against pyproject.toml",
}


TOKENS = re.compile(r"```bash\n(?P<block>.*?)```|```.*?```|`(?P<span>[^`]+)`", re.DOTALL)


def shell_commands(markdown: str) -> list[str]:
    """Every shell command on the page, in page order, comments dropped, NAME as written."""
    commands = []
    for match in TOKENS.finditer(markdown):
        if match.group("block"):
            texts = [line.split("  #")[0].strip() for line in match.group("block").splitlines()]
        elif match.group("span"):
            texts = [" ".join(match.group("span").split())]
        else:
            continue  # a fence of another language
        commands += [t for t in texts if t.startswith(PROGRAMS) and t not in commands]
    return commands


def test_every_command_on_the_page_is_run_or_excused_with_a_reason():
    commands = shell_commands(PAGE.read_text(encoding="utf-8"))
    assert len(commands) >= 10, commands
    stale = set(EXCUSED) - set(commands)
    assert not stale, f"excused commands no longer on the page: {sorted(stale)}"


@pytest.fixture
def clone(tmp_path) -> Path:
    # a set-up run from the clone would re-install the shared environment's editable
    # helpers pointing at the clone, which is deleted after the test
    if not dev.STAMP.exists() or dev.STAMP.read_text() != dev._requirements_digest():
        pytest.fail("the environment does not match this checkout's lock; run "
                    "`python3.11 tools/dev.py setup` first")
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=ROOT, check=True,
                          capture_output=True).stdout
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=target, input=diff,
                       check=True)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


@pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")
def test_the_page_commands_run_in_a_fresh_clone(clone):
    commands = list(dict.fromkeys(c.replace("NAME", EXAMPLE) for c in
                                  shell_commands(PAGE.read_text(encoding="utf-8"))
                                  if c not in EXCUSED))
    assert any("execute --accept" in c for c in commands), commands
    env = dict(os.environ, PATH=f"{clone / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=clone, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, (f"`{command}` failed in a fresh clone:\n"
                                      f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
