"""A racing study in its report: the verdict, every candidate's runs and a plot of them.

The cell formatters also write the study's note in optuna-dashboard (the sweeper's
``_race/_review``), so the two review tools word a candidate alike.

Reads the record the sweeper stores on the study (user attr ``race``, plain JSON), so
the report needs neither the sweeper nor TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfod_sweep.errors import SweepError
from tfod_sweep.review.document import Block, Figure, Heading, Text, table

RACE_FILE = "race.png"


def race_record(user_attrs: dict[str, Any]) -> dict[str, Any] | None:
    record = user_attrs.get("race")
    return record if isinstance(record, dict) and "candidates" in record else None


def race_choice(record: dict[str, Any], maximize: bool) -> tuple[int, str]:
    """The trial a finished race ships, and why: the confirmed winner's best full-length run.

    When no setting beat the baseline beyond the seed noise, the baseline's: that is the
    race's answer. Among the point's full-length runs (selection and confirmation seeds)
    the best seed is shipped, as for a trial with several seeds; the verdict rests on the
    confirmation's mean, not on this run.

    Raises:
        SweepError: the race has no verdict yet.
    """
    if not record.get("complete"):
        raise SweepError("the race has no verdict yet (its confirmation has not finished): "
                         "re-run the study to finish it, or pass --trial N")
    candidates = record["candidates"]
    winner = next((c for c in candidates if (c["confirmed"] or {}).get("winner")), None)
    chosen = winner or next(c for c in candidates if c["baseline"])
    done = [r for r in chosen["runs"] if r["state"] == "done" and r["value"] is not None]
    full = max(r["steps"] for r in done)
    pick = max if maximize else min
    best = pick((r for r in done if r["steps"] == full), key=lambda r: r["value"])
    why = (f"the race's confirmed winner, candidate {chosen['candidate']}" if winner else
           "no setting beat the baseline beyond the seed noise, so the baseline")
    return best["trial"], f"{why}: its best full-length run (seed {best['seed']})"


def runs_cell(entry: dict[str, Any]) -> str:
    return ", ".join(
        f"{r['seed']}@{r['steps']}: " + (f"{r['value']:.4f}" if r["value"] is not None
                                         else r["state"])
        for r in entry["runs"] if r["role"] == "search")


def confirmed_cell(confirmed: dict[str, Any] | None) -> str:
    if not confirmed:
        return ""
    text = f"{confirmed['mean']:.4f} ± {confirmed['std']:.4f} (n = {confirmed['n']})"
    if "delta" in confirmed:
        text += (f"; {confirmed['delta']:+.4f} vs baseline, {confirmed['level']:.1%} CI "
                 f"[{confirmed['low']:.4f}, {confirmed['high']:.4f}]")
    if confirmed.get("failed_seeds"):
        text += f"; crashed on seed(s) {', '.join(map(str, confirmed['failed_seeds']))}"
    return text + (" (winner)" if confirmed.get("winner") else "")


def dropped_cell(entry: dict[str, Any]) -> str:
    if entry.get("failed"):
        return "crashed"
    if not entry.get("dropped"):
        return ""
    return f"at trial {entry['dropped_at_trial']}: {entry['dropped']}"


def race_blocks(record: dict[str, Any], out: Path) -> list[Block]:
    """The report's race section; draws ``race.png`` into ``out``."""
    rows = []
    for entry in record["candidates"]:
        name = f"trial_{entry['candidate']}" + (" (baseline)" if entry["baseline"] else "")
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in entry["params"].items())
        rows.append((name, params, runs_cell(entry), dropped_cell(entry),
                     confirmed_cell(entry["confirmed"])))
    draw_race(record, out / RACE_FILE)
    return [
        Heading("Race"),
        Text((f"verdict: {record['verdict']}",
              f"budget {record['budget']}, spent {record['spent']}; rungs at steps "
              f"{record['rungs']}; selection seeds {record['seeds']}, confirmation seeds "
              f"{record['confirm_seeds']} (the verdict uses only these)")),
        table("Candidates: the runs each got (seed@steps: value), when and why it was "
              "dropped, and its confirmation on fresh seeds",
              ("candidate", "params", "selection runs", "dropped", "confirmed"), rows),
        Figure(RACE_FILE, "every candidate's seed values at each rung (lines follow the first "
                          "seed), and the confirmation runs on fresh seeds; confirmed "
                          "candidates in colour, the winner with a star"),
    ]


def draw_race(record: dict[str, Any], path: Path) -> Path:
    """Seed values per rung for every candidate; the confirmation as a last column."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    rungs = list(record["rungs"])
    confirm_x = len(rungs)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    for entry in record["candidates"]:
        confirmed = entry["confirmed"]
        colour = next(colours, "black") if confirmed else "0.75"
        search = [r for r in entry["runs"] if r["role"] == "search" and r["value"] is not None]
        first_seed = sorted((rungs.index(r["steps"]), r["value"]) for r in search
                            if r["seed"] == record["seeds"][0] and r["steps"] in rungs)
        if first_seed:
            ax.plot(*zip(*first_seed, strict=True), color=colour, linewidth=1, alpha=0.8)
        xs = [rungs.index(r["steps"]) for r in search if r["steps"] in rungs]
        ax.scatter(xs, [r["value"] for r in search if r["steps"] in rungs], color=colour, s=14)
        if confirmed:
            values = [r["value"] for r in entry["runs"]
                      if r["role"] == "confirm" and r["value"] is not None]
            label = f"trial {entry['candidate']}" + (" (baseline)" if entry["baseline"] else "")
            ax.scatter([confirm_x] * len(values), values, color=colour, s=40,
                       marker="*" if confirmed.get("winner") else "o", label=label, zorder=3)
    ax.set_xticks(range(len(rungs) + 1), [f"step {s}" for s in rungs] + ["confirmation"])
    ax.set_ylabel("objective")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
