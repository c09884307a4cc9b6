"""Unit tests for helpers.website (the listing site on 127.0.0.1 of lecture 1.3)."""

from __future__ import annotations

import re
import time
import urllib.robotparser

import pandas as pd
import pytest
import requests
from bs4 import BeautifulSoup

from helpers.housing import LISTING_COLUMNS, messy_listings, simulate_house_sales
from helpers.website import (
    FaultConfig,
    ListingSite,
    detail_path,
    photo_keys,
    render_detail_page,
)

AGENT = {"User-Agent": "unit-test/1.0"}


@pytest.fixture(scope="module")
def listings() -> pd.DataFrame:
    return messy_listings(simulate_house_sales(45, seed=3), seed=3).listings


@pytest.fixture(scope="module")
def site(listings):
    with ListingSite(listings, per_page=10, seed=1) as running:
        yield running


def _get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, headers=AGENT, timeout=5, **kwargs)


def _faulty(listings, **faults) -> ListingSite:
    return ListingSite(listings, per_page=10, seed=2, faults=FaultConfig(**faults))


# --------------------------------------------------------------------------- pages


def test_pagination_covers_every_listing_exactly_once(site, listings):
    url, seen, pages = site.url + "/homes/sold/", [], 0
    while url:
        soup = BeautifulSoup(_get(url).text, "lxml")
        seen += [re.search(r"/(\d+)_zpid/", a["href"])[1] for a in soup.select("a.list-card-link")]
        following = soup.select_one('a[rel="next"]')
        url = site.url + following["href"] if following else None
        pages += 1
    assert pages == site.num_pages == 5
    assert seen == listings["Id"].tolist()


def test_pages_out_of_range_and_unknown_paths_are_404(site):
    for path in ("/homes/sold/?page=0", "/homes/sold/?page=6", "/homes/sold/?page=x",
                 "/homedetails/wrong-slug/1_zpid/", "/nothing"):
        assert _get(site.url + path).status_code == 404, path


def test_detail_page_shows_the_listing_values(site, listings):
    row = listings.iloc[7]
    response = _get(site.url + detail_path(row))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    soup = BeautifulSoup(response.text, "lxml")
    status = soup.select_one(".ds-status").get_text()
    assert status == (f"Sold: {row['Sold Price']}" if isinstance(row["Sold Price"], str)
                      else "Sold")
    facts = {li.select_one(".ds-fact-label").get_text(): li.select_one(".ds-fact-value").get_text()
             for li in soup.select("li.ds-fact")}
    for column, value in row.items():
        if column in facts:
            assert facts[column] == value
    shown = {c for c in LISTING_COLUMNS if isinstance(row[c], str)}
    assert set(facts) == shown - {"Id", "Address", "City", "Zip", "Sold Price", "Sold On",
                                  "Summary"}
    assert soup.select_one(".ds-street").get_text() == row["Address"]


def test_detail_page_escapes_html_in_values(listings):
    row = listings.iloc[0].copy()
    row["Summary"] = "Big <b>yard</b> & pool"
    html = render_detail_page(row, [])
    assert "<b>yard</b>" not in html
    assert BeautifulSoup(html, "lxml").select_one(".ds-overview").get_text() == row["Summary"]


def test_robots_txt_disallows_paths_and_sets_a_crawl_delay(site):
    text = _get(site.url + "/robots.txt").text
    assert "Crawl-delay: 0.01" in text
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(text.splitlines())
    assert parser.can_fetch("unit-test", site.url + "/homes/sold/")
    assert not parser.can_fetch("unit-test", site.url + "/search/?q=x")
    assert not parser.can_fetch("BadBot", site.url + "/homes/sold/")


def test_default_requests_agent_is_blocked(site):
    response = requests.get(site.url + "/homes/sold/", timeout=5)
    assert response.status_code == 403
    assert site.log()["fault"].iloc[-1] == "blocked"


def test_photos_are_small_jpegs_and_about_twenty_per_listing(site, listings):
    counts = [len(photo_keys(i, seed=1)) for i in listings["Id"]]
    assert min(counts) >= 10 and max(counts) <= 30 and 15 <= sum(counts) / len(counts) <= 25
    url = site.photo_urls(listings["Id"].iloc[0])[0]
    response = _get(url)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"
    assert _get(url.replace(url.split("/")[-1][:16], "0" * 16)).status_code == 404
    images = site.published_images()
    assert len(images) == sum(counts) and images["path"].is_unique


def test_the_log_records_every_request(listings):
    with ListingSite(listings, per_page=10) as s:
        for _ in range(2):
            _get(s.url + "/homes/sold/?page=2")
        log = s.log()
    assert log["path"].tolist() == ["/homes/sold/?page=2"] * 2
    assert log["attempt"].tolist() == [1, 2] and log["status"].tolist() == [200, 200]
    assert (log["agent"] == AGENT["User-Agent"]).all()


