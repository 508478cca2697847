"""A real Airflow deployment for the end-to-end suite, and a small client for its REST API.

``AirflowDeployment`` runs ``airflow db migrate`` in a temporary ``AIRFLOW_HOME`` and starts the fake
Hub, the api-server, the scheduler (LocalExecutor on sqlite), the dag-processor and the triggerer as
separate processes, each in its own process group with its output in ``<home>/procs/``. Every
process it starts it stops by its id (its group: SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx

E2E_DIR = Path(__file__).resolve().parent
DAGS_DIR = E2E_DIR / "dags"
# The checkout under test: its components import the provider from here, not from wherever the
# virtualenv's editable install points (a git worktree is another checkout).
REPO_ROOT = E2E_DIR.parents[1]
VENV_BIN = Path(sys.executable).parent
AIRFLOW = str(VENV_BIN / "airflow")
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# The DAGs the session waits for before any scenario starts (the labels DAG may fail to import).
E2E_DAGS = (
    "e2e_job_deferred",
    "e2e_job_timeout",
    "e2e_job_sync_retry",
    "e2e_job_secrets",
    "e2e_job_secrets_sync",
    "e2e_space_restart",
)
STOP_GRACE_SECONDS = 20.0

T = TypeVar("T")


D = TypeVar("D", bound="AirflowDeployment")


@contextlib.contextmanager
def running(deployment: D, label: str) -> Iterator[D]:
    """Start ``deployment``; stop it (every process group, by id) however the block ends."""
    print(f"\n{label} AIRFLOW_HOME: {deployment.home}", file=sys.stderr)
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """Call ``probe`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except (httpx.HTTPError, AssertionError, KeyError, OSError) as exc:  # still starting: errors
            last_error = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(interval)


def stop_process(proc: subprocess.Popen[Any], grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop a process started with ``start_new_session=True``: its group, SIGTERM then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # Children of the group (task runners, trigger runners, gunicorn/uvicorn workers) may outlive
    # the leader: SIGKILL whatever is left of the group, then reap the leader.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class AirflowApi:
    """The ``/api/v2`` calls the scenarios need (SimpleAuthManager, all admins: a token from /auth/token)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def authenticate(self) -> None:
        # With simple_auth_manager_all_admins the API also accepts requests with no token (a middleware
        # adds one), but a client should not rely on that: GET /auth/token issues one with no credentials.
        response = self.http.get("/auth/token")
        response.raise_for_status()
        self._token = response.json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {self._token}"

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, f"/api/v2{path}", **kwargs)
        if response.status_code == 401 and self._token is not None:
            self.authenticate()
            response = self.http.request(method, f"/api/v2{path}", **kwargs)
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} /api/v2{path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    # -- health, DAGs ------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self.call("GET", "/monitor/health")

    def dag_ids(self) -> set[str]:
        return {dag["dag_id"] for dag in self.call("GET", "/dags", params={"limit": 100})["dags"]}

    def import_errors(self) -> list[dict[str, Any]]:
        return self.call("GET", "/importErrors", params={"limit": 100})["import_errors"]

    # -- runs and task instances ---------------------------------------------------------------

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run_id = f"e2e__{time.strftime('%H%M%S')}_{secrets.token_hex(3)}"
        body = {"dag_run_id": run_id, "logical_date": None, "conf": conf or {}}
        return str(self.call("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def ti(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")

    def ti_try(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> dict[str, Any]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries/{try_number}")

    def wait_ti(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        states: set[str] | str,
        timeout: float,
        until: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Wait until the task instance is in one of ``states`` (and ``until(ti)`` holds)."""
        wanted = {states} if isinstance(states, str) else set(states)
        seen: list[str] = []

        def probe() -> dict[str, Any] | None:
            ti = self.ti(dag_id, run_id, task_id)
            state = str(ti["state"])
            if not seen or seen[-1] != state:
                seen.append(state)
            return ti if state in wanted and (until is None or until(ti)) else None

        try:
            return wait_for(f"{dag_id}.{task_id} in {sorted(wanted)}", probe, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; states seen: {' -> '.join(seen)}") from None

    def patch_ti(self, dag_id: str, run_id: str, task_id: str, new_state: str) -> Any:
        return self.call(
            "PATCH",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}",
            json={"new_state": new_state},
        )

    def clear_ti(self, dag_id: str, run_id: str, task_id: str) -> Any:
        """Clear one task instance, as the UI's "Clear" does: it runs again, as a new try."""
        body = {
            "dry_run": False, "only_failed": False, "task_ids": [task_id], "dag_run_id": run_id,
            "reset_dag_runs": True,
        }  # fmt: skip
        return self.call("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)

    # -- logs, XComs ---------------------------------------------------------------------------

    def log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> list[dict[str, Any]]:
        """The task log records for one try, worker and triggerer parts merged (full content)."""
        data = self.call(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"full_content": "true"},
            headers={"Accept": "application/json"},
        )
        records: list[dict[str, Any]] = []
        for item in data["content"]:
            records.append(item if isinstance(item, dict) else {"event": str(item)})
        return records

    def log_events(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> list[str]:
        return [str(record.get("event", "")) for record in self.log(dag_id, run_id, task_id, try_number)]

    def xcom_keys(self, dag_id: str, run_id: str, task_id: str) -> list[str]:
        data = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries")
        return [entry["key"] for entry in data["xcom_entries"]]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str) -> Any:
        response = self.request(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
            params={"deserialize": "true"},
        )
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise AssertionError(f"XCom {key}: {response.status_code} {response.text}")
        return response.json()["value"]


class AirflowDeployment:
    """Airflow 3 as separate processes in a temporary ``AIRFLOW_HOME``, pointed at a fake Hub.

    A profile (a subclass) may run other ``components`` (each started by ``component_cmd``).
    """

    components: tuple[str, ...] = COMPONENTS

    def __init__(self, home: Path) -> None:
        self.home = home
        self.procs_dir = home / "procs"
        self.logs_dir = home / "logs"
        self.db_path = home / "airflow.db"
        self.api_port = free_port()
        self.token = f"hf_e2e_token_{secrets.token_hex(12)}"
        self.job_secret = f"e2e-job-secret-{secrets.token_hex(12)}"
        self.jwt_secret = secrets.token_urlsafe(32)
        from cryptography.fernet import Fernet

        self.fernet_key = Fernet.generate_key().decode()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: dict[str, int] = {}
        self.hub_proc: subprocess.Popen[str] | None = None
        self.hub_url = ""
        self.env: dict[str, str] = {}
        self.api = AirflowApi(f"http://127.0.0.1:{self.api_port}")

    # -- configuration ------------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        # Nothing Airflow-related leaks in from the pytest process (tests/conftest.py sets unit-test mode).
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AIRFLOW", "HF_", "E2E_")) and key not in ("PYTHONPATH",)
        }
        env.update(
            {
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(REPO_ROOT),
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__FERNET_KEY": self.fernet_key,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(24),
                "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.logs_dir),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                # Zombie detection, for a worker that dies without reporting (heartbeats every 5 s).
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
                # A triggerer killed with SIGKILL is declared dead (and its triggers reassigned) this fast.
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
                "E2E_JOB_SECRET": self.job_secret,
            }
        )
        return env

    # -- processes -----------------------------------------------------------------------------

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        self.starts[name] = self.starts.get(name, 0) + 1
        with (self.procs_dir / f"{name}-{self.starts[name]}.log").open("wb") as out:
            return subprocess.Popen(
                cmd, env=self.env, cwd=self.home, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.procs_dir.mkdir(exist_ok=True)
        self.env = self._base_env()
        self._start_hub()
        self.env["AIRFLOW_CONN_HFHUB_DEFAULT"] = json.dumps(
            {"conn_type": "hfhub", "host": self.hub_url, "password": self.token}
        )
        migrate = subprocess.run(
            [AIRFLOW, "db", "migrate"],
            env=self.env,
            cwd=self.home,
            stdout=(self.procs_dir / "db-migrate.log").open("wb"),
            stderr=subprocess.STDOUT,
            timeout=300,
            start_new_session=True,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed: see {self.procs_dir / 'db-migrate.log'}")
        for component in self.components:
            self.start_component(component)
        self.wait_ready()

    def _start_hub(self) -> None:
        cmd = [
            sys.executable, "-m", "airflow_provider_hfhub.testing.fake_hub",
            "--host", "127.0.0.1", "--port", "0", "--token", self.token, "--stage-lag", "0.5",
        ]  # fmt: skip
        self.starts["fake-hub"] = 1
        err = (self.procs_dir / "fake-hub.log").open("wb")
        try:
            self.hub_proc = subprocess.Popen(
                cmd, env=self.env, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True
            )
        finally:
            err.close()
        assert self.hub_proc.stdout is not None
        url = self.hub_proc.stdout.readline().strip()
        if not url.startswith("http"):
            stop_process(self.hub_proc)
            raise RuntimeError(f"the fake Hub did not start (printed {url!r})")
        self.hub_url = url

    def component_cmd(self, name: str) -> list[str]:
        return [AIRFLOW, name]

    def start_component(self, name: str) -> subprocess.Popen[bytes]:
        proc = self._spawn(name, self.component_cmd(name))
        self.procs[name] = proc
        return proc

    def kill_component(self, name: str) -> None:
        """SIGKILL the component's whole process group at once (a crashed pod, not a clean stop)."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        wait_for(f"{name}'s process group to be gone", lambda: not group_alive(proc.pid), timeout=30)

    def restart_component(self, name: str) -> None:
        """A clean restart: SIGTERM to the component (as ``docker stop`` does), then a new one."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_GRACE_SECONDS)
        stop_process(proc)  # whatever is left of its group
        self.start_component(name)

    def ensure_running(self, name: str) -> None:
        if self.procs[name].poll() is not None:
            stop_process(self.procs[name])  # its group may still hold children
            self.start_component(name)

    def ensure_all_running(self) -> None:
        """Restart any component a scenario killed (and failed before restarting)."""
        for name in self.components:
            if name in self.procs:
                self.ensure_running(name)

    def wait_ready(self, timeout: float = 240.0) -> None:
        wait_for("the API server", self._api_up, timeout)
        self.api.authenticate()
        wait_for("healthy scheduler, triggerer and dag-processor", self._all_healthy, timeout)
        wait_for(f"DAGs {E2E_DAGS} to be parsed", lambda: set(E2E_DAGS) <= self.api.dag_ids(), timeout)

    def _api_up(self) -> bool:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited ({proc.returncode}); see {self.procs_dir}")
        return httpx.get(f"{self.api.base_url}/api/v2/monitor/health", timeout=5).status_code == 200

    def _all_healthy(self) -> bool:
        health = self.api.health()
        return all(
            (health.get(part) or {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
        )

    def triggerer_healthy(self) -> bool:
        return (self.api.health().get("triggerer") or {}).get("status") == "healthy"

    def stop(self) -> None:
        """Stop everything this deployment started, by process group id, whatever state it is in."""
        self.api.close()
        # Side by side: one grace period in all, not one per component.
        with ThreadPoolExecutor(len(self.procs) or 1) as pool:
            list(pool.map(stop_process, self.procs.values()))
        if self.hub_proc is not None:
            stop_process(self.hub_proc)
            if self.hub_proc.stdout is not None:
                self.hub_proc.stdout.close()

    # -- inspection ----------------------------------------------------------------------------

    def files_under(self, *roots: Path) -> Iterator[Path]:
        for root in roots:
            if root.is_dir():
                yield from (path for path in sorted(root.rglob("*")) if path.is_file())

    def files_containing(self, needle: str, *roots: Path) -> list[str]:
        data = needle.encode()
        return [
            str(path.relative_to(self.home)) for path in self.files_under(*roots) if data in path.read_bytes()
        ]

    def db_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the metadata DB directly (read-only; the components keep writing meanwhile)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def db_dump_containing(self, needle: str) -> list[str]:
        """Every table whose rows (as text) contain ``needle``."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        found = []
        try:
            tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    if any(needle in _as_text(value) for value in row):
                        found.append(table)
                        break
        finally:
            conn.close()
        return found

    def decrypt(self, token: str) -> str:
        from cryptography.fernet import Fernet

        if token.startswith("{"):
            return token
        return Fernet(self.fernet_key.encode()).decrypt(token.encode()).decode()


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return "" if value is None else str(value)
