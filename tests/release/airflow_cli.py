"""Run ``airflow`` CLI commands in one interpreter and print their outputs as one JSON object.

Run by the wheel-install test with a clean virtualenv's Python (``python -I``: nothing from this
repository is importable): each argument is one command line, e.g. ``"providers links -o json"``.
Each goes through ``airflow.__main__.main``, the ``airflow`` script's own entry, so parsing,
provider discovery and output are the CLI's; one interpreter for all of them saves Airflow's ~5 s
start-up per command. What no ``providers`` command prints is added under ``_python``: where the
provider was imported from, the TaskFlow decorators Airflow's ProvidersManager resolves, and the
connection forms the UI is served (the api-server's ``HookMetaService``; 3.1's CLI lists no form
fields for any provider).
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import sys


def main(commands: list[str]) -> int:
    from airflow.__main__ import main as airflow_main
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
    from airflow.providers_manager import ProvidersManager

    import airflow_provider_hfhub

    # First, as in an api-server: on 3.1 the hooks are imported with wtforms mocked only when
    # nothing imported them before (the CLI's `providers hooks` does, unmocked).
    forms = {
        hook.connection_type: hook.model_dump(mode="json")
        for hook in HookMetaService.hook_meta_data()
        if (hook.hook_class_name or "").startswith("airflow_provider_hfhub.")
    }
    outputs: dict[str, object] = {}
    for command in commands:
        sys.argv = ["airflow", *shlex.split(command)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            airflow_main()
        outputs[command] = out.getvalue()

    decorators = ProvidersManager().taskflow_decorators
    outputs["_python"] = {
        "provider_file": airflow_provider_hfhub.__file__,
        "taskflow_decorators": {name: callable(decorators[name]) for name in decorators},
        "connection_forms": forms,
    }
    print(json.dumps(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
