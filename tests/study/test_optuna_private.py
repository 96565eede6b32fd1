"""The private Optuna names the sweeper relies on still exist, each checked by name.

An Optuna release that moves one fails here, saying which, instead of in a sweep.
"""

from __future__ import annotations

import importlib

import optuna
import pytest

from hydra_plugins.tfod_optuna_sweeper import _optuna_private as private


def test_every_private_import_resolves() -> None:
    for name in private.__all__:
        assert getattr(private, name) is not None, name


@pytest.mark.parametrize(("owner", "method"), sorted(private.OVERRIDDEN.items()))
def test_the_methods_we_override_by_name_exist(owner: str, method: str) -> None:
    module, _, cls = owner.rpartition(".")
    assert callable(getattr(getattr(importlib.import_module(module), cls), method))


def test_the_cached_storage_still_calls_the_methods_we_wrap() -> None:
    from optuna.storages import RDBStorage

    for method in private.CACHED_STORAGE_METHODS:
        assert callable(getattr(RDBStorage, method)), method


def test_the_accessors_read_a_real_study() -> None:
    study = optuna.create_study(storage=optuna.storages.InMemoryStorage())
    study.enqueue_trial({"x": 1.0})
    trial = study.ask()
    storage = private.storage_of(study)
    assert storage.get_trial(private.trial_id_of(trial)).number == trial.number
    assert storage.get_study_name_from_id(private.study_id_of(study)) == study.study_name
    assert storage.get_trial(private.trial_id_of(trial)).system_attrs[private.FIXED_PARAMS] == {
        "x": 1.0}
    heartbeat = optuna.storages.RDBStorage("sqlite://", heartbeat_interval=60)
    assert isinstance(heartbeat, private.BaseHeartbeat)
    assert private.is_heartbeat_enabled(heartbeat)
    study = optuna.create_study(storage=heartbeat)
    assert private.stale_trial_ids(heartbeat, private.study_id_of(study)) == []
    models = private.rdb_models()
    with private.rdb_session(heartbeat.scoped_session, False) as session:
        assert session.query(models.TrialModel).count() == 0
