"""Optuna study plumbing shared by the ``tfod_optuna`` sweeper and the training job.

The job-side API is :func:`open_trial_reporter`: it returns ``None`` unless the current
Hydra job is a trial of the sweeper, and otherwise a :class:`TrialReporter` whose
``report(value, step)`` feeds the pruner (raising ``optuna.TrialPruned``) and whose
``set_user_attrs`` stores results shown in optuna-dashboard. Importing this package is
cheap: Optuna is imported only when a trial is actually opened.
"""

from __future__ import annotations

from tfod_sweep.study.reporter import TrialReporter, open_trial_reporter

__all__ = ["TrialReporter", "open_trial_reporter"]
