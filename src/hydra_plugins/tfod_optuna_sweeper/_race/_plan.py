"""The race's next move, as a pure function of what the study has assigned and seen.

Each trial asks ``plan`` once, before it runs. The answer depends only on the runs of
older trials (their assignments, and the results its history lag lets it see), so the
same command and sampler seed give the same study with one worker or several.

The order of moves, first that applies:

1. **Confirmation**, once begun: the chosen candidates and the baseline, at full length,
   on seeds no selection decision used. It begins when the next search run and the
   whole confirmation would no longer fit the budget.
2. **Promotion** (successive halving on the first seed): at each rung, the best 1/eta of
   the candidates evaluated there continue the same run to the next rung. The baseline
   always continues, so its noise is measured, not assumed.
3. **Racing at full length**: the incumbent is the candidate with the most full-length
   seeds (the best score among equals). A challenger earns the incumbent's seeds, one at a
   time and paired, while it is still a contender (its deficit on the seeds they share is
   within the noise: one-sided p >= ``promising``); one that is significantly worse
   (p < ``alpha``) is dropped for good. When every challenger has caught up, the
   incumbent earns a new seed.
4. **A new point** from the sampler, on the first seed, evaluated at the first rung.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from hydra_plugins.tfod_optuna_sweeper._race._budget import CostModel
from hydra_plugins.tfod_optuna_sweeper._race._model import (
    CONFIRM,
    SEARCH,
    Assignment,
    RaceSettings,
    Run,
    RunState,
)
from hydra_plugins.tfod_optuna_sweeper._race._stats import (
    Noise,
    compare,
    mean,
    pooled_noise,
    sample_std,
)

NEW = -1
"""Candidate id of a new point: the trial that runs it takes its own number."""


@dataclass(frozen=True)
class Decision:
    """The assignment to run next, or None when the study has nothing left to run."""

    assignment: Assignment | None

    @property
    def new_point(self) -> bool:
        return self.assignment is not None and self.assignment.candidate == NEW


class Race:
    """The state of a race, read from its runs: what is known, pending and dropped."""

    def __init__(self, runs: Sequence[Run], settings: RaceSettings) -> None:
        self.runs = sorted(runs, key=lambda r: r.trial)
        self.settings = settings
        self.assigned = {r.assignment.key() for r in self.runs
                         if r.assignment.role == SEARCH}
        # Crashed or pruned: such a candidate goes no further in the race.
        self.failed = {r.assignment.candidate for r in self.runs
                       if r.state in (RunState.FAILED, RunState.PRUNED)}
        self.baseline = next((r.assignment.candidate for r in self.runs
                              if r.assignment.baseline), None)
        # Drops only accumulate; a retried run carries an older list, so take the union.
        self.dropped: dict[int, str] = {}
        for run in self.runs:
            for candidate, why in run.assignment.dropped.items():
                self.dropped.setdefault(candidate, why)
        self.candidates = sorted({r.assignment.candidate for r in self.runs})

    def value(self, candidate: int, seed: int, steps: int) -> float | None:
        for run in self.runs:
            a = run.assignment
            if (a.role == SEARCH and run.state == RunState.DONE
                    and (a.candidate, a.seed, a.steps) == (candidate, seed, steps)):
                return run.value
        return None

    def run_of(self, candidate: int, seed: int, steps: int) -> Run | None:
        for run in self.runs:
            a = run.assignment
            if a.role == SEARCH and (a.candidate, a.seed, a.steps) == (candidate, seed, steps):
                return run
        return None

    def full_values(self, candidate: int) -> dict[int, float]:
        """The candidate's full-length selection results, by seed."""
        full = self.settings.full
        values = {s: self.value(candidate, s, full) for s in self.settings.seeds}
        return {s: v for s, v in values.items() if v is not None}

    def full_seeds_assigned(self, candidate: int) -> list[int]:
        return [s for s in self.settings.seeds
                if (candidate, s, self.settings.full) in self.assigned]

    def noise(self) -> Noise:
        """Seed noise at full length, pooled over every candidate with two or more seeds."""
        return pooled_noise(list(self.full_values(c).values()) for c in self.candidates)

    def score(self, candidate: int, noise: Noise) -> float:
        """How the candidate ranks: its seed mean, or a lower confidence bound of it."""
        values = list(self.full_values(candidate).values())
        centre = mean(values)
        if self.settings.objective != "lcb":
            return centre
        # Its own seeds' spread once it has two; until then the pooled seed noise.
        spread = sample_std(values) if len(values) >= 2 else (noise.std if noise.df else 0.0)
        return centre - self.settings.lcb_z * spread / len(values) ** 0.5

    def contenders(self) -> list[int]:
        """Candidates with a full-length result, neither dropped nor crashed."""
        return [c for c in self.candidates
                if self.full_values(c) and c not in self.dropped and c not in self.failed]

    def incumbent(self, noise: Noise) -> int | None:
        alive = self.contenders()
        if not alive:
            return None
        return max(alive, key=lambda c: (len(self.full_values(c)), self.score(c, noise), -c))

    def confirmed(self) -> tuple[int, ...] | None:
        """The confirmation set, once the first confirmation run has fixed it."""
        return confirmation_of(self.runs)


