"""The hub layer's shape: no Airflow, and one client in two forms that cannot drift."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from airflow_provider_hfhub.hub import AsyncHubClient, HubClient

ROOT = Path(__file__).resolve().parents[2]


def test_hub_package_imports_nothing_from_airflow() -> None:
    code = (
        "import sys, pkgutil, importlib, airflow_provider_hfhub.hub as hub\n"
        "for m in pkgutil.iter_modules(hub.__path__): importlib.import_module(f'airflow_provider_hfhub.hub.{m.name}')\n"
        "bad = sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_sync_and_async_clients_have_the_same_methods_and_signatures() -> None:
    def public(cls: type) -> dict[str, inspect.Signature]:
        return {
            name: inspect.signature(member)
            for name, member in vars(cls).items()
            if not name.startswith("_") and callable(member)
        }

    sync, async_ = public(HubClient), public(AsyncHubClient)
    async_["close"] = async_.pop("aclose")
    assert sync.keys() == async_.keys()
    for name, signature in sync.items():
        assert list(signature.parameters) == list(async_[name].parameters), name
        for param, spec in signature.parameters.items():
            assert spec.default == async_[name].parameters[param].default, (name, param)


def test_sync_client_and_transport_are_generated_from_the_async_ones() -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"], check=True)


def test_hook_method_names_are_the_official_clients() -> None:
    from huggingface_hub import HfApi

    ours = {name for name in vars(HubClient) if not name.startswith("_")}
    # Removed from huggingface_hub 2.x but still Hub endpoints (docs/hub-api.md#spaces-endpoints).
    removed_in_2x = {"duplicate_space", "request_space_storage", "delete_space_storage"}
    ours -= {"close", "endpoint", "default_namespace", "rate_budget"} | removed_in_2x
    assert ours <= set(dir(HfApi)), ours - set(dir(HfApi))
