"""One entry point for setting up, executing, building and testing the book.

Run it with Python 3.11 (what CI runs) or 3.12; it creates and updates the project's
virtual environment in ``.venv`` and re-runs itself inside it::

    python3.11 tools/dev.py setup                 # create or update .venv only
    python3.11 tools/dev.py book                  # set up if needed, build the book
    python3.11 tools/dev.py test                  # set up if needed, run every gate
    python3.11 tools/dev.py test nbval 05-3       # one gate, for one lecture
    python3.11 tools/dev.py test unit -k claims   # one gate, pytest -k selection
    python3.11 tools/dev.py execute --stale       # re-execute what is stale (-j 2: two at once)
    python3.11 tools/dev.py execute NAME          # re-execute one lecture, review the change
    python3.11 tools/dev.py execute --accept NAME # ... and store the run, changes included
    python3.11 tools/dev.py sync NAME             # copy prose-only edits of NAME.md
    python3.11 tools/dev.py toc                   # regenerate _toc.yml from notebooks/
    python3.11 tools/dev.py lab                   # JupyterLab with the project's environment
    python3.11 tools/dev.py bench                 # measure run times against the budgets
    python3.11 tools/dev.py bench test-command    # ... only the test command, fresh clone
    python3.11 tools/dev.py lock                  # rewrite constraints.txt from .venv

See README.md for what each gate checks.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".cs329p-stamp"
PIP = "pip==26.3"
"""The pip that installs the lock (not in the lock: pip does not lock itself)."""
PYTHONS = ((3, 11), (3, 12))
"""The Python versions the lock installs on and the suite passes on (CI runs 3.11)."""
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
    # glibc hands every allocation above 128 KiB (at first) to mmap and gives it back on
    # free, so torch's per-step tensors fault in fresh zeroed pages again and again (up to
    # a million page faults, seconds of system time, in 10.1's sweep); a fixed threshold
    # of 32 MiB keeps them in the heap. Speed only, no effect on any result: 3-4% less
    # kernel CPU in 9.3 and 11.1 (measured). Ignored where the C library is not glibc.
    "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:"
                      "glibc.malloc.trim_threshold=268435456",
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
    h.update(PIP.encode())
    return h.hexdigest()


def ensure_venv() -> None:
    """Create ``.venv`` and install the pinned dependencies when they changed."""
    if sys.version_info[:2] not in PYTHONS:
        wanted = " or ".join(f"{major}.{minor}" for major, minor in PYTHONS)
        sys.exit(f"Python {wanted} is required, this is {sys.version.split()[0]}; "
                 "see 'Requirements' in README.md for how to get 3.11")
    digest = _requirements_digest()
    if STAMP.exists() and STAMP.read_text() == digest and VENV_PYTHON.exists():
        return
    t0 = time.perf_counter()
    if not VENV_PYTHON.exists():
        print(f"[setup] creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("[setup] installing pinned dependencies (constraints.txt)", flush=True)
    # the pip that venv bundles with Python 3.11 (23.2) spends about 25 s of CPU reading
    # the package index; a current pip reads it in about 9 s: the whole install took
    # 48 s with the old pip and 28 s with the new one, same packages (measured)
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "-qq",
                    "--disable-pip-version-check", PIP], check=True)
    # --no-compile: byte-compiling all ~19,000 installed modules took half of the set-up;
    # instead each module is compiled the first time something imports it (main() lets
    # child processes write bytecode), which compiles only the modules the book uses.
    subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
         "--no-compile", "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[dev]"],
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


def _execute_one(md: Path, accept: bool) -> tuple[Path, float, str, bool, bool]:
    from notebook_pipeline import execute_notebook

    result = execute_notebook(md, env=notebook_env(), accept=accept)
    changed = bool(result.review.changes)
    return md, result.seconds, result.review.describe(), changed, result.written


def cmd_execute(names: list[str], stale: bool = False, accept: bool = False,
                jobs: int = 1) -> int:
    """Re-execute lectures; store outputs that changed beyond tolerance only if accepted."""
    from concurrent.futures import ProcessPoolExecutor

    from notebook_pipeline import find_notebooks, stale_reasons

    paths = find_notebooks(ROOT / "notebooks", names)
    if stale:
        paths = [md for md in paths if stale_reasons(md)]
        print(f"[execute] {len(paths)} stale lecture(s): "
              + (" ".join(md.stem for md in paths) or "none"), flush=True)
    refused, crashed = [], []
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_execute_one, md, accept): md for md in paths}
        for future, md in futures.items():
            try:
                md, seconds, description, changed, written = future.result()
            except Exception as error:  # a cell raised: report it, go on with the others
                crashed.append(md.stem)
                print(f"[execute] {md.relative_to(ROOT)}: FAILED\n{error}", flush=True)
                continue
            state = "written" if written else "NOT written"
            print(f"[execute] {md.relative_to(ROOT)}: {seconds:.1f} s, {state}", flush=True)
            if changed:
                print(description, flush=True)
            if not written:
                refused.append(md.stem)
    if refused:
        print("\nStored outputs changed beyond their printed precision in: "
              + " ".join(refused) + ".\nNothing was written for them. Review the changes "
              "above; if they are intended, store them with:\n"
              f"    python3.11 tools/dev.py execute --accept {' '.join(refused)}", flush=True)
        return 1
    return 0


def book_command() -> list[str]:
    return [str(VENV / "bin" / "jupyter-book"), "build", str(ROOT),
            "--path-output", str(ROOT), "-W", "-n", "--keep-going"]


def cmd_book() -> int:
    ensure_chromium()  # prints the PDF of the book
    code = run(book_command())
    if code == 0:
        print(f"\nBook built: {HTML_INDEX}")
    return code


class BackgroundGate:
    """A gate running beside other gates, its output kept in a log that :meth:`wait`
    prints when the gate's turn comes. Its time runs from its start to its own end."""

    def __init__(self, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        BUILD_DIR.mkdir(exist_ok=True)
        self.log = log
        self._handle = log.open("w")
        print("$ " + " ".join(cmd) + f"  (in the background, log: {log})", flush=True)
        self._start = time.perf_counter()
        self.seconds = 0.0
        self._process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._handle,
                                         stderr=subprocess.STDOUT)
        self._watcher = threading.Thread(target=self._time_it, daemon=True)
        self._watcher.start()

    def _time_it(self) -> None:
        self._process.wait()
        self.seconds = time.perf_counter() - self._start

    def stop(self) -> None:
        """Stop the gate if it is still running (the test command was interrupted)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def wait(self) -> int:
        code = self._process.wait()
        self._watcher.join()
        self._handle.close()
        print(self.log.read_text(), end="", flush=True)
        return code


class BackgroundBook(BackgroundGate):
    """The strict book build running beside other gates, its output kept in a log.

    The build is single-threaded, and the unit tests leave about a fifth of two cores
    idle, so the full test command starts the build before them and prints its log when
    the book gate's turn comes."""

    LOG = BUILD_DIR / "book-build.log"

    def __init__(self) -> None:
        ensure_chromium()
        super().__init__(book_command(), self.LOG)

    def wait(self) -> int:
        code = super().wait()
        if code == 0:
            print(f"\nBook built: {HTML_INDEX}")
        return code


