"""tools/dev.py: the second CPU kernel path and the selection of gates and lectures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dev
import pytest
from notebook_pipeline import WAITING_FIRST, WAITING_LECTURES, nbval_order

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


def test_side_by_side_pass_runs_in_one_process_and_writes_no_cache():
    command = dev.nbval_command(side_by_side=True)
    assert command[-1] == "notebooks"
    assert "-n" not in command
    assert command[command.index("-p") + 1] == "no:cacheprovider"


@pytest.mark.parametrize("gate", ["nbval", "portable"])
def test_passes_side_by_side_run_the_waiting_lectures_first(gate):
    _, env = dev._gate_command(gate, [], None, side_by_side=True)
    assert env[WAITING_FIRST] == "1"
    _, alone = dev._gate_command(gate, [], None)
    assert WAITING_FIRST not in alone


def test_nbval_order_is_longest_first_unless_waiting_lectures_go_first():
    seconds = {"03-7-recurrent-neural-networks": 40.0, "01-3-web-scraping": 19.5,
               "07-1-label-shift": 5.4}
    assert sorted(seconds, key=lambda s: nbval_order(s, seconds[s])) == list(seconds)
    assert sorted(seconds, key=lambda s: nbval_order(s, seconds[s], True)) == [
        "01-3-web-scraping", "03-7-recurrent-neural-networks", "07-1-label-shift"]


def test_lectures_that_go_first_when_waiting_exist():
    lectures = {path.stem for path in (dev.ROOT / "notebooks").glob("*.ipynb")}
    assert set(WAITING_LECTURES) <= lectures


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


def test_background_gate_is_timed_to_its_own_end_not_to_the_wait(monkeypatch, tmp_path):
    clock = [100.0]  # a fake clock: the test moves it, nothing here measures real time
    monkeypatch.setattr(dev.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(dev, "BUILD_DIR", tmp_path)
    done = tmp_path / "done"
    until_done = f"import os, time\nwhile not os.path.exists({str(done)!r}): time.sleep(0.01)"
    gate = dev.BackgroundGate([sys.executable, "-c", until_done], tmp_path / "gate.log")
    clock[0] = 103.0
    done.touch()  # the gate ends at 103 and is waited for only at 200
    gate._watcher.join()
    clock[0] = 200.0
    assert gate.wait() == 0
    assert gate.seconds == 3.0


def _fake_gates(monkeypatch, tmp_path, failing: str = "") -> None:
    _fake_book(monkeypatch, tmp_path, "print('book log')")
    monkeypatch.setattr(dev, "ensure_chromium", lambda: True)

    def command(gate, names, keyword, side_by_side=False):
        code = f"print('{gate} log, side by side: {side_by_side}'); exit({gate == failing})"
        return [sys.executable, "-c", code], None

    monkeypatch.setattr(dev, "_gate_command", command)


def test_full_test_command_prints_each_gate_log_under_its_header_in_order(
        monkeypatch, tmp_path, capfd):
    _fake_gates(monkeypatch, tmp_path)
    assert dev.cmd_test([]) == 0
    lines = capfd.readouterr().out.splitlines()
    order = ["lint", "unit", "book", "nbval", "portable", "html"]
    expected = []
    for gate in order:
        log = "book log" if gate == "book" else (
            f"{gate} log, side by side: {gate in dev.SIDE_BY_SIDE}")
        expected += [f"=== gate: {dev.GATES[gate]}", log]
    assert [line for line in lines if line in expected] == expected


def test_full_test_command_summary_lists_every_gate_and_the_time_of_all(
        monkeypatch, tmp_path, capsys):
    _fake_gates(monkeypatch, tmp_path)
    dev.cmd_test([])
    out = capsys.readouterr().out
    assert sorted(gate for gate, _, _ in dev.gate_times(out)) == sorted(dev.GATES.values())
    assert dev.all_gates_seconds(out) > 0


def test_full_test_command_fails_naming_a_failed_side_by_side_gate(
        monkeypatch, tmp_path, capsys):
    _fake_gates(monkeypatch, tmp_path, failing="portable")
    assert dev.cmd_test([]) == 1
    statuses = {gate: status for gate, status, _ in dev.gate_times(capsys.readouterr().out)}
    assert statuses.pop(dev.GATES["portable"]) == "FAILED"
    assert set(statuses.values()) == {"ok"}


SUMMARY = """=== gate: unit tests and book checks
12 passed
=== summary
lint                                     ok         0.5 s
unit tests and book checks               ok       155.8 s
notebook regression (nbval)              FAILED   272.5 s
strict book build                        ok         0.0 s  (waited for; built beside)
all gates, start to end                            430.1 s
"""


def test_bench_reads_each_gate_time_and_status_from_the_test_summary():
    assert dev.gate_times(SUMMARY) == [
        ("lint", "ok", 0.5), ("unit tests and book checks", "ok", 155.8),
        ("notebook regression (nbval)", "FAILED", 272.5), ("strict book build", "ok", 0.0)]


def test_bench_ignores_gate_lines_before_the_summary():
    assert dev.gate_times(SUMMARY.replace("=== summary", "")) == []


def test_bench_reads_the_time_of_all_gates_from_the_test_summary():
    assert dev.all_gates_seconds(SUMMARY) == 430.1
    assert dev.all_gates_seconds(SUMMARY.replace("=== summary", "")) is None


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
