"""Many workers on one PostgreSQL study: trials claimed per second and connections per worker.

Starts a throwaway PostgreSQL server on 127.0.0.1 (as the tests do; `make postgres`
installs it), then N toy workers at once (`tests/study/toy_app/toy.py -m`, separate
processes as a job array would start them) on one study of T short trials, while a
sampler reads `pg_stat_activity` every 0.1 s. Each worker names its connections
`tfod-sweep:<pid>`, so the samples count connections per worker. Prints a markdown table.

Usage: python benchmarks/study_load.py [--workers 32] [--trials 96] [--seconds-per-step 0.05]
Run it alone on the machine (`flock /tmp/tfod-cpu.lock nice -n 10 ...` where shared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.study.chaos import (  # noqa: E402
    ConnectionSampler,
    assert_whole,
    claims_per_second,
    scan_for,
)
from tests.study.postgres_server import PostgresServer  # noqa: E402
from tests.study.toy_helpers import Toy  # noqa: E402


def _trials(url: str) -> list:
    import optuna

    storage = optuna.storages.RDBStorage(url)
    try:
        return optuna.load_study(study_name="toy", storage=storage).get_trials()
    finally:
        storage.engine.dispose()


def measure(server: PostgresServer, workers: int, trials: int, step: float, cwd: Path) -> dict:
    """One load run; the row of the table."""
    url = server.create_database(f"load_{workers}")
    toy = Toy(cwd, env=server.client_env())
    args = ("hydra.sweeper.pruner=null", "num_steps=2", f"seconds_per_step={step}",
            "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=60",
            f"hydra.sweeper.n_trials={trials}", f"hydra.sweeper.storage={server.env_form(url)}")
    started = time.monotonic()
    with ConnectionSampler(server, url.rsplit("/", 1)[1]) as sampler:
        procs = [toy.start(*args, name=f"w{i}") for i in range(workers)]
        codes = [proc.wait(timeout=1800) for proc in procs]
    wall = time.monotonic() - started
    found = _trials(url)
    whole = assert_whole(found, trials)
    peak, mean = sampler.per_worker()
    return {
        "workers": workers, "trials": trials, "wall_s": wall,
        "claims_s": claims_per_second(found), "conn_max": peak, "conn_mean": mean,
        "conn_total_max": sampler.total_max(), "discarded": whole.discarded,
        "failed_workers": sum(code != 0 for code in codes),
        "bad_lines": len(scan_for([cwd], ("database is locked", "too many clients"))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[32])
    parser.add_argument("--trials", type=int, default=96)
    parser.add_argument("--seconds-per-step", type=float, default=0.05)
    options = parser.parse_args()
    server = PostgresServer.start()
    rows = []
    try:
        for workers in options.workers:
            with tempfile.TemporaryDirectory(prefix="tfod-load-") as tmp:
                rows.append(measure(server, workers, options.trials,
                                    options.seconds_per_step, Path(tmp)))
    finally:
        server.stop()
    print("| workers | trials | wall (s) | trials claimed/s | connections per worker, max | "
          "mean | most at once | surplus discarded | workers failed | 'locked'/'too many' |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['workers']} | {r['trials']} | {r['wall_s']:.0f} | {r['claims_s']:.1f} | "
              f"{r['conn_max']} | {r['conn_mean']:.2f} | {r['conn_total_max']} | "
              f"{r['discarded']} | {r['failed_workers']} | {r['bad_lines']} |")


if __name__ == "__main__":
    main()
