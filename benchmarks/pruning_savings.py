"""What pruning saved in a finished study, and whether its early signal could be trusted.

Reads the study from its storage: steps each trial trained (the last reported step of a
PRUNED trial, the full budget of a COMPLETE one) against the steps of the same trials
without pruning (every trial to the full budget). Then, over every run dir under --runs
whose metrics.json holds an evaluation at both the pruning step and the last step, the
Spearman rank correlation of the two: pruning at that step is only safe when the early
ranking predicts the final one.

With --without STORAGE (the same study run with `hydra.sweeper.pruner=null`, the same
sampler seed and n_trials), it also puts the two side by side: steps trained, wall time from
the first trial's start to the last one's end, and the best value with its parameters.

Usage: python benchmarks/pruning_savings.py --storage outputs/studies/journal.log
       --study focal_depth [--runs outputs] [--without nopruning/studies/journal.log]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import optuna
from scipy.stats import spearmanr

from tfod_sweep.metric_names import COCO_METRICS

MAP50 = COCO_METRICS[1]  # DetectionBoxes_Precision/mAP@.50IOU, what the studies maximize


def _storage(url: str) -> optuna.storages.BaseStorage | str:
    if "://" in url:
        return url
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(url))


def _finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return [t for t in study.trials if t.state in done]


def side_by_side(pruned: optuna.Study, unpruned: optuna.Study) -> None:
    """Print steps, wall minutes and the best trial of a study with and one without pruning."""
    print("| study | trials (pruned) | steps trained | wall, min | best mAP@.50 "
          "| best trial's params |")
    print("|---|---|---|---|---|---|")
    for label, study in (("with pruning", pruned), ("without pruning", unpruned)):
        finished = _finished(study)
        steps = sum(max(t.intermediate_values) for t in finished)
        n_pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in finished)
        wall = (max(t.datetime_complete for t in finished)
                - min(t.datetime_start for t in finished)).total_seconds() / 60
        best = study.best_trial
        print(f"| {label} | {len(finished)} ({n_pruned}) | {steps} | {wall:.1f} | "
              f"{best.value:.3f} (trial {best.number}) | {_params(best)} |")
    print("| trial | with pruning: params, value | without pruning: params, value |")
    print("|---|---|---|")
    for ours, theirs in zip(_finished(pruned), _finished(unpruned), strict=False):
        print(f"| {ours.number} | {_params(ours)}: {_last(ours)} "
              f"| {_params(theirs)}: {_last(theirs)} |")


def _params(trial: optuna.trial.FrozenTrial) -> str:
    return ", ".join(f"{k.rsplit('.', 1)[-1]} {v:.3g}" if isinstance(v, float)
                     else f"{k.rsplit('.', 1)[-1]} {v}"
                     for k, v in trial.params.items())


def _last(trial: optuna.trial.FrozenTrial) -> str:
    step = max(trial.intermediate_values)
    return f"{trial.intermediate_values[step]:.3f} at {step}"


def early_vs_final(runs: Path, early: int, final: int) -> list[tuple[float, float]]:
    """(mAP@.50 at `early`, at `final`) of every run that evaluated at both steps."""
    pairs = []
    for path in sorted(runs.glob("**/metrics.json")):
        values = {e["step"]: e.get(MAP50) for e in json.loads(path.read_text())["evaluations"]}
        if values.get(early) is not None and values.get(final) is not None:
            pairs.append((values[early], values[final]))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", required=True)
    parser.add_argument("--runs", type=Path, default=Path("outputs"))
    parser.add_argument("--without", help="storage of the same study run without pruning")
    args = parser.parse_args()
    study = optuna.load_study(study_name=args.study, storage=_storage(args.storage))
    finished = _finished(study)
    budget = max(max(t.intermediate_values) for t in finished)
    trained = sum(max(t.intermediate_values) for t in finished)
    pruned = [t for t in finished if t.state == optuna.trial.TrialState.PRUNED]
    print(f"study {args.study}: {len(finished)} finished trials, {len(pruned)} pruned, "
          f"budget {budget} steps a trial")
    print(f"steps trained {trained} vs {budget * len(finished)} without pruning: "
          f"{1 - trained / (budget * len(finished)):.1%} fewer")
    print("| trial | state | value at each reported step |")
    print("|---|---|---|")
    for trial in finished:
        shown = ", ".join(f"{s}: {v:.3f}" for s, v in sorted(trial.intermediate_values.items()))
        print(f"| {trial.number} | {trial.state.name} | {shown} |")
    rungs = sorted({s for t in pruned for s in t.intermediate_values})
    for rung in rungs:
        pairs = early_vs_final(args.runs, rung, budget)
        if len(pairs) >= 3:
            rho = spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic
            print(f"mAP@.50 at step {rung} vs step {budget}, {len(pairs)} runs under "
                  f"{args.runs}: Spearman rho {rho:.2f}")
        else:
            print(f"fewer than 3 runs under {args.runs} evaluated at steps {rung} and {budget}")
        # What a trial pruned at this rung saves, and the pruned share the goal needs.
        print(f"a trial pruned at step {rung} saves {1 - rung / budget:.0%} of its steps; "
              f"40% fewer steps overall needs {0.4 / (1 - rung / budget):.0%} of trials "
              f"pruned there")
    if args.without:
        side_by_side(study, optuna.load_study(study_name=args.study,
                                              storage=_storage(args.without)))


if __name__ == "__main__":
    main()
