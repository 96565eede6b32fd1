"""optuna-dashboard in headless Chromium: start both, open pages, wait for what they show.

Debian's ``chromium`` and ``chromium-driver`` (``make chromium``) are driven through
selenium. The network of the machines we test on is closed, and Chromium without the
flags below stalls on its background connections (component updates, sync, QUIC), so
they are always passed, with a fresh profile per browser.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.study.postgres_server import free_port
from tests.study.toy_helpers import wait_for

if TYPE_CHECKING:
    from PIL import Image
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserUnavailable(RuntimeError):
    """Chromium, chromedriver or selenium is missing."""


def browser_problem() -> str | None:
    """Why no browser can be started here, or None."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        return (f"{' and '.join(missing)} not installed: run `make chromium` "
                "(apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: run `make install` (the dev extra has it)"
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[WebDriver]:
    """A headless Chromium with a throwaway profile, closed on exit."""
    problem = browser_problem()
    if problem:
        raise BrowserUnavailable(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="tfod-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@dataclass
class Dashboard:
    """A running optuna-dashboard."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def dashboard_argv(hint: str) -> list[str]:
    """The sweep's ``view it with: optuna-dashboard ...`` command, run with this venv's script.

    Everything after the program name is used as printed: the test checks the hint itself.
    """
    words = shlex.split(hint.removeprefix("view it with:").strip())
    assert words and words[0] == "optuna-dashboard", hint
    return [str(Path(sys.executable).parent / "optuna-dashboard"), *words[1:]]


@contextmanager
def running_dashboard(argv: list[str], log: Path, deadline: float = 90.0) -> Iterator[Dashboard]:
    """Start ``argv`` (an optuna-dashboard command) on a free port; stop it on exit."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([*argv, "--port", str(port)], stdout=out,
                                   stderr=subprocess.STDOUT)
    dashboard = Dashboard(f"http://127.0.0.1:{port}", process, log)
    try:
        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(
                    f"optuna-dashboard exited {process.returncode}: {dashboard.log_text()}")
            try:
                with urllib.request.urlopen(f"{dashboard.url}/api/studies", timeout=5) as reply:
                    return bool(reply.status == 200)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_for(answers, f"optuna-dashboard to answer on port {port}", deadline)
        yield dashboard
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def study_id(dashboard: Dashboard, name: str) -> int:
    """The dashboard's id of the study called ``name``."""
    import json

    with urllib.request.urlopen(f"{dashboard.url}/api/studies", timeout=10) as reply:
        studies = json.load(reply)["study_summaries"]
    ids = [s["study_id"] for s in studies if s["study_name"] == name]
    assert len(ids) == 1, studies
    return int(ids[0])


def trial_list_item_xpath(number: int) -> str:
    """The entry of trial ``number`` in the trial list (its name and state chips)."""
    return (f"//div[contains(@class, 'MuiListItemButton-root')]"
            f"[.//*[normalize-space(text())='Trial {number}']]")


def trial_heading_xpath(number: int) -> str:
    """The heading of trial ``number``'s detail pane."""
    heading = "self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    return f"//*[{heading}][starts-with(normalize-space(.), 'Trial {number} (trial_id=')]"


def save_small_png(picture: Image.Image, out: Path, scale_to: int) -> None:
    """Shrink a screenshot to `scale_to` px wide and 128 colours: README pictures stay small."""
    from PIL import Image

    if picture.width > scale_to:
        size = (scale_to, round(picture.height * scale_to / picture.width))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    out.parent.mkdir(parents=True, exist_ok=True)
    picture.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
