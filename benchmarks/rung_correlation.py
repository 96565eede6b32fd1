"""How well an early evaluation ranks points: rank correlation of each step with the end.

Reads a finished study (any storage) whose trials are race runs (``hydra.sweeper.race``)
and, for every candidate that reached full length, pairs its first seed's mAP@.50 at each
evaluated step with its final seed-mean (the mean of its full-length selection runs).
Spearman's rho and Kendall's tau over the candidates, per step, say whether a rung there
would rank points as the full run does.

Only candidates that reached full length count. In a race that promoted the best third
from its first rung those are already the better points (a restricted range lowers the
correlation), so measure with every point trained to the end: a race with
``hydra.sweeper.race.rungs=[1.0]`` (random or TPE sampler) and ``train.eval_every`` at
the steps to test, e.g. 175 for eighths of 1400.

Usage: python benchmarks/rung_correlation.py --storage outputs/studies/journal.log
       [--study focal_depth]
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

import optuna
from scipy.stats import kendalltau, spearmanr

from hydra_plugins.tfod_optuna_sweeper._race._model import SEARCH, RunState
from hydra_plugins.tfod_optuna_sweeper._race._trials import all_runs
from hydra_plugins.tfod_optuna_sweeper.storage import open_storage, resolve_storage


def curves(study: optuna.Study) -> tuple[dict[int, dict[int, float]], dict[int, float], int]:
    """First-seed value per step, and final seed-mean, per candidate; and the full length."""
    sign = 1.0 if study.direction.name == "MAXIMIZE" else -1.0
    runs = [r for r in all_runs(study.get_trials(deepcopy=False), sign)
            if r.assignment.role == SEARCH and r.state == RunState.DONE]
    if not runs:
        raise SystemExit("no finished race runs in this study")
    full = max(r.assignment.steps for r in runs)
    first_seed = min(r.assignment.seed for r in runs)
    steps: dict[int, dict[int, float]] = defaultdict(dict)
    finals: dict[int, list[float]] = defaultdict(list)
    for run in runs:
        a = run.assignment
        if a.steps == full:
            finals[a.candidate].append(sign * float(run.value))  # type: ignore[arg-type]
        if a.seed == first_seed:
            for step, value in run.curve.items():
                steps[a.candidate][int(step)] = float(value)
            steps[a.candidate][a.steps] = sign * float(run.value)  # type: ignore[arg-type]
    means = {c: statistics.fmean(v) for c, v in finals.items()}
    return {c: steps[c] for c in means}, means, full


def table(study: optuna.Study) -> str:
    by_step, means, full = curves(study)
    all_steps = sorted({s for values in by_step.values() for s in values})
    lines = [f"study {study.study_name!r}: {len(means)} candidates at full length ({full} "
             "steps); first-seed value at each step against the final seed-mean", "",
             "| step | fraction | candidates | Spearman rho | Kendall tau |",
             "|---|---|---|---|---|"]
    for step in all_steps:
        pairs = [(values[step], means[c]) for c, values in by_step.items() if step in values]
        if len(pairs) < 4:
            lines.append(f"| {step} | {step / full:.3g} | {len(pairs)} | (too few) | |")
            continue
        early, final = zip(*pairs, strict=True)
        rho, tau = spearmanr(early, final).statistic, kendalltau(early, final).statistic
        lines.append(f"| {step} | {step / full:.3g} | {len(pairs)} | {rho:.2f} | {tau:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", default="focal_depth")
    args = parser.parse_args()
    from pathlib import Path

    storage = open_storage(resolve_storage(args.storage, Path.cwd()))
    print(table(optuna.load_study(study_name=args.study, storage=storage)))


if __name__ == "__main__":
    main()
