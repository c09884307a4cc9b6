"""Unit tests for helpers.scraping (the polite scraper of lecture 1.3)."""

from __future__ import annotations

import email.utils

import pandas as pd
import pytest

import helpers.scraping as scraping
from helpers.housing import (
    listing_frame,
    make_house_sales,
    messy_listings,
    read_listings_csv,
    simulate_house_sales,
    write_house_sales_csv,
    write_listings_csv,
)
from helpers.scraping import (
    DisallowedByRobots,
    PoliteSession,
    RetryPolicy,
    ScrapeError,
    crawl_delay_from_robots,
    extract_image_urls,
    parse_detail_page,
    parse_index_page,
    parse_retry_after,
    scrape_listings,
)
from helpers.website import FaultConfig, ListingSite, detail_path, render_detail_page


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def listings() -> pd.DataFrame:
    return messy_listings(simulate_house_sales(24, seed=8), seed=8).listings


def _site(listings, **faults) -> ListingSite:
    return ListingSite(listings, per_page=10, seed=4, crawl_delay=0,
                       faults=FaultConfig(**faults) if faults else None)


def _session(site: ListingSite, fake: FakeTime | None = None, **kwargs) -> PoliteSession:
    fake = fake or FakeTime()
    return PoliteSession(site.url, sleep=fake.sleep, clock=fake.clock, **kwargs)


# --------------------------------------------------------------------------- retry policy


def test_backoff_schedule_is_exponential_and_capped():
    policy = RetryPolicy(max_retries=6, backoff_base=0.1, backoff_factor=2, backoff_max=1.0)
    assert policy.schedule() == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert RetryPolicy(max_retries=0).schedule() == []


@pytest.mark.parametrize("kwargs", [{"max_retries": -1}, {"max_retries": 1.5},
                                    {"backoff_base": -0.1}, {"backoff_factor": 0.5},
                                    {"backoff_max": float("nan")}])
def test_retry_policy_validates(kwargs):
    with pytest.raises((ValueError, TypeError)):
        RetryPolicy(**kwargs)


def test_backoff_rejects_retry_zero():
    with pytest.raises(ValueError):
        RetryPolicy().backoff(0)


def test_parse_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0.05 ") == 0.05
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_crawl_delay_reads_decimals_and_prefers_our_group():
    text = ("User-agent: *\nCrawl-delay: 0.5\nDisallow: /x/\n\n"
            "User-agent: mybot\nUser-agent: other\nCrawl-delay: 2\n")
    assert crawl_delay_from_robots(text, "mybot/1.0") == 2.0
    assert crawl_delay_from_robots(text, "somebody/1.0") == 0.5
    assert crawl_delay_from_robots("User-agent: *\nDisallow: /\n", "a") is None


# --------------------------------------------------------------------------- session


def test_flaky_server_recovers_with_one_record_per_listing(listings):
    with _site(listings, fail_first=2, fail_with=503) as site, \
            _session(site, retry=RetryPolicy(max_retries=3)) as session:
        result = scrape_listings(session)
        log = site.log()
    pd.testing.assert_frame_equal(result.listings, listings)
    assert result.listings["Id"].is_unique and len(result.failures) == 0
    detail = log[log["path"].str.startswith("/homedetails/")]
    assert (detail.groupby("path").size() == 3).all()
    assert detail.groupby("path")["status"].apply(list).map(lambda s: s == [503, 503, 200]).all()


def test_gives_up_after_max_retries_with_a_clear_error(listings):
    with _site(listings, fail_first=10, fail_with=502) as site, \
            _session(site, retry=RetryPolicy(max_retries=2)) as session:
        with pytest.raises(ScrapeError, match=r"failed after 3 attempts: HTTP 502; gave up "
                                              r"after 2 retries") as info:
            session.get("/homes/sold/")
        result = scrape_listings(session, retry_rounds=0)
    assert info.value.attempts == 3 and info.value.url.endswith("/homes/sold/")
    # the first page and the page after it (tried so that one failure does not end the
    # pagination) both failed; nothing else was reached
    assert len(result.listings) == 0
    assert [u.rsplit("/", 1)[-1] for u in result.failures["url"]] == ["", "?page=2"]


def test_retries_wait_the_backoff_schedule(listings):
    fake = FakeTime()
    policy = RetryPolicy(max_retries=3, backoff_base=0.2, backoff_factor=3)
    with _site(listings, fail_first=3, fail_with=500) as site, \
            _session(site, fake, retry=policy) as session:
        session.get("/homes/sold/")
    assert fake.sleeps == pytest.approx(policy.schedule())
    assert [a["outcome"] for a in session.attempts[1:]] == [500, 500, 500, 200]


def test_retry_after_is_honoured(listings):
    fake = FakeTime()
    with _site(listings, fail_first=1, fail_with=429, retry_after=0.7) as site, \
            _session(site, fake) as session:
        assert session.get("/homes/sold/").status_code == 200
    assert fake.sleeps == [0.7]  # not the backoff of 0.05 s


