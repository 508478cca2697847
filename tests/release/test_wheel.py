"""The package as users get it: built as ``make dist`` builds it, installed into clean virtualenvs.

One build per session; one fresh virtualenv per Airflow line, filled by ``uv`` from its cache, with
the wheel and that Airflow only (no editable install, no source tree on the path). What Airflow
finds there is read through its own ``airflow providers ...`` commands (``airflow_cli.py``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import metadata
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hfhub import __version__
from airflow_provider_hfhub.get_provider_info import get_provider_info
from airflow_provider_hfhub.hooks.hfhub import HfHubHook

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(__file__).with_name("airflow_cli.py")
# The oldest and newest Airflow lines the provider supports: the newest 3.1.x and 3.3.x, as the
# Makefile's OLDEST and AIRFLOW_VERSION.
AIRFLOW_VERSIONS = ("3.1.8", "3.3.2")
COMMANDS = (
    "providers list -o json",
    "providers get airflow-provider-hfhub --full -o json",
    "providers hooks -o json",
    "providers links -o json",
    "providers triggers -o json",
    "providers widgets -o json",
    "providers behaviours -o json",
)


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert found, "uv is not installed: `pip install uv` (it is in the `test` extra)"
    return found


def _run(*cmd: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The sdist, the wheel (built from that sdist, as `make dist` does) and the build's output."""
    out = tmp_path_factory.mktemp("dist")
    build = _run(_uv(), "build", "--out-dir", out, ROOT)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel, build.stdout + build.stderr


def test_dist_carries_one_version_the_license_and_passes_twine(dist: tuple[Path, Path, str]) -> None:
    sdist, wheel, build_output = dist
    # setuptools warned of the TOML-table `project.license` (an error from 2027-02-18).
    assert "Deprecat" not in build_output
    assert sdist.name == f"airflow_provider_hfhub-{__version__}.tar.gz"
    assert wheel.name == f"airflow_provider_hfhub-{__version__}-py3-none-any.whl"
    _run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel)

    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    with zipfile.ZipFile(wheel) as zipped:
        info = f"airflow_provider_hfhub-{__version__}.dist-info"
        headers = zipped.read(f"{info}/METADATA").decode().split("\n\n")[0].splitlines()
        assert zipped.read(f"{info}/licenses/LICENSE").decode() == license_text
        assert "airflow_provider_hfhub/py.typed" in zipped.namelist()
    assert {f"Version: {__version__}", "License-Expression: Apache-2.0", "License-File: LICENSE"} <= set(
        headers
    )
    assert not [line for line in headers if line.startswith(("License:", "Classifier: License"))]
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[-1] for name in tar.getnames()}
    assert {"LICENSE", "README.md", "pyproject.toml"} <= names


def _installed(wheel: Path, airflow_version: str, where: Path) -> Path:
    """A fresh virtualenv holding the wheel and ``apache-airflow==airflow_version``; its Python."""
    venv = where / "venv"
    _run(_uv(), "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(_uv(), "pip", "install", "--quiet", "--python", python, wheel, f"apache-airflow=={airflow_version}")
    return python


def _airflow_cli(python: Path, home: Path) -> dict[str, Any]:
    """The outputs of COMMANDS in that virtualenv (``-I``: only what is installed there is importable)."""
    home.mkdir()
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(home), "AIRFLOW_HOME": str(home)}
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    result = _run(python, "-I", CLI, *COMMANDS, env=env, cwd=home)
    outputs: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return {
        command: output if command == "_python" else json.loads(output) for command, output in outputs.items()
    }


def _ours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row.get("package_name") == "airflow-provider-hfhub"]


@pytest.mark.parametrize("airflow_version", AIRFLOW_VERSIONS)
def test_wheel_installs_and_airflow_finds_every_piece(
    dist: tuple[Path, Path, str], airflow_version: str, tmp_path: Path
) -> None:
    python = _installed(dist[1], airflow_version, tmp_path)
    out = _airflow_cli(python, tmp_path / "airflow-home")
    info = get_provider_info()
    shown = info["description"].strip(" \n.")  # as the CLI prints it (provider_command._remove_rst_syntax)

    assert Path(out["_python"]["provider_file"]).is_relative_to(tmp_path / "venv")  # the wheel, not this tree
    assert _ours(out["providers list -o json"]) == [
        {"package_name": "airflow-provider-hfhub", "description": shown, "version": __version__}
    ]
    (full,) = out["providers get airflow-provider-hfhub --full -o json"]
    # Airflow adds the Project-URL `Documentation` (3.1 with a leading space).
    assert f"Documentation, {full.pop('documentation-url').strip()}" in metadata(
        "airflow-provider-hfhub"
    ).get_all("Project-URL")
    assert full == {**info, "description": shown}
    assert full["versions"] == [__version__]

    (connection,) = info["connection-types"]
    assert _ours(out["providers hooks -o json"]) == [
        {
            "connection_type": connection["connection-type"],
            "class": connection["hook-class-name"],
            "conn_id_attribute_name": HfHubHook.conn_name_attr,
            "package_name": "airflow-provider-hfhub",
            "hook_name": connection["hook-name"],
        }
    ]
    form = out["_python"]["connection_forms"][connection["connection-type"]]
    behaviour = connection["ui-field-behaviour"]
    hidden = {name for name, field in form["standard_fields"].items() if field and field["hidden"]}
    assert hidden == {f"url_{name}" if name == "schema" else name for name in behaviour["hidden-fields"]}
    for name, label in behaviour["relabeling"].items():
        assert form["standard_fields"][name]["title"] == label
        assert form["standard_fields"][name]["placeholder"] == behaviour["placeholders"][name]
    assert {name: field["schema"]["title"] for name, field in form["extra_fields"].items()} == {
        name: field["label"] for name, field in connection["conn-fields"].items()
    }
    if airflow_version >= "3.2":  # 3.1's CLI lists form fields for no provider (Airflow's own neither)
        assert {"field_behaviours": connection["connection-type"]} in out["providers behaviours -o json"]
        widgets = {row["connection_parameter_name"] for row in _ours(out["providers widgets -o json"])}
        assert widgets == {
            f"extra__{connection['connection-type']}__{name}" for name in connection["conn-fields"]
        }

    links = {row["extra_link_class_name"] for row in out["providers links -o json"]}
    assert set(info["extra-links"]) <= links
    triggers = {row["class"] for row in _ours(out["providers triggers -o json"])}
    assert triggers == {module for entry in info["triggers"] for module in entry["python-modules"]}
    # No `providers` command lists TaskFlow decorators: ask the ProvidersManager that resolves them.
    decorators = out["_python"]["taskflow_decorators"]
    for entry in info.get("task-decorators", []):
        assert decorators.get(entry["name"]) is True, f"@task.{entry['name']} does not resolve"
