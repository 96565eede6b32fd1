"""A picture of the study report for the README, taken by headless Chromium.

    python -m tests.report.screenshot --out docs/report.png          # a toy study
    python -m tests.report.screenshot --report outputs/studies/focal_depth/report --out my.png
    python -m tests.report.screenshot --report ... --section race   # from the Race section

Without ``--report`` it runs the report tests' toy study (7 trials with evidence, no
TensorFlow, seconds) in a temporary folder and reports on it with `python -m
sweep.report`. It saves the top of index.html (summary, trials table, verdict, learning
curves) as a palette PNG, scaled down to stay small. Needs Debian's chromium
(``make chromium``); ``--no-sandbox`` because tests may run as root.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from sweep.report import main as report_main
from tests.dashboard.browser import CHROMIUM, save_small_png
from tests.report.conftest import STUDY, FocalToy


def toy_report(folder: Path) -> Path:
    """Run the toy study in `folder` and write its report; the report folder."""
    result = FocalToy(folder).run(timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"error: the toy study failed: {result.stderr.strip()[-500:]}")
    study_dir = folder / "outputs" / "studies" / STUDY
    with contextlib.redirect_stdout(io.StringIO()):  # the tables: not wanted here
        code = report_main([str(study_dir)])
    if code != 0:
        raise SystemExit("error: the report failed")
    return study_dir / "report"


def _from_section(page: Path, section: str | None, scratch: Path) -> Path:
    """`page`, or a copy beside it that keeps its title and starts at heading `section`
    (beside it, so the pictures' relative paths still resolve)."""
    if section is None:
        return page
    html = page.read_text()
    start = html.find(f'<h2 id="{section}"')
    title_end = html.find("</h1>")
    if start < 0 or title_end < 0:
        raise SystemExit(f"error: {page} has no section {section!r}")
    copy = page.with_name(f".{scratch.name}-{section}.html")
    copy.write_text(html[:title_end + len("</h1>")] + html[start:])
    return copy


def take(report: Path, out: Path, width: int, height: int, scale_to: int,
         section: str | None = None) -> Path:
    """Screenshot `height` pixels of `report`/index.html into `out`: its top, or from the
    heading whose id is `section` (e.g. race, learning-curves)."""
    page = (report / "index.html").resolve()
    if not page.is_file():
        raise SystemExit(f"error: {page}: no such file (run python -m sweep.report first)")
    if not CHROMIUM.is_file():
        raise SystemExit(f"error: {CHROMIUM} not installed: run `make chromium`")
    with tempfile.TemporaryDirectory(prefix="tfod-report-shot-") as scratch:
        raw = Path(scratch) / "raw.png"
        subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={scratch}/profile", f"--window-size={width},{height}",
             f"--screenshot={raw}", _from_section(page, section, Path(scratch)).as_uri()],
            check=True, capture_output=True, timeout=120)
        picture = Image.open(raw).convert("RGB")
        page.with_name(f".{Path(scratch).name}-{section}.html").unlink(missing_ok=True)
    save_small_png(picture, out, scale_to)
    return out


def main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/report.png"))
    parser.add_argument("--report", type=Path, help="a report folder (default: a toy study's)")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1250)
    parser.add_argument("--scale-to", type=int, default=900, help="width of the saved PNG")
    parser.add_argument("--section", help="start at this heading id (default: the top)")
    options = parser.parse_args(args)
    with tempfile.TemporaryDirectory(prefix="tfod-toy-report-") as folder:
        report = options.report or toy_report(Path(folder))
        out = take(report, options.out, options.width, options.height, options.scale_to,
                   options.section)
    print(f"{out}: {out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
