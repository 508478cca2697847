"""Space calls: runtime, hardware, storage, volumes, secrets, variables, duplicate, logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_hfhub.hub.calls._call import Call, as_json, hardware_list, ignore
from airflow_provider_hfhub.hub.models import HardwareInfo, JsonDict, SpaceRuntime, Volume


def _runtime(data: Any, endpoint: str) -> SpaceRuntime:
    return SpaceRuntime.from_json(data)


def get_space_runtime(repo_id: str) -> Call[SpaceRuntime]:
    return Call("GET", f"/api/spaces/{repo_id}/runtime", _runtime)


def restart_space(repo_id: str, factory_reboot: bool = False) -> Call[SpaceRuntime]:
    params = (("factory", "true"),) if factory_reboot else ()
    return Call("POST", f"/api/spaces/{repo_id}/restart", _runtime, params=params)


def pause_space(repo_id: str) -> Call[SpaceRuntime]:
    return Call("POST", f"/api/spaces/{repo_id}/pause", _runtime)


def request_space_hardware(repo_id: str, hardware: str, sleep_time: int | None = None) -> Call[SpaceRuntime]:
    body: JsonDict = {"flavor": hardware}
    if sleep_time is not None:
        body["sleepTimeSeconds"] = sleep_time
    return Call("POST", f"/api/spaces/{repo_id}/hardware", _runtime, json=body)


def set_space_sleep_time(repo_id: str, sleep_time: int) -> Call[SpaceRuntime]:
    return Call("POST", f"/api/spaces/{repo_id}/sleeptime", _runtime, json={"seconds": sleep_time})


def request_space_storage(repo_id: str, storage: str) -> Call[SpaceRuntime]:
    return Call("POST", f"/api/spaces/{repo_id}/storage", _runtime, json={"tier": storage})


def delete_space_storage(repo_id: str) -> Call[SpaceRuntime]:
    return Call("DELETE", f"/api/spaces/{repo_id}/storage", _runtime)


def set_space_volumes(repo_id: str, volumes: Sequence[Volume]) -> Call[None]:
    body = {"volumes": [volume.to_json() for volume in volumes]}
    return Call("PUT", f"/api/spaces/{repo_id}/volumes", ignore, json=body)


def delete_space_volumes(repo_id: str) -> Call[None]:
    return Call("DELETE", f"/api/spaces/{repo_id}/volumes", ignore)


def add_space_secret(repo_id: str, key: str, value: str, description: str | None = None) -> Call[None]:
    body: JsonDict = {"key": key, "value": value}
    if description is not None:
        body["description"] = description
    return Call("POST", f"/api/spaces/{repo_id}/secrets", ignore, json=body)


def delete_space_secret(repo_id: str, key: str) -> Call[None]:
    return Call("DELETE", f"/api/spaces/{repo_id}/secrets", ignore, json={"key": key})


def get_space_variables(repo_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/api/spaces/{repo_id}/variables", as_json)


def add_space_variable(
    repo_id: str, key: str, value: str, description: str | None = None
) -> Call[dict[str, Any]]:
    body: JsonDict = {"key": key, "value": value}
    if description is not None:
        body["description"] = description
    return Call("POST", f"/api/spaces/{repo_id}/variables", as_json, json=body)


def delete_space_variable(repo_id: str, key: str) -> Call[dict[str, Any]]:
    return Call("DELETE", f"/api/spaces/{repo_id}/variables", as_json, json={"key": key})


@dataclass(frozen=True)
class SpaceCopy:
    """What a duplicated Space gets: ``HfApi.duplicate_space``'s options (huggingface_hub 1.x).

    ``to_json`` is the body of ``POST /api/spaces/{from_id}/duplicate``.

    :param to_id: must carry its namespace (the client fills it from ``whoami`` when it does not).
    """

    to_id: str
    private: bool | None = None
    hardware: str | None = None
    storage: str | None = None
    sleep_time: int | None = None
    secrets: Sequence[Mapping[str, str]] | None = None
    variables: Sequence[Mapping[str, str]] | None = None

    def to_json(self) -> JsonDict:
        body: JsonDict = {"repository": self.to_id}
        if self.private is not None:
            body["visibility"] = "private" if self.private else "public"
        if self.hardware:
            body["hardware"] = self.hardware
        if self.storage:
            body["storageTier"] = self.storage
        if self.sleep_time is not None:
            body["sleepTimeSeconds"] = self.sleep_time
        if self.secrets:
            body["secrets"] = [dict(item) for item in self.secrets]
        if self.variables:
            body["variables"] = [dict(item) for item in self.variables]
        return body


def duplicate_space(from_id: str, copy: SpaceCopy) -> Call[JsonDict]:
    return Call("POST", f"/api/spaces/{from_id}/duplicate", as_json, json=copy.to_json(), creates=True)


def space_logs(repo_id: str, build: bool) -> Call[None]:
    return Call("GET", f"/api/spaces/{repo_id}/logs/{'build' if build else 'run'}", ignore)


def list_spaces_hardware() -> Call[list[HardwareInfo]]:
    return Call("GET", "/api/spaces/hardware", hardware_list)
