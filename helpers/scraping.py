"""A polite web scraper: robots.txt, rate limiting, timeouts, retries with backoff.

Used in lecture 1.3, where it scrapes the house-sales site of
:mod:`helpers.website` (served on 127.0.0.1). The pieces:

- :class:`PoliteSession` wraps a :class:`requests.Session`. Before every request it
  checks ``robots.txt`` (parsed by :mod:`urllib.robotparser`) and waits until at
  least ``min_interval`` seconds (or the site's ``Crawl-delay``, if larger) have
  passed since the previous request. It gives every request a ``timeout`` and
  retries timeouts, connection errors, 5xx answers and ``429 Too Many Requests``
  up to ``RetryPolicy.max_retries`` times, waiting ``backoff_base * factor**(k-1)``
  seconds before the ``k``-th retry, or what the server's ``Retry-After`` header
  asks. Other 4xx answers are permanent and raise at once.
- :func:`parse_index_page`, :func:`parse_detail_page` and :func:`extract_image_urls`
  turn HTML into links, fields and photo URLs (BeautifulSoup with the lxml parser,
  and a regular expression for the photos).
- :func:`scrape_listings` follows the pagination, visits every detail page once and
  returns a :class:`ScrapeResult`: the listings as strings, exactly as shown.
"""

from __future__ import annotations

import re
import time
import urllib.robotparser
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from numbers import Integral
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pandas as pd
import requests
from bs4 import BeautifulSoup
from sklearn.utils._param_validation import Interval

from helpers.checks import boundary, check_int, check_real, instance, optional
from helpers.housing import LISTING_COLUMNS, listing_frame

__all__ = [
    "DEFAULT_USER_AGENT",
    "DisallowedByRobots",
    "PoliteSession",
    "RetryPolicy",
    "ScrapeError",
    "ScrapeResult",
    "crawl_delay_from_robots",
    "extract_image_urls",
    "next_page_url",
    "parse_detail_page",
    "parse_index_page",
    "parse_retry_after",
    "scrape_listings",
]

DEFAULT_USER_AGENT = "cs329p-book-scraper/1.0 (course book; offline demo)"
"""An honest user agent: a scraper should say who it is."""

PHOTO_RE = re.compile(r"photos\\?/(\d+)\\?/([0-9a-f]{16})-\w+\.jpg")
"""A photo reference, in plain or JSON-escaped form (``\\/`` for ``/``): Id and key."""


class ScrapeError(RuntimeError):
    """A page could not be fetched: the URL, the number of attempts and the last reason."""

    def __init__(self, url: str, attempts: int, reason: str) -> None:
        self.url, self.attempts, self.reason = url, attempts, reason
        tries = "attempt" if attempts == 1 else "attempts"
        super().__init__(f"GET {url} failed after {attempts} {tries}: {reason}")


class DisallowedByRobots(ScrapeError):
    """robots.txt disallows the URL for our user agent; it was not requested."""

    def __init__(self, url: str) -> None:
        super().__init__(url, 0, "disallowed by robots.txt")


