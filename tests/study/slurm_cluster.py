"""A throwaway single-node SLURM cluster for the tests with accounting.

Debian's ``slurm-wlm``, ``slurmdbd``, ``munge`` and ``mariadb-server`` provide the
daemons (``make slurm`` installs them). Everything lives in one temp dir and listens on
127.0.0.1 only: a fresh munge key and socket, a MariaDB data dir for the accounting
database, and ``slurm.conf`` with one node of 2 CPUs. Accounting is there because
submitit (under ``hydra/launcher=submitit_slurm``) learns that a job was cancelled or
timed out from ``sacct``; without it a cancelled job is waited for forever.

The daemons run in the foreground as children of the test process (as root, like CI)
and are stopped by pid in ``stop``, after every job is cancelled; job steps and jobs
still running then (their environment names the cluster's dir) are ended too. A
cluster that a SIGKILLed test run left behind is stopped by the next ``start``
(``leftovers``). Clients need ``SLURM_CONF`` (see ``env``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.study.leftovers import claim, clear_stale, end_processes, processes_of

DAEMONS = ("munged", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd",
           "sbatch", "sacct", "sacctmgr")


class SlurmUnavailable(RuntimeError):
    """The cluster could not be found, started or set up."""


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tool(name: str) -> str:
    for folder in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if os.access(f"{folder}/{name}", os.X_OK):
            return f"{folder}/{name}"
    raise SlurmUnavailable(f"{name} not installed: run `make slurm` (apt-get install slurm-wlm "
                           "slurmdbd munge mariadb-server) and re-run the tests")


@dataclass
class SlurmCluster:
    """A running single-node cluster; ``env`` is what its clients need."""

    root: Path
    node: str
    cpus: int = 2
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        """``slurm.conf`` (``SLURM_CONF`` of every client)."""
        return self.root / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment a client (sbatch, squeue, submitit) runs in."""
        return {"SLURM_CONF": str(self.conf)}

    @classmethod
    def start(cls) -> SlurmCluster:
        """Set up and start every daemon; waits until the node takes jobs."""
        if os.geteuid() != 0:
            raise SlurmUnavailable("the SLURM test cluster runs its daemons as root")
        for name in DAEMONS:
            _tool(name)
        clear_stale("tfod-slurm-*")  # a cluster a SIGKILLed test run left behind
        root = Path(tempfile.mkdtemp(prefix="tfod-slurm-", dir="/tmp"))
        root.chmod(0o755)  # munged wants its socket's folder searchable by all
        claim(root)
        cluster = cls(root, socket.gethostname().split(".")[0])
        try:
            cluster._munge()
            cluster._database()
            cluster._slurm()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def run(self, *argv: str, timeout: float = 60) -> str:
        """Run a SLURM client command against this cluster; its stdout."""
        result = subprocess.run(list(argv), env={**os.environ, **self.env}, capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise SlurmUnavailable(f"{' '.join(argv)} failed: {result.stderr.strip()}")
        return result.stdout

    def jobs(self) -> list[dict[str, str]]:
        """Every job the accounting database knows: JobID, JobName, State, NodeList, Start, End."""
        fields = ["JobID", "JobName", "State", "NodeList", "Start", "End"]
        out = self.run("sacct", "-a", "-X", "--parsable2", "--noheader", "-o", ",".join(fields))
        return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]

    def stop(self) -> None:
        """Cancel every job, stop the daemons (newest first, by pid), end what is left of
        the jobs (slurmd leaves running job steps behind) and delete the cluster's folder."""
        self._cancel_jobs()
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        end_processes(processes_of(self.root))
        shutil.rmtree(self.root, ignore_errors=True)

    def _cancel_jobs(self, wait: float = 30) -> None:
        """scancel every job still queued or running and wait (bounded) until none is."""
        ctld = self.procs.get("slurmctld")
        if ctld is None or ctld.poll() is not None:
            return
        try:
            jobs = self.run("squeue", "-h", "-o", "%i", timeout=20).split()
            if not jobs:
                return
            self.run("scancel", *jobs, timeout=20)
            end = time.monotonic() + wait
            while self.run("squeue", "-h", "-o", "%i", timeout=20).split():
                if time.monotonic() > end:
                    return  # what is left is ended by pid in stop
                time.sleep(0.5)
        except (SlurmUnavailable, OSError, subprocess.SubprocessError):
            return  # the controller does not answer: stop ends the jobs by pid

    def log_tail(self, lines: int = 20) -> str:
        """The end of every daemon log (for failure messages)."""
        parts = []
        for log in sorted(self.root.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def _daemon(self, name: str, *argv: str) -> None:
        out = (self.root / f"{name}.out").open("wb")
        self.procs[name] = subprocess.Popen([_tool(argv[0]), *argv[1:]], stdout=out,
                                            stderr=subprocess.STDOUT,
                                            env={**os.environ, **self.env})
        out.close()

    def _wait(self, what: str, check: Callable[[], object], deadline: float = 180) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SlurmUnavailable(f"{name} exited {proc.returncode} while waiting for "
                                           f"{what}\n{self.log_tail()}")
            try:
                if check():
                    return
            except (SlurmUnavailable, OSError, subprocess.SubprocessError):
                pass
            time.sleep(0.5)
        raise SlurmUnavailable(f"timed out waiting for {what}\n{self.log_tail()}")

    def _munge(self) -> None:
        key = self.root / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o600)
        self._daemon("munged", "munged", "--foreground", "--force",
                     f"--socket={self.root / 'munge.sock'}", f"--key-file={key}",
                     f"--pid-file={self.root / 'munged.pid'}",
                     f"--log-file={self.root / 'munged.log'}",
                     f"--seed-file={self.root / 'munged.seed'}")
        self._wait("munged", lambda: (self.root / "munge.sock").exists())

    def _database(self) -> None:
        data = self.root / "db"
        result = subprocess.run(
            [_tool("mariadb-install-db"), f"--datadir={data}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise SlurmUnavailable(f"mariadb-install-db failed: {result.stderr[-2000:]}")
        self.db_port = _port()
        sock = self.root / "mysql.sock"
        self._daemon("mariadbd", "mariadbd", "--no-defaults", f"--datadir={data}",
                     f"--socket={sock}", f"--port={self.db_port}", "--bind-address=127.0.0.1",
                     "--user=root", f"--pid-file={self.root / 'mariadbd.pid'}",
                     f"--log-error={self.root / 'mariadbd.log'}",
                     "--innodb-buffer-pool-size=64M", "--innodb-lock-wait-timeout=900")
        self._wait("mariadbd", sock.exists)
        self._db_password = secrets.token_hex(8)
        grant = (f"CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '{self._db_password}'; "
                 "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';")
        self.run(_tool("mariadb"), f"--socket={sock}", "-uroot", "-e", grant)

    def _slurm(self) -> None:
        dbd_port, ctld_port, slurmd_port = _port(), _port(), _port()
        sock = self.root / "munge.sock"
        auth = f"AuthType=auth/munge\nAuthInfo=socket={sock}\n"
        dbd = self.root / "slurmdbd.conf"
        dbd.write_text(
            f"{auth}DbdHost={self.node}\nDbdAddr=127.0.0.1\nDbdPort={dbd_port}\nSlurmUser=root\n"
            f"StorageType=accounting_storage/mysql\nStorageHost=127.0.0.1\n"
            f"StoragePort={self.db_port}\nStorageUser=slurm\nStoragePass={self._db_password}\n"
            f"StorageLoc=slurm_acct_db\nPidFile={self.root / 'slurmdbd.pid'}\n"
            f"LogFile={self.root / 'slurmdbd.log'}\n")
        dbd.chmod(0o600)
        for name in ("state", "spool"):
            (self.root / name).mkdir()
        self.conf.write_text(
            f"ClusterName=tfodtest\nSlurmctldHost={self.node}(127.0.0.1)\n"
            f"SlurmctldPort={ctld_port}\nSlurmdPort={slurmd_port}\n{auth}"
            "SlurmUser=root\nSlurmdUser=root\nCredType=cred/munge\n"
            f"StateSaveLocation={self.root / 'state'}\nSlurmdSpoolDir={self.root / 'spool'}\n"
            f"SlurmctldPidFile={self.root / 'slurmctld.pid'}\n"
            f"SlurmdPidFile={self.root / 'slurmd.pid'}\n"
            f"SlurmctldLogFile={self.root / 'slurmctld.log'}\n"
            f"SlurmdLogFile={self.root / 'slurmd.log'}\n"
            "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
            "JobAcctGatherType=jobacct_gather/none\nJobCompType=jobcomp/none\n"
            "AccountingStorageType=accounting_storage/slurmdbd\n"
            f"AccountingStorageHost=127.0.0.1\nAccountingStoragePort={dbd_port}\n"
            f"AccountingStoragePass={sock}\n"
            "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nReturnToService=2\n"
            "MpiDefault=none\nSwitchType=switch/none\nSlurmdParameters=config_overrides\n"
            "KillWait=5\nMinJobAge=600\nSchedulerParameters=sched_interval=1\n"
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory=1000 "
            "State=UNKNOWN\n"
            f"PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP\n")
        self._daemon("slurmdbd", "slurmdbd", "-D")
        self._wait("slurmdbd", lambda: self.run("sacctmgr", "-i", "add", "cluster", "tfodtest"))
        self._daemon("slurmctld", "slurmctld", "-D", "-f", str(self.conf))
        self._daemon("slurmd", "slurmd", "-D", "-f", str(self.conf))
        self._wait("the node to be idle", lambda: self.run(
            "sinfo", "-h", "-o", "%t").strip() == "idle")
