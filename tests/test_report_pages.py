"""The eval report and a review page in a real headless Chromium.

Chromium and its driver come from Debian's packages (`.ci/run` installs them);
the pages must load from file:// with no console errors and no request
leaving the page, and a click on a field must bring its span into view.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTICES

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver (installed by .ci/run)")
SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, sample_gold: Path) -> Path:
    root = tmp_path_factory.mktemp("pages")
    run = [sys.executable, "-m", "llm_extract.cli"]
    subprocess.run([*run, "extract", str(NOTICES), "--out", str(root / "rules.jsonl"), "--quiet"], check=True)
    # a deliberately broken run, so the report has disagreements to list
    broken = []
    for line in map(json.loads, (root / "rules.jsonl").read_text(encoding="utf-8").splitlines()):
        line["record"]["plan"]["measures"] = None
        broken.append(json.dumps(line, ensure_ascii=False))
    (root / "broken.jsonl").write_text("\n".join(broken) + "\n", encoding="utf-8")
    subprocess.run([*run, "eval", "--gold", str(sample_gold), "--pred", str(root / "broken.jsonl"), "--report",
                    str(root / "report"), "--quiet"], check=True)
    subprocess.run([*run, "review", str(root / "rules.jsonl"), "--out", str(root / "review"), "--gold", str(sample_gold)],
                   check=True)
    return root


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _clean_load(driver, path: Path) -> None:
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.as_uri())
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    leaving = [u for u in _requests(driver) if not u.startswith(("file://", "data:", "about:"))]
    assert leaving == []


def test_the_report_shows_its_table_chart_and_disagreements(browser, pages: Path) -> None:
    from selenium.webdriver.common.by import By

    _clean_load(browser, pages / "report" / "report.html")
    assert browser.find_element(By.ID, "accuracy-chart").size["height"] > 100
    rows = browser.find_elements(By.CSS_SELECTOR, "#fields tr")
    assert len(rows) > 40
    assert "plan.measures" in browser.find_element(By.ID, "disagreements").text
    assert browser.find_element(By.ID, "provenance").text == "records: 5 from rules, 0 fell back to rules, 0 failed"
    context = browser.find_element(By.CSS_SELECTOR, "#disagreements mark").find_element(By.XPATH, "..").text
    assert "116" in context and "条具体整改措施" in context  # the quote with the words around it
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "report.png"))


def test_clicking_a_field_highlights_its_span_in_view(browser, pages: Path) -> None:
    from selenium.webdriver.common.by import By

    _clean_load(browser, pages / "review" / "004_a2fdee0aed3fff2e.html")
    button = browser.find_element(By.XPATH, "//button[@class='field' and .='contact.emails.0']")
    target = button.get_attribute("data-target")
    button.click()
    mark = browser.find_element(By.ID, target)
    assert "active" in mark.get_attribute("class") and mark.text.startswith("ohqw@ouhai.gov.cn")
    in_view = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(), box = document.getElementById('text').getBoundingClientRect();"
        "return r.top >= box.top && r.bottom <= box.bottom && r.top >= 0 && r.bottom <= window.innerHeight;", mark)
    assert in_view
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "review.png"))


def test_every_field_of_a_review_page_clicks_to_its_own_marked_span_nested_ones_included(browser, pages: Path) -> None:
    from selenium.webdriver.common.by import By

    doc = "000_52b65cbec59bb7bf"  # team_number 九 sits inside the team 省委第九巡视组
    line = next(json.loads(x) for x in (pages / "rules.jsonl").read_text(encoding="utf-8").splitlines()
                if json.loads(x)["doc"] == doc)
    _clean_load(browser, pages / "review" / f"{doc}.html")
    buttons = browser.find_elements(By.CSS_SELECTOR, "button.field")
    assert sorted(b.text for b in buttons) == sorted(line["evidence"])
    nested = browser.find_element(By.CSS_SELECTOR, "mark[data-field='inspection_body'] mark[data-field='team_number']")
    assert nested.get_attribute("textContent") == line["evidence"]["team_number"]["quote"]
    for button in buttons:
        path = button.text
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        mark = browser.find_element(By.ID, button.get_attribute("data-target"))
        assert mark.get_attribute("data-field") == path
        assert "active" in mark.get_attribute("class"), path
        assert mark.get_attribute("textContent") == line["evidence"][path]["quote"], path
        in_view = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(), box = document.getElementById('text').getBoundingClientRect();"
            "return r.bottom > box.top && r.top < box.bottom && r.bottom > 0 && r.top < window.innerHeight;", mark)
        assert in_view, path
    browser.find_element(By.XPATH, "//button[@class='field' and .='team_number']").click()
    browser.save_screenshot(str(SHOTS / "review-nested.png"))


def test_the_review_index_and_summary_page_load_clean(browser, pages: Path) -> None:
    from selenium.webdriver.common.by import By

    _clean_load(browser, pages / "review" / "index.html")
    assert "中共东阳市委" in browser.find_element(By.ID, "index").text
    subprocess.run([sys.executable, "-m", "llm_extract.cli", "summary", str(pages / "rules.jsonl"), "--html",
                    str(pages / "summary.html")], check=True, capture_output=True)
    _clean_load(browser, pages / "summary.html")
    for chart in ("chart-years", "chart-levels", "chart-discipline", "chart-money"):
        assert browser.find_element(By.ID, chart).size["height"] > 40
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "summary.png"))
