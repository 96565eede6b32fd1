"""Tell a trial that the batch scheduler ended from one that failed on its own.

With ``hydra/launcher=submitit_slurm`` each trial is a SLURM job. A job that SLURM
cancels (``scancel``), times out, loses its node or preempts produces no result, and
submitit raises ``UncompletedJobError`` naming the job's final state. Such a trial says
nothing about its parameters, so it is FAIL with that reason and its slot is queued
again (up to ``max_retry``), as for a worker that died.
"""

from __future__ import annotations

import re

#: SLURM job states that end a job from outside (not the job's own error or OOM).
SCHEDULER_ENDS = ("CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE")
_STATE = re.compile(r"Job (?P<job>\S+) .*?\(state: (?P<state>[^)\n]*)\)", re.DOTALL)


def scheduler_end(exc: BaseException) -> str | None:
    """``SlurmJobEnded: job <id> <STATE ...>`` when the scheduler ended the job, else None."""
    if type(exc).__name__ != "UncompletedJobError":  # submitit's, imported only by its jobs
        return None
    match = _STATE.search(str(exc))
    if match is None:
        return None
    state = " ".join(match.group("state").split())
    if not state.upper().startswith(SCHEDULER_ENDS):
        return None
    return f"SlurmJobEnded: job {match.group('job')} {state}"
