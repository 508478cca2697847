"""What a call description is (``Call``), the answer parsers both topics use, and the account call.

Pure, no I/O and no Airflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from airflow_provider_hfhub.hub.models import HardwareInfo, JsonDict

T = TypeVar("T")
NAMESPACE = "{namespace}"


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the parser of its answer.

    :param path: may contain ``{namespace}``, filled by the client (``whoami`` when not given).
    :param creates: the request creates paid work: sent again only when the Hub surely did not
        process it, or ``find`` shows it did not (``flows.create``), so a retry never starts a second Job.
    :param find: for a create, the list call that finds what it made (by labels only it carries).
    """

    method: str
    path: str
    parse: Callable[[Any, str], T]
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    namespace: str | None = None
    creates: bool = False
    find: Call[Any] | None = None

    @property
    def needs_namespace(self) -> bool:
        return NAMESPACE in self.path and self.namespace is None

    def in_namespace(self, namespace: str) -> Call[T]:
        find = self.find.in_namespace(namespace) if self.find and self.find.needs_namespace else self.find
        return replace(self, namespace=namespace, find=find)

    @property
    def url_path(self) -> str:
        return self.path.replace(NAMESPACE, self.namespace or "")

    def with_params(self, params: tuple[tuple[str, str], ...]) -> Call[T]:
        return replace(self, params=params)


def ignore(data: Any, endpoint: str) -> None:
    return None


def as_json(data: Any, endpoint: str) -> Any:
    return data


def hardware_list(data: Any, endpoint: str) -> list[HardwareInfo]:
    return [HardwareInfo.from_json(item) for item in data or []]


def whoami() -> Call[JsonDict]:
    return Call("GET", "/api/whoami-v2", as_json)
