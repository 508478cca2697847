"""The distributed profile of the e2e deployment: PostgreSQL, Redis, CeleryExecutor, 2 workers, 2 triggerers.

PostgreSQL and Redis come from Debian's packages (``postgresql``, ``redis-server``); the harness runs
them as its own processes on loopback, on free ports, with their data in a temporary directory, and
stops them by pid like every other process it starts. Where a binary is missing, ``missing()`` says
which, and the profile's tests are skipped with that reason (never counted as passed).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .deployment import AIRFLOW, AirflowDeployment, free_port, stop_process, wait_for

WORKERS = ("worker-a", "worker-b")
TRIGGERERS = ("triggerer-a", "triggerer-b")
PG_USER = "airflow"
# initdb and postgres refuse to run as root: as root (CI), they run as Debian's ``postgres`` user.
PG_RUN_AS = "postgres" if os.geteuid() == 0 else None


def pg_bin(name: str) -> str | None:
    """A PostgreSQL server binary (Debian keeps them out of PATH, under one folder per version)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def missing() -> str | None:
    """Why the distributed profile cannot run here, or None."""
    absent = [name for name in ("initdb", "postgres") if pg_bin(name) is None]
    absent += [] if shutil.which("redis-server") else ["redis-server"]
    if absent:
        return f"{', '.join(absent)} not found (apt-get install -y postgresql redis-server)"
    try:
        import airflow.providers.celery  # noqa: F401
        import psycopg2  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[test]')"
    return None


class DistributedDeployment(AirflowDeployment):
    """The e2e deployment on PostgreSQL and Redis, with two Celery workers and two triggerers."""

    components = ("api-server", "scheduler", "dag-processor", *TRIGGERERS, *WORKERS)

    def __init__(self, home: Path) -> None:
        super().__init__(home)
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.services: dict[str, subprocess.Popen[bytes]] = {}
        # Outside pytest's 0700 temp tree, which the ``postgres`` user could not enter.
        self.pg_dir = Path(tempfile.mkdtemp(prefix="hfhub-e2e-pg-"))
        # Triggerer job id (the ``job`` table) -> the component that runs it.
        self.triggerer_jobs: dict[int, str] = {}

    @property
    def pg_url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.pg_port}/airflow"

    @property
    def sqlalchemy_url(self) -> str:
        # The driver named: Celery's result backend would otherwise pick psycopg 3, not installed.
        return self.pg_url.replace("postgresql:", "postgresql+psycopg2:")

    def _base_env(self) -> dict[str, str]:
        env = super()._base_env()
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__PARALLELISM": "16",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.sqlalchemy_url,
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.sqlalchemy_url}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "6",
                # Small batches, so both triggerers claim some of the 50 triggers (config.yml: "keep
                # load balanced across triggerers in HA deployments").
                "AIRFLOW__TRIGGERER__MAX_TRIGGER_TO_SELECT_PER_LOOP": "4",
                # Airflow's default, not the LocalExecutor profile's 10 s: on a loaded 2-core machine a
                # triggerer's heartbeat was seen to lapse for 19 s, and its triggers then moved.
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "30",
            }
        )
        return env

    def component_cmd(self, name: str) -> list[str]:
        # Every process reads the one log folder, so none serves logs (their ports would clash).
        if name in WORKERS:
            return [
                AIRFLOW, "celery", "worker", "--celery-hostname", f"{name}@%h", "--skip-serve-logs",
                "--without-mingle", "--without-gossip",
            ]  # fmt: skip
        if name in TRIGGERERS:
            return [AIRFLOW, "triggerer", "--skip-serve-logs"]
        return super().component_cmd(name)

    # -- PostgreSQL and Redis -------------------------------------------------------------------

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.procs_dir.mkdir(exist_ok=True)
        self._start_postgres()
        self._start_redis()
        super().start()

    def _service(self, name: str, cmd: list[str], user: str | None = None) -> subprocess.Popen[bytes]:
        with (self.procs_dir / f"{name}.log").open("wb") as out:
            proc = subprocess.Popen(
                cmd, cwd=self.pg_dir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, user=user
            )
        self.services[name] = proc
        return proc

    def _start_postgres(self) -> None:
        data = self.pg_dir / "data"
        if PG_RUN_AS:
            shutil.chown(self.pg_dir, PG_RUN_AS)
        initdb = [str(pg_bin("initdb")), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8"]
        with (self.procs_dir / "initdb.log").open("wb") as out:
            subprocess.run(
                initdb, cwd=self.pg_dir, stdout=out, stderr=subprocess.STDOUT, check=True, user=PG_RUN_AS
            )
        self._service(
            "postgres",
            [
                str(pg_bin("postgres")), "-D", str(data), "-p", str(self.pg_port), "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=", "-c", "max_connections=300", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ],
            user=PG_RUN_AS,
        )  # fmt: skip
        import psycopg2

        def create_db() -> bool:
            self._check_services()
            try:
                conn = psycopg2.connect(f"postgresql://{PG_USER}@127.0.0.1:{self.pg_port}/postgres")
            except psycopg2.OperationalError:  # still starting
                return False
            conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
            try:
                with conn.cursor() as cur:
                    cur.execute("CREATE DATABASE airflow")
            finally:
                conn.close()
            return True

        wait_for("PostgreSQL to accept connections", create_db, timeout=60)

    def _start_redis(self) -> None:
        self._service(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )

        def pong() -> bool:
            self._check_services()
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        wait_for("Redis to answer PING", pong, timeout=30)

    def _check_services(self) -> None:
        for name, proc in self.services.items():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited ({proc.returncode}); see {self.procs_dir / (name + '.log')}"
                )

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            postgres = self.services.get("postgres")
            if postgres is not None and postgres.poll() is None:
                # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM's "smart" one waits for every client.
                postgres.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    postgres.wait(timeout=20)
            for proc in self.services.values():
                stop_process(proc)
            shutil.rmtree(self.pg_dir, ignore_errors=True)

    # -- inspection ------------------------------------------------------------------------------

    def db_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg2

        conn = psycopg2.connect(self.pg_url)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        finally:
            conn.close()

    def running_triggerer_jobs(self) -> set[int]:
        rows = self.db_rows("SELECT id FROM job WHERE job_type = 'TriggererJob' AND state = 'running'")
        return {int(row[0]) for row in rows}

    def start_component(self, name: str) -> subprocess.Popen[bytes]:
        """Start a component; for a triggerer, wait until it registers and note its job id."""
        if name not in TRIGGERERS:
            return super().start_component(name)
        before = self.running_triggerer_jobs()
        proc = super().start_component(name)

        def registered() -> set[int]:
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited ({proc.returncode}); see {self.procs_dir}")
            return self.running_triggerer_jobs() - before - set(self.triggerer_jobs)

        new = wait_for(f"{name} to register as a triggerer job", registered, timeout=120)
        (job_id,) = new
        self.triggerer_jobs[job_id] = name
        return proc

    def triggerer_of(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str | None:
        """The triggerer component holding the task's trigger now, if any."""
        rows = self.db_rows(
            "SELECT t.triggerer_id FROM task_instance ti JOIN trigger t ON ti.trigger_id = t.id"
            " WHERE ti.dag_id = %s AND ti.run_id = %s AND ti.task_id = %s AND ti.map_index = %s",
            (dag_id, run_id, task_id, map_index),
        )
        if not rows or rows[0][0] is None:
            return None
        return self.triggerer_jobs.get(int(rows[0][0]), f"unknown triggerer job {rows[0][0]}")
