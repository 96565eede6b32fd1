"""A worker's side of the race: give each claimed trial its run, and know when to stop.

The claimer calls ``assign`` once its trial's history is in (``_history``): the trial
then gets the planner's run, its parameters (drawn by the sampler for a new point, the
candidate's own for any other run) and the task overrides that select the seed, the
stop step and the checkpoint to continue.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import RUN_DIR
from hydra_plugins.tfod_optuna_sweeper._history import LaggedSampler
from hydra_plugins.tfod_optuna_sweeper._optuna_private import FIXED_PARAMS, storage_of, trial_id_of
from hydra_plugins.tfod_optuna_sweeper._race._budget import CostModel
from hydra_plugins.tfod_optuna_sweeper._race._config import RaceSetup
from hydra_plugins.tfod_optuna_sweeper._race._model import CONFIRM, Assignment, RunState
from hydra_plugins.tfod_optuna_sweeper._race._plan import confirmation_of, plan
from hydra_plugins.tfod_optuna_sweeper._race._trials import (
    ASSIGNMENT,
    RACE,
    all_runs,
    assignment_of,
    runs_before,
)
from hydra_plugins.tfod_optuna_sweeper._search_space import (
    SearchSpace,
    render_override,
    suggest_overrides,
)

log = logging.getLogger(__name__)

class FixedSampler(optuna.samplers.BaseSampler):
    """Gives a trial the parameters of the candidate it re-runs (another seed or rung)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self._params = params

    def infer_relative_search_space(self, study: optuna.Study,
                                    trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self._params[param_name]


def _first_run(trial: FrozenTrial) -> bool:
    assignment = assignment_of(trial)
    return assignment is not None and assignment.candidate == trial.number


def sampler_history(sign: float) -> Callable[[list[FrozenTrial]], list[FrozenTrial]]:
    """What the sampler learns from: each point's first run (one point, first rung, first
    seed), so every point it sees was measured the same way.

    A point with a run that crashed for good (its loss diverged on another seed, or at full
    length) shows as the worst first run seen: the sampler then steers away from it, as
    the race has. Left as it was, its first run's often fine value would draw the
    sampler back to the region that crashes.
    """
    def show(history: list[FrozenTrial]) -> list[FrozenTrial]:
        crashed = {r.assignment.candidate for r in all_runs(history, sign)
                   if r.state == RunState.FAILED}
        firsts = [t for t in history if _first_run(t)]
        fine = [sign * t.value for t in firsts  # type: ignore[operator]
                if t.state == TrialState.COMPLETE and t.number not in crashed]
        shown = []
        for trial in firsts:
            if trial.number not in crashed:
                shown.append(trial)
            elif fine:
                worst = copy.copy(trial)
                worst.state, worst.values = TrialState.COMPLETE, [sign * min(fine)]
                shown.append(worst)
        return shown

    return show


class RaceClaims:
    """The race as seen by one worker of the study."""

    def __init__(self, setup: RaceSetup, direction: str,
                 baseline: dict[str, Any] | None) -> None:
        self.setup = setup
        self.sign = 1.0 if direction == "maximize" else -1.0
        #: The first enqueued point (normalised): the candidate every winner must beat.
        self.baseline = baseline

    def finished(self, trials: Sequence[FrozenTrial]) -> bool:
        """True once every confirmation run is handed out, or will be by a trial already
        claimed (one waiting for its history takes the next): no new trial is needed."""
        runs = runs_before(trials, max((t.number for t in trials), default=0) + 1, 0, self.sign)
        confirm_set = confirmation_of(runs)
        if confirm_set is None:
            return False
        given = {r.assignment.key() for r in runs if r.assignment.role == CONFIRM}
        wanted = {(c, s, self.setup.settings.full) for c in confirm_set
                  for s in self.setup.settings.confirm_seeds}
        claimed = [t for t in trials if t.state == TrialState.RUNNING
                   and assignment_of(t) is None]
        return len(wanted - given) <= len(claimed)

    def wait_for_assignments(self, study: optuna.Study, number: int, poll: float,
                             reap: Callable[[], None]) -> None:
        """Block until every older running trial has its run: the plan builds on them."""
        while True:
            reap()
            running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if not [t for t in running if t.number < number and assignment_of(t) is None]:
                return
            time.sleep(poll)

    def assign(self, study: optuna.Study, trial: optuna.Trial, sampler: Any, lag: int,
               space: SearchSpace, parser: OverridesParser) -> list[str] | None:
        """Give ``trial`` its run and return its overrides; None: nothing is left to run."""
        trials = study.get_trials(deepcopy=False)
        own = next(t for t in trials if t.number == trial.number)
        assignment = assignment_of(own)  # a retry keeps the run it retries
        if assignment is None:
            assignment = self._plan(trials, own, lag)
            if assignment is None:
                return None
            attr = assignment.to_attr()
            storage_of(study).set_trial_system_attr(trial_id_of(trial), ASSIGNMENT, attr)
            trial.set_user_attr(RACE, attr)
        if assignment.candidate == trial.number:
            study.sampler = LaggedSampler(sampler, lag, show=sampler_history(self.sign))
        else:
            first = next(t for t in trials if t.number == assignment.candidate)
            study.sampler = FixedSampler(dict(first.params))
        lines = suggest_overrides(trial, space, parser)
        lines.append(render_override(self.setup.seed_key, assignment.seed, parser))
        lines.append(render_override(self.setup.stop_key, assignment.steps, parser))
        if assignment.resume_trial is not None:
            source = next(t for t in trials if t.number == assignment.resume_trial)
            lines.append(render_override(self.setup.resume_key,
                                         str(source.system_attrs[RUN_DIR]), parser))
        log.info("trial %d: candidate %d, seed %d, step %d%s (%s)", trial.number,
                 assignment.candidate, assignment.seed, assignment.steps,
                 f" from step {assignment.start}" if assignment.start else "", assignment.reason)
        return lines

    def _plan(self, trials: Sequence[FrozenTrial], own: FrozenTrial,
              lag: int) -> Assignment | None:
        runs = runs_before(trials, own.number, lag, self.sign)
        cost = CostModel.learn(self.setup.budget, runs)
        decision = plan(runs, self.setup.settings, cost)
        fixed = own.system_attrs.get(FIXED_PARAMS)
        if fixed is not None:  # an enqueued point: a new candidate, whatever comes next
            settings = self.setup.settings
            dropped = decision.assignment.dropped if decision.assignment else {}
            return Assignment(own.number, settings.seeds[0], settings.rungs[0],
                              baseline=self.baseline is not None and fixed == self.baseline,
                              reason="enqueued point", dropped=dropped)
        if decision.assignment is None:
            return None
        if decision.new_point:
            return replace(decision.assignment, candidate=own.number)
        return decision.assignment
