"""Gallery samples of a model with previews are rendered at thumbnail size, never as full frames."""

from __future__ import annotations

import numpy as np
import torch

from engine.api import RenderRequest
from engine.families import get_family
from engine.latent.gallery import sample_frames
from engine.models.stylegan2 import StyleGAN2Config
from engine.render import render


def model():
    torch.manual_seed(0)
    cfg = StyleGAN2Config(resolution=32, z_dim=8, w_dim=8, mapping_layers=2, channels=(8, 8, 8, 8))
    return get_family("stylegan2").new(cfg)


def test_samples_at_thumbnail_size_are_previews() -> None:
    m = model()
    frames = sample_frames(m, [3, 4, 5], size=10)
    assert frames.shape == (3, 16, 16, 3)  # the smallest preview at least 10 px
    np.testing.assert_array_equal(frames[1], render(m, RenderRequest("x", seed=4, preview=16)))


def test_samples_without_a_size_or_a_fitting_preview_are_full_frames() -> None:
    m = model()
    full = sample_frames(m, list(range(6)))  # in batches of four
    assert full.shape == (6, 32, 32, 3)
    diff = np.abs(full[5].astype(int) - render(m, RenderRequest("x", seed=5)).astype(int))
    assert diff.max() <= 1  # batched vs single frames: the same up to float rounding
    assert sample_frames(m, [1], size=32).shape == (1, 32, 32, 3)  # no preview that big: the full frame