def _has_chinese_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    listing = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True)
    return bool(listing.stdout.strip())


# Debian packages of the browser checks and the PDF, each with how to tell it is present
BROWSER_PACKAGES = {
    "chromium": lambda: bool(shutil.which("chromium") or shutil.which("chromium-browser")),
    "poppler-utils": lambda: bool(shutil.which("pdftotext")),  # reads the PDF back
    "fonts-wqy-zenhei": _has_chinese_font,  # the glossary's Chinese terms, on screen and paper
}


BROWSER_INSTALL_PID = "CS329P_BROWSER_INSTALL_PID"
"""Set while :func:`start_browser_install`'s apt-get runs: its process id."""


def _missing_browser_packages() -> list[str]:
    """The browser packages to install: missing ones, if apt-get can install them."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return []
    return [name for name, present in BROWSER_PACKAGES.items() if not present()]


def start_browser_install() -> None:
    """Start apt-get for the missing browser packages in the background, once.

    On a fresh machine the download and install take about 30 s; started before the
    set-up, they overlap pip's install instead of following it. :func:`ensure_chromium`
    waits for them (the process survives ``dev.py``'s re-execution inside ``.venv``)."""
    missing = _missing_browser_packages()
    if not missing or BROWSER_INSTALL_PID in os.environ:
        return
    print(f"[setup] installing {', '.join(missing)} (Debian) for the browser and PDF "
          "checks", flush=True)
    script = f"apt-get update -qq; apt-get install -y -qq {' '.join(missing)} >/dev/null"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    os.environ[BROWSER_INSTALL_PID] = str(subprocess.Popen(["sh", "-c", script],
                                                           env=env).pid)


def _wait_for_browser_install() -> bool:
    """Wait for :func:`start_browser_install`'s apt-get; False if this process started
    none."""
    pid = os.environ.pop(BROWSER_INSTALL_PID, None)
    if not pid:
        return False
    try:
        os.waitpid(int(pid), 0)
    except ChildProcessError:  # inherited from another process: not ours to wait for
        return False
    return True


def ensure_chromium() -> bool:
    """Make Debian's chromium (browser checks, the PDF), poppler-utils and a Chinese font
    available; False if chromium is missing and cannot be installed. An install already
    started in the background is waited for, and not repeated if it failed (offline)."""
    if not _wait_for_browser_install():
        start_browser_install()
        _wait_for_browser_install()
    return BROWSER_PACKAGES["chromium"]()


def nbval_command(names: list[str] = (), side_by_side: bool = False) -> list[str]:
    """The README's nbval command, for all lectures or those named; ``side_by_side``: the
    full test command's pass, one lecture at a time in this process (see SIDE_BY_SIDE)."""
    from notebook_pipeline import find_notebooks

    targets = ["notebooks"]
    if names:
        targets = [str(md.with_suffix(".ipynb").relative_to(ROOT))
                   for md in find_notebooks(ROOT / "notebooks", names)]
    if side_by_side:  # the two passes would share one cache file: neither writes it
        workers = ["-p", "no:cacheprovider"]
    elif len(targets) != 1 or not names:
        # two workers, one lecture each at a time, longest first (notebooks/conftest.py)
        workers = ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder"]
    else:
        workers = []
    return [str(VENV_PYTHON), "-m", "pytest", "-q", "--nbval", "--nbval-current-env",
            "--nbval-sanitize-with", "nbval_sanitize.cfg", *workers, *targets]


def second_kernel_path() -> dict[str, str]:
    """Environment variables that move torch, OpenBLAS and NumPy one CPU kernel level
    below what this machine uses natively, so the second nbval pass runs other code."""
    import numpy._core._multiarray_umath as umath
    import scipy.linalg  # noqa: F401 - loads SciPy's OpenBLAS for threadpoolctl
    import torch
    from threadpoolctl import threadpool_info

    capability = torch.backends.cpu.get_cpu_capability().upper()
    aten = {"AVX512": "avx2", "AVX2": "default"}.get(capability, "default")
    archs = {i.get("architecture") for i in threadpool_info() if i.get("internal_api") ==
             "openblas"}
    coretype = "Sandybridge" if archs & {"Haswell", "Zen"} else "Haswell"
    features = umath.__cpu_features__
    levels = ["X86_V4", "AVX512_ICL", "AVX512_SPR"]
    if not features.get("X86_V4"):
        levels.insert(0, "X86_V3")
    return {"ATEN_CPU_CAPABILITY": aten, "OPENBLAS_CORETYPE": coretype,
            "NPY_DISABLE_CPU_FEATURES": " ".join(levels)}


def portable_env() -> dict[str, str]:
    """The second pass: another CPU kernel path, another hash seed, no thread variables
    (a learner's plain Jupyter), the network guard still on."""
    env = notebook_env()
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)
    env["PYTHONHASHSEED"] = "1"
    env.update(second_kernel_path())
    return env


