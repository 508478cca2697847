"""Metric samples summed up, and the summary in words; no server needed."""

from __future__ import annotations

from airflow_provider_hfhub.hub.usage import UsageSummary, describe, idle_gpus


def _sample(cpu: float, gpus: dict[str, float] | None = None, **extra: object) -> dict[str, object]:
    gpu_fields = {
        gpu_id: {"utilization": util, "memory_used_bytes": 2e9 * (1 + util / 100), "memory_total_bytes": 24e9}
        for gpu_id, util in (gpus or {}).items()
    }
    sample = {
        "cpu_usage_pct": cpu, "cpu_millicores": 2000, "memory_used_bytes": cpu * 1e8,
        "memory_total_bytes": 16e9, "rx_bps": cpu * 10, "tx_bps": 5, "gpus": gpu_fields, "replica": "r1",
    }  # fmt: skip
    sample.update(extra)
    return sample


def test_summary_of_a_gpu_job_gives_peak_and_mean_per_gpu() -> None:
    summary = UsageSummary()
    for cpu, util in [(10, 40), (30, 60), (50, 80)]:
        summary.add(_sample(cpu, {"g0": util, "g1": util / 2}))
    usage = summary.to_json()
    assert usage is not None
    assert usage["samples"] == 3
    assert usage["cpu_pct"] == {"mean": 30, "peak": 50}
    assert usage["memory_bytes"] == {"mean": 3e9, "peak": 5e9, "total": 16e9}
    assert usage["network_bps"] == {"rx": {"mean": 300, "peak": 500}, "tx": {"mean": 5, "peak": 5}}
    assert usage["gpus"]["g0"]["utilization_pct"] == {"mean": 60, "peak": 80}
    assert usage["gpus"]["g1"]["utilization_pct"] == {"mean": 30, "peak": 40}
    assert usage["gpus"]["g0"]["memory_bytes"]["total"] == 24e9
    assert idle_gpus(usage) is None
    text = describe(usage)
    assert "3 samples; CPU 30% mean / 50% peak" in text
    assert "GPU g0 60% mean / 80% peak, memory 3.6 GB peak of 24.0 GB" in text


def test_summary_of_a_cpu_job_has_no_gpus_and_no_idle_warning() -> None:
    summary = UsageSummary()
    summary.add(_sample(20))
    usage = summary.to_json()
    assert usage is not None and usage["gpus"] == {}
    assert idle_gpus(usage) is None and "GPU" not in describe(usage)


def test_gpus_averaging_under_ten_percent_are_idle() -> None:
    summary = UsageSummary()
    for util in (2, 5, 30):  # one busy second does not hide an idle Job: mean 12.3 % for g0...
        summary.add(_sample(5, {"g0": util, "g1": 0}))  # ...but 6.2 % across both GPUs
    idle = idle_gpus(summary.to_json())
    assert idle is not None and round(idle, 1) == 6.2


def test_odd_samples_are_skipped_not_fatal() -> None:
    summary = UsageSummary()
    assert summary.to_json() is None
    summary.add("not a sample")
    summary.add({"cpu_usage_pct": "high", "gpus": {"g0": "busy", "g1": {"utilization": None}}})
    summary.add(_sample(40, memory_total_bytes=True))
    usage = summary.to_json()
    assert usage is not None and usage["samples"] == 2 and usage["cpu_pct"] == {"mean": 40, "peak": 40}
    assert usage["memory_bytes"] == {"mean": 4e9, "peak": 4e9}  # a boolean total is no total
    assert usage["gpus"]["g1"] == {"utilization_pct": None, "memory_bytes": None}
