"""Pre-forked IPython kernels for the nbval gates: import the heavy libraries once.

Every lecture starts a fresh kernel, which spends about 3 s importing IPython, NumPy,
pandas, scikit-learn, matplotlib and torch before its first cell runs; over two nbval
passes of 36 lectures that is about a fifth of the test command. Here one *server*
process per pytest worker imports them once and, for each kernel the gate asks for,
forks a child that becomes an ordinary ipykernel (same environment, same working
directory, same standard streams). The child starts with the libraries already
imported, as a kernel would be after its first import cell; every lecture still gets
a new process and a clean namespace.

Two halves, one file:

- ``python forkkernel.py serve SOCKET`` is the server. It is started by
  ``notebooks/conftest.py`` with the gate's environment, so the CPU kernel path
  (``ATEN_CPU_CAPABILITY``, ``OPENBLAS_CORETYPE``, ``NPY_DISABLE_CPU_FEATURES``), hash
  seed and thread variables that libraries read at import are the pass's own.
- ``python forkkernel.py -f CONNECTION_FILE`` is what the kernel spec launches: a small
  stand-in process that jupyter_client manages as "the kernel". It hands its
  environment, working directory and standard streams to the server, forwards
  interrupt and terminate signals to the forked kernel, and exits when it does. If the
  server is not there (``CS329P_FORKKERNEL`` unset or its socket gone), it becomes a
  plain ``python -m ipykernel_launcher``.

When the stand-in dies (killed by jupyter_client), the kernel sees its connection
close and kills itself, so no kernel outlives the gate. Set ``CS329P_FORKKERNEL=0``
in the environment of ``dev.py test`` to run the gates with plain kernels.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import json
import os
import signal
import socket
import sys
import threading

SOCKET_VARIABLE = "CS329P_FORKKERNEL"
"""Environment variable holding the server's socket path (``0`` turns forking off)."""

PRELOAD = (
    "ipykernel.kernelapp",
    "numpy",
    "pandas",
    "scipy.stats",
    "sklearn.datasets",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.tree",
    "matplotlib.pyplot",
    "torch",
    "torch._dynamo",
)
"""Modules the server imports once; each is imported by most lectures (``torch._dynamo``
by the first torch optimizer a lecture creates: about 1 s of CPU in each of them)."""

_STREAMS = 3  # stdin, stdout, stderr


# --------------------------------------------------------------------------- server


def serve(path: str) -> None:
    """Import :data:`PRELOAD`, then fork a kernel for every request on ``path``."""
    # what ipykernel does before the shell exists, so matplotlib picks the same backend
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    _die_with_parent()
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen()
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, _STREAMS)
        if os.fork() == 0:
            server.close()
            _become_kernel(conn, json.loads(message), fds)
        for fd in fds:
            os.close(fd)
        conn.close()


def _become_kernel(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: take the stand-in's streams, place and environment, run."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.pop(SOCKET_VARIABLE, None)
    sys.argv = request["argv"]
    del sys.path[0]  # this script's folder, as ipykernel_launcher drops its own
    threading.Thread(target=_die_with_stand_in, args=(conn,), daemon=True).start()
    atexit.register(conn.send, b"exit")  # registered first, so it runs last
    conn.send(json.dumps({"pid": os.getpid()}).encode())
    from ipykernel import kernelapp

    # parent_handle=1: no parent poller (its parent is this server, not the client that
    # started the stand-in; the thread above does that job) and no "Ctrl-C" banner
    kernelapp.launch_new_instance(argv=[*sys.argv[1:], "--IPKernelApp.parent_handle=1"])
    sys.exit(0)


def _die_with_parent() -> None:
    """Linux: the server gets SIGKILL when the pytest process that started it dies."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _die_with_stand_in(conn: socket.socket) -> None:
    while conn.recv(16):
        pass
    os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- stand-in


def stand_in(argv: list[str]) -> int:
    """Ask the server for a kernel; relay signals to it; exit when it exits."""
    path = os.environ.get(SOCKET_VARIABLE, "")
    client = os.getppid()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        conn.connect(path)
    except OSError:  # no server: be a plain kernel
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])
    launcher = importlib.util.find_spec("ipykernel_launcher").origin
    request = {"cwd": os.getcwd(), "env": dict(os.environ), "argv": [launcher, *argv]}
    socket.send_fds(conn, [json.dumps(request).encode()], list(range(_STREAMS)))
    pid = json.loads(conn.recv(1 << 16))["pid"]
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, lambda received, _frame: os.kill(pid, received))
    conn.settimeout(1.0)
    while True:
        try:
            message = conn.recv(16)
        except TimeoutError:  # a plain kernel polls its client the same way
            if os.getppid() != client:
                os.kill(pid, signal.SIGKILL)
                return 1
            continue
        if message == b"exit":
            return 0
        if not message:  # the kernel died without exiting normally
            return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2])
    else:
        sys.exit(stand_in(sys.argv[1:]))
