"""Hardware catalogs served by ``GET /api/jobs/hardware`` and ``GET /api/spaces/hardware``."""

from __future__ import annotations

from typing import Any

# name, pretty name, cpu, ram, accelerator (model, quantity, vram) or None, cost in micro-USD/minute
_HARDWARE: list[tuple[str, str, str, str, tuple[str, str, str] | None, int]] = [
    ("cpu-basic", "CPU Basic", "2 vCPU", "16 GB", None, 0),
    ("cpu-upgrade", "CPU Upgrade", "8 vCPU", "32 GB", None, 500),
    ("cpu-performance", "CPU Performance", "32 vCPU", "256 GB", None, 3117),
    ("cpu-xl", "CPU XL", "16 vCPU", "124 GB", None, 1000),
    ("zero-a10g", "ZeroGPU", "2 vCPU", "16 GB", ("A10G", "1", "24 GB"), 0),
    ("t4-small", "Nvidia T4 - small", "4 vCPU", "15 GB", ("T4", "1", "16 GB"), 6667),
    ("t4-medium", "Nvidia T4 - medium", "8 vCPU", "30 GB", ("T4", "1", "16 GB"), 10000),
    ("l4x1", "1x Nvidia L4", "8 vCPU", "30 GB", ("L4", "1", "24 GB"), 13333),
    ("l4x4", "4x Nvidia L4", "48 vCPU", "186 GB", ("L4", "4", "96 GB"), 63333),
    ("l40sx1", "1x Nvidia L40S", "8 vCPU", "62 GB", ("L40S", "1", "48 GB"), 30000),
    ("l40sx4", "4x Nvidia L40S", "48 vCPU", "382 GB", ("L40S", "4", "192 GB"), 138333),
    ("l40sx8", "8x Nvidia L40S", "192 vCPU", "1534 GB", ("L40S", "8", "384 GB"), 391667),
    ("a10g-small", "Nvidia A10G - small", "4 vCPU", "15 GB", ("A10G", "1", "24 GB"), 16667),
    ("a10g-large", "Nvidia A10G - large", "12 vCPU", "46 GB", ("A10G", "1", "24 GB"), 25000),
    ("a10g-largex2", "2x Nvidia A10G - large", "24 vCPU", "92 GB", ("A10G", "2", "48 GB"), 50000),
    ("a10g-largex4", "4x Nvidia A10G - large", "48 vCPU", "184 GB", ("A10G", "4", "96 GB"), 83333),
    ("a100-large", "Nvidia A100 - large", "12 vCPU", "142 GB", ("A100", "1", "80 GB"), 41667),
    ("a100x4", "4x Nvidia A100", "48 vCPU", "568 GB", ("A100", "4", "320 GB"), 166667),
    ("a100x8", "8x Nvidia A100", "96 vCPU", "1136 GB", ("A100", "8", "640 GB"), 333333),
    ("h200", "Nvidia H200", "23 vCPU", "256 GB", ("H200", "1", "141 GB"), 83333),
    ("h200x2", "2x Nvidia H200", "46 vCPU", "512 GB", ("H200", "2", "282 GB"), 166667),
    ("h200x4", "4x Nvidia H200", "92 vCPU", "1024 GB", ("H200", "4", "564 GB"), 333333),
    ("h200x8", "8x Nvidia H200", "184 vCPU", "2048 GB", ("H200", "8", "1128 GB"), 666667),
    ("rtx-pro-6000", "RTX PRO 6000", "12 vCPU", "96 GB", ("RTX PRO 6000", "1", "96 GB"), 45000),
    ("rtx-pro-6000x2", "2x RTX PRO 6000", "24 vCPU", "192 GB", ("RTX PRO 6000", "2", "192 GB"), 90000),
    ("rtx-pro-6000x4", "4x RTX PRO 6000", "48 vCPU", "384 GB", ("RTX PRO 6000", "4", "384 GB"), 180000),
    ("rtx-pro-6000x8", "8x RTX PRO 6000", "96 vCPU", "768 GB", ("RTX PRO 6000", "8", "768 GB"), 360000),
]

JOB_FLAVORS = tuple(h[0] for h in _HARDWARE if h[0] != "zero-a10g")
SPACE_FLAVORS = tuple(h[0] for h in _HARDWARE if not h[0].startswith(("cpu-performance", "cpu-xl", "h200")))


def hardware_list(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return the catalog entries for ``names`` in the Hub's JSON shape (docs/hub-api.md#hardware)."""
    out = []
    for name, pretty, cpu, ram, acc, cost in _HARDWARE:
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
        out.append(
            {
                "name": name,
                "prettyName": pretty,
                "cpu": cpu,
                "ram": ram,
                "ephemeralStorage": "50 GB",
                "accelerator": accelerator,
                "unitCostMicroUSD": cost,
                "unitCostUSD": cost / 1_000_000,
                "unitLabel": "minute",
            }
        )
    return out


def is_gpu(flavor: str) -> bool:
    return not flavor.startswith("cpu-")
