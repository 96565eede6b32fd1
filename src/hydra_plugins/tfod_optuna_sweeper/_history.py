"""What a trial's sampler and pruner may see: the trials numbered below it by more than a lag.

With one worker, trial k is sampled after trials 0..k-1 have all finished, so one command
always searches the same points. With several workers, which recent trials have finished
when trial k is sampled, or reaches its pruning rung, depends on timing, and two runs of
one command would search different points. A *history lag* L removes the timing: trial k's
sampler and pruner see only the trials numbered below k - L, and its worker waits, before
sampling, until none of those is still running. The study is then a function of its seed
and L alone. With L = n_jobs - 1 a worker waits only when an older trial is still running
after it has finished a newer one (once per 4-trial study in benchmarks/README.md, 15-30
s). L = 0 neither hides nor waits: with one worker that is the sequential study; with
several, each trial sees whatever has finished by then.

Hyperband's brackets are rebuilt from the whole storage, so its pruning ignores the lag.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Container, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._optuna_private import storage_of

log = logging.getLogger(__name__)

Show = Callable[[list[FrozenTrial]], list[FrozenTrial]]
"""Rewrites the history a sampler sees (trials below the cutoff, every state)."""


class HistoryView(optuna.study.Study):
    """The study as trial ``own`` may see it: trials below ``cutoff``, and itself.

    ``show`` may rewrite that history (it gets every state, so it can read crashes); the
    caller's state filter applies after it.
    """

    def __init__(self, study: optuna.Study, cutoff: int, own: int,
                 show: Show | None = None) -> None:
        super().__init__(study_name=study.study_name, storage=storage_of(study),
                         sampler=study.sampler, pruner=study.pruner)
        self._cutoff = cutoff
        self._own = own
        self._show = show

    def _visible(self, trials: list[FrozenTrial],
                 states: Container[TrialState] | None) -> list[FrozenTrial]:
        history = [t for t in trials if t.number < self._cutoff]
        if self._show is not None:
            history = self._show(history)
        own = [t for t in trials if t.number == self._own]
        return [t for t in history + own if states is None or t.state in states]

    def get_trials(self, deepcopy: bool = True,
                   states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        return self._visible(super().get_trials(deepcopy=deepcopy), states)

    def _get_trials(self, deepcopy: bool = True, states: Container[TrialState] | None = None,
                    use_cache: bool = False) -> list[FrozenTrial]:
        return self._visible(super()._get_trials(deepcopy=deepcopy, use_cache=use_cache),
                             states)


class _Views:
    """One view per trial number, so a trial's many sampler calls build it once."""

    def __init__(self, lag: int, show: Show | None = None) -> None:
        self._lag = lag
        self._show = show
        self._cache: dict[int, HistoryView] = {}

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> HistoryView:
        if trial.number not in self._cache:
            self._cache[trial.number] = HistoryView(study, trial.number - self._lag,
                                                    trial.number, self._show)
        return self._cache[trial.number]


class LaggedSampler(optuna.samplers.BaseSampler):
    """``base``, shown each trial's history view instead of the whole study.

    ``show`` rewrites that history (a race shows each point's first run, and a point that
    crashed later as the worst seen).
    """

    def __init__(self, base: optuna.samplers.BaseSampler, lag: int,
                 show: Show | None = None) -> None:
        self._base = base
        self._view = _Views(lag, show)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._base.infer_relative_search_space(self._view(study, trial), trial)

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return self._base.sample_relative(self._view(study, trial), trial, search_space)

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self._base.sample_independent(self._view(study, trial), trial, param_name,
                                             param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._base.before_trial(self._view(study, trial), trial)

    def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        self._base.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._base.reseed_rng()


class LaggedPruner(optuna.pruners.BasePruner):
    """``base``, comparing each trial only with the trials its sampler saw."""

    def __init__(self, base: optuna.pruners.BasePruner, lag: int) -> None:
        self._base = base
        self._view = _Views(lag)

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        return self._base.prune(self._view(study, trial), trial)


def unfinished_history(study: optuna.Study, number: int, lag: int) -> list[int]:
    """Numbers of the trials below ``number - lag`` that are still running."""
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return [t.number for t in running if t.number < number - lag]


def wait_for_history(study: optuna.Study, number: int, lag: int, poll: float,
                     reap: Callable[[], None]) -> float:
    """Block until trial ``number``'s history has finished; the seconds it took.

    ``reap`` runs before each look, so a trial whose worker died is failed (and no
    longer awaited) once its heartbeat goes stale.
    """
    started = time.monotonic()
    logged = False
    while True:
        reap()
        pending = unfinished_history(study, number, lag)
        if not pending:
            return time.monotonic() - started
        if not logged:
            log.info("trial %d: waiting for trial(s) %s to finish before sampling "
                     "(history_lag=%d)", number, pending, lag)
            logged = True
        time.sleep(poll)
