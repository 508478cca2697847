"""The Hub client, async form; ``client.py`` (sync) is generated from this file by ``scripts/unasync.py``.

Each method is one call description (``calls``) or flow (``flows``) handed to the transport: the
requests, parsing and retries are shared with the sync client. Method and argument names are the
official ``huggingface_hub.HfApi``'s. No Airflow imports here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from airflow_provider_hfhub.hub import calls, flows
from airflow_provider_hfhub.hub.config import HubConfig
from airflow_provider_hfhub.hub.models import (
    HardwareInfo,
    JobInfo,
    JsonDict,
    LogLine,
    ScheduledJobInfo,
    SpaceRuntime,
    Volume,
)
from airflow_provider_hfhub.hub.ratelimit import RateBudget
from airflow_provider_hfhub.hub.transport import AsyncTransport


class AsyncHubClient:
    """A client of the Hub's Jobs and Spaces API.

    :param config: endpoint, token, default namespace, timeouts, retry and stream policies.
    :param http_client: an ``httpx`` client to send through (tests, shared pools); one is made otherwise.
    """

    def __init__(
        self, config: HubConfig | None = None, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self.config = config or HubConfig.from_env()
        self._transport = AsyncTransport(self.config, http_client)

    async def __aenter__(self) -> AsyncHubClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    @property
    def endpoint(self) -> str:
        return self.config.endpoint

    @property
    def rate_budget(self) -> RateBudget:
        """The request budget the Hub reported in its last answer's ``RateLimit`` headers."""
        return self._transport.budget

    async def whoami(self) -> JsonDict:
        return await self._transport.whoami()

    async def default_namespace(self) -> str:
        """The configured namespace, else the token's user from ``whoami-v2`` (asked once per client)."""
        return await self._transport.namespace()

    # --- jobs ----------------------------------------------------------------------------------

    async def run_job(
        self,
        *,
        image: str,
        command: Sequence[str],
        env: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
        flavor: str | None = None,
        timeout: int | float | str | None = None,
        labels: Mapping[str, str] | None = None,
        volumes: Sequence[Volume] | None = None,
        name: str | None = None,
        namespace: str | None = None,
        unique_labels: Mapping[str, str] | None = None,
    ) -> JobInfo:
        """Start a Job (``HfApi.run_job``).

        :param unique_labels: labels no other Job carries (sent with ``labels``). When the answer to
            the create is lost (a 5xx, a reset or timeout once sent), the Job is looked up by them
            before the request is sent again; without them such a create raises instead.
        """
        spec = calls.JobSpec(
            image=image, command=command, env=env, secrets=secrets, flavor=flavor, timeout=timeout,
            labels=labels, volumes=volumes, name=name,
        )  # fmt: skip
        return await self._transport.send(calls.run_job(spec, namespace, unique_labels))

    async def run_uv_job(
        self,
        script: str,
        *,
        script_args: Sequence[str] | None = None,
        dependencies: Sequence[str] | None = None,
        python: str | None = None,
        image: str | None = None,
        env: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
        flavor: str | None = None,
        timeout: int | float | str | None = None,
        labels: Mapping[str, str] | None = None,
        volumes: Sequence[Volume] | None = None,
        name: str | None = None,
        namespace: str | None = None,
        unique_labels: Mapping[str, str] | None = None,
    ) -> JobInfo:
        """Run a uv script: a URL or command as the official client runs it, or inline script text.

        :param unique_labels: as :meth:`run_job`'s.
        """
        command, script_env = calls.uv_command(script, script_args or (), dependencies or (), python)
        if name is None and "name" not in {**(labels or {}), **(unique_labels or {})}:
            name = calls.default_script_name(script, script_args or ())
        spec = calls.JobSpec(
            image=image or calls.DEFAULT_UV_IMAGE, command=command, env={**(env or {}), **script_env},
            secrets=secrets, flavor=flavor, timeout=timeout, labels=labels, volumes=volumes, name=name,
        )  # fmt: skip
        return await self._transport.send(calls.run_job(spec, namespace, unique_labels))

    async def inspect_job(self, *, job_id: str, namespace: str | None = None) -> JobInfo:
        return await self._transport.send(calls.inspect_job(job_id, namespace))

    async def list_jobs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        labels: Mapping[str, str] | None = None,
        namespace: str | None = None,
    ) -> list[JobInfo]:
        """Jobs filtered by stage(s) and labels (all must match), every page."""
        stages = [status] if isinstance(status, str) else status
        return await self._transport.run(flows.paginate(calls.list_jobs(namespace, labels, stages)))

    async def cancel_job(self, *, job_id: str, namespace: str | None = None) -> None:
        await self._transport.send(calls.cancel_job(job_id, namespace))

    def fetch_job_logs(
        self,
        *,
        job_id: str,
        namespace: str | None = None,
        follow: bool = False,
        tail: int | None = None,
        stages: flows.AsyncStageSource | None = None,
    ) -> AsyncIterator[LogLine]:
        """The Job's log lines, each once; with ``follow`` until the Job's stage is terminal.

        :param stages: where the stage checks of ``follow`` go (a shared poller); else ``inspect_job``.
        """
        logs, inspect = calls.job_logs(job_id, namespace, tail), calls.inspect_job(job_id, namespace)
        flow = flows.job_logs(logs, inspect, follow=follow, policy=self.config.stream)
        return self._transport.iterate(flow, stages)

    def fetch_job_metrics(
        self, *, job_id: str, namespace: str | None = None, follow: bool = False
    ) -> AsyncIterator[JsonDict]:
        metrics, inspect = calls.job_metrics(job_id, namespace), calls.inspect_job(job_id, namespace)
        policy = self.config.stream
        return self._transport.iterate(flows.job_metrics(metrics, inspect, follow=follow, policy=policy))

    async def list_jobs_hardware(self) -> list[HardwareInfo]:
        return await self._transport.send(calls.list_jobs_hardware())

    # --- scheduled jobs ------------------------------------------------------------------------

    async def create_scheduled_job(
        self,
        *,
        image: str,
        command: Sequence[str],
        schedule: str,
        suspend: bool | None = None,
        concurrency: bool | None = None,
        env: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
        flavor: str | None = None,
        timeout: int | float | str | None = None,
        labels: Mapping[str, str] | None = None,
        name: str | None = None,
        namespace: str | None = None,
    ) -> ScheduledJobInfo:
        spec = calls.JobSpec(
            image=image, command=command, env=env, secrets=secrets, flavor=flavor, timeout=timeout,
            labels=labels, name=name,
        )  # fmt: skip
        call = calls.create_scheduled_job(spec, schedule, namespace, suspend, concurrency)
        return await self._transport.send(call)

    async def list_scheduled_jobs(self, *, namespace: str | None = None) -> list[ScheduledJobInfo]:
        return await self._transport.send(calls.list_scheduled_jobs(namespace))

    async def inspect_scheduled_job(
        self, *, scheduled_job_id: str, namespace: str | None = None
    ) -> ScheduledJobInfo:
        return await self._transport.send(calls.inspect_scheduled_job(scheduled_job_id, namespace))

    async def suspend_scheduled_job(self, *, scheduled_job_id: str, namespace: str | None = None) -> None:
        await self._transport.send(calls.scheduled_job_action(scheduled_job_id, "suspend", namespace))

    async def resume_scheduled_job(self, *, scheduled_job_id: str, namespace: str | None = None) -> None:
        await self._transport.send(calls.scheduled_job_action(scheduled_job_id, "resume", namespace))

    async def trigger_scheduled_job(self, *, scheduled_job_id: str, namespace: str | None = None) -> JobInfo:
        return await self._transport.send(calls.trigger_scheduled_job(scheduled_job_id, namespace))

    async def delete_scheduled_job(self, *, scheduled_job_id: str, namespace: str | None = None) -> None:
        await self._transport.send(calls.delete_scheduled_job(scheduled_job_id, namespace))

    # --- spaces --------------------------------------------------------------------------------

    async def get_space_runtime(self, repo_id: str) -> SpaceRuntime:
        return await self._transport.send(calls.get_space_runtime(repo_id))

    async def restart_space(self, repo_id: str, *, factory_reboot: bool = False) -> SpaceRuntime:
        return await self._transport.send(calls.restart_space(repo_id, factory_reboot))

    async def pause_space(self, repo_id: str) -> SpaceRuntime:
        return await self._transport.send(calls.pause_space(repo_id))

    async def request_space_hardware(
        self, repo_id: str, hardware: str, *, sleep_time: int | None = None
    ) -> SpaceRuntime:
        return await self._transport.send(calls.request_space_hardware(repo_id, hardware, sleep_time))

    async def set_space_sleep_time(self, repo_id: str, sleep_time: int) -> SpaceRuntime:
        return await self._transport.send(calls.set_space_sleep_time(repo_id, sleep_time))

    async def request_space_storage(self, repo_id: str, storage: str) -> SpaceRuntime:
        return await self._transport.send(calls.request_space_storage(repo_id, storage))

    async def delete_space_storage(self, repo_id: str) -> SpaceRuntime:
        return await self._transport.send(calls.delete_space_storage(repo_id))

    async def set_space_volumes(self, repo_id: str, volumes: Sequence[Volume]) -> None:
        await self._transport.send(calls.set_space_volumes(repo_id, volumes))

    async def delete_space_volumes(self, repo_id: str) -> None:
        await self._transport.send(calls.delete_space_volumes(repo_id))

    async def add_space_secret(
        self, repo_id: str, key: str, value: str, *, description: str | None = None
    ) -> None:
        await self._transport.send(calls.add_space_secret(repo_id, key, value, description))

    async def delete_space_secret(self, repo_id: str, key: str) -> None:
        await self._transport.send(calls.delete_space_secret(repo_id, key))

    async def get_space_variables(self, repo_id: str) -> dict[str, Any]:
        return await self._transport.send(calls.get_space_variables(repo_id))

    async def add_space_variable(
        self, repo_id: str, key: str, value: str, *, description: str | None = None
    ) -> dict[str, Any]:
        return await self._transport.send(calls.add_space_variable(repo_id, key, value, description))

    async def delete_space_variable(self, repo_id: str, key: str) -> dict[str, Any]:
        return await self._transport.send(calls.delete_space_variable(repo_id, key))

    async def duplicate_space(
        self,
        from_id: str,
        to_id: str | None = None,
        *,
        private: bool | None = None,
        hardware: str | None = None,
        storage: str | None = None,
        sleep_time: int | None = None,
        secrets: Sequence[Mapping[str, str]] | None = None,
        variables: Sequence[Mapping[str, str]] | None = None,
    ) -> JsonDict:
        """Copy a Space; ``to_id`` without a namespace lands in the token's user namespace."""
        name = (to_id or from_id).rsplit("/", 1)[-1]
        target = to_id if to_id and "/" in to_id else f"{await self.default_namespace()}/{name}"
        copy = calls.SpaceCopy(
            target, private=private, hardware=hardware, storage=storage,
            sleep_time=sleep_time, secrets=secrets, variables=variables,
        )  # fmt: skip
        return await self._transport.send(calls.duplicate_space(from_id, copy))

    def fetch_space_logs(
        self, repo_id: str, *, build: bool = False, follow: bool = False
    ) -> AsyncIterator[LogLine]:
        """Build or run log lines, each once; with ``follow`` until the Hub closes the stream."""
        policy = self.config.stream
        return self._transport.iterate(
            flows.space_logs(calls.space_logs(repo_id, build), follow=follow, policy=policy)
        )

    async def list_spaces_hardware(self) -> list[HardwareInfo]:
        return await self._transport.send(calls.list_spaces_hardware())
