"""HfDeploySpaceOperator: push a folder to a Space, then wait until the Space runs that very commit.

The push is the official ``huggingface_hub`` client's ``upload_folder`` (LFS and Xet uploads are its
job, not this provider's), from the optional extra ``airflow-provider-hfhub[deploy]``, imported only
when the task runs. The wait is the one Space watch (``triggers/space_watch.py``) with the push's
commit: RUNNING counts once the runtime's ``sha`` is that commit (docs/hub-api.md#space-deploys).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hfhub import __version__
from airflow_provider_hfhub.operators.space_base import _WaitingSpaceOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

COMMIT_ID_KEY = "commit_id"
COMMIT_URL_KEY = "commit_url"
DEPLOY_EXTRA = "airflow-provider-hfhub[deploy]"


def official_api(endpoint: str, token: str | None) -> Any:
    """The official client on the connection's endpoint, with the connection's token only.

    ``token=False`` when the connection has none: the client would otherwise send a token saved on
    the worker (``hf auth login``) or ``HF_TOKEN``, which this connection never named.
    """
    try:
        from huggingface_hub import HfApi
    except ImportError as exc:
        raise AirflowException(
            f"Pushing to a Space needs the official huggingface_hub client: pip install '{DEPLOY_EXTRA}'"
        ) from exc
    return HfApi(
        endpoint=endpoint,
        token=token or False,
        library_name="airflow-provider-hfhub",
        library_version=__version__,
    )


def _patterns(name: str, value: object) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError(f"{name} must be a glob pattern or a list of them, got {value!r}")


class HfDeploySpaceOperator(_WaitingSpaceOperator):
    """Push a local folder to a Space and wait until the Space runs the new build, logs streamed.

    The commit id goes to XCom (``commit_id``, ``commit_url``) before the wait. A retry pushes the
    same content again, which the official client turns into no commit at all (the Hub already has
    every file), and waits for the build of the head commit: the one the earlier try pushed.
    BUILD_ERROR, RUNTIME_ERROR and CONFIG_ERROR fail the task with the Hub's message and the log tail.

    :param repo_id: the Space, ``namespace/name`` (templated).
    :param folder_path: the local folder to push (templated).
    :param path_in_repo: where in the Space's repo the folder goes (default: its root).
    :param commit_message: the commit's title (templated; default: the official client's).
    :param commit_description: the commit's description.
    :param allow_patterns: push only files matching these globs (templated).
    :param ignore_patterns: skip files matching these globs (templated).
    :param delete_patterns: delete remote files matching these globs that the push does not bring
        (templated), e.g. ``"*"`` to make the Space's repo mirror the folder.

    ``wait_for_running``, ``deferrable``, ``stream_logs``, ``startup_timeout``, ``poll_interval`` and
    ``hfhub_conn_id`` are as in ``HfRestartSpaceOperator``.
    """

    template_fields: Sequence[str] = (
        "repo_id", "folder_path", "commit_message", "allow_patterns", "ignore_patterns", "delete_patterns",
    )  # fmt: skip

    def __init__(
        self,
        *,
        folder_path: str,
        path_in_repo: str | None = None,
        commit_message: str | None = None,
        commit_description: str | None = None,
        allow_patterns: str | list[str] | None = None,
        ignore_patterns: str | list[str] | None = None,
        delete_patterns: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.folder_path = folder_path
        self.path_in_repo = path_in_repo
        self.commit_message = commit_message
        self.commit_description = commit_description
        self.allow_patterns = allow_patterns
        self.ignore_patterns = ignore_patterns
        self.delete_patterns = delete_patterns
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        for name in ("allow_patterns", "ignore_patterns", "delete_patterns"):
            if self._ready(getattr(self, name), rendered):
                _patterns(name, getattr(self, name))
        if rendered and not os.path.isdir(str(self.folder_path)):
            raise ValueError(f"folder_path {self.folder_path!r} is not a folder on this worker")

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_arguments(rendered=True)
        config = self.hook.get_config()
        api = official_api(config.endpoint, config.token)
        self._push_url(context, self.repo_id)
        head = self.hook.space_info(self.repo_id).sha
        requested_at = time.time()
        pushed = api.upload_folder(
            repo_id=self.repo_id, repo_type="space", folder_path=str(self.folder_path),
            path_in_repo=self.path_in_repo, commit_message=self.commit_message,
            commit_description=self.commit_description,
            allow_patterns=_patterns("allow_patterns", self.allow_patterns),
            ignore_patterns=_patterns("ignore_patterns", self.ignore_patterns),
            delete_patterns=_patterns("delete_patterns", self.delete_patterns),
        )  # fmt: skip
        commit = str(pushed.oid)
        if commit == head:
            self.log.info(
                "Space %s already has this content (no commit): waiting for the build of %s",
                self.repo_id,
                commit,
            )
        else:
            self.log.info("Pushed %s to Space %s: commit %s", self.folder_path, self.repo_id, commit)
        context["ti"].xcom_push(key=COMMIT_ID_KEY, value=commit)
        context["ti"].xcom_push(key=COMMIT_URL_KEY, value=str(pushed.commit_url))
        runtime = self.hook.get_space_runtime(self.repo_id)
        return self._wait(context, self.repo_id, runtime, requested_at, after_restart=True, commit=commit)
