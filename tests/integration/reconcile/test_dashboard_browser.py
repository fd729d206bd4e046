"""The dashboard in a real browser (Debian's chromium, driven by Selenium through
chromium-driver), against a controller following rollouts on the emulator's simulated fleet.

The controller's reconciler runs on the virtual clock of rollout_kit; its real HTTP server
serves the dashboard. The browser opens the pages once and watches them change without a
reload as devices take a revision, then fail it under a failure rule. The hostile file name
and commit message of the output-injection suite must show as text.

Without chromium, chromium-driver or selenium these tests are skipped, saying which is missing;
`.ci/run` installs chromium so that CI always runs them. Set DASHBOARD_SCREENSHOTS=DIR to save
the screenshots used in the README (docs/images/).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.adapters.http import ControllerHttpServer, Probes
from reconciler.adapters.http.dashboard import Dashboard, DashboardSource
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.engine.reconciling import Reconciler
from tests.conftest import AwsTestContext
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    commit,
    fleet_repo,
    reconciler,
    step,
)
from tests.reliability.test_output_injection import BREAKOUT, HOSTILE_FILE

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PROD, STAGING = "CameraFleetProd", "CameraFleetStaging"
FLEET = """
generate:
  - {group: CameraFleetProd, count: 50, namePrefix: prod-}
  - {group: CameraFleetStaging, count: 4, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""
AUTHOR = 'Mallory & "&lt;b&gt;" \u202eevil'  # Git refuses < and > in names
# Git's subject is the message's first line: the markup breakout goes there, the rest after.
SUBJECT = "Rename </td><img src=x><script>alert(1)</script>\u202eevil"
FAILING = [f"prod-{n:02d}" for n in range(1, 11)]
CLASSIFIER = "aws.greengrass.DLRImageClassification"
# Chromium looks up the network at start (component updates, sync, QUIC probes): on a machine
# without internet it then hangs. These flags switch every such lookup off.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1440,1000",
)


