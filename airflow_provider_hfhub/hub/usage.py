"""What a Job used: its metric samples summed up (peak and mean), and that summary in words.

Samples are what ``GET /api/jobs/{ns}/{id}/metrics`` streams, about one a second while the Job
runs (docs/hub-api.md#job-metrics): ``cpu_usage_pct``, ``cpu_millicores``, ``memory_used_bytes``,
``memory_total_bytes``, ``rx_bps``, ``tx_bps``, ``gpus`` ``{id: {utilization, memory_used_bytes,
memory_total_bytes}}`` and ``replica``. Missing or non-numeric fields are skipped, never fatal.

Pure, no I/O and no Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Under this mean utilization a GPU is "barely used": the warning the task log gives.
IDLE_GPU_PERCENT = 10.0


@dataclass
class Series:
    """Peak and mean of one metric."""

    count: int = 0
    total: float = 0.0
    peak: float = 0.0

    def add(self, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        self.count += 1
        self.total += value
        self.peak = max(self.peak, float(value)) if self.count > 1 else float(value)

    def to_json(self) -> dict[str, float] | None:
        if not self.count:
            return None
        return {"mean": round(self.total / self.count, 2), "peak": round(self.peak, 2)}


@dataclass
class _Gpu:
    utilization: Series = field(default_factory=Series)
    memory: Series = field(default_factory=Series)
    memory_total: float | None = None


@dataclass
class UsageSummary:
    """Fold metric samples into peaks and means; ``to_json`` is the result XCom's ``usage``."""

    samples: int = 0
    cpu: Series = field(default_factory=Series)
    memory: Series = field(default_factory=Series)
    memory_total: float | None = None
    rx: Series = field(default_factory=Series)
    tx: Series = field(default_factory=Series)
    gpus: dict[str, _Gpu] = field(default_factory=dict)

    def add(self, sample: object) -> None:
        if not isinstance(sample, Mapping):
            return
        self.samples += 1
        self.cpu.add(sample.get("cpu_usage_pct"))
        self.memory.add(sample.get("memory_used_bytes"))
        self.memory_total = _number(sample.get("memory_total_bytes"), self.memory_total)
        self.rx.add(sample.get("rx_bps"))
        self.tx.add(sample.get("tx_bps"))
        gpus = sample.get("gpus")
        for gpu_id, gpu in gpus.items() if isinstance(gpus, Mapping) else ():
            if not isinstance(gpu, Mapping):
                continue
            seen = self.gpus.setdefault(str(gpu_id), _Gpu())
            seen.utilization.add(gpu.get("utilization"))
            seen.memory.add(gpu.get("memory_used_bytes"))
            seen.memory_total = _number(gpu.get("memory_total_bytes"), seen.memory_total)

    def to_json(self) -> dict[str, Any] | None:
        """JSON-safe summary; None when no sample arrived."""
        if not self.samples:
            return None
        return {
            "samples": self.samples,
            "cpu_pct": self.cpu.to_json(),
            "memory_bytes": _with_total(self.memory, self.memory_total),
            "network_bps": {"rx": self.rx.to_json(), "tx": self.tx.to_json()},
            "gpus": {
                gpu_id: {
                    "utilization_pct": gpu.utilization.to_json(),
                    "memory_bytes": _with_total(gpu.memory, gpu.memory_total),
                }
                for gpu_id, gpu in sorted(self.gpus.items())
            },
        }


def _number(value: object, default: float | None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value)


def _with_total(series: Series, total: float | None) -> dict[str, float] | None:
    summary = series.to_json()
    if summary is not None and total is not None:
        summary["total"] = total
    return summary


def idle_gpus(usage: Mapping[str, Any] | None) -> float | None:
    """The GPUs' mean utilization when under :data:`IDLE_GPU_PERCENT`, else None."""
    means = [
        gpu["utilization_pct"]["mean"]
        for gpu in ((usage or {}).get("gpus") or {}).values()
        if (gpu or {}).get("utilization_pct")
    ]
    if not means:
        return None
    mean = sum(means) / len(means)
    return mean if mean < IDLE_GPU_PERCENT else None


def describe(usage: Mapping[str, Any]) -> str:
    """One line for the task log: ``42 samples; CPU 35% mean / 88% peak; memory 1.4 GB peak of 15.0 GB; ...``."""
    parts = [f"{usage.get('samples', 0)} samples"]
    cpu = usage.get("cpu_pct")
    if cpu:
        parts.append(f"CPU {_pct(cpu)}")
    memory = usage.get("memory_bytes")
    if memory:
        parts.append(f"memory {_bytes(memory)}")
    for gpu_id, gpu in (usage.get("gpus") or {}).items():
        util, mem = gpu.get("utilization_pct"), gpu.get("memory_bytes")
        text = f"GPU {gpu_id} {_pct(util)}" if util else f"GPU {gpu_id}"
        parts.append(f"{text}, memory {_bytes(mem)}" if mem else text)
    network = usage.get("network_bps") or {}
    rx, tx = network.get("rx"), network.get("tx")
    if rx or tx:
        parts.append(f"network peak rx_bps {_rate(rx)}, tx_bps {_rate(tx)}")
    return "; ".join(parts)


def _pct(series: Mapping[str, float]) -> str:
    return f"{series['mean']:.0f}% mean / {series['peak']:.0f}% peak"


def _bytes(series: Mapping[str, float]) -> str:
    total = series.get("total")
    of = f" of {_size(total)}" if total else ""
    return f"{_size(series['peak'])} peak{of}"


def _size(count: float) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e9 else f"{count / 1e6:.1f} MB"


def _rate(series: Mapping[str, float] | None) -> str:
    return f"{series['peak']:,.0f}" if series else "n/a"  # the Hub's own figure: its unit is not documented