def test_a_too_long_retry_after_fails_instead_of_stalling(listings):
    with _site(listings, fail_first=1, fail_with=429, retry_after=120) as site, \
            _session(site, retry=RetryPolicy(max_retry_after=10)) as session:
        with pytest.raises(ScrapeError, match="Retry-After 120"):
            session.get("/homes/sold/")


def test_timeouts_are_retried(listings):
    with _site(listings, fail_first=1, fail_with="slow", slow_seconds=3) as site, \
            PoliteSession(site.url, timeout=0.2) as session:
        assert session.get("/homes/sold/").status_code == 200
    outcomes = [a["outcome"] for a in session.attempts]
    assert outcomes == [200, "ReadTimeout", 200]  # robots.txt, then the timeout, then success


def test_permanent_errors_are_not_retried(listings):
    with _site(listings) as site, _session(site) as session:
        with pytest.raises(ScrapeError, match="after 1 attempt: HTTP 404"):
            session.get("/no/such/page")
        assert (site.log()["path"] == "/no/such/page").sum() == 1


def test_robots_disallow_is_honoured(listings):
    with ListingSite(listings, per_page=10, crawl_delay=0,
                     disallow=("/homedetails/",)) as site, _session(site) as session:
        result = scrape_listings(session)
        with pytest.raises(DisallowedByRobots):
            session.get(detail_path(listings.iloc[0]))
        log = site.log()
    assert len(result.listings) == 0 and len(result.skipped) == len(listings)
    assert not log["path"].str.startswith("/homedetails/").any()


def test_rate_limit_spaces_requests_by_the_larger_of_interval_and_crawl_delay(listings):
    fake = FakeTime()
    with ListingSite(listings, per_page=10, crawl_delay=0.25) as site, \
            _session(site, fake, min_interval=0.1) as session:
        for page in (1, 2, 3):
            session.get(f"/homes/sold/?page={page}")
    assert session.interval == 0.25
    assert fake.sleeps == pytest.approx([0.25] * 3)  # robots.txt counts as the first request


def test_session_validates_its_inputs():
    with pytest.raises(ValueError, match="base_url"):
        PoliteSession("127.0.0.1:80")
    with pytest.raises(ValueError, match="timeout"):
        PoliteSession("http://127.0.0.1:1", timeout=0)
    with pytest.raises(TypeError, match="RetryPolicy"):
        PoliteSession("http://127.0.0.1:1", retry={"max_retries": 2})


# --------------------------------------------------------------------------- parsing


def test_parse_detail_page_recovers_the_shown_fields(listings):
    for _, row in listings.iterrows():
        record = parse_detail_page(render_detail_page(row, []))
        expected = {c: v for c, v in row.items() if isinstance(v, str)}
        assert record == expected


def test_parse_detail_page_on_handwritten_html():
    html = ('<html><link rel="canonical" href="/homedetails/a-b/123_zpid/">'
            '<span class="ds-status">Sold: $1,234,567</span>'
            '<span class="ds-sold-date">Sold on 04/12/2021</span>'
            '<ul><li class="ds-fact"><span class="ds-fact-label">Lot size</span>: '
            '<span class="ds-fact-value">0.25 Acres</span></li></ul></html>')
    assert parse_detail_page(html) == {"Id": "123", "Sold Price": "$1,234,567",
                                       "Sold On": "04/12/2021", "Lot size": "0.25 Acres"}
    assert "Sold Price" not in parse_detail_page(html.replace("Sold: $1,234,567", "Sold"))
    with pytest.raises(ValueError, match="not a listing page"):
        parse_detail_page("<html><p>hello</p></html>")


def test_parse_index_page_returns_absolute_links_and_the_next_page():
    html = ('<a class="list-card-link" href="/homedetails/x/1_zpid/">x</a>'
            '<a class="list-card-link" href="/homedetails/y/2_zpid/">y</a>'
            '<a rel="next" href="/homes/sold/?page=3">Next</a>')
    links, following = parse_index_page(html, "http://h:1/homes/sold/?page=2")
    assert links == ["http://h:1/homedetails/x/1_zpid/", "http://h:1/homedetails/y/2_zpid/"]
    assert following == "http://h:1/homes/sold/?page=3"
    assert parse_index_page("<p>last</p>", "http://h:1/")[1] is None


def test_extract_image_urls_finds_each_photo_once(listings):
    row = listings.iloc[0]
    photos = [f"http://h:1/photos/{row['Id']}/{k:016x}-uncropped_scaled_within_1536_1152.jpg"
              for k in range(5)]
    html = render_detail_page(row, photos)
    assert len(scraping.PHOTO_RE.findall(html)) == 3 * 5 + 1  # 3 sizes and the hero image
    assert extract_image_urls(html, "http://h:1/x") == photos


# --------------------------------------------------------------------------- scraping


