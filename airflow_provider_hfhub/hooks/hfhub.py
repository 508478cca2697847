"""HfHubHook: an Airflow connection turned into a Hub client (sync for workers, async for triggers)."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import platform
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

from airflow.providers.common.compat.sdk import AirflowNotFoundException, BaseHook

from airflow_provider_hfhub import __version__
from airflow_provider_hfhub.get_provider_info import CONN_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_hfhub.hub import (
    AsyncHubClient,
    HubClient,
    HubConfig,
    HubError,
    RetryPolicy,
    StreamPolicy,
)
from airflow_provider_hfhub.hub.config import DEFAULT_ENDPOINT

TEST_TIMEOUT = 10.0  # seconds the connection form's Test button may wait for the Hub
P = ParamSpec("P")
R = TypeVar("R")
Item = TypeVar("Item")


def _sync(method: Callable[Concatenate[HubClient, P], R]) -> Callable[Concatenate[HfHubHook, P], R]:
    """A hook method that runs the client method of the same name on the worker's client."""

    @functools.wraps(method)
    def call(self: HfHubHook, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(self.get_conn(), *args, **kwargs)

    return call


def _async(
    method: Callable[Concatenate[AsyncHubClient, P], Awaitable[R]],
) -> Callable[Concatenate[HfHubHook, P], Awaitable[R]]:
    """The ``a``-prefixed twin: same method on the shared async client (connection looked up async)."""

    @functools.wraps(method)
    async def call(self: HfHubHook, *args: P.args, **kwargs: P.kwargs) -> R:
        return await method(await self.aget_conn(), *args, **kwargs)

    return call


def _async_stream(
    method: Callable[Concatenate[AsyncHubClient, P], AsyncIterator[Item]],
) -> Callable[Concatenate[HfHubHook, P], AsyncIterator[Item]]:
    @functools.wraps(method)
    async def call(self: HfHubHook, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[Item]:
        async for item in method(await self.aget_conn(), *args, **kwargs):
            yield item

    return call


def user_agent() -> str:
    from airflow import __version__ as airflow_version

    return (
        f"airflow-provider-hfhub/{__version__}; apache-airflow/{airflow_version}; "
        f"python/{platform.python_version()}"
    )


def endpoint_from(host: str | None, port: int | None = None, schema: str | None = None) -> str:
    """The Hub URL from a connection's host: a full URL, or a host name with its scheme in ``schema``.

    A bare host name is not taken for https: a plain-HTTP server (the fake Hub) would answer every
    retry with an SSL error. A port beside a full URL must be that URL's own (the form shows it only
    for Airflow 3.3's Test button); 0 is no port. ``HubConfig`` checks the result.
    """
    if not host:
        return _same_port(DEFAULT_ENDPOINT, port)
    if "://" in host:
        return _same_port(host.rstrip("/"), port)
    if not schema:
        raise ValueError(
            f"The connection's host {host!r} has no scheme: write the Hub URL in full, e.g. "
            f"https://{host} (or http://{host} for a plain-HTTP server such as the fake Hub)"
        )
    netloc = f"{host}:{port}" if port else host
    return f"{schema}://{netloc}"


def _same_port(endpoint: str, port: int | None) -> str:
    # Airflow 3.3's UI sends port 0 for an empty port field (apache/airflow#73298): nothing listens there.
    if not port:
        return endpoint
    parts = urlsplit(endpoint)
    try:
        own = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        own = None  # a malformed port in the URL: HubConfig says what is wrong with it
    if own is not None and own != port:
        raise ValueError(
            f"The connection's port {port} is not the port of its Hub endpoint {endpoint} ({own}): "
            f"leave the port empty or set it to {own}"
        )
    return endpoint


_DEFAULT_PORTS = {"https": 443, "http": 80}


# One AsyncHubClient per event loop and configuration: a triggerer follows hundreds of Jobs on
# one loop, and they should share one connection pool and one cached whoami, not open one each.
_shared_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[HubConfig, AsyncHubClient]] = (
    weakref.WeakKeyDictionary()
)


def shared_async_client(config: HubConfig) -> AsyncHubClient:
    clients = _shared_clients.setdefault(asyncio.get_running_loop(), {})
    if config not in clients:
        clients[config] = AsyncHubClient(config)
    return clients[config]


async def close_shared_async_clients() -> None:
    """Close the shared clients of the running loop (for loops that end: the sync path, tests)."""
    clients = _shared_clients.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()


class HfHubHook(BaseHook):
    """Talk to the Hugging Face Hub through an Airflow connection of type ``hfhub``.

    The connection's password is the token, its host the Hub endpoint (default
    ``https://huggingface.co``) and its extra ``namespace`` the default Jobs namespace. When
    ``hfhub_default`` does not exist, ``HF_TOKEN`` and ``HF_ENDPOINT`` from the environment are used;
    any other connection id that does not exist is an error.

    :param hfhub_conn_id: the Airflow connection to use.
    :param retry: how failed requests are retried (defaults: 5 attempts, 120 s in all).
    :param stream: how log streams are followed.
    """

    conn_name_attr = "hfhub_conn_id"
    default_conn_name = "hfhub_default"
    conn_type = "hfhub"
    hook_name = "Hugging Face Hub"

    def __init__(
        self,
        hfhub_conn_id: str = default_conn_name,
        *,
        retry: RetryPolicy | None = None,
        stream: StreamPolicy | None = None,
    ) -> None:
        super().__init__()
        self.hfhub_conn_id = hfhub_conn_id
        self.retry = retry or RetryPolicy()
        self.stream = stream or StreamPolicy()
        self._config: HubConfig | None = None
        self._config_lock: asyncio.Lock | None = None
        self._client: HubClient | None = None

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Form fields for Airflow 3.1 (3.2+ reads ``conn-fields`` from the provider info)."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        return {
            name: StringField(
                lazy_gettext(field["label"]), description=field["description"], widget=BS3TextFieldWidget()
            )
            for name, field in CONN_FIELDS.items()
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The provider info's ``ui-field-behaviour`` with the keys 3.1's hook methods use."""
        return {key.replace("-", "_"): copy.deepcopy(value) for key, value in UI_FIELD_BEHAVIOUR.items()}

    def _config_from(self, conn: Any | None, extra: dict[str, Any]) -> HubConfig:
        settings: dict[str, Any] = {"user_agent": user_agent(), "retry": self.retry, "stream": self.stream}
        if conn is None:
            return self._config_from_env(settings)
        return HubConfig(
            endpoint=endpoint_from(conn.host, conn.port, conn.schema),
            token=conn.password or None,
            namespace=extra.get("namespace") or None,
            **settings,
        )

    def _config_from_env(self, settings: dict[str, Any]) -> HubConfig:
        # Only for the default id: a mistyped hfhub_conn_id must not silently reach the real Hub
        # with whatever HF_TOKEN the worker has.
        if self.hfhub_conn_id != self.default_conn_name:
            raise AirflowNotFoundException(
                f"The connection {self.hfhub_conn_id!r} does not exist: create it (type hfhub) or fix "
                f"hfhub_conn_id. HF_TOKEN / HF_ENDPOINT are used only when {self.default_conn_name!r} "
                "does not exist."
            )
        config = HubConfig.from_env(**settings)
        self.log.info(
            "No connection %r: using the environment, HF_ENDPOINT %s and HF_TOKEN %s",
            self.hfhub_conn_id,
            config.endpoint,
            "set" if config.token else "not set (anonymous)",
        )
        return config

    def get_config(self) -> HubConfig:
        if self._config is None:
            try:
                conn = self.get_connection(self.hfhub_conn_id)
            except AirflowNotFoundException:
                conn = None
            self._config = self._config_from(conn, conn.extra_dejson if conn else {})
        return self._config

    async def aget_config(self) -> HubConfig:
        """The config, looking the connection up without blocking the event loop (once per hook)."""
        if self._config is not None:
            return self._config
        if self._config_lock is None:
            self._config_lock = asyncio.Lock()
        async with self._config_lock:  # concurrent first calls (log stream + stage poll) look up once
            return await self._aget_config()

    async def _aget_config(self) -> HubConfig:
        if self._config is None:
            from airflow.providers.common.compat.connection import (
                get_async_connection,
                get_async_extra_dejson,
            )

            try:
                conn = await get_async_connection(self.hfhub_conn_id, hook=self)
            except AirflowNotFoundException:
                conn = None
            extra = await get_async_extra_dejson(conn) if conn else {}
            self._config = self._config_from(conn, extra)
        return self._config

    def get_conn(self) -> HubClient:
        if self._client is None:
            self._client = HubClient(self.get_config())
        return self._client

    async def aget_conn(self) -> AsyncHubClient:
        return shared_async_client(await self.aget_config())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def test_connection(self) -> tuple[bool, str]:
        """The UI's Test button: ask the Hub who the token belongs to, in one short attempt.

        No retries: the user is waiting on the button, and an unreachable host should say so at once.
        """
        try:
            config = dataclasses.replace(
                self.get_config(), retry=RetryPolicy(max_attempts=1), timeout=TEST_TIMEOUT
            )
            with HubClient(config) as client:
                account = client.whoami()
        except (HubError, ValueError, AirflowNotFoundException) as exc:
            return False, str(exc)
        return True, f"Connected to {config.endpoint} as {account.get('name')}"

    def job_url(self, job_id: str, namespace: str) -> str:
        return f"{self.get_config().endpoint}/jobs/{namespace}/{job_id}"

    def space_url(self, repo_id: str) -> str:
        return f"{self.get_config().endpoint}/spaces/{repo_id}"

    # Sync methods (workers): the official client's names and arguments.
    whoami = _sync(HubClient.whoami)
    default_namespace = _sync(HubClient.default_namespace)
    run_job = _sync(HubClient.run_job)
    run_uv_job = _sync(HubClient.run_uv_job)
    rerun_job = _sync(HubClient.rerun_job)
    inspect_job = _sync(HubClient.inspect_job)
    list_jobs = _sync(HubClient.list_jobs)
    cancel_job = _sync(HubClient.cancel_job)
    fetch_job_logs = _sync(HubClient.fetch_job_logs)
    fetch_job_metrics = _sync(HubClient.fetch_job_metrics)
    list_jobs_hardware = _sync(HubClient.list_jobs_hardware)
    job_hardware = _sync(HubClient.job_hardware)
    create_scheduled_job = _sync(HubClient.create_scheduled_job)
    list_scheduled_jobs = _sync(HubClient.list_scheduled_jobs)
    inspect_scheduled_job = _sync(HubClient.inspect_scheduled_job)
    suspend_scheduled_job = _sync(HubClient.suspend_scheduled_job)
    resume_scheduled_job = _sync(HubClient.resume_scheduled_job)
    trigger_scheduled_job = _sync(HubClient.trigger_scheduled_job)
    delete_scheduled_job = _sync(HubClient.delete_scheduled_job)
    get_space_runtime = _sync(HubClient.get_space_runtime)
    restart_space = _sync(HubClient.restart_space)
    pause_space = _sync(HubClient.pause_space)
    request_space_hardware = _sync(HubClient.request_space_hardware)
    set_space_sleep_time = _sync(HubClient.set_space_sleep_time)
    request_space_storage = _sync(HubClient.request_space_storage)
    delete_space_storage = _sync(HubClient.delete_space_storage)
    set_space_volumes = _sync(HubClient.set_space_volumes)
    delete_space_volumes = _sync(HubClient.delete_space_volumes)
    add_space_secret = _sync(HubClient.add_space_secret)
    delete_space_secret = _sync(HubClient.delete_space_secret)
    get_space_variables = _sync(HubClient.get_space_variables)
    add_space_variable = _sync(HubClient.add_space_variable)
    delete_space_variable = _sync(HubClient.delete_space_variable)
    duplicate_space = _sync(HubClient.duplicate_space)
    fetch_space_logs = _sync(HubClient.fetch_space_logs)
    list_spaces_hardware = _sync(HubClient.list_spaces_hardware)
    repo_info = _sync(HubClient.repo_info)
    space_info = _sync(HubClient.space_info)
    list_repo_commits = _sync(HubClient.list_repo_commits)

    # Async twins (triggers).
    awhoami = _async(AsyncHubClient.whoami)
    adefault_namespace = _async(AsyncHubClient.default_namespace)
    ainspect_job = _async(AsyncHubClient.inspect_job)
    alist_jobs = _async(AsyncHubClient.list_jobs)
    acancel_job = _async(AsyncHubClient.cancel_job)
    afetch_job_logs = _async_stream(AsyncHubClient.fetch_job_logs)
    afetch_job_metrics = _async_stream(AsyncHubClient.fetch_job_metrics)
    aget_space_runtime = _async(AsyncHubClient.get_space_runtime)
    afetch_space_logs = _async_stream(AsyncHubClient.fetch_space_logs)
    alist_repo_commits = _async(AsyncHubClient.list_repo_commits)
