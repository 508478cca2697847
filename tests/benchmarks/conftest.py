"""The hub tests' client settings, for tests that count what the client asked the fake Hub."""

from tests.hub.conftest import client  # noqa: F401  (a fixture: pytest finds it by name)
