"""Space operators that change a setting and return at once: pause, sleep time, secrets, variables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.operators.space_base import (
    _check_keys,
    _SpaceOperator,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class HfPauseSpaceOperator(_SpaceOperator):
    """Pause a Space: it stops (and stops billing) until restarted; returns its summary.

    :param repo_id: the Space (templated).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._check_arguments(rendered=False)

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_arguments(rendered=True)
        self._push_url(context, self.repo_id)
        runtime = self.hook.pause_space(self.repo_id)
        self.log.info("Paused Space %s: %s", self.repo_id, runtime.stage)
        return self._summary(self.repo_id, runtime)


class HfSetSpaceSleepTimeOperator(_SpaceOperator):
    """Set how long a Space may sit unused before it sleeps; returns its summary.

    :param repo_id: the Space (templated).
    :param sleep_time: seconds (at least 60), or -1 to never sleep (paid hardware only).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    def __init__(self, *, sleep_time: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sleep_time = sleep_time
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        check.check_sleep_time(self.sleep_time)

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_arguments(rendered=True)
        self._push_url(context, self.repo_id)
        runtime = self.hook.set_space_sleep_time(self.repo_id, self.sleep_time)
        self._warn_if_free(runtime)
        self.log.info("Space %s now sleeps after %s s unused", self.repo_id, runtime.sleep_time)
        return self._summary(self.repo_id, runtime)


class _SpaceKeysOperator(_SpaceOperator):
    """Set and delete several secrets or variables in one task."""

    kind = ""  # "secret" or "variable", for checks and messages

    def _methods(self) -> tuple[Callable[[str, str, str], Any], Callable[[str, str], Any]]:
        """The hook's add and delete methods for this kind (subclasses)."""
        raise NotImplementedError

    def _apply(self, context: Context, values: object, deleted: object) -> tuple[dict[str, str], list[str]]:
        self._check_arguments(rendered=True)
        given, gone = _check_keys(f"{self.kind}s", values, deleted or ())
        if not given and not gone:
            raise ValueError(f"nothing to do: give {self.kind}s to set or delete_{self.kind}s to delete")
        self._push_url(context, self.repo_id)
        add, delete = self._methods()
        for key, value in given.items():
            add(self.repo_id, key, value)
        for key in gone:
            delete(self.repo_id, key)
        self.log.info(
            "Space %s: set %ss %s, deleted %s", self.repo_id, self.kind, sorted(given), sorted(gone)
        )
        return given, gone


class HfSpaceSecretsOperator(_SpaceKeysOperator):
    """Set and delete several Space secrets at once; returns the Space's summary and the names touched.

    Values are masked in every log, never templated and never returned (only names are).

    :param repo_id: the Space (templated).
    :param secrets: names to values to set (not templated).
    :param delete_secrets: names to delete (templated; a missing name is not an error).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    template_fields: Sequence[str] = ("repo_id", "delete_secrets")
    kind = "secret"

    def __init__(
        self,
        *,
        secrets: Mapping[str, str] | None = None,
        delete_secrets: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.secrets = secrets
        self.delete_secrets = delete_secrets
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        if self._ready(self.delete_secrets, rendered):
            _check_keys("secrets", self.secrets, self.delete_secrets or ())

    def _methods(self) -> tuple[Callable[[str, str, str], Any], Callable[[str, str], Any]]:
        return self.hook.add_space_secret, self.hook.delete_space_secret

    def execute(self, context: Context) -> dict[str, Any]:
        self._mask_secrets()  # before anything can log them
        given, gone = self._apply(context, self.secrets, self.delete_secrets)
        summary = self._summary(self.repo_id, self.hook.get_space_runtime(self.repo_id))
        return {**summary, "secrets_set": sorted(given), "secrets_deleted": sorted(gone)}


class HfSpaceVariablesOperator(_SpaceKeysOperator):
    """Set and delete several Space variables at once; returns the Space's summary and its variables.

    :param repo_id: the Space (templated).
    :param variables: names to values to set (templated).
    :param delete_variables: names to delete (templated; a missing name is not an error).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    template_fields: Sequence[str] = ("repo_id", "variables", "delete_variables")
    template_fields_renderers = {"variables": "json"}
    kind = "variable"

    def __init__(
        self,
        *,
        variables: Mapping[str, str] | None = None,
        delete_variables: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.variables = variables
        self.delete_variables = delete_variables
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        if self._ready(self.variables, rendered) and self._ready(self.delete_variables, rendered):
            _check_keys("variables", self.variables, self.delete_variables or ())

    def _methods(self) -> tuple[Callable[[str, str, str], Any], Callable[[str, str], Any]]:
        return self.hook.add_space_variable, self.hook.delete_space_variable

    def execute(self, context: Context) -> dict[str, Any]:
        self._apply(context, self.variables, self.delete_variables)
        values = {
            key: (entry or {}).get("value")
            for key, entry in self.hook.get_space_variables(self.repo_id).items()
        }
        summary = self._summary(self.repo_id, self.hook.get_space_runtime(self.repo_id))
        return {**summary, "variables": values}
