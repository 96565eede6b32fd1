"""A throwaway PostgreSQL server for the tests: a real cluster in a temp dir, loopback only.

``initdb`` and ``pg_ctl`` come from the Debian ``postgresql`` package (``make postgres``
installs it). PostgreSQL refuses to run as root, so when the tests run as root the
server's commands run as the ``postgres`` system user. The cluster listens on
127.0.0.1 only (plus a unix socket inside the temp dir), the superuser ``postgres``
may connect only through that socket, and TCP clients need a password. ``stop`` shuts
the server down and deletes the dir; only a SIGKILLed test run leaves one behind
(``/tmp/tfod-pg-*``), and the next ``start`` stops it and deletes it (``leftovers``).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.study.leftovers import claim, clear_stale, end_processes, processes_of

INITDB_GLOB = "/usr/lib/postgresql/*/bin/initdb"
SERVER_USER = "postgres"
_SETTINGS = """
# Written by tests/study/postgres_server.py: a throwaway, loopback-only test cluster.
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
max_connections = 100
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
"""


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found, started or set up."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin_dir() -> Path:
    """The newest installed server's ``bin`` dir (Debian layout)."""
    found = sorted(glob.glob(INITDB_GLOB), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise PostgresUnavailable(
            f"PostgreSQL server not installed (no {INITDB_GLOB}): run `make postgres` "
            "(apt-get install postgresql) and re-run the tests"
        )
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    """A running throwaway cluster and the password user the tests connect as."""

    root: Path
    bin_dir: Path
    port: int
    user: str
    password: str
    os_user: str | None
    """OS user the server's commands run as (None: the current user)."""

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        """The server log (read it when something goes wrong)."""
        return self.root / "server.log"

    def url(self, database: str) -> str:
        """``postgresql://user:pw@127.0.0.1:PORT/database``, as a user would write it."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def env_form(self, url: str) -> str:
        """``url`` with its password written ``${oc.env:PGPASSWORD}``, as the sweeper wants it.

        The sweeper refuses a literal password (Hydra would save it to disk); processes
        given this form need ``PGPASSWORD`` in their environment (see ``client_env``).
        """
        return url.replace(f":{self.password}@", ":${oc.env:PGPASSWORD}@", 1)

    def client_env(self) -> dict[str, str]:
        """What a sweep needs in its environment to resolve ``env_form`` URLs."""
        return {"PGPASSWORD": self.password}

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb a cluster in a fresh temp dir and start it on a free loopback port."""
        bin_dir = _bin_dir()
        as_user = SERVER_USER if os.geteuid() == 0 else None
        # A server a SIGKILLed test run left behind: stopped (fast shutdown) and deleted.
        clear_stale("tfod-pg-*", signal.SIGINT)
        # Under /tmp when root: the postgres user must be able to reach the dir.
        root = Path(tempfile.mkdtemp(prefix="tfod-pg-", dir="/tmp" if as_user else None))
        claim(root)
        server = cls(root, bin_dir, 0, "tfod", secrets.token_hex(12), as_user)
        try:
            if as_user is not None:
                try:
                    entry = pwd.getpwnam(as_user)
                except KeyError:
                    raise PostgresUnavailable(
                        f"system user {as_user!r} missing: run `make postgres`"
                    ) from None
                os.chown(root, entry.pw_uid, entry.pw_gid)
            server._initdb()
            server._listen()
            server.sql(f"CREATE ROLE {server.user} LOGIN PASSWORD '{server.password}'")
        except BaseException:
            server.stop()
            raise
        return server

    def create_database(self, name: str) -> str:
        """A new, empty database owned by the test user; returns its URL."""
        self.sql(f"CREATE DATABASE {name} OWNER {self.user}")
        return self.url(name)

    def sql(self, statement: str) -> None:
        """Run one statement as the superuser, through the cluster's unix socket."""
        self._run(
            "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.root),
            "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c", statement,
        )  # fmt: skip

    def query(self, statement: str) -> list[list[str]]:
        """Rows of one query run as the superuser (through the unix socket), as text."""
        out = self._run(
            "psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.root), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-c", statement,
        )  # fmt: skip
        return [line.split("\t") for line in out.splitlines() if line]

    def shut_down(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``: clients are cut off), keeping its data."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")

    def start_again(self) -> None:
        """Start a shut-down server on the same port, with the same data."""
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
            "-o", f"-p {self.port}", "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server (fast, then immediate) and delete the cluster."""
        if (self.data_dir / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                try:
                    self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "30",
                              "stop")  # fmt: skip
                    break
                except PostgresUnavailable:
                    continue
        # Whatever pg_ctl could not stop (or a start that failed half-way left running).
        end_processes(processes_of(self.root), signal.SIGQUIT)
        shutil.rmtree(self.root, ignore_errors=True)

    def _initdb(self) -> None:
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8",
            "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
        )  # fmt: skip
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(_SETTINGS.format(socket_dir=self.root))

    def _listen(self, attempts: int = 3) -> None:
        """Start on a free port; retry on another if someone grabbed it meanwhile."""
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                    "-o", f"-p {self.port}", "-w", "-t", "60", "start",
                )  # fmt: skip
                return
            except PostgresUnavailable:
                if attempt == attempts or "already in use" not in self._log_tail():
                    raise

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _run(self, tool: str, *args: str) -> str:
        """Run a server tool (as the server's OS user); its stdout; failures raise with it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        user = self.os_user
        owner = {"user": user, "group": user, "extra_groups": []} if user else {}
        try:
            result = subprocess.run(
                [str(self.bin_dir / tool), *args],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                **owner,  # type: ignore[arg-type]
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PostgresUnavailable(f"{tool} could not run: {exc}") from None
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{tool} {' '.join(args)} failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n--- server log ---\n{self._log_tail()}"
            )
        return result.stdout
