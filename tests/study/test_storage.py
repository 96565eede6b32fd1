"""Storage strings, journal heartbeats and slot counting, on real Optuna storages."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import DISCARDED, FAIL_REASON, HEARTBEAT, INTERRUPTED
from hydra_plugins.tfod_optuna_sweeper._budget import (
    failed_trials,
    holds_point,
    max_failures,
    slot_trials,
)
from hydra_plugins.tfod_optuna_sweeper._heartbeat import reap_stale_trials
from hydra_plugins.tfod_optuna_sweeper._storages._location import (
    DEFAULT_STORAGE,
    StorageError,
    open_storage,
    resolve_storage,
)
from hydra_plugins.tfod_optuna_sweeper.reporter import open_trial_reporter


@pytest.mark.parametrize(
    ("spec", "kind", "target"),
    [
        (None, "journal", f"/base/{DEFAULT_STORAGE}"),
        ("runs/j.log", "journal", "/base/runs/j.log"),
        ("/abs/j.log", "journal", "/abs/j.log"),
        ("sqlite:///rel/o.db", "rdb", "sqlite:////base/rel/o.db"),
        ("sqlite:////abs/o.db", "rdb", "sqlite:////abs/o.db"),
        ("postgresql://u:pw@db:5432/optuna", "rdb", "postgresql+psycopg://u:pw@db:5432/optuna"),
        ("redis://cache:6379/0", "redis", "redis://cache:6379/0"),
    ],
)
def test_storage_strings_resolve(spec: str | None, kind: str, target: str) -> None:
    location = resolve_storage(spec, Path("/base"))
    assert (location.kind, location.target) == (kind, target)
    assert "pw" not in location.display


@pytest.mark.parametrize(
    ("spec", "message"),
    [("ftp://x/y", "unsupported storage scheme"), ("   ", "storage is empty")],
)
def test_bad_storage_strings_are_rejected(spec: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        resolve_storage(spec, Path("/base"))


def test_sqlite_file_given_as_plain_path_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    optuna.create_study(storage=f"sqlite:///{db}")
    with pytest.raises(StorageError, match="write it as sqlite:///"):
        open_storage(resolve_storage(str(db), tmp_path))


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_journal_heartbeat_marks_silent_trials_stale_and_retries_them(tmp_path: Path) -> None:
    location = resolve_storage("j.log", tmp_path)
    storage = open_storage(
        location,
        heartbeat_interval=1,
        grace_period=5,
        stale_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
    )
    study = optuna.create_study(study_name="s", storage=storage)
    alive, silent = study.ask(), study.ask()
    for trial in (alive, silent):
        trial.suggest_float("x", 0.0, 1.0)
    storage.record_heartbeat(alive._trial_id)
    storage.set_trial_system_attr(silent._trial_id, HEARTBEAT, time.time() - 60)

    assert reap_stale_trials(study) == [silent.number]

    trials = study.get_trials()
    assert trials[alive.number].state == TrialState.RUNNING
    assert trials[silent.number].state == TrialState.FAIL
    assert trials[silent.number].user_attrs[FAIL_REASON].startswith("WorkerLost")
    retry = trials[-1]
    assert retry.state == TrialState.WAITING
    assert retry.params == trials[silent.number].params
    # The retry takes the lost trial's slot.
    assert [t.number for t in slot_trials(trials)] == [alive.number, retry.number]


def test_dashboard_opens_the_journal_as_is(tmp_path: Path) -> None:
    from optuna_dashboard._storage_url import get_storage

    location = resolve_storage("outputs/j.log", tmp_path)
    study = optuna.create_study(study_name="s", storage=open_storage(location))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    seen = get_storage(location.target)
    assert [s.study_name for s in seen.get_all_studies()] == ["s"]
    assert len(optuna.load_study(study_name="s", storage=seen).trials) == 2


def _trial(state: TrialState, **user_attrs: object) -> optuna.trial.FrozenTrial:
    return optuna.create_trial(
        state=state,
        value=1.0 if state == TrialState.COMPLETE else None,
        params={"x": 0.5},
        distributions={"x": FloatDistribution(0, 1)},
        user_attrs=user_attrs,
    )


def test_slots_and_failures_follow_the_documented_rules() -> None:
    study = optuna.create_study()
    for trial in [
        _trial(TrialState.COMPLETE),
        _trial(TrialState.FAIL, **{FAIL_REASON: "ValueError: x"}),
        _trial(TrialState.FAIL, **{FAIL_REASON: "KeyboardInterrupt", INTERRUPTED: True}),
        _trial(TrialState.FAIL, **{DISCARDED: True}),
        _trial(TrialState.PRUNED),
    ]:
        study.add_trial(trial)
    trials = study.get_trials()
    assert [t.number for t in slot_trials(trials)] == [0, 1, 2, 4]
    assert [t.number for t in failed_trials(trials)] == [1]
    assert max_failures(8, 0.25) == 2
    assert max_failures(10, 0.3) == 3
    assert max_failures(4, 0.0) == 0


def test_a_point_stopped_by_the_user_is_not_held_so_it_is_queued_again() -> None:
    point = {"x": 0.5}
    crashed = _trial(TrialState.FAIL, **{FAIL_REASON: "ValueError: x"})
    stopped = _trial(TrialState.FAIL, **{FAIL_REASON: "KeyboardInterrupt", INTERRUPTED: True})
    discarded = _trial(TrialState.FAIL, **{DISCARDED: True})
    for held, trial in ((True, _trial(TrialState.COMPLETE)), (True, crashed),
                        (True, _trial(TrialState.PRUNED)), (False, stopped),
                        (False, discarded)):
        assert holds_point(trial, point) is held
    assert not holds_point(_trial(TrialState.COMPLETE), {"x": 0.25})
    assert not holds_point(_trial(TrialState.COMPLETE), {"x": 0.5, "y": 1})
    assert holds_point(_trial(TrialState.COMPLETE), {"x": 0.5 + 1e-12})


def test_reporter_is_none_outside_a_sweep() -> None:
    assert open_trial_reporter() is None


def test_rdb_worker_losing_the_race_for_the_last_slot_discards_its_trial(
    tmp_path: Path,
) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from hydra_plugins.tfod_optuna_sweeper._claim import Claimer
    from hydra_plugins.tfod_optuna_sweeper._conf import Settings
    from hydra_plugins.tfod_optuna_sweeper._search_space import build_search_space

    url = f"sqlite:///{tmp_path / 'race.db'}"
    study = optuna.create_study(study_name="race", storage=url, direction="maximize")
    study.add_trial(_trial(TrialState.COMPLETE))
    settings = Settings(
        study_name="race",
        direction="maximize",
        storage=url,
        n_trials=2,
        n_jobs=1,
        max_failure_rate=0.0,
        sampler={
            "_target_": "tests.study.toy_helpers.racing_sampler",
            "storage": url,
            "study_name": "race",
        },
        pruner=None,
        params={},
        enqueue=[],
        heartbeat_interval=None,
        grace_period=None,
        max_retry=None,
    )
    parser = OverridesParser.create()
    space = build_search_space({"x": "interval(0.0, 1.0)"}, [], parser)
    # lock=None: the optimistic path of server databases (PostgreSQL, MySQL, Redis).
    claimer = Claimer(study, None, settings, space, parser)

    assert claimer.claim() is None
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.RUNNING, TrialState.FAIL]
    assert trials[2].user_attrs[DISCARDED] is True
    assert [t.number for t in slot_trials(trials)] == [0, 1]
