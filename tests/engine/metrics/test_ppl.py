"""Perceptual path length: trimming, a constant generator has PPL 0, sharper generators have more."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from engine.latent.recon_loss import FeatureDistance
from engine.metrics.errors import MetricError
from engine.metrics.ppl import PPLOptions, perceptual_path_length, run_ppl, trimmed_mean


class WaveGenerator:
    """images = sin(k · A w) in 3×8×8: k scales how fast images change along any latent path."""

    family = "fake"

    def __init__(self, k: float, z_dim: int = 6, num_ws: int = 3) -> None:
        g = torch.Generator().manual_seed(0)
        self.k = k
        self.a = torch.randn(z_dim, 3 * 8 * 8, generator=g) / z_dim**0.5
        self.meta: dict[str, Any] = {"name": f"wave-{k}"}
        self.device = torch.device("cpu")
        w_space = SimpleNamespace(num_ws=num_ws, w_dim=z_dim)
        self.capabilities = SimpleNamespace(z_dim=z_dim, w_space=w_space, classes=(), channels=3, resolution=8)

    def map(self, z: torch.Tensor, c: Any = None) -> torch.Tensor:
        return z[:, None, :].expand(-1, self.capabilities.w_space.num_ws, -1)

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        assert ws.ndim == 3 and torch.equal(ws[:, 0], ws[:, -1])  # the same w for every layer
        return torch.sin(self.k * ws[:, 0] @ self.a).reshape(-1, 3, 8, 8)

    def generate(self, z: torch.Tensor, c: Any = None) -> torch.Tensor:
        return self.synthesize(self.map(z))


def _distance() -> FeatureDistance:
    torch.manual_seed(1)
    body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    return FeatureDistance(body, 3, 8)


def _ppl(model: Any, **kw: Any) -> float:
    opts = PPLOptions(**{"n": 64, "batch": 16, **kw})
    return run_ppl(perceptual_path_length(model, _distance(), opts)).ppl


def test_trimmed_mean_drops_the_outer_percentiles() -> None:
    x = np.concatenate([np.ones(990), [-1000.0] * 5, [1000.0] * 5])  # 0.5 % outliers on each side
    assert trimmed_mean(x) == pytest.approx(1.0)
    with pytest.raises(MetricError):
        trimmed_mean(np.array([]))


def test_constant_generator_has_zero_ppl_and_sharper_ones_more() -> None:
    flat = WaveGenerator(0.0)
    assert _ppl(flat) == 0.0
    slow, fast = _ppl(WaveGenerator(1.0)), _ppl(WaveGenerator(3.0))
    assert 0 < slow < fast
    assert _ppl(WaveGenerator(1.0)) == slow  # seeded
    assert _ppl(WaveGenerator(1.0), sampling="end") > 0
    assert _ppl(WaveGenerator(1.0), space="z") > 0


def test_bad_options_and_models_are_refused() -> None:
    with pytest.raises(MetricError, match="sampling"):
        PPLOptions(sampling="middle")
    with pytest.raises(MetricError, match="epsilon"):
        PPLOptions(epsilon=0.0)
    no_w = WaveGenerator(1.0)
    no_w.capabilities.w_space = None
    with pytest.raises(MetricError, match="no W space"):
        _ppl(no_w, space="w")


def test_cli_ppl_on_the_bundled_stylegan2(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from app.cli import main

    assert main(["metrics", "emoji-stylegan2", "--metric", "ppl", "--ppl-n", "20", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)["ppl"]
    assert report["space"] == "w" and report["n"] == 20 and report["ppl"] > 0
    assert "emoji-classifier" in report["distance"]
    assert main(["metrics", "--against", "demo:emoji", "--data", "demo:emoji", "--metric", "ppl"]) != 0
    assert "ppl measures a model" in capsys.readouterr().err