def _missing() -> str | None:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return (
            "Debian's chromium and chromium-driver are not installed "
            "(apt-get install -y chromium chromium-driver; .ci/run does it)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_missing() is not None, reason=_missing() or ""),
    pytest.mark.xdist_group("browser"),  # one Chromium at a time on a small machine
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def fleet(seeded: AwsTestContext) -> AwsTestContext:
    seeded.admin.set_clock("virtual")
    seeded.admin.load_fleet(FLEET)
    return seeded


@pytest.fixture
def repo(tmp_path: Path, specs: Path) -> git.Repo:
    """The sample fleet, its prod spec under the hostile file name, committed with a hostile
    subject and author."""
    repo = fleet_repo(tmp_path / "fleet", specs)
    groups = Path(repo.working_dir) / "deploy-specs" / "groups"
    shutil.move(groups / "camera-prod.yaml", groups / HOSTILE_FILE)
    repo.git.add("-A", "deploy-specs")
    author = git.Actor(AUTHOR, "m@example.invalid")
    repo.index.commit(SUBJECT + BREAKOUT, author=author, committer=author)
    return repo


@pytest.fixture
def dashboard_for() -> Iterator[Callable[[Reconciler], str]]:
    servers: list[ControllerHttpServer] = []

    def start(rec: Reconciler) -> str:
        server = ControllerHttpServer(
            host="127.0.0.1",
            port=0,
            probes=Probes(healthy=lambda: True, ready=lambda: True, status=rec.status.snapshot),
            webhook=None,
            metrics=ControllerMetrics(),
            dashboard=Dashboard(
                DashboardSource(fleet=rec.status.snapshot, group=rec.status.group_detail),
                refresh_seconds=1,
            ),
        )
        server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def _wait(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _text(driver: Any, css: str) -> str:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    try:
        return str(driver.find_element("css selector", css).text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""  # between two live updates


def _count(driver: Any, status: str) -> int:
    text = _text(driver, f'#device-counts li[data-status="{status}"] b')
    return int(text) if text.isdigit() else -1


def _screenshot(driver: Any, name: str) -> None:
    folder = os.environ.get("DASHBOARD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))


def _csp_violations(driver: Any) -> list[str]:
    return [
        str(entry["message"])
        for entry in driver.get_log("browser")
        if "Content Security Policy" in str(entry.get("message", ""))
    ]


def test_the_dashboard_follows_a_rollout_and_its_failures_live_in_a_browser(
    fleet: AwsTestContext,
    repo: git.Repo,
    tmp_path: Path,
    browser: Any,
    dashboard_for: Callable[[Reconciler], str],
) -> None:
    clock = ManualClock(float(fleet.admin.clock()["now"]))
    rec = reconciler(repo, tmp_path / "cache", clock)
    url = dashboard_for(rec)
    assert rec.reconcile("startup", full=True).result == "success"

    # The fleet table: a row per group; the hostile file name and author shown as text.
    browser.get(url + "/")
    rows = browser.find_elements("css selector", "#fleet tbody tr")
    assert [r.get_attribute("data-group") for r in rows] == [PROD, STAGING]
    prod_row = browser.find_element("css selector", f'tr[data-group="{PROD}"]')
    assert "camera\\x1b[2K\\rprod`<details><img src=x>\\n**No changes.**\\u202e.yaml" in (
        prod_row.text
    )
    assert 'Mallory & "&lt;b&gt;" \\u202eevil' in prod_row.text
    assert browser.find_elements("css selector", "img, details") == []

    # A group's page, opened once: the devices take the revision as the clocks move.
    browser.get(url + f"/ui/groups/{PROD}")
    browser.execute_script("window.loadedOnce = true;")  # gone if the page reloaded
    assert "Progressing" in _text(browser, "section.summary")
    seen: list[int] = []
    for _ in range(40):
        step(fleet, clock, rec.rollouts, 15)
        refreshes = browser.find_element("id", "live").get_attribute("data-refreshes") or "0"
        _wait(
            lambda r=refreshes: (browser.find_element("id", "live").get_attribute(
                "data-refreshes") or "0") != r,
            "a live update",
        )  # fmt: skip
        seen.append(_count(browser, "succeeded"))
        if "Succeeded" in _text(browser, "section.summary"):
            break
    assert seen[-1] == 50, seen
    assert any(0 < count < 50 for count in seen), f"no rollout in progress was shown: {seen}"
    assert seen == sorted(seen)
    assert browser.execute_script("return window.loadedOnce === true;")
    assert browser.find_elements("css selector", "svg.plot polyline.ok")
    page = _text(browser, "main")
    assert "Rename </td><img src=x><script>alert(1)</script>\\u202eevil" in page
    assert browser.find_elements("css selector", "img, details") == []

    # A failure rule, then a commit: the page shows the failing devices and their codes.
    fleet.admin.set_failures(
        [{"component": CLASSIFIER, "version": "*", "devices": FAILING, "phase": "configuration"}]
    )
    commit(repo, f"groups/{HOSTILE_FILE}", "InferenceInterval: 300", "InferenceInterval: 120",
           "prod: classify every 2 minutes")  # fmt: skip
    assert rec.reconcile("poll").result == "success"
    for _ in range(60):
        step(fleet, clock, rec.rollouts, 15)
        if rec.status.snapshot()["targets"][PROD]["rollout"]["state"] == "Failed":
            break
    _wait(lambda: "Failed" in _text(browser, "section.summary"), "the Failed state")
    _wait(lambda: _count(browser, "failed") == 10, "10 failed devices")
    # Read in one script call: a live update may replace the rows between two WebDriver calls.
    failing = browser.execute_script(
        "return Array.from(document.querySelectorAll('#failing tbody tr'), r => r.innerText);"
    )
    assert sorted(row.split()[0] for row in failing) == FAILING
    assert all("FAILED" in row for row in failing)
    assert "COMPONENT_CONFIGURATION_NOT_VALID" in _text(browser, "section.failing")
    assert "prod: classify every 2 minutes" in _text(browser, "section.revisions")
    _screenshot(browser, "dashboard-group.png")
    assert browser.execute_script("return window.loadedOnce === true;")

    # Back on the fleet table: the failed group sorts first by failures.
    browser.get(url + "/?sort=failed&dir=desc")
    first = browser.find_element("css selector", "#fleet tbody tr")
    assert first.get_attribute("data-group") == PROD
    assert "Failed" in first.text
    _screenshot(browser, "dashboard-fleet.png")
    assert _csp_violations(browser) == []
