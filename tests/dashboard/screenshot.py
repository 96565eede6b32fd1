"""A picture of optuna-dashboard for the README, taken in headless Chromium.

    python -m tests.dashboard.screenshot --out docs/dashboard.png        # a toy study
    python -m tests.dashboard.screenshot --storage outputs/studies/journal.log \\
        --artifact-dir outputs/studies/artifacts --study focal_depth --out my.png

Without ``--storage`` it runs the toy study of the tests (six trials in seconds, no
TensorFlow) in a temporary folder. It opens the best trial's page (note, attributes,
artifacts) and saves it as a palette PNG, scaled down to stay small.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.dashboard.browser import (
    chromium,
    dashboard_argv,
    running_dashboard,
    save_small_png,
    study_id,
    trial_heading_xpath,
    trial_list_item_xpath,
)
from tests.study.toy_helpers import Toy

TOY_STUDY = (
    "evidence=true",
    "hydra.sweeper.n_trials=6",
    "hydra.sweeper.enqueue=[{x:0.62},{x:0.81},{x:0.1},{x:0.3},{x:0.74},{x:0.55}]",
    "fail_x_below=0.15",
    "hydra.sweeper.pruner.n_startup_trials=2",
    "hydra.sweeper.pruner.n_warmup_steps=1",
)


def _toy_study(folder: Path) -> tuple[list[str], str]:
    """Run the toy study in ``folder``; its dashboard command and study name."""
    result = Toy(folder).run(*TOY_STUDY)
    if result.returncode != 0:
        raise SystemExit(f"error: the toy study failed: {result.stderr.strip()}")
    hints = [line for line in result.stdout.splitlines() if line.startswith("view it with:")]
    return dashboard_argv(hints[-1]), "toy"


def _best_trial(argv: list[str], study: str) -> int:
    import optuna
    from optuna_dashboard._storage_url import get_storage

    loaded = optuna.load_study(study_name=study, storage=get_storage(argv[1]))
    return int(loaded.best_trial.number)


def take(argv: list[str], study: str, out: Path, trial: int | None, width: int,
         height: int, scale_to: int) -> Path:
    """Screenshot trial ``trial`` (default: the best) of ``study`` into ``out``."""
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    number = _best_trial(argv, study) if trial is None else trial
    with tempfile.TemporaryDirectory(prefix="tfod-shot-") as scratch, \
            running_dashboard(argv, Path(scratch) / "dashboard.log") as dashboard, \
            chromium(width, height) as browser:
        wait = WebDriverWait(browser, 60)
        browser.get(f"{dashboard.url}/dashboard/studies/{study_id(dashboard, study)}/trials")
        wait.until(ec.element_to_be_clickable((By.XPATH, trial_list_item_xpath(number)))).click()
        heading = wait.until(
            ec.visibility_of_element_located((By.XPATH, trial_heading_xpath(number))))
        ActionChains(browser).move_to_element(heading).perform()  # no hover on the list
        wait.until(lambda _: not browser.find_elements(By.CSS_SELECTOR,
                                                       ".MuiTouchRipple-child"))
        images = browser.find_elements(By.XPATH, "//img[starts-with(@src, '/artifacts/')]")
        for image in images:  # the artifact thumbnails are part of the picture
            wait.until(lambda _, img=image: browser.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 0", img))
        raw = Path(scratch) / "raw.png"
        browser.save_screenshot(str(raw))
        picture = Image.open(raw).convert("RGB")
        save_small_png(picture, out, scale_to)
    return out


def main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    parser.add_argument("--storage", help="a study storage (default: make a toy study)")
    parser.add_argument("--artifact-dir", help="its artifact store (with --storage)")
    parser.add_argument("--study", default="toy", help="the study's name (with --storage)")
    parser.add_argument("--trial", type=int, help="trial number (default: the best)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1720)
    parser.add_argument("--scale-to", type=int, default=1000, help="width of the saved PNG")
    options = parser.parse_args(args)
    with tempfile.TemporaryDirectory(prefix="tfod-toy-study-") as folder:
        if options.storage:
            argv = [*dashboard_argv("optuna-dashboard"), options.storage, "--host", "127.0.0.1"]
            if options.artifact_dir:
                argv += ["--artifact-dir", options.artifact_dir]
            study = options.study
        else:
            argv, study = _toy_study(Path(folder))
        out = take(argv, study, options.out, options.trial, options.width, options.height,
                   options.scale_to)
    print(f"{out}: {out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