# --------------------------------------------------------------------------- retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry a request, and how long to wait before each retry.

    The ``k``-th retry (``k = 1, 2, ...``) waits ``min(backoff_max, backoff_base *
    backoff_factor ** (k - 1))`` seconds -- exponential backoff -- unless the
    server's ``Retry-After`` header asks for a specific wait, which is honoured.
    A ``Retry-After`` longer than ``max_retry_after`` makes the request fail
    instead of stalling the scraper. Used in lecture 1.3.

    Attributes
    ----------
    max_retries : int
        Retries after the first attempt (0: never retry).
    backoff_base, backoff_factor, backoff_max : float
        The backoff schedule (seconds, ratio, cap in seconds).
    max_retry_after : float
        Longest ``Retry-After`` the scraper agrees to wait, in seconds.
    retry_statuses : tuple of int
        HTTP statuses worth retrying: transient server errors and throttling.
    """

    max_retries: int = 4
    backoff_base: float = 0.05
    backoff_factor: float = 2.0
    backoff_max: float = 5.0
    max_retry_after: float = 60.0
    retry_statuses: tuple[int, ...] = (429, 500, 502, 503, 504)

    def __post_init__(self) -> None:
        check_int("max_retries", self.max_retries, low=0)
        check_real("backoff_base", self.backoff_base, low=0.0)
        check_real("backoff_factor", self.backoff_factor, low=1.0)
        check_real("backoff_max", self.backoff_max, low=0.0)
        check_real("max_retry_after", self.max_retry_after, low=0.0)

    @boundary(retry="int >= 1")
    def backoff(self, retry: int) -> float:
        """Seconds to wait before the ``retry``-th retry (1-based)."""
        return min(self.backoff_max, self.backoff_base * self.backoff_factor ** (retry - 1))

    def schedule(self) -> list[float]:
        """The waits before retries 1, 2, ..., ``max_retries``."""
        return [self.backoff(k) for k in range(1, self.max_retries + 1)]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header, or None if absent/invalid.

    The header holds seconds (``"120"``; decimals such as ``"0.05"`` are accepted)
    or an HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``), converted relative to
    ``now`` (a Unix time; the current time by default). Never negative. Used in
    lecture 1.3.
    """
    if value is None:
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def crawl_delay_from_robots(text: str, user_agent: str) -> float | None:
    """The ``Crawl-delay`` (seconds) that robots.txt asks of ``user_agent``, or None.

    :mod:`urllib.robotparser` only reads whole seconds; this reads decimals too.
    The group naming our agent wins over the ``*`` group. Used in lecture 1.3.
    """
    token = user_agent.split("/")[0].strip().lower()
    groups: list[tuple[list[str], float | None]] = []
    agents: list[str] = []
    in_rules = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
            if len(agents) == 1:
                groups.append((agents, None))
        elif agents:
            in_rules = True
            if key == "crawl-delay" and re.fullmatch(r"\d+(\.\d+)?", value):
                groups[-1] = (agents, float(value))
    chosen = [d for a, d in groups if any(x != "*" and x in token for x in a)]
    chosen = chosen or [d for a, d in groups if "*" in a]
    return chosen[0] if chosen else None


# --------------------------------------------------------------------------- session


