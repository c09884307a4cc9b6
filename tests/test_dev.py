"""tools/dev.py: the second CPU kernel path and the selection of gates and lectures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dev
import pytest

PROBE = """
import json, numpy._core._multiarray_umath as u, scipy.linalg, torch
from threadpoolctl import threadpool_info
print(json.dumps({
    "torch": torch.backends.cpu.get_cpu_capability(),
    "openblas": sorted({i.get("architecture") or "" for i in threadpool_info()
                        if i.get("internal_api") == "openblas"}),
    "numpy": sorted(k for k, v in u.__cpu_features__.items() if v and k.startswith("X86_V")),
}))
"""


def _kernel_paths(env):
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def test_second_kernel_path_differs_from_the_native_one_in_every_library():
    native = _kernel_paths(dev.notebook_env())
    second = _kernel_paths(dev.portable_env())
    assert second["openblas"] != native["openblas"]
    assert second["numpy"] != native["numpy"]
    if native["torch"] != "DEFAULT":
        assert second["torch"] != native["torch"]


def test_second_pass_runs_as_plain_jupyter_with_another_hash_seed():
    env = dev.portable_env()
    assert env["PYTHONHASHSEED"] != dev.notebook_env()["PYTHONHASHSEED"]
    assert "OMP_NUM_THREADS" not in env and "MKL_NUM_THREADS" not in env
    assert env["CS329P_NETGUARD"] == "1"


def test_nbval_command_for_one_lecture_names_its_notebook():
    command = dev.nbval_command(["05-3"])
    assert command[-1] == "notebooks/05-3-boosting.ipynb"
    assert "-n" not in command


def test_nbval_command_for_all_lectures_uses_two_workers_by_file():
    command = dev.nbval_command()
    assert command[-1] == "notebooks"
    assert command[command.index("--dist") + 1] == "loadfile"


def test_lock_holds_exactly_what_the_project_and_its_dev_extra_need():
    lock = {}
    for line in (dev.ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            lock[line.split("==")[0].lower().replace("_", "-").replace(".", "-")] = line
    needed = {name: pin.replace("+cpu", "") for name, pin in dev.locked_distributions().items()}
    assert sorted(needed) == sorted(lock), "regenerate it: python3.11 tools/dev.py lock"
    assert {n: p.split("==")[1] for n, p in needed.items()} == {
        n: p.split("==")[1] for n, p in lock.items()}


class _FakeDistribution:
    def __init__(self, name: str, requires: list[str]) -> None:
        self.metadata = {"Name": name}
        self.version = "1.0"
        self.requires = requires


def test_lock_leaves_out_what_only_the_cuda_build_of_torch_requires(monkeypatch):
    from importlib import metadata

    requires = {
        "cs329p-book": ["torch"],
        "torch": ["filelock", 'nvidia-cublas; platform_system == "Linux"',
                  'cuda-toolkit[cublas]==13.0.3; platform_system == "Linux"', "triton"],
        "filelock": [],
    }
    fake = {name: _FakeDistribution(name, reqs) for name, reqs in requires.items()}
    fake.update({name: _FakeDistribution(name, []) for name in
                 ("nvidia-cublas", "cuda-toolkit", "triton")})
    monkeypatch.setattr(metadata, "distribution", lambda name: fake[name])
    assert sorted(dev.locked_distributions(extras=())) == ["filelock", "torch"]


def _fake_book(monkeypatch, tmp_path, code: str) -> None:
    monkeypatch.setattr(dev, "book_command", lambda: [sys.executable, "-c", code])
    monkeypatch.setattr(dev, "BUILD_DIR", tmp_path)
    monkeypatch.setattr(dev.BackgroundBook, "LOG", tmp_path / "book-build.log")


def test_background_book_build_prints_its_log_and_returns_its_exit_code(
        monkeypatch, tmp_path, capsys):
    _fake_book(monkeypatch, tmp_path, "import sys; print('WARNING: a'); sys.exit(3)")
    assert dev.BackgroundBook().wait() == 3
    assert "WARNING: a" in capsys.readouterr().out


def test_background_book_build_is_stopped_when_the_test_command_ends_early(
        monkeypatch, tmp_path):
    _fake_book(monkeypatch, tmp_path, "import time; time.sleep(60)")
    book = dev.BackgroundBook()
    book.stop()
    assert book._process.poll() is not None


SUMMARY = """=== gate: unit tests and book checks
12 passed
=== summary
lint                                     ok         0.5 s
unit tests and book checks               ok       155.8 s
notebook regression (nbval)              FAILED   272.5 s
strict book build                        ok         0.0 s  (waited for; built beside)
"""


def test_bench_reads_each_gate_time_and_status_from_the_test_summary():
    assert dev.gate_times(SUMMARY) == [
        ("lint", "ok", 0.5), ("unit tests and book checks", "ok", 155.8),
        ("notebook regression (nbval)", "FAILED", 272.5), ("strict book build", "ok", 0.0)]


def test_bench_ignores_gate_lines_before_the_summary():
    assert dev.gate_times(SUMMARY.replace("=== summary", "")) == []


def _missing_chromium(monkeypatch):
    monkeypatch.setattr(dev, "BROWSER_PACKAGES", {"chromium": lambda: False})
    monkeypatch.setattr(dev.os, "geteuid", lambda: 0)
    monkeypatch.setattr(dev.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.delenv(dev.BROWSER_INSTALL_PID, raising=False)


def _record_installs(monkeypatch) -> list[list[str]]:
    """The commands dev.py starts with Popen from now on (each runs `true` instead)."""
    started, popen = [], subprocess.Popen
    monkeypatch.setattr(dev.subprocess, "Popen",
                        lambda cmd, **kw: started.append(cmd) or popen(["true"]))
    return started


def test_missing_browser_packages_are_installed_in_the_background_once(monkeypatch):
    _missing_chromium(monkeypatch)
    started = _record_installs(monkeypatch)
    dev.start_browser_install()
    dev.start_browser_install()  # dev.py's second run, inside .venv after re-executing
    assert len(started) == 1
    assert "apt-get install -y -qq chromium" in started[0][-1]
    dev._wait_for_browser_install()


def test_ensure_chromium_does_not_repeat_a_background_install_that_failed(monkeypatch):
    _missing_chromium(monkeypatch)
    install = subprocess.Popen(["sleep", "0.3"])
    monkeypatch.setenv(dev.BROWSER_INSTALL_PID, str(install.pid))
    monkeypatch.setattr(dev.subprocess, "Popen", lambda *a, **k: pytest.fail("second apt-get"))
    assert not dev.ensure_chromium()
    with pytest.raises(ProcessLookupError):  # waited for and reaped
        os.kill(install.pid, 0)


def test_ensure_chromium_installs_in_the_foreground_when_nothing_was_started(monkeypatch):
    _missing_chromium(monkeypatch)
    started = _record_installs(monkeypatch)
    dev.ensure_chromium()
    assert len(started) == 1
    assert dev.BROWSER_INSTALL_PID not in dev.os.environ