def confirmation_of(runs: Sequence[Run]) -> tuple[int, ...] | None:
    """The set the first confirmation run fixed, the baseline last, or None before it.

    The baseline belongs to every confirmation: a study whose baseline first ran only
    after the set was fixed (its enqueued run had been stopped by the user, and older
    versions did not queue it again) gets it added, so its verdict can still be made.
    """
    ordered = sorted(runs, key=lambda r: r.trial)
    chosen = next((r.assignment.confirm_set for r in ordered
                   if r.assignment.role == CONFIRM and r.assignment.confirm_set), None)
    if chosen is None:
        return None
    baseline = next((r.assignment.candidate for r in ordered if r.assignment.baseline), None)
    if baseline is None or baseline in chosen:
        return chosen
    return (*chosen, baseline)


def drop_losers(race: Race) -> None:
    """Drop every challenger significantly worse than the incumbent (updates ``race``)."""
    noise = race.noise()
    while True:
        incumbent = race.incumbent(noise)
        if incumbent is None:
            return
        losers = []
        for challenger in race.contenders():
            if challenger == incumbent:
                continue
            test = compare(race.full_values(challenger), race.full_values(incumbent), noise)
            if test is not None and test.p_worse < race.settings.alpha:
                losers.append((challenger, test))
        if not losers:
            return
        for challenger, test in losers:
            race.dropped[challenger] = f"worse than incumbent {incumbent}, " + test.describe()