GATES = {
    "lint": "lint",
    "unit": "unit tests and book checks",
    "nbval": "notebook regression (nbval)",
    "portable": "nbval on a second CPU kernel path",
    "book": "strict book build",
    "html": "built HTML checks (and headless browser)",
}


SIDE_BY_SIDE = ("nbval", "portable", "html")
"""The gates the full test command runs at the same time, after the book is built, each
printing its output when its turn comes: the two nbval passes in one process each (one
lecture at a time, longest first), the HTML checks beside them. One after the other they
left cores idle: each pass while its last lectures ran, the HTML checks while the browser
module finished alone. Both passes start with the lectures that mostly wait (the
scraper's timeouts), while the HTML checks still run and use the idle time. Measured on
one 2-core machine, from a fresh clone: the whole test command took 803 s with the gates
one after the other (76 core-s idle after the set-up), 726 s side by side (49 core-s
idle), then 647-749 s over nine runs (median 678 s) once both passes started with the
scraper (26 core-s idle)."""


def _gate_command(gate: str, names: list[str], keyword: str | None,
                  side_by_side: bool = False):
    from notebook_pipeline import WAITING_FIRST

    py = str(VENV_PYTHON)
    select = ["-k", keyword] if keyword else []
    if gate == "lint":
        return [py, "-m", "ruff", "check", "."], None
    if gate == "unit":
        return [py, "-m", "pytest", "-q", "-n", "2", *select, "tests"], notebook_env()
    if gate in ("nbval", "portable"):
        env = notebook_env() if gate == "nbval" else portable_env()
        if gate == "portable":
            print("second kernel path: " + ", ".join(
                f"{k}={env[k]}" for k in ("ATEN_CPU_CAPABILITY", "OPENBLAS_CORETYPE",
                                          "NPY_DISABLE_CPU_FEATURES", "PYTHONHASHSEED")),
                  flush=True)
        if side_by_side:
            env[WAITING_FIRST] = "1"
        return [*nbval_command(names, side_by_side), *select], env
    if gate == "html":
        if not ensure_chromium():
            print("WARNING: chromium is not available and could not be installed; "
                  "the browser checks are skipped", flush=True)
        # two workers, one test module at a time (--dist loadfile): each module renders or
        # parses every page once in a session-scoped fixture, so it must stay on one
        # worker (pytest-xdist 3.8's loadgroup does not group with pytest 9: measured);
        # the longest modules first, so the two workers finish together
        return [py, "-m", "pytest", "-q", "-rs", "-n", "2", "--dist", "loadfile",
                "--no-loadscope-reorder", *select, *html_modules()], None
    raise ValueError(gate)


