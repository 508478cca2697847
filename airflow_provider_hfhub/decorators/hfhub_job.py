"""``@task.hfhub_job``: run a TaskFlow function on Hub hardware; its return value comes back to XCom.

Built as ``@task.docker`` builds its operator (``DecoratedOperator`` + the operator that runs the
work; the source is extracted and the task decorator removed), on :class:`HfRunUvJobOperator`, so
deferral, live logs, re-attach on retry and cancel on kill are that operator's. The function's
source and arguments travel inside the Job's inline uv script (nothing is uploaded); its outcome
comes back framed in the Job's log (``remote.py``) and is read once the Job has ended, on the worker,
on the sync and the deferred path alike. Cheap to import: the rest loads when the task runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.bases.decorator import DecoratedOperator, task_decorator_factory

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator, HfRunUvJobOperator

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.sdk.bases.decorator import TaskDecorator

# Stands for the script until the task runs: the arguments (XCom values, templates) are known then.
_PLACEHOLDER = "# @task.hfhub_job: written when the task runs\npass\n"


class HfJobDecoratedOperator(DecoratedOperator, HfRunUvJobOperator):
    """Call ``python_callable`` in a Hub Job and return what it returns.

    :param serializer: how arguments and the return value travel: ``"json"`` (default: JSON types
        only) or ``"pickle"`` (any picklable value; the Job needs the modules of the types, in
        versions whose pickles the worker reads, and the worker unpickles what the Job prints).
    :param max_result_bytes: the largest return value (JSON or pickle, before base64); larger fails.

    Every other argument is :class:`HfRunUvJobOperator`'s but ``script`` and ``script_args``.
    """

    custom_operator_name = "@task.hfhub_job"
    template_fields: Sequence[str] = (
        *HfRunJobOperator.template_fields,
        "dependencies",
        "op_args",
        "op_kwargs",
    )
    template_fields_renderers = {
        **HfRunJobOperator.template_fields_renderers,
        "op_args": "py",
        "op_kwargs": "py",
    }

    def __init__(
        self, *, serializer: str = "json", max_result_bytes: int | None = None, **kwargs: Any
    ) -> None:
        from airflow_provider_hfhub.decorators import payload

        if serializer not in payload.SERIALIZERS:
            raise ValueError(f"serializer must be one of {payload.SERIALIZERS}, got {serializer!r}")
        limit = payload.DEFAULT_MAX_RESULT_BYTES if max_result_bytes is None else max_result_bytes
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise ValueError(f"max_result_bytes must be a positive number of bytes, got {max_result_bytes!r}")
        for name in ("script", "script_args"):
            if name in kwargs:
                raise ValueError(f"@task.hfhub_job takes no {name}: the decorated function is the script")
        if kwargs.get("wait_for_completion") is False:
            raise ValueError("@task.hfhub_job waits for its Job: the return value is the task's result")
        self.serializer = serializer
        self.max_result_bytes = limit
        super().__init__(script=_PLACEHOLDER, **kwargs)

    def execute(self, context: Context) -> Any:
        from airflow_provider_hfhub.decorators import payload
        from airflow_provider_hfhub.decorators.remote import NONCE_ENV

        if NONCE_ENV in (self.env or {}):
            raise ValueError(f"env must not set {NONCE_ENV}: @task.hfhub_job sets it for each try")
        name = self.python_callable.__name__
        arguments = payload.encode_arguments(self.op_args, self.op_kwargs, self.serializer, name)
        self.script = payload.build_script(
            self.get_python_source(), name, arguments, self.serializer, self.max_result_bytes
        )
        return super().execute(context)

    def _job_env(self) -> dict[str, str]:
        from airflow_provider_hfhub.decorators.remote import NONCE_ENV

        env = super()._job_env()
        # A new nonce for each Job; a re-attaching try reads its Job's from the Hub (_outcome).
        return {**env, NONCE_ENV: secrets.token_hex(16)}

    def _on_event(self, event: dict[str, Any]) -> None:
        super()._on_event(event)
        if event["status"] != "failed":
            return
        from airflow_provider_hfhub.hub import HubError

        try:  # the Job ended badly: the function's own error says why, when it sent one
            self._outcome(event)
        except HubError as exc:  # the Job's failure (raised next) still says what the Hub knows
            self.log.warning("Could not read what the function sent back (%s)", exc)

    def _result(self, event: dict[str, Any]) -> Any:
        return self._outcome(event)

    def _outcome(self, event: dict[str, Any]) -> Any:
        """Read the ended Job's whole log (a reconnect replays it, de-duplicated) for this try's frames."""
        from airflow_provider_hfhub.decorators import payload
        from airflow_provider_hfhub.decorators.remote import NONCE_ENV
        from airflow_provider_hfhub.triggers.events import failure_text

        job_id, namespace = str(self.job_id), self.job_namespace
        hook = self.hook
        job = hook.inspect_job(job_id=job_id, namespace=namespace)
        name, where = self.python_callable.__name__, f"Hub Job {job.id}"
        nonce = (job.environment or {}).get(NONCE_ENV)
        if not nonce:
            raise payload.ResultError(f"{where} has no {NONCE_ENV}: it was not started by @task.hfhub_job")
        lines = (
            line.text for line in hook.fetch_job_logs(job_id=job.id, namespace=job.owner.name, follow=True)
        )
        envelope = payload.Frames(nonce, self.max_result_bytes).feed(lines).envelope()
        if envelope is not None:
            return payload.outcome(envelope, name, where)
        if event["status"] == "failed":
            raise payload.ResultError(f"{name}() sent back no result: {failure_text(event)}")
        raise payload.ResultError(
            f"{where} completed but {name}() sent back no result: did it end the process itself (os._exit)?"
        )


def hfhub_job_task(
    python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None, **kwargs: Any
) -> TaskDecorator:
    """Run the decorated function in a Hugging Face Hub Job; its return value is the task's XCom.

    Takes :class:`HfJobDecoratedOperator`'s arguments (``flavor``, ``dependencies``, ``timeout``,
    ``secrets``, ``serializer``...). The function must be self-contained: it runs from its source,
    so it imports what it uses inside its body, and those packages are in ``dependencies``.

    :param python_callable: the function (when used as ``@task.hfhub_job`` without parentheses).
    :param multiple_outputs: push each key of a returned dict as its own XCom, as for ``@task``.
    """
    return task_decorator_factory(
        python_callable=python_callable,
        multiple_outputs=multiple_outputs,
        decorated_operator_class=HfJobDecoratedOperator,
        **kwargs,
    )
