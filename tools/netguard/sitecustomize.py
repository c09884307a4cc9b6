"""Network guard: refuse every connection that leaves the machine.

``tools/dev.py`` puts this folder on ``PYTHONPATH`` (with ``CS329P_NETGUARD=1``)
for every process that executes a notebook, so each kernel imports it at start-up.
An audit hook then vets every ``socket.connect`` and DNS lookup: loopback and
Unix sockets pass; anything else raises ``ConnectionRefusedError`` naming the
destination, which fails the notebook and therefore the test. See tests/test_netguard.py.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard(event: str, args: tuple) -> None:
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) == socket.AF_UNIX:
            return
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(
                f"network guard: connection to {address!r} refused; the book runs offline "
                "(only 127.0.0.1 is allowed)"
            )
    elif event == "socket.getaddrinfo":
        host = args[0]
        if host is not None and not _is_loopback(host):
            raise ConnectionRefusedError(
                f"network guard: name lookup of {host!r} refused; the book runs offline"
            )


if os.environ.get("CS329P_NETGUARD") == "1":
    sys.addaudithook(_guard)
