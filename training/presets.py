"""Named training presets: each reproduces a bundled checkpoint (``latentlab train --preset NAME``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    """Everything a run needs besides the output folder."""

    name: str
    family: str
    data: str
    resolution: int
    batch: int
    max_steps: int
    model: dict[str, Any] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)
    xflip: bool = False
    seed: int = 0
    checkpoint_every: int = 500
    sample_every: int = 250
    description: str = ""


PRESETS: dict[str, Preset] = {
    "emoji-stylegan2": Preset(
        name="emoji-stylegan2",
        family="stylegan2",
        data="demo:emoji",
        resolution=64,
        batch=24,
        max_steps=10000,
        model={
            "z_dim": 128,
            "w_dim": 128,
            "mapping_layers": 4,
            "channels": [128, 128, 96, 48, 24],
            "d_channels": [128, 128, 96, 48, 24],
        },
        hparams={"r1_gamma": 0.1, "pl_weight": 2.0, "ema_kimg": 5.0},
        xflip=True,
        description="StyleGAN2 on 2,308 Noto Color Emoji at 64x64 (CPU-sized, renders at >30 fps on 2 cores)",
    ),
    "fmnist-classifier": Preset(
        name="fmnist-classifier",
        family="classifier",
        data="fmnist:train",
        resolution=32,
        batch=128,
        max_steps=2814,  # 6 epochs of 60,000 images
        model={"channels": 1, "widths": [32, 64, 128], "feature_dim": 128, "dropout": 0.3},
        hparams={"lr": 2e-3, "weight_decay": 1e-4, "shift": 2, "xflip": True},
        description="Fashion-MNIST CNN classifier at 32x32 (features for FID/KID/IS/PR; about 10 CPU minutes)",
    ),
    "tiny-stylegan2": Preset(
        name="tiny-stylegan2",
        family="stylegan2",
        data="demo:emoji",
        resolution=16,
        batch=4,
        max_steps=20,
        model={"z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": [16, 16, 8]},
        hparams={},
        checkpoint_every=10,
        sample_every=10,
        description="A seconds-long smoke-test run",
    ),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown preset '{name}' (known: {', '.join(sorted(PRESETS))})")
    return PRESETS[name]
