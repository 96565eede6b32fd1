"""``tfod_optuna``: a Hydra sweeper that runs an Optuna 5 study.

Why our own: the released hydra-optuna-sweeper pins optuna<3, cannot prune (the trial
never reaches the job), runs trials in blocking batches and cannot resume. This one:

* keeps the whole study in a storage (default: a journal file safe for concurrent local
  workers); ``n_trials`` is the study's total, so re-running a command resumes it;
* runs each trial as a Hydra job numbered by its trial number; the job reaches its
  trial through the storage (``tfod_sweep.study.open_trial_reporter``) to report
  learning curves, so pruning works in-process and out-of-process;
* records FAIL with a ``fail_reason`` instead of stopping, up to ``max_failure_rate``;
  Ctrl-C marks the running trial FAIL; heartbeats reclaim trials of killed workers;
* ``n_jobs`` > 1 starts extra worker processes that each take the next trial as soon
  as they are free.

Configuration: :mod:`hydra_plugins.tfod_optuna_sweeper.config`.
"""
