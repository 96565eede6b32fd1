"""The focal_depth search under one budget, by strategy, each with the same confirmation.

Runs ``python -m sweep -m hparams_search=focal_depth`` once per strategy (its own study
name, one journal), one after another, then prints one table row per strategy from the
race record each study stores: the confirmed winner's fresh-seed mean ± std, its
difference from the baseline with the interval, the wall time (the time during which at
least one trial ran, so a study resumed in another session does not count the pause) and
the runs trained at each step. A study that is already finished is only read, and an
interrupted one resumes: re-run the same command to continue.

Strategies (every one ends with the race's confirmation: the best point and the baseline
on three fresh seeds, so they compare on the same footing):

- race:       the default study (rungs at 1/2 and 1, paired seeds, drops), seed 42;
- race_s43:   the same with sampler seed 43;
- classic:    today's former design, TPE with one seed per point and the median pruner;
- random:     random search, one seed per point, every point to full length;
- hyperband:  TPE with Optuna's Hyperband pruner, one seed per point;
- shapes42:   the default race on the 42-class task (dataset=shapes42).

Every strategy evaluates every 175 steps (eighths of 1400), so the runs that reach full
length also give the rung correlations (benchmarks/rung_correlation.py).

Usage: python benchmarks/race_strategies.py [--only race classic] [--budget 90m]
           [--outputs outputs/strategies] [OVERRIDE ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
from determinism import REPO, cpu_name

from hydra_plugins.tfod_optuna_sweeper._race._budget import busy_seconds
from hydra_plugins.tfod_optuna_sweeper.storage import open_storage, resolve_storage

ONE_SEED = ("hydra.sweeper.race.rungs=[1.0]", "hydra.sweeper.race.max_seeds=1")
STRATEGIES: dict[str, tuple[str, ...]] = {
    "race": ("hydra.sweeper.sampler.seed=42",),
    "race_s43": ("hydra.sweeper.sampler.seed=43",),
    "classic": (*ONE_SEED, "hydra/sweeper/pruner=median",
                "hydra.sweeper.pruner.n_startup_trials=2",
                "hydra.sweeper.pruner.n_warmup_steps=700"),
    "random": (*ONE_SEED, "hydra/sweeper/sampler=random"),
    "hyperband": (*ONE_SEED, "hydra/sweeper/pruner=hyperband",
                  "hydra.sweeper.pruner.min_resource=175"),
    "shapes42": ("dataset=shapes42",),
}


def run(name: str, budget: str, outputs: Path, extra: list[str]) -> float:
    command = [sys.executable, "-m", "sweep", "-m", "hparams_search=focal_depth",
               *STRATEGIES[name], f"hydra.sweeper.study_name={name}",
               f"hydra.sweeper.budget={budget}", "train.eval_every=175",
               f"paths.outputs={outputs}", *extra]
    print("$", " ".join(command), flush=True)
    started = time.monotonic()
    subprocess.run(command, cwd=REPO, check=True)
    return time.monotonic() - started


def row(name: str, outputs: Path) -> str:
    storage = open_storage(resolve_storage(str(outputs / "studies" / "journal.log"), REPO))
    study = optuna.load_study(study_name=name, storage=storage)
    trials = [t for t in study.get_trials(deepcopy=False) if t.datetime_complete]
    # Busy time: a study resumed in a later session counts its sessions, not the gap.
    wall = busy_seconds([(t.datetime_start.timestamp(), t.datetime_complete.timestamp())
                         for t in trials if t.datetime_start and t.datetime_complete])
    record = study.user_attrs.get("race") or {}
    runs = Counter(f"{r['role']}@{r['steps']}" for c in record.get("candidates", [])
                   for r in c["runs"] if r["state"] == "done")
    winner = next((c for c in record.get("candidates", [])
                   if c["confirmed"] and not c["baseline"]), None)
    base = next((c for c in record.get("candidates", [])
                 if c["confirmed"] and c["baseline"]), None)
    def shown(c: dict | None) -> str:
        return "" if c is None else f"{c['confirmed']['mean']:.3f} ± {c['confirmed']['std']:.3f}"
    delta = ""
    if winner and "delta" in winner["confirmed"]:
        w = winner["confirmed"]
        delta = f"{w['delta']:+.3f} [{w['low']:+.3f}, {w['high']:+.3f}]"
    trained = ", ".join(f"{k}: {v}" for k, v in sorted(runs.items()))
    return (f"| {name} | trial {winner['candidate'] if winner else '-'} {shown(winner)} | "
            f"{shown(base)} | {delta} | {wall / 60:.0f} min | {trained} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=list(STRATEGIES), choices=list(STRATEGIES))
    parser.add_argument("--budget", default="90m")
    parser.add_argument("--outputs", type=Path, default=REPO / "outputs" / "strategies")
    parser.add_argument("overrides", nargs="*", help="more overrides for every study")
    args = parser.parse_args()
    for name in args.only:
        run(name, args.budget, args.outputs, args.overrides)
    print(f"\n{cpu_name()}; budget {args.budget}\n")
    print("| strategy | confirmed winner (fresh seeds) | baseline (fresh seeds) | "
          "Δ vs baseline [CI] | wall | runs trained |")
    print("|---|---|---|---|---|---|")
    for name in args.only:
        print(row(name, args.outputs))


if __name__ == "__main__":
    main()
