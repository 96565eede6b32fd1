"""Whole sweeps of the toy app through the real sweeper plugin, each in a subprocess."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import FAIL_REASON
from tests.study.toy_helpers import Toy, last_line

# Trials 0 and 1 learn fast, 2 and 3 slowly: with 2 start-up trials and pruning allowed
# from step 1, the median pruner must stop 2 and 3 at their first report.
ENQUEUE_GOOD_THEN_BAD = "hydra.sweeper.enqueue=[{x:0.9},{x:0.8},{x:0.1},{x:0.2}]"
MEDIAN_AFTER_TWO = (
    "hydra.sweeper.pruner.n_startup_trials=2",
    "hydra.sweeper.pruner.n_warmup_steps=1",
)


def _states(toy: Toy) -> list[str]:
    return [t.state.name for t in toy.trials()]


def test_median_pruner_prunes_the_slow_learners(toy: Toy) -> None:
    result = toy.run(ENQUEUE_GOOD_THEN_BAD, *MEDIAN_AFTER_TWO, "hydra.sweeper.n_trials=4")
    assert result.returncode == 0, result.stderr
    trials = toy.trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2 + [TrialState.PRUNED] * 2
    assert [t.params["x"] for t in trials] == [0.9, 0.8, 0.1, 0.2]
    # Pruned at the first report: the job stopped early and its curve says so.
    assert [max(t.intermediate_values) for t in trials] == [4, 4, 1, 1]
    # Every sampled parameter reached the job's config unchanged.
    for trial in trials[:2]:
        assert trial.user_attrs["seen"] == trial.params
    assert result.stderr == ""
    assert "COMPLETE 2, PRUNED 2" in result.stdout
    assert "optuna-dashboard" in result.stdout


@pytest.mark.parametrize(
    ("pruner_args", "pruned"),
    [(list(MEDIAN_AFTER_TWO), 2), (["hydra.sweeper.pruner=null"], 0),
     (["hydra/sweeper/pruner=nop"], 0)],
    ids=["median-control", "null", "nop"],
)
def test_pruning_can_be_turned_off(toy: Toy, pruner_args: list[str], pruned: int) -> None:
    """The same curves that the median control prunes run to the end with pruning off."""
    result = toy.run(ENQUEUE_GOOD_THEN_BAD, "hydra.sweeper.n_trials=4", *pruner_args)
    assert result.returncode == 0, result.stderr
    assert _states(toy).count("PRUNED") == pruned
    assert _states(toy).count("COMPLETE") == 4 - pruned


def test_hyperband_pruner_is_selectable(toy: Toy) -> None:
    result = toy.run(
        "hydra/sweeper/pruner=hyperband", "hydra/sweeper/sampler=random", "num_steps=9"
    )
    assert result.returncode == 0, result.stderr
    assert len(toy.trials()) == 4
    assert set(_states(toy)) <= {"COMPLETE", "PRUNED"}


def test_a_failing_trial_is_recorded_and_the_sweep_completes(toy: Toy) -> None:
    result = toy.run(
        "hydra.sweeper.enqueue=[{x:0.9},{x:0.3},{x:0.8}]",
        "hydra.sweeper.n_trials=3",
        "hydra.sweeper.max_failure_rate=0.5",
        "hydra.sweeper.pruner=null",
        "fail_x_below=0.5",
    )
    assert result.returncode == 0, result.stderr
    trials = toy.trials()
    assert _states(toy) == ["COMPLETE", "FAIL", "COMPLETE"]
    assert trials[1].user_attrs[FAIL_REASON] == "ValueError: toy failure: x=0.3 is below 0.5"


def test_too_many_failures_stop_the_sweep_with_one_line(toy: Toy) -> None:
    result = toy.run(
        "hydra.sweeper.n_trials=4", "hydra.sweeper.max_failure_rate=0.25", "fail_x_below=2.0"
    )
    assert result.returncode == 1  # the study stopped; the input was fine
    # 0.25 x 4 tolerates one failure; the second stops the sweep before a third starts.
    assert _states(toy) == ["FAIL", "FAIL"]
    assert "max_failure_rate=0.25" in last_line(result.stderr)
    assert "toy failure" in last_line(result.stderr)
    assert "Traceback" not in result.stderr


def test_plain_multirun_still_uses_hydras_basic_sweeper(toy: Toy) -> None:
    import subprocess
    import sys

    from tests.study.toy_helpers import TOY

    result = subprocess.run(
        [sys.executable, str(TOY), "-m", "x=0.1,0.2"],
        cwd=toy.cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("toy: no trial reporter") == 2
    assert not toy.journal.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hydra.sweeper.sampler._target_=optuna.samplers.NoSuchSampler"], "cannot build sampler"),
        (["hydra.sweeper.params.x='interval(1)'"], "bad search-space override 'x=interval(1)'"),
        (["hydra.sweeper.params.x='tag(log, interval(0, 1))'"], "search space for x"),
        (
            ["hydra.sweeper.storage=postgresql://u@127.0.0.1:9/optuna"],
            "cannot open storage postgresql",
        ),
        (
            ["hydra.sweeper.storage=postgresql://u:secret@127.0.0.1:9/optuna"],
            "storage='postgresql://u:${oc.env:PGPASSWORD}@127.0.0.1:9/optuna'",
        ),
        (["hydra.sweeper.storage=ftp://host/j.log"], "unsupported storage scheme"),
        (["hydra.sweeper.enqueue=[{zz:1}]"], "'zz' is not a searched parameter"),
        (["hydra.sweeper.direction=sideways"], "maximize or minimize"),
    ],
    ids=["sampler", "grammar", "log-range", "unreachable", "literal-password", "scheme", "enqueue",
         "direction"],
)
def test_bad_input_is_one_line_and_exit_code_2(toy: Toy, args: list[str], message: str) -> None:
    result = toy.run(*args)
    assert result.returncode == 2  # as argparse and every other tfod-sweep CLI
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "secret" not in result.stderr
    assert toy.trials() == []


def test_an_sqlite_url_goes_to_rdb_storage_with_heartbeats(toy: Toy) -> None:
    import optuna

    result = toy.run(
        "hydra.sweeper.storage=sqlite:///outputs/optuna.db", "hydra.sweeper.n_trials=2"
    )
    assert result.returncode == 0, result.stderr
    db = toy.cwd / "outputs" / "optuna.db"
    assert f"optuna-dashboard sqlite:///{db}" in result.stdout
    trials = optuna.load_study(study_name="toy", storage=f"sqlite:///{db}").get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    assert not toy.journal.exists()
