"""Hardware catalogs served by ``GET /api/jobs/hardware`` and ``GET /api/spaces/hardware``."""

from __future__ import annotations

from typing import Any

# name, pretty name, cpu, ram, ephemeral storage, accelerator (model, quantity, vram) or None, hourly USD.
# Specs and prices as the Hub's Jobs pricing page lists them (https://huggingface.co/docs/hub/jobs-pricing);
# the endpoint sends the price per minute in micro-dollars ($0.01 an hour -> 167, as in
# docs/hub-api.md#hardware).
_HARDWARE: list[tuple[str, str, str, str, str, tuple[str, str, str] | None, float]] = [
    ("cpu-basic", "CPU Basic", "2 vCPU", "16 GB", "50 GB", None, 0.01),
    ("cpu-upgrade", "CPU Upgrade", "8 vCPU", "32 GB", "50 GB", None, 0.03),
    ("cpu-performance", "CPU Performance", "32 vCPU", "256 GB", "1024 GB", None, 1.90),
    ("cpu-xl", "CPU XL", "16 vCPU", "124 GB", "1000 GB", None, 1.00),
    ("zero-a10g", "ZeroGPU", "2 vCPU", "16 GB", "50 GB", ("A10G", "1", "24 GB"), 0.0),
    ("t4-small", "Nvidia T4 - small", "4 vCPU", "15 GB", "50 GB", ("T4", "1", "16 GB"), 0.40),
    ("t4-medium", "Nvidia T4 - medium", "8 vCPU", "30 GB", "100 GB", ("T4", "1", "16 GB"), 0.60),
    ("l4x1", "1x Nvidia L4", "8 vCPU", "30 GB", "400 GB", ("L4", "1", "24 GB"), 0.80),
    ("l4x4", "4x Nvidia L4", "48 vCPU", "186 GB", "3200 GB", ("L4", "4", "96 GB"), 3.80),
    ("l40sx1", "1x Nvidia L40S", "8 vCPU", "62 GB", "380 GB", ("L40S", "1", "48 GB"), 1.80),
    ("l40sx4", "4x Nvidia L40S", "48 vCPU", "382 GB", "3200 GB", ("L40S", "4", "192 GB"), 8.30),
    ("l40sx8", "8x Nvidia L40S", "192 vCPU", "1534 GB", "6500 GB", ("L40S", "8", "384 GB"), 23.50),
    ("a10g-small", "Nvidia A10G - small", "4 vCPU", "15 GB", "110 GB", ("A10G", "1", "24 GB"), 1.00),
    ("a10g-large", "Nvidia A10G - large", "12 vCPU", "46 GB", "200 GB", ("A10G", "1", "24 GB"), 1.50),
    ("a10g-largex2", "2x Nvidia A10G - large", "24 vCPU", "92 GB", "1000 GB", ("A10G", "2", "48 GB"), 3.00),
    ("a10g-largex4", "4x Nvidia A10G - large", "48 vCPU", "184 GB", "2000 GB", ("A10G", "4", "96 GB"), 5.00),
    ("a100-large", "Nvidia A100 - large", "12 vCPU", "142 GB", "1000 GB", ("A100", "1", "80 GB"), 2.50),
    ("a100x4", "4x Nvidia A100 - large", "48 vCPU", "568 GB", "4000 GB", ("A100", "4", "320 GB"), 10.00),
    ("a100x8", "8x Nvidia A100 - large", "96 vCPU", "1136 GB", "8000 GB", ("A100", "8", "640 GB"), 20.00),
    ("h200", "Nvidia H200", "23 vCPU", "256 GB", "3000 GB", ("H200", "1", "141 GB"), 5.00),
    ("h200x2", "2x Nvidia H200", "46 vCPU", "512 GB", "6000 GB", ("H200", "2", "282 GB"), 10.00),
    ("h200x4", "4x Nvidia H200", "92 vCPU", "1024 GB", "12000 GB", ("H200", "4", "564 GB"), 20.00),
    ("h200x8", "8x Nvidia H200", "184 vCPU", "2048 GB", "24000 GB", ("H200", "8", "1128 GB"), 40.00),
    (
        "rtx-pro-6000",
        "Nvidia RTX PRO 6000",
        "23 vCPU",
        "256 GB",
        "475 GB",
        ("RTX PRO 6000", "1", "96 GB"),
        2.75,
    ),
    (
        "rtx-pro-6000x2",
        "2x Nvidia RTX PRO 6000",
        "46 vCPU",
        "512 GB",
        "950 GB",
        ("RTX PRO 6000", "2", "192 GB"),
        5.50,
    ),
    (
        "rtx-pro-6000x4",
        "4x Nvidia RTX PRO 6000",
        "92 vCPU",
        "1024 GB",
        "1900 GB",
        ("RTX PRO 6000", "4", "384 GB"),
        11.00,
    ),
    (
        "rtx-pro-6000x8",
        "8x Nvidia RTX PRO 6000",
        "184 vCPU",
        "2048 GB",
        "3800 GB",
        ("RTX PRO 6000", "8", "768 GB"),
        22.00,
    ),
]

JOB_FLAVORS = tuple(h[0] for h in _HARDWARE if h[0] != "zero-a10g")
SPACE_FLAVORS = tuple(h[0] for h in _HARDWARE if not h[0].startswith(("cpu-performance", "cpu-xl", "h200")))


def hardware_list(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return the catalog entries for ``names`` in the Hub's JSON shape (docs/hub-api.md#hardware)."""
    out = []
    for name, pretty, cpu, ram, storage, acc, hourly in _HARDWARE:
        if name not in names:
            continue
        accelerator = None
        if acc is not None:
            model, quantity, vram = acc
            accelerator = {
                "type": "gpu",
                "model": model,
                "quantity": quantity,
                "vram": vram,
                "manufacturer": "Nvidia",
            }
        micro_per_minute = round(hourly * 1_000_000 / 60)
        out.append(
            {
                "name": name,
                "prettyName": pretty,
                "cpu": cpu,
                "ram": ram,
                "ephemeralStorage": storage,
                "accelerator": accelerator,
                "unitCostMicroUSD": micro_per_minute,
                "unitCostUSD": micro_per_minute / 1_000_000,
                "unitLabel": "minute",
            }
        )
    return out


def gpus(flavor: str) -> tuple[int, int]:
    """How many GPUs a flavor has and each one's memory in bytes; (0, 0) for a CPU flavor."""
    for name, *_, acc, _hourly in _HARDWARE:
        if name == flavor and acc is not None:
            _model, quantity, vram = acc
            count = int(quantity)
            return count, int(float(vram.split()[0]) * 1e9) // count
    return 0, 0


def is_gpu(flavor: str) -> bool:
    return gpus(flavor)[0] > 0
