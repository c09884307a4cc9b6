"""A listing website on 127.0.0.1 that serves the simulated house sales, faults included.

Lecture 1.3 scrapes a real-estate site. The book runs offline, so it scrapes this
one: a real HTTP server (the standard library's ``ThreadingHTTPServer``) on an
ephemeral port of the loopback interface, started in a background thread::

    with ListingSite(messy.listings, per_page=25, seed=0) as site:
        html = requests.get(site.url + "/homes/sold/?page=2",
                            headers={"User-Agent": "my-bot/1.0"}).text

Pages, laid out like a real listing site:

- ``/robots.txt`` -- disallows some paths and asks for a ``Crawl-delay``;
- ``/homes/sold/?page=k`` -- index pages of ``per_page`` listing cards with a
  ``rel="next"`` link to the following page;
- ``/homedetails/<address-slug>/<Id>_zpid/`` -- one page per listing with the
  fields as a visitor sees them ("Sold: $1,234,000", "Sold on 04/12/2021", a
  facts list) and the photo URLs inside an embedded JSON blob;
- ``/photos/<Id>/<key>-<size>.jpg`` -- tiny generated JPEG images;
- ``/search/`` -- an endless trap of search pages, disallowed by robots.txt.

Requests whose ``User-Agent`` contains one of ``blocked_agents`` (by default the
default agent of :mod:`requests`) get ``403 Forbidden``: plain, anonymous HTTP
clients are turned away, as on real sites. A :class:`FaultConfig` injects slow
responses, 5xx errors and ``429 Too Many Requests`` (with ``Retry-After``);
every decision is a deterministic function of ``(seed, path, attempt)``, so a
sequential scrape meets the same faults on every run. The site records every
request (:meth:`ListingSite.log`). Used in lecture 1.3.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import sys
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from helpers.checks import boundary, check_frame, check_int, check_real, instance, optional
from helpers.housing import LISTING_COLUMNS

__all__ = [
    "FaultConfig",
    "ListingSite",
    "detail_path",
    "photo_keys",
    "render_detail_page",
    "render_index_page",
]

PHOTO_SIZES = ("cc_ft_384", "cc_ft_768", "uncropped_scaled_within_1536_1152")
"""Size variants under which every photo is referenced on a detail page."""

_FACT_SECTIONS = {
    "Interior": ("Bedrooms", "Bathrooms", "Full bathrooms", "Total interior livable area",
                 "Heating", "Cooling", "Flooring", "Appliances included", "Laundry features"),
    "Property": ("Type", "Year built", "Lot size", "Parking", "Total spaces", "Garage spaces"),
    "Schools": ("Elementary School", "Elementary School Score", "Elementary School Distance",
                "Middle School", "Middle School Score", "Middle School Distance",
                "High School", "High School Score", "High School Distance"),
    "Price and tax history": ("Listed On", "Listed Price", "Last Sold On", "Last Sold Price",
                              "Tax assessed value", "Annual tax amount"),
}

_DETAIL_RE = re.compile(r"^/homedetails/[^/]+/(\d+)_zpid/$")
_PHOTO_RE = re.compile(r"^/photos/(\d+)/([0-9a-f]{16})-([a-z0-9_]+)\.jpg$")


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class FaultConfig:
    """Which faults a :class:`ListingSite` injects, and how often.

    For every request to a path under ``prefixes`` the site draws one uniform
    number from a generator seeded with ``(seed, path, attempt)`` (``attempt`` =
    how many times that path was requested so far) and answers slowly with
    probability ``slow_rate``, with a 5xx with probability ``error_rate`` and with
    429 with probability ``throttle_rate``. Faults are transient: after
    ``max_faults_per_path`` faulty answers a path answers normally (None: no cap).
    ``fail_first`` makes every path under ``prefixes`` fail its first
    ``fail_first`` requests with ``fail_with`` (an HTTP status, or ``"slow"``), a
    deterministic flaky server for tests. Used in lecture 1.3.

    Attributes
    ----------
    slow_rate, error_rate, throttle_rate : float
        Probabilities, summing to at most 1.
    slow_seconds : float
        Delay of a slow response (longer than the client's timeout, to provoke one).
    error_statuses : tuple of int
        5xx statuses drawn from uniformly for an error.
    retry_after : float
        Seconds sent in the ``Retry-After`` header of a 429 (and of a 503). Real
        servers send whole seconds or an HTTP date; decimals keep the book fast.
    max_faults_per_path : int or None
        Cap on faulty answers per path.
    fail_first : int
        Number of leading requests of every path that fail.
    fail_with : int or "slow"
        How they fail.
    prefixes : tuple of str
        Paths subject to faults (robots.txt is not, by default).
    """

    slow_rate: float = 0.0
    slow_seconds: float = 1.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    throttle_rate: float = 0.0
    retry_after: float = 0.05
    max_faults_per_path: int | None = 2
    fail_first: int = 0
    fail_with: int | str = 503
    prefixes: tuple[str, ...] = ("/homes/", "/homedetails/", "/photos/")

    def __post_init__(self) -> None:
        for name in ("slow_rate", "error_rate", "throttle_rate"):
            check_real(name, getattr(self, name), low=0.0, high=1.0)
        if self.slow_rate + self.error_rate + self.throttle_rate > 1 + 1e-12:
            raise ValueError("slow_rate + error_rate + throttle_rate must be at most 1")
        for name in ("slow_seconds", "retry_after"):
            check_real(name, getattr(self, name), low=0.0)
        if not self.error_statuses or any(not 500 <= s <= 599 for s in self.error_statuses):
            raise ValueError(f"error_statuses must be 5xx codes, got {self.error_statuses!r}")
        if self.max_faults_per_path is not None:
            check_int("max_faults_per_path", self.max_faults_per_path, low=0)
        check_int("fail_first", self.fail_first, low=0)
        if self.fail_with != "slow" and not (isinstance(self.fail_with, int)
                                             and 400 <= self.fail_with <= 599):
            raise ValueError(f"fail_with must be an HTTP error status or 'slow', "
                             f"got {self.fail_with!r}")

    def decide(self, seed: int, path: str, attempt: int, faults_so_far: int) -> str | int:
        """The fault for the ``attempt``-th request of ``path``: "slow", a status, or "none"."""
        if not path.startswith(self.prefixes):
            return "none"
        if attempt <= self.fail_first:
            return self.fail_with
        if self.max_faults_per_path is not None and faults_so_far >= self.max_faults_per_path:
            return "none"
        key = zlib.crc32(path.encode())
        rng = np.random.default_rng([seed, key, attempt])
        u, v = rng.random(2)
        if u < self.slow_rate:
            return "slow"
        if u < self.slow_rate + self.error_rate:
            return int(self.error_statuses[int(v * len(self.error_statuses))])
        if u < self.slow_rate + self.error_rate + self.throttle_rate:
            return 429
        return "none"


# --------------------------------------------------------------------------- pages


def _slug(listing: Mapping[str, object]) -> str:
    text = f"{listing['Address']} {listing['City']} CA {listing['Zip']}"
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def detail_path(listing: Mapping[str, object]) -> str:
    """URL path of a listing's detail page, ``/homedetails/<slug>/<Id>_zpid/``."""
    return f"/homedetails/{_slug(listing)}/{listing['Id']}_zpid/"


def photo_keys(listing_id: str | int, seed: int = 0, low: int = 10, high: int = 30
               ) -> list[str]:
    """The photo keys (16 hex digits) of a listing: between ``low`` and ``high`` photos.

    About 20 photos a house on average, as in the course's estimate. Deterministic
    in ``(seed, listing_id)``. Used in lecture 1.3.
    """
    rng = np.random.default_rng([seed, int(listing_id), 7])
    count = int(rng.integers(low, high + 1))
    return [hashlib.blake2b(f"{seed}/{listing_id}/{k}".encode(), digest_size=8).hexdigest()
            for k in range(count)]


def _present(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<header class="site-header"><a href="/">CS329P house sales (simulated)</a>
 <a href="/homes/sold/">Recently sold</a> <a href="/search/?q=homes">Search</a></header>
{body}
<footer>A simulator for the CS329P course book. All listings are synthetic.</footer>
</body>
</html>
"""


def render_index_page(listings: pd.DataFrame, page: int, num_pages: int) -> str:
    """HTML of one index page: a card per listing and pagination links.

    Each card links to the listing's :func:`detail_path` and shows the address and
    the sold price; ``rel="next"`` points to the following page (absent on the
    last page). Used in lecture 1.3.
    """
    cards = []
    for _, row in listings.iterrows():
        price = f"Sold: {_e(row['Sold Price'])}" if _present(row["Sold Price"]) else "Sold"
        cards.append(
            f'<li><article class="list-card">'
            f'<a class="list-card-link" href="{_e(detail_path(row))}">'
            f'<address>{_e(row["Address"])}, {_e(row["City"])}, CA {_e(row["Zip"])}</address></a>'
            f'<div class="list-card-price">{price}</div></article></li>')
    nav = []
    if page > 1:
        nav.append(f'<a rel="prev" href="/homes/sold/?page={page - 1}">Previous page</a>')
    nav.append(f'<span class="page-count">Page {page} of {num_pages}</span>')
    if page < num_pages:
        nav.append(f'<a rel="next" href="/homes/sold/?page={page + 1}">Next page</a>')
    body = ('<main><h1>Recently sold homes</h1>\n<ul class="photo-cards">\n'
            + "\n".join(cards) + '\n</ul>\n<nav class="search-pagination">'
            + " ".join(nav) + "</nav></main>")
    return _PAGE.format(title=f"Recently sold homes - page {page}", body=body)


def render_detail_page(listing: Mapping[str, object], photo_urls: Sequence[str]) -> str:
    """HTML of a listing's detail page, showing each present field once.

    The headline reads "Sold: $1,234,000" and "Sold on 04/12/2021"; the address is
    in ``<h1 class="ds-address">``; the summary in ``<p class="ds-overview">``; the
    other fields in ``<li class="ds-fact">`` items of label and value; missing
    fields are simply not shown. The photos are referenced in an embedded JSON
    blob (escaped slashes, several sizes each), as real sites do. Used in lecture 1.3.

    Parameters
    ----------
    listing : mapping
        One listing: :data:`helpers.housing.LISTING_COLUMNS` -> string or NaN.
    photo_urls : sequence of str
        Absolute URLs of the photos at their largest size.
    """
    price = f"Sold: {_e(listing['Sold Price'])}" if _present(listing["Sold Price"]) else "Sold"
    headline = [f'<span class="ds-status">{price}</span>']
    if _present(listing["Sold On"]):
        headline.append(f'<span class="ds-sold-date">Sold on {_e(listing["Sold On"])}</span>')
    sections = []
    for title, columns in _FACT_SECTIONS.items():
        items = [f'<li class="ds-fact"><span class="ds-fact-label">{_e(c)}</span>: '
                 f'<span class="ds-fact-value">{_e(listing[c])}</span></li>'
                 for c in columns if _present(listing[c])]
        if items:
            sections.append(f'<section><h2>{_e(title)}</h2><ul class="ds-facts">'
                            + "".join(items) + "</ul></section>")
    overview = (f'<p class="ds-overview">{_e(listing["Summary"])}</p>'
                if _present(listing["Summary"]) else "")
    photos = [{"caption": f"Photo {k + 1}",
               "mixedSources": {size: url.replace(PHOTO_SIZES[-1], size) for size in PHOTO_SIZES}}
              for k, url in enumerate(photo_urls)]
    blob = json.dumps({"zpid": str(listing["Id"]), "photos": photos}).replace("/", "\\/")
    first = (f'<img class="media-hero" alt="Photo 1" src="'
             f'{_e(photo_urls[0].replace(PHOTO_SIZES[-1], PHOTO_SIZES[1]))}">'
             if photo_urls else "")
    body = (f'<main class="home-details">\n'
            f'<link rel="canonical" href="{_e(detail_path(listing))}">\n'
            f'<h1 class="ds-address"><span class="ds-street">{_e(listing["Address"])}</span>, '
            f'<span class="ds-city">{_e(listing["City"])}</span>, CA '
            f'<span class="ds-zip">{_e(listing["Zip"])}</span></h1>\n'
            f'<div class="ds-summary-row">{" ".join(headline)}</div>\n{first}\n{overview}\n'
            + "\n".join(sections)
            + f'\n<script type="application/json" id="hdpApolloPreloadData">{blob}</script>\n'
            f"</main>")
    return _PAGE.format(title=f"{_e(listing['Address'])}, {_e(listing['City'])}, CA "
                              f"{_e(listing['Zip'])} | Sold", body=body)


def _jpeg(key: str, size: str) -> bytes:
    """A small solid-colour JPEG whose colour comes from the photo key."""
    from PIL import Image

    width = {"cc_ft_384": 24, "cc_ft_768": 48}.get(size, 96)
    color = tuple(int(key[i:i + 2], 16) for i in (0, 2, 4))
    buffer = io.BytesIO()
    Image.new("RGB", (width, width * 3 // 4), color).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


# --------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: ListingSite

    def handle_error(self, request, client_address) -> None:
        """Stay quiet when a client gave up on a slow response (broken pipe)."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "CS329PListingSite/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Requests are logged by the site, not printed to stderr."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.server.site._handle(self)


class ListingSite:
    """A real HTTP server on 127.0.0.1 serving listings, with robots.txt and faults.

    Start and stop it with a ``with`` block (or :meth:`start` and :meth:`stop`);
    ``site.url`` is its base URL, e.g. ``http://127.0.0.1:54321``. The server runs
    in a background thread; every request is recorded in :meth:`log`. Used in
    lecture 1.3.

    Parameters
    ----------
    listings : pandas.DataFrame
        One row per listing, the :data:`helpers.housing.LISTING_COLUMNS` as strings
        (e.g. ``messy_listings(...).listings``); ``Id`` must be unique.
    per_page : int
        Listing cards per index page.
    seed : int
        Seed of the photos and of the fault decisions.
    faults : FaultConfig, optional
        Faults to inject; none by default.
    crawl_delay : float
        ``Crawl-delay`` announced in robots.txt, in seconds.
    disallow : sequence of str
        Path prefixes that robots.txt disallows for every agent.
    blocked_agents : sequence of str
        Substrings of ``User-Agent`` headers answered with 403.
    """

    @boundary(listings=check_frame, per_page="int >= 1", seed="int >= 0",
              faults=optional(instance(FaultConfig)), crawl_delay="real >= 0.0")
    def __init__(self, listings: pd.DataFrame, *, per_page: int = 25, seed: int = 0,
                 faults: FaultConfig | None = None, crawl_delay: float = 0.01,
                 disallow: Sequence[str] = ("/search/", "/myaccount/"),
                 blocked_agents: Sequence[str] = ("python-requests",)) -> None:
        missing = [c for c in LISTING_COLUMNS if c not in listings.columns]
        if missing:
            raise ValueError(f"listings lack the columns {missing}")
        if len(listings) == 0:
            raise ValueError("listings is empty: there is nothing to serve")
        ids = listings["Id"].astype(str)
        if ids.duplicated().any():
            raise ValueError("listing Ids must be unique: each one is a page's URL")
        if not ids.str.fullmatch(r"\d+").all():
            raise ValueError("listing Ids must be strings of digits")
        if isinstance(disallow, str) or any(not p.startswith("/") for p in disallow):
            raise ValueError("disallow must be a sequence of paths starting with '/'")
        self.listings = listings[list(LISTING_COLUMNS)].reset_index(drop=True).copy()
        self.per_page = per_page
        self.seed = seed
        self.faults = faults or FaultConfig()
        self.crawl_delay = crawl_delay
        self.disallow = tuple(disallow)
        self.blocked_agents = tuple(blocked_agents)
        self.num_pages = -(-len(self.listings) // per_page)
        self._by_id = {str(i): k for k, i in enumerate(self.listings["Id"])}
        self._photos = {i: photo_keys(i, seed) for i in self._by_id}
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        self._faults_seen: dict[str, int] = {}
        self._log: list[dict[str, object]] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    # ----------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """Base URL of the running site, ``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError("the site is not running: call start() or use a with block")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> ListingSite:
        """Bind an ephemeral port on 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the site is already running")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="ListingSite", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake slow handlers, close the socket and join the thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> ListingSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- what it publishes

    @property
    def robots_txt(self) -> str:
        """The text served at ``/robots.txt``."""
        lines = ["# robots.txt of the CS329P house-sales simulator", "User-agent: *",
                 f"Crawl-delay: {self.crawl_delay:g}"]
        lines += [f"Disallow: {p}" for p in self.disallow]
        lines += ["", "User-agent: BadBot", "Disallow: /", ""]
        return "\n".join(lines)

    def photo_urls(self, listing_id: str | int) -> list[str]:
        """Absolute URLs of a listing's photos, at their largest size."""
        base = self.url if self._server is not None else ""
        return [f"{base}/photos/{listing_id}/{key}-{PHOTO_SIZES[-1]}.jpg"
                for key in self._photos[str(listing_id)]]

    def published_images(self) -> pd.DataFrame:
        """Every photo the site publishes: ``Id`` and URL ``path`` (largest size)."""
        rows = [(i, f"/photos/{i}/{key}-{PHOTO_SIZES[-1]}.jpg")
                for i, keys in self._photos.items() for key in keys]
        return pd.DataFrame(rows, columns=["Id", "path"]).astype("str")

    def log(self) -> pd.DataFrame:
        """One row per request received: time, path, attempt, status, fault, agent.

        ``t`` is seconds since the site started; ``attempt`` counts the requests of
        the same path; ``fault`` is "none", "slow", "error", "throttle", "flaky"
        (a ``fail_first`` failure) or "blocked". A slow answer is logged with the
        status the server tried to send after its delay.
        """
        with self._lock:
            rows = list(self._log)
        columns = ["t", "path", "attempt", "status", "fault", "agent"]
        return pd.DataFrame(rows, columns=columns)

    # ----------------------------------------------------------------- request handling

    def _handle(self, handler: _Handler) -> None:
        path = handler.path
        agent = handler.headers.get("User-Agent", "")
        blocked = any(b in agent for b in self.blocked_agents)
        if blocked:
            status, content_type, body = 403, "text/plain; charset=utf-8", (
                "Forbidden: automated access without an identified user agent.")
        else:
            status, content_type, body = self._route(path)
        with self._lock:  # decide and log at arrival, so the log is in request order
            attempt = self._attempts.get(path, 0) + 1
            self._attempts[path] = attempt
            decision = "none" if blocked else self.faults.decide(
                self.seed, path, attempt, self._faults_seen.get(path, 0))
            if decision == "none":
                fault = "blocked" if blocked else "none"
            else:
                self._faults_seen[path] = self._faults_seen.get(path, 0) + 1
                fault = "flaky" if attempt <= self.faults.fail_first else (
                    "slow" if decision == "slow" else "throttle" if decision == 429 else "error")
            logged = status if decision in ("none", "slow") else int(decision)
            self._log.append({"t": time.perf_counter() - self._t0, "path": path,
                              "attempt": attempt, "status": logged, "fault": fault,
                              "agent": agent})
        if decision == "slow":
            if self._stopping.wait(self.faults.slow_seconds):
                return  # shutting down: drop the connection
        elif decision != "none":
            headers = {}
            if decision in (429, 503):
                headers["Retry-After"] = f"{self.faults.retry_after:g}"
            self._reply(handler, int(decision), f"Error {decision}", headers,
                        "text/plain; charset=utf-8")
            return
        self._reply(handler, status, body, {}, content_type)

    def _route(self, path: str) -> tuple[int, str, str | bytes]:
        parts = urlsplit(path)
        route = parts.path
        html_type = "text/html; charset=utf-8"
        if route == "/robots.txt":
            return 200, "text/plain; charset=utf-8", self.robots_txt
        if route == "/":
            return 200, html_type, _PAGE.format(
                title="CS329P house sales", body='<main><a href="/homes/sold/">Recently sold'
                                                 "</a></main>")
        if route == "/homes/sold/":
            pages = parse_qs(parts.query).get("page", ["1"])
            if len(pages) != 1 or not pages[0].isdigit() \
                    or not 1 <= int(pages[0]) <= self.num_pages:
                return 404, html_type, "Not found"
            page = int(pages[0])
            rows = self.listings.iloc[(page - 1) * self.per_page: page * self.per_page]
            return 200, html_type, render_index_page(rows, page, self.num_pages)
        match = _DETAIL_RE.match(route)
        if match and match.group(1) in self._by_id:
            listing = self.listings.iloc[self._by_id[match.group(1)]]
            if detail_path(listing) == route:
                return 200, html_type, render_detail_page(listing, self.photo_urls(match[1]))
        match = _PHOTO_RE.match(route)
        if match and match[2] in self._photos.get(match[1], ()) and match[3] in PHOTO_SIZES:
            return 200, "image/jpeg", _jpeg(match[2], match[3])
        if route.startswith("/search/"):
            page = parse_qs(parts.query).get("page", ["1"])[0]
            following = int(page) + 1 if page.isdigit() else 2
            return 200, html_type, _PAGE.format(
                title="Search", body=f'<main><a href="/search/?q=homes&page={following}">'
                                     "More results</a></main>")
        return 404, html_type, "Not found"

    @staticmethod
    def _reply(handler: _Handler, status: int, body: str | bytes,
               headers: Mapping[str, str], content_type: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (ConnectionError, TimeoutError):
            pass  # the client gave up (a timeout); nothing to answer
