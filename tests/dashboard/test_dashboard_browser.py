"""optuna-dashboard, as a person sees it in a browser, shows every trial's evidence.

A real toy study (COMPLETE, FAIL and PRUNED trials, each with its run's files) is opened
with the very command the sweep printed, in headless Chromium. Without Chromium the test
fails and names ``make chromium``: it is never skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState

from tests.dashboard.browser import (
    browser_problem,
    chromium,
    dashboard_argv,
    running_dashboard,
    study_id,
    trial_heading_xpath,
    trial_list_item_xpath,
)
from tests.study.toy_helpers import MIXED, Toy

STATES = ("Complete", "Complete", "Fail", "Pruned")
WAIT = 60  # seconds; pages render in a few, a loaded 2-core machine needs more


def _xpath_text(text: str) -> str:
    return f"normalize-space(.)='{text}'"


def test_the_dashboard_shows_every_trial_with_its_evidence(toy: Toy, tmp_path: Path) -> None:
    problem = browser_problem()
    if problem:
        pytest.fail(f"the dashboard browser test needs a browser: {problem}", pytrace=False)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    result = toy.run(*MIXED)
    assert result.returncode == 0, result.stderr
    assert [t.state for t in toy.trials()] == [
        TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED]
    (hint,) = [line for line in result.stdout.splitlines() if line.startswith("view it with:")]

    with running_dashboard(dashboard_argv(hint), tmp_path / "dashboard.log") as dashboard, \
            chromium() as browser:
        wait = WebDriverWait(browser, WAIT)

        def shown(xpath: str):  # noqa: ANN202 - a selenium WebElement
            return wait.until(ec.visibility_of_element_located((By.XPATH, xpath)))

        study = study_id(dashboard, "toy")
        browser.get(f"{dashboard.url}/dashboard/studies/{study}/trials")

        # The trial list: every trial, each with its state.
        for number, state in enumerate(STATES):
            item = shown(trial_list_item_xpath(number))
            assert state in item.text.splitlines(), item.text

        # Trial 0's page: its metrics as user attributes, its note, its artifacts.
        shown(trial_list_item_xpath(0)).click()
        shown(trial_heading_xpath(0))
        attribute = shown("//p[starts-with(normalize-space(.), "
                          "'DetectionBoxes_Precision/mAP@.50IOU ')]")
        assert attribute.text.split()[-1] == "0.9"
        shown(f"//h3[{_xpath_text('Trial 0: COMPLETE, mAP@.50 = 0.9000')}]")
        row = shown("//tr[td[1][normalize-space(.)='trial_0']]")  # the AP table comes first
        assert row.text.split()[:3] == ["trial_0", "0.810", "0.900"], row.text
        chart = shown("//img[@alt='per_class_ap50.png']")
        # Served from the artifact store through the dashboard: the picture really loads.
        wait.until(lambda _: browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 100", chart))
        shown(f"//p[{_xpath_text('pipeline.config')}]")
        shown(f"//p[{_xpath_text('preview.png')}]")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
        screenshot = tmp_path / "dashboard_trial_0.png"
        assert browser.save_screenshot(str(screenshot))
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert screenshot.stat().st_size > 20_000

        # The pruned trial's page says where it was cut, and shows what it had written.
        shown(trial_list_item_xpath(3)).click()
        shown("//h3[starts-with(normalize-space(.), 'Trial 3: PRUNED')]")
        shown("//*[contains(normalize-space(.), 'Numbers of its last evaluation (step 1).')]")
        shown(f"//p[{_xpath_text('pipeline.config')}]")
        assert not browser.find_elements(By.XPATH, "//img[@alt='preview.png']")

        # The study page's history plot names the objective instead of "Objective 0".
        browser.get(f"{dashboard.url}/dashboard/studies/{study}")
        shown("//*[local-name()='text'][normalize-space(.)='mAP@.50']")
        assert not browser.find_elements(
            By.XPATH, "//*[local-name()='text'][normalize-space(.)='Objective 0']")
        browser.save_screenshot(str(tmp_path / "dashboard_study.png"))
    assert "Traceback" not in dashboard.log_text()


def test_a_missing_browser_fails_loudly_naming_make_chromium(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    import tests.dashboard.browser as browser

    monkeypatch.setattr(browser, "CHROMEDRIVER", tmp_path / "no-chromedriver")
    problem = browser.browser_problem()
    assert problem is not None and "make chromium" in problem
    with pytest.raises(browser.BrowserUnavailable, match="make chromium"):
        with browser.chromium():
            pass
