"""The hf:// Asset URI scheme: registered with Airflow, malformed repo ids rejected."""

from __future__ import annotations

import pytest
from airflow.sdk import Asset

from airflow_provider_hfhub.assets import create_asset, parse_uri


def test_hf_uris_are_normalised_and_bad_ones_rejected_by_airflow() -> None:
    assert Asset(uri="hf://models/my-org/bert-ft/").uri == "hf://models/my-org/bert-ft"
    assert parse_uri("hf://datasets/my-org/data") == ("dataset", "my-org/data")
    for bad in ("hf://model/my-org/x", "hf://models/only-name", "hf://spaces/a/b/c", "hf://models/a/b?x=1"):
        with pytest.raises(ValueError, match="hf:// URI"):
            Asset(uri=bad)


def test_factory() -> None:
    assert create_asset(repo_id="my-org/app", repo_type="space").uri == "hf://spaces/my-org/app"
    with pytest.raises(ValueError, match="hf:// URI"):
        create_asset(repo_id="my-org/a b")