HTML_LONGEST_FIRST = ("test_browser.py", "test_bundle.py")  # about 80 s and 70 s


def html_modules() -> list[str]:
    """The modules of tests/html, the two longest first (then alphabetical)."""
    found = sorted(p.name for p in (ROOT / "tests" / "html").glob("test_*.py"))
    order = [m for m in HTML_LONGEST_FIRST if m in found]
    order += [m for m in found if m not in order]
    return [f"tests/html/{m}" for m in order]


def cmd_test(args: list[str], keyword: str | None = None) -> int:
    """Run every gate, or one gate (``test nbval``), optionally for some lectures."""
    chosen = [args[0]] if args and args[0] in GATES else list(GATES)
    names = args[1:] if args and args[0] in GATES else args
    if names and not set(chosen) <= {"nbval", "portable"}:
        chosen = ["nbval", "portable"] if chosen == list(GATES) else chosen
    full = chosen == list(GATES) and not names and not keyword
    t_start = time.perf_counter()
    results: list[tuple[str, int, float, str]] = []  # gate, exit code, seconds, note
    running: list[BackgroundGate] = []
    try:
        if full:  # the book beside the unit tests, then the rest side by side
            running.append(book := BackgroundBook())
        for gate in [g for g in chosen if not (full and g in SIDE_BY_SIDE)]:
            t0 = time.perf_counter()
            print(f"\n=== gate: {GATES[gate]}", flush=True)
            if gate == "book":
                code = book.wait() if full else cmd_book()
            else:
                code = run(*_gate_command(gate, names, keyword))
            note = "waited for; built beside the unit tests" if gate == "book" and full else ""
            results.append((gate, code, time.perf_counter() - t0, note))
        if full:
            book_failed = any(g == "book" and code for g, code, _, _ in results)
            results += _side_by_side([g for g in SIDE_BY_SIDE
                                      if not (g == "html" and book_failed)], running)
    finally:
        for process in running:
            process.stop()
    failed = [gate for gate, code, _, _ in results if code != 0]
    print("\n=== summary")
    for gate, code, seconds, note in results:
        print(f"{GATES[gate]:40s} {'FAILED' if code else 'ok':7s} {seconds:6.1f} s"
              + (f"  ({note})" if note else ""))
    print(f"{ALL_GATES:40s} {'':7s} {time.perf_counter() - t_start:6.1f} s")
    if failed:
        print("\nRe-run one gate: python3.11 tools/dev.py test GATE [LECTURE ...] "
              f"(gates: {', '.join(GATES)})")
    return 1 if failed else 0