# --------------------------------------------------------------------------- faults


def test_error_faults_answer_with_the_configured_5xx_statuses(listings):
    with _faulty(listings, error_rate=1.0, error_statuses=(502, 504),
                 max_faults_per_path=None) as s:
        statuses = {_get(s.url + f"/homes/sold/?page={p}").status_code for p in range(1, 6)}
        assert _get(s.url + "/robots.txt").status_code == 200  # not under a faulty prefix
    assert statuses <= {502, 504} and statuses


def test_throttle_faults_send_429_with_retry_after(listings):
    with _faulty(listings, throttle_rate=1.0, retry_after=3) as s:
        response = _get(s.url + "/homes/sold/")
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"


def test_slow_faults_make_a_short_timeout_expire(listings):
    with _faulty(listings, slow_rate=1.0, slow_seconds=2.0) as s:
        with pytest.raises(requests.Timeout):
            requests.get(s.url + "/homes/sold/", headers=AGENT, timeout=0.2)
        started = time.perf_counter()
    assert time.perf_counter() - started < 1.5  # stopping wakes the sleeping handler
    assert s.log()["fault"].tolist() == ["slow"]


def test_fail_first_makes_a_deterministic_flaky_server(listings):
    with _faulty(listings, fail_first=2, fail_with=503) as s:
        statuses = [_get(s.url + "/homes/sold/").status_code for _ in range(4)]
        log = s.log()
    assert statuses == [503, 503, 200, 200]
    assert log["fault"].tolist() == ["flaky", "flaky", "none", "none"]


def test_fault_rates_are_close_to_the_configured_probabilities():
    config = FaultConfig(slow_rate=0.1, error_rate=0.2, throttle_rate=0.1)
    decisions = pd.Series([str(config.decide(0, f"/homes/sold/?page={k}", 1, 0))
                           for k in range(4000)])
    kinds = decisions.map(lambda d: "error" if d.startswith("5") else d).value_counts(
        normalize=True)
    assert kinds["slow"] == pytest.approx(0.1, abs=0.02)
    assert kinds["error"] == pytest.approx(0.2, abs=0.025)
    assert kinds["429"] == pytest.approx(0.1, abs=0.02)


def test_fault_decisions_are_deterministic_and_transient():
    config = FaultConfig(error_rate=0.5, max_faults_per_path=1)
    first = [config.decide(7, f"/homedetails/x/{k}_zpid/", 1, 0) for k in range(50)]
    assert first == [config.decide(7, f"/homedetails/x/{k}_zpid/", 1, 0) for k in range(50)]
    assert first != [config.decide(8, f"/homedetails/x/{k}_zpid/", 1, 0) for k in range(50)]
    assert all(config.decide(7, f"/homedetails/x/{k}_zpid/", 2, 1) == "none" for k in range(50))


@pytest.mark.parametrize("kwargs", [
    {"error_rate": 1.5}, {"slow_rate": 0.6, "error_rate": 0.6}, {"retry_after": -1},
    {"error_statuses": (404,)}, {"max_faults_per_path": -1}, {"fail_first": -2},
    {"fail_with": 200}, {"fail_with": "slowly"},
])
def test_fault_config_validates(kwargs):
    with pytest.raises(ValueError):
        FaultConfig(**kwargs)


# --------------------------------------------------------------------------- lifecycle


def test_the_site_stops_cleanly(listings):
    s = ListingSite(listings).start()
    url = s.url
    assert s.running and _get(url + "/").status_code == 200
    s.stop()
    assert not s.running
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/", timeout=1)
    with pytest.raises(RuntimeError, match="not running"):
        _ = s.url
    s.stop()  # stopping twice is harmless


def test_starting_twice_is_an_error(listings):
    with ListingSite(listings) as s, pytest.raises(RuntimeError, match="already running"):
        s.start()


def test_listing_site_validates_its_inputs(listings):
    with pytest.raises(TypeError):
        ListingSite(listings.to_dict())
    with pytest.raises(ValueError, match="lack"):
        ListingSite(listings.drop(columns="Sold Price"))
    with pytest.raises(ValueError, match="unique"):
        ListingSite(pd.concat([listings, listings.iloc[:1]]))
    with pytest.raises(ValueError, match="empty"):
        ListingSite(listings.iloc[:0])
    with pytest.raises(ValueError, match="per_page"):
        ListingSite(listings, per_page=0)
    with pytest.raises(TypeError, match="FaultConfig"):
        ListingSite(listings, faults={"error_rate": 0.1})
    with pytest.raises(ValueError, match="disallow"):
        ListingSite(listings, disallow="/search/")
