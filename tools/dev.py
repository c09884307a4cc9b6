"""One entry point for setting up, executing, building and testing the book.

Run it with any Python 3.11 interpreter; it creates and updates the project's
virtual environment in ``.venv`` and re-runs itself inside it::

    python3 tools/dev.py book             # set up if needed, build the book
    python3 tools/dev.py test             # set up if needed, run every gate
    python3 tools/dev.py execute [NAME]   # re-execute one or all notebooks
    python3 tools/dev.py sync NAME        # copy prose-only edits of NAME.md into NAME.ipynb
    python3 tools/dev.py toc              # regenerate _toc.yml from notebooks/
    python3 tools/dev.py bench            # measure run times against the budgets
    python3 tools/dev.py lock             # rewrite constraints.txt from .venv

See README.md for what each gate checks.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".cs329p-stamp"
BUILD_DIR = ROOT / "_build"
HTML_INDEX = BUILD_DIR / "html" / "index.html"

# The environment every notebook runs in, whether executed, tested or rendered:
# deterministic hashing and threading, offline Hugging Face libraries, and the
# network guard (tools/netguard/sitecustomize.py) that refuses non-loopback connections.
NOTEBOOK_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "CS329P_NETGUARD": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def notebook_env() -> dict[str, str]:
    """Return os.environ plus the notebook settings and the network guard on PYTHONPATH."""
    env = dict(os.environ)
    env.update(NOTEBOOK_ENV)
    guard = str(ROOT / "tools" / "netguard")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (guard, env.get("PYTHONPATH", "")) if p)
    return env


# --------------------------------------------------------------------------- set-up


def _requirements_digest() -> str:
    h = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_venv() -> None:
    """Create ``.venv`` and install the pinned dependencies when they changed."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Python 3.11 is required, this is {sys.version.split()[0]}")
    digest = _requirements_digest()
    if STAMP.exists() and STAMP.read_text() == digest and VENV_PYTHON.exists():
        return
    t0 = time.perf_counter()
    if not VENV_PYTHON.exists():
        print(f"[setup] creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("[setup] installing pinned dependencies (constraints.txt)", flush=True)
    subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[dev]"],
        check=True,
    )
    STAMP.write_text(digest)
    print(f"[setup] done in {time.perf_counter() - t0:.0f} s", flush=True)


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def reexec_in_venv(argv: list[str]) -> None:
    ensure_venv()
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *argv])


# --------------------------------------------------------------------------- commands


