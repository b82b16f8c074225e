"""The one EMA helper the GAN trainers share."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from training.ema import ema_update


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("count", torch.zeros(()))


def test_ema_moves_parameters_toward_the_network_and_copies_buffers():
    torch.manual_seed(0)
    net = Net()
    ema = copy.deepcopy(net).requires_grad_(False)
    before = ema.fc.weight.clone()
    with torch.no_grad():
        net.fc.weight.add_(1.0)
        net.count.fill_(7)
    ema_update(ema, net, 0.75)
    assert torch.allclose(ema.fc.weight, 0.75 * before + 0.25 * net.fc.weight, atol=1e-6)
    assert ema.count.item() == 7
    assert ema.fc.weight.grad is None and net.fc.weight.grad is None
    ema_update(ema, net, 0.0)
    assert torch.equal(ema.fc.weight, net.fc.weight)


def test_ema_refuses_a_mismatched_copy_and_a_bad_beta():
    with pytest.raises(ValueError, match="parameters"):
        ema_update(nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2)), 0.5)
    with pytest.raises(ValueError, match="beta"):
        ema_update(nn.Linear(3, 2), nn.Linear(3, 2), 1.5)