def _side_by_side(gates: list[str], running: list[BackgroundGate]
                  ) -> list[tuple[str, int, float, str]]:
    """Start ``gates`` at once (see SIDE_BY_SIDE), then print each one's output in turn."""
    started = []
    print(f"\n=== side by side: {', '.join(gates)}", flush=True)
    for gate in gates:
        cmd, env = _gate_command(gate, [], None, side_by_side=True)
        started.append((gate, BackgroundGate(cmd, BUILD_DIR / f"gate-{gate}.log", env)))
        running.append(started[-1][1])
    results = []
    for gate, process in started:
        print(f"\n=== gate: {GATES[gate]}", flush=True)
        code = process.wait()
        others = ", ".join(g for g in gates if g != gate)
        results.append((gate, code, process.seconds, f"side by side with {others}"))
    return results


TEST_COMMAND_BUDGET = 12 * 60  # seconds, from a fresh clone, set-up included


def cmd_bench(part: str = "all") -> int:
    """Measure the budgets of the README on this machine and print them: ``lectures``
    (each notebook, the nbval pass, the book build, the PDF), ``test-command`` (the
    README's test command in a fresh clone) or ``all``."""
    lectures_ok = _bench_lectures() if part in ("all", "lectures") else True
    command_ok = _bench_test_command() if part in ("all", "test-command") else True
    return 0 if lectures_ok and command_ok else 1


def _bench_lectures() -> bool:
    """Each notebook, the nbval pass, the book build and the PDF against their budgets."""
    import statistics

    from notebook_pipeline import execute_notebook, find_notebooks

    times = {}
    for md in find_notebooks(ROOT / "notebooks"):
        times[md.stem] = execute_notebook(md, env=notebook_env(), write=False).seconds
    t0 = time.perf_counter()
    nbval_ok = run(nbval_command(), notebook_env()) == 0
    nbval_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    book_ok = cmd_book() == 0
    book_s = time.perf_counter() - t0
    pdf_s, pdf_pages, pdf_mb = _bench_pdf()
    median = statistics.median(times.values())
    tagged = tolerance_tags()
    print("\n=== benchmark (budgets of the README)")
    for name, seconds in times.items():
        print(f"{name:48s} {seconds:6.1f} s  {'ok' if seconds <= 60 else 'OVER 60 s'}")
    print(f"{'median notebook':48s} {median:6.1f} s  {'ok' if median <= 15 else 'OVER 15 s'}")
    print(f"{'nbval pass, 2 workers':48s} {nbval_s:6.1f} s  "
          f"{'ok' if nbval_s <= 480 else 'OVER 8 min'}{'' if nbval_ok else ' (FAILED)'}")
    print(f"{'book build':48s} {book_s:6.1f} s  "
          f"{'ok' if book_s <= 90 else 'OVER 90 s'}{'' if book_ok else ' (FAILED)'}")
    print(f"{'PDF of the book (part of the book build)':48s} {pdf_s:6.1f} s  "
          f"{pdf_pages} pages, {pdf_mb:.0f} MB")
    print(f"{'cells with a looser tolerance tag':48s} {len(tagged):6d}    "
          + ", ".join(tagged))
    return nbval_ok and book_ok


ALL_GATES = "all gates, start to end"
GATE_LINE = re.compile(r"^(?P<gate>\S.*?)\s+(?P<status>ok|FAILED)\s+(?P<seconds>[\d.]+) s")


def gate_times(output: str) -> list[tuple[str, str, float]]:
    """(gate, status, seconds) from the summary the test command prints last."""
    _, found, summary = output.rpartition("=== summary")
    if not found:  # the command stopped before its summary
        return []
    return [(m["gate"], m["status"], float(m["seconds"])) for line in summary.splitlines()
            if (m := GATE_LINE.match(line)) and m["gate"] in GATES.values()]


def all_gates_seconds(output: str) -> float | None:
    """The time from the first gate's start to the last one's end, from the summary (the
    gates that ran side by side overlap, so their times do not add up to it)."""
    _, found, summary = output.rpartition("=== summary")
    match = re.search(rf"^{re.escape(ALL_GATES)}\s+(?P<seconds>[\d.]+) s", summary, re.M)
    return float(match["seconds"]) if found and match else None


