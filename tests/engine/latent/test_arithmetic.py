"""Weighted latent sums (A − B + C) against hand computation."""

from __future__ import annotations

import pytest
import torch

from engine.latent.arithmetic import weighted_sum


def test_a_minus_b_plus_c_by_hand():
    a, b, c = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.5, -1.0]]), torch.tensor([[3.0, 0.0]])
    torch.testing.assert_close(weighted_sum([a, b, c], [1, -1, 1]), torch.tensor([[3.5, 3.0]]))
    torch.testing.assert_close(weighted_sum([a, b, c], [0.5, -2, 0]), torch.tensor([[-0.5, 3.0]]))


def test_ws_shapes_work_and_mismatches_fail():
    ws = torch.ones(1, 4, 3)
    torch.testing.assert_close(weighted_sum([ws, 2 * ws], [1, 1]), 3 * ws)
    with pytest.raises(ValueError, match="one shape"):
        weighted_sum([torch.ones(1, 3), torch.ones(1, 4)], [1, 1])
    with pytest.raises(ValueError, match="weights"):
        weighted_sum([torch.ones(1, 3)], [1, 1])
    with pytest.raises(ValueError, match="at least one"):
        weighted_sum([], [])
