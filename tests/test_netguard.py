"""The network guard that notebook kernels run under refuses non-loopback traffic."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run_guarded(code: str) -> subprocess.CompletedProcess:
    from dev import notebook_env

    env = notebook_env()
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=60)


def test_guard_refuses_connections_to_public_addresses():
    result = _run_guarded("""
        import socket
        s = socket.socket()
        s.settimeout(1)
        s.connect(("93.184.216.34", 80))
    """)
    assert result.returncode != 0
    assert "network guard: connection to" in result.stderr


def test_guard_refuses_dns_lookups_of_remote_hosts():
    result = _run_guarded("""
        import socket
        socket.getaddrinfo("pypi.org", 443)
    """)
    assert "network guard: name lookup of 'pypi.org' refused" in result.stderr


def test_guard_refuses_http_clients():
    result = _run_guarded("""
        import urllib.request
        urllib.request.urlopen("http://example.com", timeout=2)
    """)
    assert result.returncode != 0
    assert "network guard" in result.stderr


def test_guard_allows_loopback_servers():
    result = _run_guarded("""
        import socket, threading
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        threading.Thread(target=lambda: server.accept()[0].sendall(b"ok"), daemon=True).start()
        client = socket.create_connection(("localhost", port), timeout=5)
        print(client.recv(2).decode())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"



def test_notebook_kernels_run_under_the_guard(tmp_path):
    from dev import notebook_env
    from nbclient.exceptions import CellExecutionError
    from notebook_pipeline import execute_notebook

    md = tmp_path / "probe.md"
    md.write_text(textwrap.dedent("""\
        ---
        kernelspec:
          display_name: Python 3
          language: python
          name: python3
        ---

        ```{code-cell} ipython3
        import urllib.request
        urllib.request.urlopen("http://example.com", timeout=2)
        ```
        """))
    try:
        execute_notebook(md, env=notebook_env())
    except CellExecutionError as err:
        assert "network guard" in str(err)
    else:
        raise AssertionError("a kernel reached the network")
