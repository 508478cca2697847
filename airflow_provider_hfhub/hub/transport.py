"""The two transports: the only code that sends requests, reads streams or sleeps.

``AsyncTransport`` (httpx.AsyncClient) is written once, in ``_async_transport.py``;
``SyncTransport`` (httpx.Client), in ``_sync_transport.py``, is generated from it by
``scripts/unasync.py`` and ``make lint`` fails when they differ, so the call gate, the per-stream
client and the flow runner cannot drift apart. What they share free of I/O is in
``_transport_base.py``; the one part written twice, how a log stream is read ahead of its consumer
(a task or a thread), is in ``_streams.py``. No Airflow imports here.
"""

from __future__ import annotations

from airflow_provider_hfhub.hub._async_transport import AsyncTransport
from airflow_provider_hfhub.hub._sync_transport import SyncTransport
from airflow_provider_hfhub.hub._transport_base import MAX_CONCURRENT_CALLS, client_options

__all__ = ["MAX_CONCURRENT_CALLS", "AsyncTransport", "SyncTransport", "client_options"]