def run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def cmd_execute(names: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_pipeline import execute_notebook, find_notebooks

    paths = find_notebooks(ROOT / "notebooks", names)
    for md in paths:
        seconds = execute_notebook(md, env=notebook_env())
        print(f"[execute] {md.relative_to(ROOT)}: {seconds:.1f} s", flush=True)
    return 0


def cmd_book() -> int:
    code = run([str(VENV / "bin" / "jupyter-book"), "build", str(ROOT),
                "--path-output", str(ROOT), "-W", "-n", "--keep-going"])
    if code == 0:
        print(f"\nBook built: {HTML_INDEX}")
    return code


def ensure_chromium() -> bool:
    """Make Debian's chromium available for the browser checks; False if impossible."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("[setup] installing chromium (Debian package) for the browser checks", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env,
                       stdout=subprocess.DEVNULL)
    return bool(shutil.which("chromium"))


def nbval_command() -> list[str]:
    return [str(VENV_PYTHON), "-m", "pytest", "-q", "--nbval", "--nbval-current-env",
            "--nbval-sanitize-with", "nbval_sanitize.cfg", "-n", "2", "--dist", "loadfile",
            "notebooks"]


def cmd_test() -> int:
    py = str(VENV_PYTHON)
    gates: list[tuple[str, list[str], dict[str, str] | None]] = [
        ("lint", [py, "-m", "ruff", "check", "."], None),
        ("unit tests and book checks", [py, "-m", "pytest", "-q", "-n", "2", "tests"],
         notebook_env()),
        ("notebook regression (nbval)", nbval_command(), notebook_env()),
    ]
    failed = []
    timings = []
    for name, cmd, env in gates:
        t0 = time.perf_counter()
        print(f"\n=== gate: {name}", flush=True)
        if run(cmd, env) != 0:
            failed.append(name)
        timings.append((name, time.perf_counter() - t0))
    t0 = time.perf_counter()
    print("\n=== gate: strict book build", flush=True)
    if cmd_book() != 0:
        failed.append("strict book build")
    timings.append(("strict book build", time.perf_counter() - t0))
    if "strict book build" not in failed:
        t0 = time.perf_counter()
        print("\n=== gate: built HTML checks (and headless browser)", flush=True)
        if not ensure_chromium():
            print("WARNING: chromium is not available and could not be installed; "
                  "the browser checks are skipped", flush=True)
        if run([py, "-m", "pytest", "-q", "-rs", "tests/html"]) != 0:
            failed.append("built HTML checks")
        timings.append(("built HTML checks", time.perf_counter() - t0))
    print("\n=== summary")
    for name, seconds in timings:
        status = "FAILED" if name in failed else "ok"
        print(f"{name:32s} {status:7s} {seconds:6.1f} s")
    return 1 if failed else 0


def cmd_bench() -> int:
    """Measure every budget of DESIGN.md on this machine and print them."""
    import statistics

    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_pipeline import execute_notebook, find_notebooks

    times = {}
    for md in find_notebooks(ROOT / "notebooks"):
        times[md.stem] = execute_notebook(md, env=notebook_env())
    t0 = time.perf_counter()
    nbval_ok = run(nbval_command(), notebook_env()) == 0
    nbval_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    book_ok = cmd_book() == 0
    book_s = time.perf_counter() - t0
    median = statistics.median(times.values())
    print("\n=== benchmark (budgets from DESIGN.md)")
    for name, seconds in times.items():
        print(f"{name:48s} {seconds:6.1f} s  {'ok' if seconds <= 60 else 'OVER 60 s'}")
    print(f"{'median notebook':48s} {median:6.1f} s  {'ok' if median <= 15 else 'OVER 15 s'}")
    print(f"{'nbval pass, 2 workers':48s} {nbval_s:6.1f} s  "
          f"{'ok' if nbval_s <= 480 else 'OVER 8 min'}{'' if nbval_ok else ' (FAILED)'}")
    print(f"{'book build':48s} {book_s:6.1f} s  "
          f"{'ok' if book_s <= 90 else 'OVER 90 s'}{'' if book_ok else ' (FAILED)'}")
    return 0 if nbval_ok and book_ok else 1


def cmd_sync(names: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_pipeline import find_notebooks, sync_prose

    for md in find_notebooks(ROOT / "notebooks", names):
        sync_prose(md)
        print(f"[sync] {md.relative_to(ROOT)}: prose copied, outputs kept", flush=True)
    return 0


def cmd_toc() -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from toc import render_toc

    (ROOT / "_toc.yml").write_text(render_toc(ROOT / "notebooks"))
    print("wrote _toc.yml")
    return 0


def cmd_lock() -> int:
    out = subprocess.run([str(VENV_PYTHON), "-m", "pip", "freeze", "--exclude-editable"],
                         check=True, capture_output=True, text=True).stdout
    lines = [ln.replace("+cpu", "") for ln in out.splitlines() if ln and not ln.startswith("-e")]
    header = ("# Lock file: every package of a tested install, pinned. Generated by\n"
              "# `python tools/dev.py lock`; used as pip constraints by tools/dev.py.\n")
    (ROOT / "constraints.txt").write_text(header + "\n".join(sorted(lines, key=str.lower)) + "\n")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="create/update .venv only")
    sub.add_parser("book", help="build the book into _build/html")
    sub.add_parser("test", help="run every test gate")
    ex = sub.add_parser("execute", help="re-execute notebooks and store their outputs")
    ex.add_argument("names", nargs="*", help="notebook names or paths (default: all)")
    sy = sub.add_parser("sync", help="copy prose-only edits of the .md into the .ipynb")
    sy.add_argument("names", nargs="*", help="notebook names or paths (default: all)")
    sub.add_parser("toc", help="regenerate _toc.yml from the lectures in notebooks/")
    sub.add_parser("bench", help="measure execution, nbval and build times against budgets")
    sub.add_parser("lock", help="rewrite constraints.txt from the current .venv")
    args = parser.parse_args(argv)

    if not in_venv():
        reexec_in_venv(argv)
    ensure_venv()
    if args.command == "setup":
        return 0
    if args.command == "book":
        return cmd_book()
    if args.command == "test":
        return cmd_test()
    if args.command == "execute":
        return cmd_execute(args.names)
    if args.command == "sync":
        return cmd_sync(args.names)
    if args.command == "toc":
        return cmd_toc()
    if args.command == "bench":
        return cmd_bench()
    if args.command == "lock":
        return cmd_lock()
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
