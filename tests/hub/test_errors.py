"""Each status maps to one error class whose message says what failed, what to fix and the request id."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_hfhub.hub import errors


def _response(status: int, headers: dict[str, str] | None = None, json: object = None) -> httpx.Response:
    request = httpx.Request("GET", "https://huggingface.co/api/jobs/me/abc")
    return httpx.Response(status, headers=headers or {}, json=json, request=request)


@pytest.mark.parametrize(
    ("status", "cls", "fix"),
    [
        (400, errors.BadRequestError, "fix them"),
        (401, errors.AuthenticationError, "valid Hugging Face token"),
        (403, errors.ForbiddenError, "write access"),
        (404, errors.NotFoundError, "Check the id"),
        (409, errors.ConflictError, "already exists"),
        (422, errors.BadRequestError, "fix them"),
        (429, errors.RateLimitedError, "rate limit"),
        (502, errors.ServerError, "transient"),
    ],
)
def test_status_maps_to_class_with_a_fix(status: int, cls: type, fix: str) -> None:
    error = errors.error_from_response(
        _response(status, {"x-request-id": "Root=1-abc", "x-error-message": "Nope", "x-error-code": "X"})
    )
    assert type(error) is cls
    assert fix in str(error)
    assert "Nope" in str(error) and "Request ID: Root=1-abc" in str(error)
    assert (error.status_code, error.request_id, error.error_code, error.server_message) == (
        status, "Root=1-abc", "X", "Nope",
    )  # fmt: skip


def test_body_error_is_used_without_header() -> None:
    error = errors.error_from_response(_response(409, json={"error": "You already created this space repo"}))
    assert "You already created this space repo" in str(error)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"ratelimit": '"api";r=0;t=42'}, 42.0),
        ({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        ({}, None),
    ],
)
def test_rate_limit_wait_comes_from_the_hub(headers: dict[str, str], seconds: float | None) -> None:
    error = errors.error_from_response(_response(429, headers))
    assert isinstance(error, errors.RateLimitedError)
    assert error.retry_after == seconds


def test_401_reads_as_sentences_and_names_the_form_field() -> None:
    # The Hub's message has no full stop; the fix must not run on into it, and must name the field
    # the connection form shows ("Hugging Face token", get_provider_info.py), not "password".
    error = errors.error_from_response(
        _response(401, {"x-error-message": "Invalid credentials in Authorization header"})
    )
    message = str(error)
    assert "failed with 401 Unauthorized: Invalid credentials in Authorization header. The token" in message
    assert '"Hugging Face token" field' in message and "password" not in message


def test_a_message_that_ends_a_sentence_gets_no_second_full_stop() -> None:
    error = errors.error_from_response(_response(409, {"x-error-message": "Space is busy."}))
    assert "Space is busy. The resource" in str(error)
