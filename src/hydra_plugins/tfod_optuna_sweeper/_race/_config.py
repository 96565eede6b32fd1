"""``hydra.sweeper.race`` and ``budget``, checked once: every problem is one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING, OmegaConf

from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError
from hydra_plugins.tfod_optuna_sweeper._race._budget import RUNS, Budget, parse_budget
from hydra_plugins.tfod_optuna_sweeper._race._model import RaceSettings


@dataclass
class RaceConf:
    """``hydra.sweeper.race``: adaptive seeds, rungs and a confirmation (``race/plan.py``).

    Each trial is one run: a point trained with one seed and evaluated at one rung. The
    task reads the seed, the stop step and the checkpoint to continue from through the
    three override keys below.
    """

    # The full length of a run, in the task's steps (e.g. ${train.num_steps}).
    full_steps: int = MISSING
    # Evaluation rungs as fractions of full_steps, ascending; the last must be 1.0.
    rungs: list[float] = field(default_factory=lambda: [0.5, 1.0])
    # Successive halving on the first seed: the best 1/eta of a rung continue.
    eta: int = 3
    # Selection seeds a candidate may earn at full length (first_seed, +1, ...).
    max_seeds: int = 4
    first_seed: int = 0
    # Drop a challenger when a one-sided t test on the shared seeds gives p < alpha.
    alpha: float = 0.05
    # A challenger with p below this earns no further seed (for now).
    promising: float = 0.25
    # How candidates rank: mean of their seeds, or lcb (mean - lcb_z * SE).
    objective: str = "mean"
    lcb_z: float = 1.0
    # Confirmation: the top-k candidates and the baseline, on fresh seeds at full length.
    confirm_top_k: int = 2
    confirm_seeds: int = 3
    # Confirmation seeds are first_seed + confirm_seed_offset, +1, ...: never selection's.
    confirm_seed_offset: int = 1000
    # Override keys of the task: the seed, the step to stop at, the run dir to continue.
    seed_key: str = "seed"
    stop_key: str = "stop_at"
    resume_key: str = "resume_from"



@dataclass(frozen=True)
class RaceSetup:
    """What the sweeper needs to run a race: its shape, its budget and the task's keys."""

    settings: RaceSettings
    budget: Budget
    seed_key: str
    stop_key: str
    resume_key: str


def _fail(message: str) -> SweeperError:
    return SweeperError(f"hydra.sweeper.race.{message}")


def load_race(node: Any, budget: Any, n_trials: int, seeds_per_trial: int,
              directions: list[str]) -> RaceSetup | None:
    """The race, or None when ``hydra.sweeper.race`` is null (the classic study).

    An Optuna pruner may stay on: the race then also stops a run where the pruner says
    so. With ``rungs: [1.0]`` and ``max_seeds: 1`` that is the classic study (one seed,
    pruned early) with the race's budget and confirmation, to compare strategies fairly.
    """
    if node is None:
        if budget is not None:
            raise SweeperError("hydra.sweeper.budget needs a race (hydra.sweeper.race); "
                               "without one, size the study with n_trials")
        return None
    try:
        conf = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(RaceConf), node))
    except Exception as exc:
        raise SweeperError(f"hydra.sweeper.race: {str(exc).splitlines()[0]}") from None
    assert isinstance(conf, RaceConf)
    if len(directions) != 1:
        raise SweeperError("hydra.sweeper.race races one objective: set one direction")
    if seeds_per_trial != 1:
        raise SweeperError("hydra.sweeper.race gives each run one seed and chooses how many "
                           "a point earns: leave seeds_per_trial at 1")
    return RaceSetup(_settings(conf, directions[0]), _budget(budget, n_trials),
                     conf.seed_key, conf.stop_key, conf.resume_key)


def _settings(conf: RaceConf, direction: str) -> RaceSettings:
    if conf.full_steps < 1:
        raise _fail(f"full_steps must be >= 1, got {conf.full_steps}")
    rungs = [float(r) for r in conf.rungs]
    if not rungs or rungs[-1] != 1.0 or any(not 0.0 < r <= 1.0 for r in rungs) \
            or rungs != sorted(set(rungs)):
        raise _fail(f"rungs must be ascending fractions in (0, 1] ending at 1.0, got {rungs}")
    steps = tuple(max(1, round(r * conf.full_steps)) for r in rungs)
    if len(set(steps)) != len(steps):
        raise _fail(f"rungs {rungs} of {conf.full_steps} steps repeat a step: {list(steps)}")
    checks = [
        (conf.eta >= 2, f"eta must be >= 2, got {conf.eta}"),
        (conf.max_seeds >= 1, f"max_seeds must be >= 1, got {conf.max_seeds}"),
        (0.0 < conf.alpha < 0.5, f"alpha must be in (0, 0.5), got {conf.alpha}"),
        (conf.alpha <= conf.promising < 1.0,
         f"promising must be in [alpha, 1), got {conf.promising}"),
        (conf.objective in ("mean", "lcb"), f"objective must be mean or lcb, not "
                                            f"{conf.objective!r}"),
        (conf.lcb_z >= 0.0, f"lcb_z must be >= 0, got {conf.lcb_z}"),
        (conf.confirm_top_k >= 1, f"confirm_top_k must be >= 1, got {conf.confirm_top_k}"),
        (conf.confirm_seeds >= 2, "confirm_seeds must be >= 2 (an interval needs two runs "
                                  f"each), got {conf.confirm_seeds}"),
        (conf.confirm_seed_offset >= conf.max_seeds,
         f"confirm_seed_offset ({conf.confirm_seed_offset}) must be >= max_seeds "
         f"({conf.max_seeds}), so that confirmation seeds are never selection seeds"),
    ]
    for ok, message in checks:
        if not ok:
            raise _fail(message)
    first = conf.first_seed
    return RaceSettings(
        rungs=steps,
        seeds=tuple(first + i for i in range(conf.max_seeds)),
        confirm_seeds=tuple(first + conf.confirm_seed_offset + i
                            for i in range(conf.confirm_seeds)),
        eta=conf.eta, alpha=conf.alpha, promising=conf.promising, objective=conf.objective,
        lcb_z=conf.lcb_z, confirm_top_k=conf.confirm_top_k,
    )


def _budget(text: Any, n_trials: int) -> Budget:
    if text is None:
        return Budget(RUNS, float(n_trials))
    try:
        return parse_budget(text)
    except ValueError as exc:
        raise SweeperError(f"hydra.sweeper.{exc}") from None