def test_scraped_table_equals_the_direct_messy_table_and_its_csv(tmp_path):
    sales, messy = make_house_sales(40, seed=6)
    with ListingSite(messy.listings, per_page=15, seed=6, crawl_delay=0) as site, \
            _session(site) as session:
        result = scrape_listings(session)
        published = site.published_images()
        paths = result.images["url"].str.replace(site.url, "", regex=False)
    pd.testing.assert_frame_equal(result.listings, messy.listings)
    scraped = write_listings_csv(result.listings, tmp_path / "scraped.csv.gz")
    direct = write_house_sales_csv(tmp_path, n=40, seed=6)
    assert scraped.read_bytes() == direct.read_bytes()
    pd.testing.assert_frame_equal(read_listings_csv(scraped), messy.listings)
    assert paths.tolist() == published["path"].tolist()
    assert result.pages == 3


def test_faulty_site_loses_nothing_with_retries(listings):
    faults = {"slow_rate": 0.1, "slow_seconds": 2.0, "error_rate": 0.15, "throttle_rate": 0.1,
              "retry_after": 0.01}
    with _site(listings, **faults) as site, PoliteSession(site.url, timeout=0.2) as session:
        result = scrape_listings(session)
        log = site.log()
    pd.testing.assert_frame_equal(result.listings, listings)
    assert set(log["fault"]) >= {"error", "throttle"}


def test_duplicate_links_are_scraped_once(listings, monkeypatch):
    original = scraping.parse_index_page

    def doubled(html, url):
        links, following = original(html, url)
        return links + links[:3], following

    monkeypatch.setattr(scraping, "parse_index_page", doubled)
    with _site(listings) as site, _session(site) as session:
        result = scrape_listings(session)
    pd.testing.assert_frame_equal(result.listings, listings)


def test_max_listings_and_max_pages_limit_the_scrape(listings):
    with _site(listings) as site, _session(site) as session:
        assert len(scrape_listings(session, max_listings=4).listings) == 4
        limited = scrape_listings(session, max_pages=1)
    assert limited.pages == 1 and len(limited.listings) == 10


def test_scrape_listings_validates_its_inputs(listings):
    with pytest.raises(TypeError, match="PoliteSession"):
        scrape_listings("http://127.0.0.1:1")
    with _site(listings) as site, _session(site) as session:
        with pytest.raises(ValueError, match="max_pages"):
            scrape_listings(session, max_pages=0)


def test_listing_frame_of_scraped_records_keeps_column_order():
    frame = listing_frame([{"Zip": "94301", "Id": "1"}])
    assert frame.columns[0] == "Id" and frame.loc[0, "Zip"] == "94301"


@pytest.mark.parametrize("site_seed", [7, 8])  # seeds where index pages fail (14, 34 lost)
def test_hostile_site_loses_no_listing_without_a_failure_row(site_seed):
    """30% 5xx, 20% 429 and 10% slow answers on every path, without a cap per path, and a
    retry budget of 4: every listing is scraped once, byte for byte, or its page is in
    ``failures``; an index page that fails does not end the pagination."""
    source = messy_listings(simulate_house_sales(42, seed=3), seed=3).listings
    faults = FaultConfig(error_rate=0.3, throttle_rate=0.2, slow_rate=0.1, slow_seconds=0.3,
                         retry_after=0.01, max_faults_per_path=None)
    fake = FakeTime()
    policy = RetryPolicy(max_retries=4)
    with ListingSite(source, per_page=10, seed=site_seed, crawl_delay=0,
                     faults=faults) as site, \
            PoliteSession(site.url, timeout=0.1, retry=policy, sleep=fake.sleep,
                          clock=fake.clock) as session:
        result = scrape_listings(session, retry_rounds=2)
        log = site.log()
    scraped = result.listings
    assert scraped["Id"].is_unique                                    # 0 duplicated rows
    by_id = source.set_index("Id", drop=False)
    pd.testing.assert_frame_equal(                                    # byte-identical rows
        scraped.reset_index(drop=True),
        by_id.loc[scraped["Id"]].reset_index(drop=True))
    failed_ids = set(result.failures["url"].str.extract(r"/(\d+)_zpid/")[0].dropna())
    index_failures = result.failures["url"].str.contains("/homes/sold/").sum()
    assert index_failures == 0                # no page of listings was left unread
    lost = set(source["Id"]) - set(scraped["Id"]) - failed_ids
    assert lost == set()                                              # 0 lost silently
    assert set(log["fault"]) >= {"error", "throttle", "slow"}
    # bounded run time: at most (pages + listings + 1 guessed page) requests per round,
    # each with the retry budget, over 3 rounds; and bounded simulated waiting
    pages = -(-len(source) // 10)
    assert len(session.attempts) <= (pages + len(source) + 1 + 1) * 5 * 3
    assert sum(fake.sleeps) <= len(session.attempts) * max(policy.backoff_max, 0.01)
