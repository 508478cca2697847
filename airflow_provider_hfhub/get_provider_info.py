"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

from airflow_provider_hfhub import __version__

INTEGRATION = "Hugging Face Hub"


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
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login"],
                    "relabeling": {"password": "Hugging Face token", "host": "Hub endpoint"},
                    "placeholders": {"host": "https://huggingface.co", "password": "hf_..."},
                },
                "conn-fields": {
                    "namespace": {
                        "label": "Default namespace (user or org)",
                        "schema": {"type": ["string", "null"]},
                        "description": "Namespace that runs the Jobs; the token's user when empty.",
                    }
                },
            }
        ],
    }
