"""One real browser: `lcw dashboard` served over the published sample and driven by headless
Debian Chromium (playwright only drives /usr/bin/chromium, it downloads no browser). Every page
renders without an error, and the GMV figures and the charts are on the page.

Chromium comes from the Debian packages: when /usr/bin/chromium is missing, the `chromium`
fixture installs it with apt-get (CI runs as root; elsewhere the test is skipped with the
command to run)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BIN_DIR, dashboard_warehouse, open_app, publish_copy, query_dicts

from orchestration.dashboard.app import PAGES
from orchestration.dashboard.formatting import count, money

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("needs Debian's chromium: sudo apt-get install -y chromium")
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=900,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )  # fmt: skip
            assert completed.returncode == 0, completed.stderr[-3000:]
    assert CHROMIUM.exists()
    return CHROMIUM


@pytest.fixture(scope="module")
def published(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_copy(dashboard_warehouse(sample_warehouse, tmp_path_factory.mktemp("browser")))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dashboard_url(published: Path) -> Iterator[str]:
    """`lcw dashboard` serving the published sample, stopped (its process group) afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN_DIR / "lcw"), "dashboard", "--published", str(published), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, "lcw dashboard exited"
            assert time.monotonic() < deadline, "lcw dashboard did not start"
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def apptest_metric_values(copy: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> list:
    """What AppTest shows on a page (test_dashboard.py checks those against the marts)."""
    at = open_app(copy, monkeypatch, page)
    return [m.value for m in at.metric]


def test_every_page_renders_in_a_real_browser(
    chromium: Path,
    dashboard_url: str,
    published: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    [gmv] = query_dicts(
        published,
        """select sum(gmv) as gmv, sum(net_gmv) as net, sum(placed_gmv) as placed,
                  sum(private_gmv) as private, sum(public_gmv) as public, sum(orders) as orders
           from marts.gmv_daily""",
    )
    expected = [money(gmv[k]) for k in ("gmv", "net", "placed", "private", "public")]
    expected.append(count(gmv["orders"]))
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            page.goto(dashboard_url)
            # Metrics render one after another: wait until all of them show the marts' figures
            # (reading after the first one appears raced the rest).
            metric_values = page.locator('[data-testid="stMetricValue"]')
            expect(metric_values).to_have_text(expected, timeout=90_000)
            assert metric_values.first.inner_text() == "445.50"
            # Charts render one after another: wait for the second, not only the first.
            page.wait_for_function(
                "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 2",
                timeout=60_000,
            )
            assert "published at" in page.inner_text('[data-testid="stSidebar"]')

            sidebar = page.locator('[data-testid="stSidebar"]')
            for name in PAGES[1:]:
                sidebar.get_by_text(name, exact=True).click()
                page.wait_for_selector(f'h2:has-text("{name.split()[0]}")', timeout=60_000)
                # The page's figures, in order, are AppTest's, which equal the marts.
                expect(page.locator('[data-testid="stMetricValue"]')).to_have_text(
                    apptest_metric_values(published, name, monkeypatch), timeout=60_000
                )
                assert not page.query_selector('[data-testid="stException"]'), name
        finally:
            browser.close()