def _promotion(race: Race) -> Assignment | None:
    settings, first = race.settings, race.settings.seeds[0]
    for index in reversed(range(len(settings.rungs) - 1)):
        rung, above = settings.rungs[index], settings.rungs[index + 1]
        here = [(race.value(c, first, rung), c) for c in race.candidates]
        ranked = sorted(((v, c) for v, c in here if v is not None), key=lambda p: (-p[0], p[1]))
        best = [c for _, c in ranked[: len(ranked) // settings.eta]]
        forced = [race.baseline] if race.baseline in {c for _, c in ranked} else []
        for candidate in best + forced:
            if candidate in race.failed or (candidate, first, above) in race.assigned:
                continue
            run = race.run_of(candidate, first, rung)
            assert run is not None
            why = (f"promoted: top {len(best)} of {len(ranked)} at step {rung}"
                   if candidate in best else "baseline: always raced")
            return Assignment(candidate, first, above, start=rung, resume_trial=run.trial,
                              baseline=candidate == race.baseline, reason=why)
    return None


def _racing(race: Race) -> Assignment | None:
    settings, noise = race.settings, race.noise()
    incumbent = race.incumbent(noise)
    if incumbent is None:
        return None
    ahead = race.full_seeds_assigned(incumbent)
    challengers = [c for c in race.contenders() if c != incumbent]
    behind = []
    for challenger in challengers:
        own = set(race.full_seeds_assigned(challenger))
        missing = [s for s in ahead if s not in own]
        test = compare(race.full_values(challenger), race.full_values(incumbent), noise)
        if test is not None and test.p_worse < settings.promising:
            continue  # behind for now: no seed until the incumbent's mean comes down
        if missing:
            behind.append((race.score(challenger, noise), challenger, missing[0]))
    if behind:
        _, challenger, seed = max(behind, key=lambda item: (item[0], -item[1]))
        return Assignment(challenger, seed, settings.full,
                          baseline=challenger == race.baseline,
                          reason=f"paired seed: catching up with incumbent {incumbent}")
    fresh = [s for s in settings.seeds if s not in ahead]
    if challengers and fresh:
        return Assignment(incumbent, fresh[0], settings.full,
                          baseline=incumbent == race.baseline,
                          reason=f"incumbent's next seed: {len(challengers)} contender(s) left")
    return None


def confirmation_set(race: Race) -> tuple[int, ...]:
    """The top-k candidates by score (full-length ones first), then the baseline."""
    noise = race.noise()
    others = [c for c in race.candidates if c != race.baseline and c not in race.failed]
    at_full = sorted((c for c in race.contenders() if c != race.baseline),
                     key=lambda c: (-race.score(c, noise), c))

    def reached(candidate: int) -> tuple[int, float]:
        first = race.settings.seeds[0]
        for rung in reversed(race.settings.rungs):
            value = race.value(candidate, first, rung)
            if value is not None:
                return rung, value
        return 0, float("-inf")

    below = sorted((c for c in others if c not in at_full and c not in race.dropped),
                   key=lambda c: (-reached(c)[0], -reached(c)[1], c))
    chosen = [c for c in at_full + below if reached(c)[0] > 0][: race.settings.confirm_top_k]
    return tuple(chosen) + ((race.baseline,) if race.baseline is not None else ())


def _confirmation(race: Race, chosen: tuple[int, ...]) -> Assignment | None:
    done = {r.assignment.key() for r in race.runs if r.assignment.role == CONFIRM}
    for seed in race.settings.confirm_seeds:
        for candidate in chosen:
            if (candidate, seed, race.settings.full) not in done:
                return Assignment(candidate, seed, race.settings.full, role=CONFIRM,
                                  baseline=candidate == race.baseline,
                                  reason="confirmation on a fresh seed")
    return None


def plan(runs: Sequence[Run], settings: RaceSettings, cost: CostModel) -> Decision:
    """The next run for the trial after ``runs`` (see the module docstring)."""
    race = Race(runs, settings)
    drop_losers(race)
    chosen = race.confirmed()
    if chosen is not None:
        return Decision(_stamp(_confirmation(race, chosen), race))
    move = (_promotion(race) or _racing(race)
            or Assignment(NEW, settings.seeds[0], settings.rungs[0], reason="new point"))
    if not _fits(race, move, cost):
        chosen = confirmation_set(race)
        first = _confirmation(race, chosen)
        return Decision(_stamp(replace(first, confirm_set=chosen) if first else None, race))
    return Decision(_stamp(move, race))


def _stamp(assignment: Assignment | None, race: Race) -> Assignment | None:
    """Carry the cumulative list of dropped candidates on every assignment."""
    return None if assignment is None else replace(assignment, dropped=dict(race.dropped))


def _fits(race: Race, move: Assignment, cost: CostModel) -> bool:
    """Whether ``move`` and then a whole confirmation stay within the budget."""
    own = cost.run_cost(move.steps - move.start, SEARCH)
    full = cost.run_cost(race.settings.full, CONFIRM)
    if own is None or full is None:  # nothing timed yet: the first runs always fit
        return True
    chosen = min(race.settings.confirm_top_k, len(race.candidates)) + 1
    confirm = chosen * len(race.settings.confirm_seeds) * full
    return cost.spent(race.runs) + own + confirm <= cost.budget.amount