def _bench_test_command() -> bool:
    """Run the README's test command in a fresh clone of HEAD, as CI does: its own
    ``.venv`` (the set-up is part of the time; pip's cache is warm from this checkout's),
    then print the total and each gate against the 12-minute budget."""
    import tempfile

    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    if dirty:
        print("[bench] note: uncommitted changes are not in the clone; it measures HEAD")
    python = shutil.which("python3.11") or sys.executable
    _wait_for_browser_install()  # the clone's command must not start a second apt-get
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    log = BUILD_DIR / "bench-test-command.log"
    BUILD_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cs329p-bench-") as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        print(f"[bench] {python} tools/dev.py test, in a fresh clone (log: {log})",
              flush=True)
        t0 = time.perf_counter()
        with log.open("w") as handle:
            code = subprocess.run([python, "tools/dev.py", "test"], cwd=clone, env=env,
                                  stdout=handle, stderr=subprocess.STDOUT).returncode
        total = time.perf_counter() - t0
    output = log.read_text()
    gates = gate_times(output)
    gates_wall = all_gates_seconds(output) or sum(seconds for _, _, seconds in gates)
    print("\n=== benchmark: the README's test command from a fresh clone")
    print(f"{'set-up and start (before the first gate)':48s} {total - gates_wall:6.1f} s")
    for gate, status, seconds in gates:
        side = "  (side by side)" if gate in (GATES[g] for g in SIDE_BY_SIDE) else ""
        print(f"{gate:48s} {seconds:6.1f} s  {status}{side}")
    print(f"{ALL_GATES:48s} {gates_wall:6.1f} s")
    verdict = "ok" if total <= TEST_COMMAND_BUDGET else "OVER 12 min"
    print(f"{'whole test command':48s} {total:6.1f} s  {verdict}"
          f"{'' if code == 0 else ' (FAILED)'}")
    return code == 0 and total <= TEST_COMMAND_BUDGET


def _bench_pdf() -> tuple[float, int, float]:
    """Print the built site into a PDF once more, timed: seconds, pages, megabytes."""
    import tempfile

    from pdf import build_pdf

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "book.pdf"
        t0 = time.perf_counter()
        built = build_pdf(BUILD_DIR / "html", target)
        pages = built.pages if built else 0
        seconds = time.perf_counter() - t0
        size = target.stat().st_size / 1e6 if target.exists() else 0.0
    return seconds, pages, size


def tolerance_tags() -> list[str]:
    """Every code cell that loosens the comparator with a tolerance tag, as NAME:cell."""
    from nbcompare import TOLERANCE_TAG
    from notebook_pipeline import find_notebooks, read_source

    found = []
    for md in find_notebooks(ROOT / "notebooks"):
        code = [c for c in read_source(md).cells if c.cell_type == "code"]
        for number, cell in enumerate(code, start=1):
            if any(TOLERANCE_TAG.match(t) for t in cell.get("metadata", {}).get("tags", [])):
                found.append(f"{md.stem}:code cell {number}")
    return found


def cmd_lab() -> int:
    """Install JupyterLab (the ``lab`` extra) if needed and start it in the repository."""
    if not (VENV / "bin" / "jupyter-lab").exists():
        print("[lab] installing JupyterLab (the project's lab extra)", flush=True)
        subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "-qq",
                        "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt"),
                        "-e", f"{ROOT}[dev,lab]"], check=True)
    print("[lab] open notebooks/NAME.md (or .ipynb): both are paired by notebooks/jupytext.toml."
          "\n      To experiment, save a copy; undo changes with: git checkout notebooks/",
          flush=True)
    os.chdir(ROOT)
    os.execv(str(VENV / "bin" / "jupyter-lab"), [str(VENV / "bin" / "jupyter-lab"),
                                                  "--notebook-dir", str(ROOT)])


def cmd_sync(names: list[str]) -> int:
    from notebook_pipeline import find_notebooks, sync_prose

    for md in find_notebooks(ROOT / "notebooks", names):
        sync_prose(md)
        print(f"[sync] {md.relative_to(ROOT)}: prose copied, outputs kept", flush=True)
    return 0


def cmd_toc() -> int:
    from toc import render_toc

    (ROOT / "_toc.yml").write_text(render_toc(ROOT / "notebooks"))
    print("wrote _toc.yml")
    return 0


CUDA_ONLY = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
"""Requirements of torch's CUDA build (PyPI's Linux wheel) that its CPU build lacks."""


