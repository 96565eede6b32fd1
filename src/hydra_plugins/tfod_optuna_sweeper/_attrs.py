"""Names of the trial attributes the sweeper and the jobs agree on.

They live in one place because three parties read them: the sweeper that writes
them, the job that adds its metrics, and people browsing optuna-dashboard.
"""

from __future__ import annotations

# User attributes (shown in optuna-dashboard).
FAIL_REASON = "fail_reason"
"""One line, ``<ExceptionType>: <message>``, on every FAIL trial."""
INTERRUPTED = "interrupted"
"""True on a trial stopped by Ctrl-C/SIGTERM: a FAIL that is not the trial's fault."""
DISCARDED = "discarded"
"""Set on a trial created past ``n_trials`` by a racing worker (RDB storages only)."""
INTERMEDIATE_VALUES = "intermediate_values"
"""``{"<step>": value}``: the learning curve of a multi-objective trial, where Optuna
keeps no intermediate values."""
HISTORY_WAIT = "history_wait_seconds"
"""Seconds a trial waited, before sampling, for older trials to finish (``_history``);
set only when it waited a second or more."""
VALUES_PER_SEED = "values_per_seed"
"""A multi-objective trial with several seeds: one list of objective values per seed
(``value_per_seed`` holds the single objective's values otherwise)."""

# System attributes (internal bookkeeping).
RUN_DIR = "tfod_sweep:run_dir"
"""The trial's run dir, set at launch: a race's next rung continues its checkpoint."""
HEARTBEAT = "tfod_sweep:heartbeat"
"""Unix time of the last heartbeat of a RUNNING trial in a journal storage."""
RETRY_HISTORY = "retry_history"
"""Written by Optuna's RetryHeartbeatStaleTrialCallback on the retry of a lost trial."""
RETRIED_FROM = "failed_trial"
"""Written by the same callback: number of the first trial of a retry chain."""
