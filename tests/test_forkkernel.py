"""The pre-forked kernels of the nbval gates (tools/forkkernel.py) behave like plain ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import forkkernel
import pytest
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager

SCRIPT = str(Path(forkkernel.__file__))
STAND_IN = [sys.executable, SCRIPT, "-f", "{connection_file}"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fork") / "socket")
    process = subprocess.Popen([sys.executable, SCRIPT, "serve", path],
                               stdout=subprocess.PIPE, start_new_session=True)
    assert process.stdout.readline().strip() == b"ready"
    yield path
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _start(socket_path: str, cwd: Path) -> tuple[KernelManager, object]:
    manager = KernelManager()
    manager._kernel_spec = KernelSpec(argv=STAND_IN, display_name="fork", language="python")
    env = dict(os.environ, **{forkkernel.SOCKET_VARIABLE: socket_path},
               CS329P_PROBE="probe-value")
    manager.start_kernel(cwd=str(cwd), env=env)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def _run(client, code: str) -> list[str]:
    """The lines the code printed (and the error name, if it raised)."""
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.extend(msg["content"]["text"].splitlines())
        elif msg["msg_type"] == "error":
            out.append(msg["content"]["ename"])

    client.execute_interactive(code, output_hook=hook, timeout=60)
    return out


def _parent_command(client) -> str:
    code = "import os\nprint(open(f'/proc/{os.getppid()}/cmdline').read().split(chr(0))[2])"
    return _run(client, code)[0]


def test_kernel_is_forked_from_the_server_with_the_stand_ins_place_and_environment(
        server, tmp_path):
    manager, client = _start(server, tmp_path)
    try:
        assert _parent_command(client) == "serve"
        code = ("import os, sys\nprint(os.getcwd())\nprint(os.environ['CS329P_PROBE'])\n"
                f"print('{forkkernel.SOCKET_VARIABLE}' in os.environ)\n"
                "print('numpy' in sys.modules)")
        assert _run(client, code) == [str(tmp_path), "probe-value", "False", "True"]
    finally:
        manager.shutdown_kernel(now=True)


def test_interrupt_reaches_the_forked_kernel(server, tmp_path):
    manager, client = _start(server, tmp_path)
    try:
        client.execute("import time; time.sleep(60)")
        time.sleep(1)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=20)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        manager.shutdown_kernel(now=True)


def test_kernel_dies_when_its_stand_in_is_killed(server, tmp_path):
    manager, client = _start(server, tmp_path)
    pid = int(_run(client, "import os; print(os.getpid())")[0])
    manager.shutdown_kernel(now=True)  # SIGKILL to the stand-in, not to the kernel
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "the forked kernel outlived its stand-in"


def test_stand_in_without_a_server_is_a_plain_kernel(tmp_path):
    manager, client = _start(str(tmp_path / "no-such-socket"), tmp_path)
    try:
        assert _parent_command(client) != "serve"
        assert _run(client, "print(6 * 7)") == ["42"]
    finally:
        manager.shutdown_kernel(now=True)