def locked_distributions(root: str = "cs329p-book", extras: tuple[str, ...] = ("dev",)
                         ) -> dict[str, str]:
    """Installed name -> version of everything ``root[extras]`` needs, transitively.

    Packages installed for other reasons (the ``lab`` extra, a hand-installed tool)
    are left out, so they never leak into the lock; so are the GPU runtime packages
    that only the CUDA build of torch requires (the lock is of the CPU build, and the
    book runs on the CPU with either).
    """
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    todo = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = canonicalize_name(dist.metadata["Name"])
        if key in found and not wanted:
            continue
        found[key] = f"{dist.metadata['Name']}=={dist.version}"
        for text in dist.requires or []:
            req = Requirement(text)
            envs = [{"extra": e} for e in wanted] or [{"extra": ""}]
            if CUDA_ONLY.match(canonicalize_name(req.name)):
                continue
            if req.marker is None or any(req.marker.evaluate(env) for env in envs):
                if canonicalize_name(req.name) not in found or req.extras:
                    todo.append((req.name, tuple(req.extras)))
    for name in (root, "pip"):  # pip installs the lock; setuptools and wheel are needed
        found.pop(canonicalize_name(name), None)
    return found


def cmd_lock() -> int:
    lines = [pin.replace("+cpu", "") for pin in locked_distributions().values()]
    header = ("# Lock file: every package of a tested install, pinned. Generated by\n"
              "# `python3.11 tools/dev.py lock` from what the project and its dev extra\n"
              "# need; used as pip constraints by tools/dev.py.\n")
    (ROOT / "constraints.txt").write_text(header + "\n".join(sorted(lines, key=str.lower)) + "\n")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="create/update .venv only")
    sub.add_parser("book", help="build the book into _build/html")
    te = sub.add_parser("test", help="run every test gate, or one gate for some lectures")
    te.add_argument("args", nargs="*", metavar="[GATE] [LECTURE ...]",
                    help=f"a gate ({', '.join(GATES)}) and/or lecture names or prefixes")
    te.add_argument("-k", dest="keyword", help="pytest -k expression for the chosen gate")
    ex = sub.add_parser("execute", help="re-execute notebooks, review and store their outputs")
    ex.add_argument("names", nargs="*", help="notebook names, prefixes or paths (default: all)")
    ex.add_argument("--stale", action="store_true", help="only lectures whose outputs are stale")
    ex.add_argument("--accept", action="store_true",
                    help="store the run as executed, every cell, also where numbers or "
                         "claims changed or only how they are printed")
    ex.add_argument("-j", "--jobs", type=int, default=1, help="lectures executed at once")
    sy = sub.add_parser("sync", help="copy prose-only edits of the .md into the .ipynb")
    sy.add_argument("names", nargs="*", help="notebook names or paths (default: all)")
    sub.add_parser("toc", help="regenerate _toc.yml from the lectures in notebooks/")
    be = sub.add_parser("bench", help="measure execution, nbval, build and test-command "
                        "times against the budgets")
    be.add_argument("part", nargs="?", default="all", choices=["all", "lectures",
                                                               "test-command"],
                    help="lectures: notebooks, nbval pass, book build, PDF; test-command: "
                         "the README's test command in a fresh clone (about 13 min)")
    sub.add_parser("lock", help="rewrite constraints.txt from the current .venv")
    sub.add_parser("lab", help="start JupyterLab in the repository with the project's kernel")
    args = parser.parse_args(argv)

    # Bytecode is written on first import (the set-up does not precompile, see
    # ensure_venv); without it every kernel would recompile torch and pandas from source.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.command in ("book", "bench") or (
            args.command == "test" and (not args.args or args.args[0] == "html")):
        start_browser_install()
    if not in_venv():
        reexec_in_venv(argv)
    ensure_venv()
    if args.command == "setup":
        return 0
    if args.command == "book":
        return cmd_book()
    sys.path.insert(0, str(ROOT / "tools"))
    if args.command == "test":
        return cmd_test(args.args, args.keyword)
    if args.command == "execute":
        return cmd_execute(args.names, stale=args.stale, accept=args.accept, jobs=args.jobs)
    if args.command == "lab":
        return cmd_lab()
    if args.command == "sync":
        return cmd_sync(args.names)
    if args.command == "toc":
        return cmd_toc()
    if args.command == "bench":
        return cmd_bench(args.part)
    if args.command == "lock":
        return cmd_lock()
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
