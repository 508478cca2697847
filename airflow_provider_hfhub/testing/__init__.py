"""Test helpers for users of the provider: a fake Hugging Face Hub (see ``fake_hub``)."""

from __future__ import annotations

from .fake_hub import FakeHub, RunningFakeHub, start_fake_hub

__all__ = ["FakeHub", "RunningFakeHub", "start_fake_hub"]
