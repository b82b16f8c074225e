"""lerp / slerp / move_along against hand computation."""

from __future__ import annotations

import math

import pytest
import torch

from engine.latent.ops import interpolate, lerp, move_along, slerp


def test_lerp_by_hand():
    a, b = torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, -2.0]])
    torch.testing.assert_close(lerp(a, b, 0.25), torch.tensor([[1.5, 1.0]]))


def test_slerp_quarter_circle_by_hand():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    # Ω = 90°, so slerp(t) = (cos(t·90°), sin(t·90°)).
    for t in (0.0, 1 / 3, 0.5, 1.0):
        expected = torch.tensor([[math.cos(t * math.pi / 2), math.sin(t * math.pi / 2)]])
        torch.testing.assert_close(slerp(a, b, t), expected)


def test_slerp_scaled_vectors_by_hand():
    a, b = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 4.0]])
    # sin(Ω/2)/sin Ω = 1/√2 for Ω = 90°: (2/√2, 4/√2).
    torch.testing.assert_close(slerp(a, b, 0.5), torch.tensor([[2 / math.sqrt(2), 4 / math.sqrt(2)]]))


def test_slerp_parallel_falls_back_to_lerp():
    a = torch.tensor([[1.0, 1.0]])
    torch.testing.assert_close(slerp(a, 3 * a, 0.5), torch.tensor([[2.0, 2.0]]))


def test_shape_mismatch_and_bad_t_are_errors():
    with pytest.raises(ValueError, match="shapes"):
        lerp(torch.zeros(1, 3), torch.zeros(1, 4), 0.5)
    with pytest.raises(ValueError, match="shapes"):
        slerp(torch.zeros(1, 3), torch.zeros(2, 3), 0.5)
    with pytest.raises(ValueError, match="finite"):
        slerp(torch.ones(1, 3), torch.ones(1, 3), float("nan"))
    with pytest.raises(ValueError, match="method"):
        interpolate(torch.ones(1, 3), torch.ones(1, 3), 0.5, "cubic")


def test_move_along_by_hand():
    z = torch.tensor([[1.0, 1.0, 1.0]])
    comps = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    std = torch.tensor([2.0, 0.5])
    out = move_along(z, comps, std, [1.5, -2.0])
    torch.testing.assert_close(out, torch.tensor([[1.0 + 3.0, 1.0, 1.0 - 1.0]]))
    with pytest.raises(ValueError, match="offsets"):
        move_along(z, comps, std, [1.0])
    with pytest.raises(ValueError, match="fit"):
        move_along(torch.zeros(1, 4), comps, std, [0.0, 0.0])
