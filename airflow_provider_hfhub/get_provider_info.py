"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

import copy
from typing import Any

from airflow_provider_hfhub import __version__
from airflow_provider_hfhub.hub.config import DEFAULT_ENDPOINT  # standard library only: stays light

INTEGRATION = "Hugging Face Hub"

# The connection form, in the provider-info form Airflow 3.2+ reads; the hook gives the same to 3.1.
# The port is shown only for Airflow 3.3.1-3.3.2's Test button: it sends ``port: 0`` for a connection
# without one and then refuses the test as "host or port differs" (apache/airflow#73298 fixes it).
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "login"],
    "relabeling": {"password": "Hugging Face token", "host": "Hub endpoint", "port": "Hub port"},
    "placeholders": {
        "host": DEFAULT_ENDPOINT,
        "password": "hf_...",
        "port": "443: the endpoint's port, which Airflow 3.3's Test button needs",
    },
}
# Airflow's React form (3.1-3.3) shows no placeholder for an extra field, only its description; it
# also saves an empty field as null ({"namespace": null}), which the hook reads as "not set".
CONN_FIELDS: dict[str, Any] = {
    "namespace": {
        "label": "Default namespace (user or org)",
        "schema": {"type": ["string", "null"]},
        "description": "User or org that runs the Jobs. Leave empty for the token's own user.",
    }
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-hfhub",
        "name": INTEGRATION,
        "description": "Run Hugging Face Hub Jobs and manage Spaces from Airflow DAGs.",
        # Airflow shows the distribution's version, built from the same __version__; this list (as in
        # a community provider.yaml) shows it in `airflow providers get --full` too.
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://huggingface.co/docs/hub",
                "tags": ["service"],
            }
        ],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_hfhub.operators.jobs",
                    "airflow_provider_hfhub.operators.scheduled_jobs",
                    "airflow_provider_hfhub.operators.spaces",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_hfhub.sensors.jobs",
                    "airflow_provider_hfhub.sensors.spaces",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_hfhub.triggers.jobs",
                    "airflow_provider_hfhub.triggers.spaces",
                    "airflow_provider_hfhub.triggers.repos",
                ],
            }
        ],
        # Hub repos as Assets: hf://models/<org>/<name>, hf://datasets/..., hf://spaces/...
        "asset-uris": [
            {
                "schemes": ["hf"],
                "handler": "airflow_provider_hfhub.assets.sanitize_uri",
                "factory": "airflow_provider_hfhub.assets.create_asset",
            }
        ],
        # Airflow's providers manager reads "name" and "class-name" (the schema's "path" is not read).
        "task-decorators": [
            {"name": "hfhub_job", "class-name": "airflow_provider_hfhub.decorators.hfhub_job.hfhub_job_task"}
        ],
        "extra-links": ["airflow_provider_hfhub.links.HfJobLink", "airflow_provider_hfhub.links.HfSpaceLink"],
        "hooks": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_provider_hfhub.hooks.hfhub"]}
        ],
        "connection-types": [
            {
                "connection-type": "hfhub",
                "hook-class-name": "airflow_provider_hfhub.hooks.hfhub.HfHubHook",
                "hook-name": "Hugging Face Hub",
                # Airflow 3.2+ reads these instead of importing the hook (3.1 uses the hook's methods).
                "ui-field-behaviour": copy.deepcopy(UI_FIELD_BEHAVIOUR),
                "conn-fields": copy.deepcopy(CONN_FIELDS),
            }
        ],
    }
