"""Inversion by an encoder in steps (engine.latent.invert): progress between encoding and rendering."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.families import get_family
from engine.latent.invert import encode_batch, encode_batch_steps


@pytest.fixture(scope="module")
def psp():
    torch.manual_seed(0)
    fam = get_family("psp")
    return fam.new(fam.tiny_config())


def test_encoder_reports_before_rendering_the_reconstruction(psp) -> None:
    caps = psp.capabilities
    x = torch.rand(2, caps.image_input.channels, caps.image_input.size, caps.image_input.size) * 2 - 1
    steps = encode_batch_steps(psp, x)
    done, total, message = next(steps)
    assert (done, total) == (1, 2) and "reconstruction" in message
    with pytest.raises(StopIteration) as stop:
        next(steps)
    inv = stop.value.value
    whole = encode_batch(psp, x)
    assert inv.space == "w+" and inv.method == "encoder" and inv.latent.shape == (2, caps.w_space.num_ws, 16)
    torch.testing.assert_close(inv.latent, whole.latent)
    np.testing.assert_array_equal(inv.reconstruction, whole.reconstruction)
    assert inv.reconstruction.shape == (2, caps.resolution, caps.resolution, caps.channels)


def test_encoder_steps_check_the_input_first(psp) -> None:
    with pytest.raises(ValueError, match="images must be"):
        next(encode_batch_steps(psp, torch.zeros(1, 1, 8, 8)))