class PoliteSession:
    """A :class:`requests.Session` that obeys robots.txt, rate limits and retries.

    Used in lecture 1.3.

    Parameters
    ----------
    base_url : str
        Scheme and host of the site, e.g. ``"http://127.0.0.1:8000"``.
    user_agent : str
        Sent with every request; also the name robots.txt rules are matched against.
    timeout : float
        Seconds to wait for the connection and for each read before giving up.
    min_interval : float
        Minimum seconds between the starts of two requests; the site's
        ``Crawl-delay`` applies instead when it is larger.
    retry : RetryPolicy, optional
        Retry and backoff settings.
    respect_robots : bool
        Read robots.txt and refuse disallowed URLs (turn off only for your own site).
    sleep, clock : callables
        ``time.sleep`` and ``time.monotonic`` by default; tests pass fakes.

    Attributes
    ----------
    attempts : list of dict
        One entry per HTTP attempt: ``url``, ``attempt``, ``outcome`` (status code
        or exception name) and ``wait`` (seconds slept before the next attempt).
    """

    @boundary(timeout="real > 0.0", min_interval="real >= 0.0",
              retry=optional(instance(RetryPolicy)))
    def __init__(self, base_url: str, *, user_agent: str = DEFAULT_USER_AGENT,
                 timeout: float = 2.0, min_interval: float = 0.0,
                 retry: RetryPolicy | None = None, respect_robots: bool = True,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must look like http://host:port, got {base_url!r}")
        if not isinstance(user_agent, str) or not user_agent.strip():
            raise ValueError("user_agent must be a non-empty string")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.user_agent = user_agent
        self.timeout, self.min_interval = timeout, min_interval
        self.retry = RetryPolicy() if retry is None else retry
        self.respect_robots = bool(respect_robots)
        self.sleep, self.clock = sleep, clock
        self.attempts: list[dict[str, object]] = []
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or .netrc: talk to the site directly
        self._session.headers["User-Agent"] = user_agent
        self._robots: urllib.robotparser.RobotFileParser | None = None
        self.crawl_delay: float | None = None
        self._last_request: float | None = None

    def __enter__(self) -> PoliteSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying connections."""
        self._session.close()

    @property
    def interval(self) -> float:
        """Seconds kept between request starts: ``max(min_interval, Crawl-delay)``."""
        return max(self.min_interval, self.crawl_delay or 0.0)

    def robots(self) -> urllib.robotparser.RobotFileParser:
        """Fetch and parse ``/robots.txt`` once (404: everything allowed)."""
        if self._robots is None:
            parser = urllib.robotparser.RobotFileParser(urljoin(self.base_url, "/robots.txt"))
            try:
                response = self.fetch(parser.url)
            except ScrapeError as err:
                if "HTTP 401" in err.reason or "HTTP 403" in err.reason:
                    parser.disallow_all = True
                elif "HTTP 4" in err.reason:
                    parser.allow_all = True
                else:
                    raise
            else:
                parser.parse(response.text.splitlines())
                self.crawl_delay = crawl_delay_from_robots(response.text, self.user_agent)
            self._robots = parser
        return self._robots

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets our user agent fetch ``url`` (always True if not respected)."""
        return not self.respect_robots or self.robots().can_fetch(self.user_agent, url)

    def get(self, url: str) -> requests.Response:
        """GET ``url`` politely: robots check, rate limit, timeout, retries.

        Raises
        ------
        DisallowedByRobots
            If robots.txt disallows the URL (no request is sent).
        ScrapeError
            On a permanent error (4xx other than 429) or when the retries are used up.
        """
        url = urljoin(self.base_url, url)
        if not self.allowed(url):
            raise DisallowedByRobots(url)
        return self.fetch(url)

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last_request = self.clock()

    def fetch(self, url: str) -> requests.Response:
        """GET the absolute ``url`` with a timeout, the rate limit and retries with backoff
        (no robots check: :meth:`get` adds it). Used in lecture 1.3.

        Raises
        ------
        ScrapeError
            On a permanent error (4xx other than 429) or when the retries are used up.
        """
        policy = self.retry
        for attempt in range(1, policy.max_retries + 2):
            self._wait_turn()
            retry_after = None
            try:
                response = self._session.get(url, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError) as err:
                outcome: int | str = type(err).__name__
                reason = f"{outcome} (timeout {self.timeout:g} s)" if isinstance(
                    err, requests.Timeout) else str(outcome)
            else:
                outcome = response.status_code
                reason = f"HTTP {outcome}"
                if outcome not in policy.retry_statuses:
                    self.attempts.append({"url": url, "attempt": attempt, "outcome": outcome,
                                          "wait": 0.0})
                    if outcome >= 400:
                        raise ScrapeError(url, attempt, reason)
                    return response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = policy.backoff(attempt) if retry_after is None else retry_after
            last = attempt > policy.max_retries
            self.attempts.append({"url": url, "attempt": attempt, "outcome": outcome,
                                  "wait": 0.0 if last else wait})
            if last:
                break
            if wait > policy.max_retry_after:
                raise ScrapeError(url, attempt, f"{reason} with Retry-After {wait:g} s, "
                                                f"more than max_retry_after")
            self.sleep(wait)
        raise ScrapeError(url, policy.max_retries + 1, f"{reason}; gave up after "
                                                       f"{policy.max_retries} retries")

    def attempts_frame(self) -> pd.DataFrame:
        """The attempts log as a DataFrame (``url``, ``attempt``, ``outcome``, ``wait``)."""
        return pd.DataFrame(self.attempts, columns=["url", "attempt", "outcome", "wait"])


# --------------------------------------------------------------------------- parsing


def parse_index_page(html: str, page_url: str) -> tuple[list[str], str | None]:
    """The detail-page links of an index page and the link to the next page.

    Returns absolute URLs: ``(detail_urls, next_url)``, ``next_url`` None on the
    last page. Used in lecture 1.3.
    """
    soup = BeautifulSoup(html, "lxml")
    links = [urljoin(page_url, a["href"])
             for a in soup.find_all("a", class_="list-card-link", href=True)]
    following = soup.find("a", rel="next", href=True)
    return links, (urljoin(page_url, following["href"]) if following else None)


def parse_detail_page(html: str) -> dict[str, str]:
    """The fields of a listing's detail page, as the strings the page shows.

    The Id comes from the canonical link (``.../<Id>_zpid/``), the price from the
    headline "Sold: $1,234,000", the date from "Sold on 04/12/2021", the other
    fields from the labelled facts. Fields the page does not show are absent from
    the result. Used in lecture 1.3.
    """
    soup = BeautifulSoup(html, "lxml")
    record: dict[str, str] = {}
    canonical = soup.find("link", rel="canonical")
    match = re.search(r"/(\d+)_zpid/", canonical["href"]) if canonical else None
    if match is None:
        raise ValueError("not a listing page: no canonical link with an Id")
    record["Id"] = match.group(1)
    for column, css_class in (("Address", "ds-street"), ("City", "ds-city"),
                              ("Zip", "ds-zip"), ("Summary", "ds-overview")):
        node = soup.find(class_=css_class)
        if node is not None:
            record[column] = node.get_text(strip=True)
    status = soup.find(class_="ds-status")
    sold = re.fullmatch(r"Sold:\s*(.+)", status.get_text(strip=True)) if status else None
    if sold:
        record["Sold Price"] = sold.group(1)
    date = soup.find(class_="ds-sold-date")
    sold_on = re.fullmatch(r"Sold on\s*(.+)", date.get_text(strip=True)) if date else None
    if sold_on:
        record["Sold On"] = sold_on.group(1)
    for fact in soup.find_all("li", class_="ds-fact"):
        label = fact.find(class_="ds-fact-label").get_text(strip=True)
        record[label] = fact.find(class_="ds-fact-value").get_text(strip=True)
    return record


def extract_image_urls(html: str, page_url: str) -> list[str]:
    """Photo URLs of a page, found with a regular expression, one per photo.

    Pages reference each photo several times (thumbnails, JSON-escaped URLs in a
    ``<script>``); :data:`PHOTO_RE` finds every reference, duplicates are dropped,
    and each photo is returned once at its largest size. Used in lecture 1.3.
    """
    seen: dict[str, str] = {}
    for listing_id, key in PHOTO_RE.findall(html):
        seen.setdefault(key, listing_id)
    return [urljoin(page_url, f"/photos/{i}/{k}-uncropped_scaled_within_1536_1152.jpg")
            for k, i in seen.items()]


# --------------------------------------------------------------------------- scraping


@dataclass
class ScrapeResult:
    """What a scrape returns. Used in lecture 1.3.

    Attributes
    ----------
    listings : pandas.DataFrame
        One row per listing, in site order, the columns as strings as shown.
    images : pandas.DataFrame
        One row per photo: ``Id`` and ``url``.
    failures : pandas.DataFrame
        Pages that could not be fetched: ``url`` and ``error``.
    skipped : list of str
        URLs not requested because robots.txt disallows them.
    pages : int
        Index pages read.
    """

    listings: pd.DataFrame
    images: pd.DataFrame
    failures: pd.DataFrame
    skipped: list[str] = field(default_factory=list)
    pages: int = 0


def next_page_url(url: str) -> str:
    """The index page after ``url``, by its ``page`` query parameter (none means page 1).

    Lets :func:`scrape_listings` skip an index page that failed, whose ``rel="next"``
    link it never saw, without ending the pagination. Used in lecture 1.3.
    """
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    page = int(query.get("page", ["1"])[0])
    query["page"] = [str(page + 1)]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def _page_number(url: str) -> int:
    return int(parse_qs(urlsplit(url).query).get("page", ["1"])[0])


@boundary(session=[PoliteSession],
          max_pages=[Interval(Integral, 1, None, closed="left"), None],
          max_listings=[Interval(Integral, 1, None, closed="left"), None],
          retry_rounds=[Interval(Integral, 0, None, closed="left")])
def scrape_listings(session: PoliteSession, start: str = "/homes/sold/", *,
                    max_pages: int | None = None, max_listings: int | None = None,
                    columns: Sequence[str] = LISTING_COLUMNS,
                    retry_rounds: int = 2) -> ScrapeResult:
    """Scrape a listing site: follow the pagination, parse every detail page once.

    A page whose retries are used up is set aside and fetched again in a later
    round (``retry_rounds`` of them, each with the session's full retry budget); an
    index page that fails does not end the pagination: the scrape goes on with the
    next page (:func:`next_page_url`; one page is skipped at a time), and an index
    page that does not exist (HTTP 404) ends it. Every page still failing at the end
    is in ``failures`` with its URL and reason, so a listing is either scraped or
    accounted for; robots-disallowed URLs are in ``skipped``; a detail page seen
    before (same URL or same Id) is not scraped again, so no listing is duplicated.
    Listings come in site order. Used in lecture 1.3.

    Parameters
    ----------
    session : PoliteSession
        The session to fetch with (robots.txt, rate limit, retries).
    start : str
        Path of the first index page.
    max_pages, max_listings : int, optional
        Stop after this many index pages / listings.
    columns : sequence of str
        Columns of the result (fields parsed from the pages).
    retry_rounds : int, default 2
        Later rounds in which failed pages are fetched again (0: no second chance).

    Returns
    -------
    ScrapeResult
    """
    records: dict[tuple[int, int], dict[str, str]] = {}   # (page, position) -> record
    images: dict[tuple[int, int], list[tuple[str, str]]] = {}
    errors: dict[str, str] = {}                            # URL -> why it failed
    skipped: list[str] = []
    seen_ids: set[str] = set()
    first = urljoin(session.base_url, start)
    todo = deque([(first, (_page_number(first), -1))])   # position -1: an index page
    queued, guessed = {first}, set()   # guessed: index pages no link led to (yet)
    pages = 0
    for _ in range(retry_rounds + 1):
        later = []
        while todo:
            url, key = todo.popleft()
            index = key[1] == -1
            if (index and max_pages is not None and pages >= max_pages) or \
                    (max_listings is not None and len(records) >= max_listings):
                continue
            try:
                html = session.get(url).text
            except DisallowedByRobots:
                skipped.append(url)
                continue
            except ScrapeError as err:
                if index and "HTTP 404" in err.reason:      # past the last page
                    continue
                errors[url] = str(err)
                later.append((url, key))                   # try again next round
                following = next_page_url(url)
                if index and url not in guessed and following not in queued:
                    guessed.add(following)                 # skip it, keep paginating
                    queued.add(following)
                    todo.append((following, (_page_number(following), -1)))
                continue
            errors.pop(url, None)
            if index:
                pages += 1
                links, following = parse_index_page(html, url)
                for position, link in enumerate(links):
                    if link not in queued:
                        queued.add(link)
                        todo.append((link, (key[0], position)))
                if following is not None and following not in queued:
                    queued.add(following)
                    todo.append((following, (_page_number(following), -1)))
                continue
            record = parse_detail_page(html)
            if record["Id"] in seen_ids:
                continue
            seen_ids.add(record["Id"])
            records[key] = {c: v for c, v in record.items() if c in columns}
            images[key] = [(record["Id"], u) for u in extract_image_urls(html, url)]
        todo.extend(later)
    order = sorted(records)
    return ScrapeResult(
        listings=listing_frame([records[k] for k in order], columns),
        images=pd.DataFrame([i for k in order for i in images[k]],
                            columns=["Id", "url"]).astype("str"),
        failures=pd.DataFrame(list(errors.items()), columns=["url", "error"]).astype("str"),
        skipped=skipped, pages=pages)
