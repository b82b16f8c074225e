"""Fused bias + activation epilogues: the same values and gradients as the plain formulas."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from engine.nn.equalized import EqualConv2d, bias_lrelu


def plain(x, bias, clamp, scale, noise):
    if scale is not None:
        x = x * scale[:, :, None, None]
    if noise is not None:
        x = x + noise
    if bias is not None:
        x = x + bias[None, :, None, None]
    x = F.leaky_relu(x, 0.2) * math.sqrt(2)
    return x.clamp(-clamp, clamp) if clamp is not None else x


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize(
    ("with_scale", "with_noise", "with_bias", "clamp"),
    [
        (True, True, True, None),
        (True, False, True, None),
        (True, True, False, 0.7),
        (False, True, True, None),
        (False, False, True, 0.5),
        (False, False, False, None),
    ],
)
def test_bias_lrelu_matches_plain_formula(channels_last, with_scale, with_noise, with_bias, clamp):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 4, 6, generator=gen)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    args = [
        torch.randn(5, generator=gen) if with_bias else None,
        clamp,
        torch.rand(3, 5, generator=gen) + 0.5 if with_scale else None,
        torch.randn(3, 1, 4, 6, generator=gen) if with_noise else None,
    ]
    leaves = [t.requires_grad_(True) for t in [x, *args] if isinstance(t, torch.Tensor)]
    got = bias_lrelu(x, *args)
    want = plain(x, *args)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    if channels_last and with_scale:
        assert got.is_contiguous(memory_format=torch.channels_last)
    weights = torch.randn(got.shape, generator=gen)
    g1 = torch.autograd.grad((got * weights).sum(), leaves)
    g2 = torch.autograd.grad((want * weights).sum(), leaves)
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_bias_lrelu_on_features():
    x, b = torch.randn(4, 7), torch.randn(7)
    torch.testing.assert_close(bias_lrelu(x, b), F.leaky_relu(x + b, 0.2) * math.sqrt(2))


@pytest.mark.parametrize("down", [1, 2])
def test_equal_conv_gain_is_folded_into_weights(down):
    torch.manual_seed(0)
    conv = EqualConv2d(4, 6, 3, activation="lrelu", down=down, clamp=0.8)
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(2, 4, 8, 8)
    plain_out = conv(x)
    scaled = conv(x, gain=math.sqrt(0.5))
    torch.testing.assert_close(scaled, plain_out * math.sqrt(0.5), rtol=1e-5, atol=1e-6)
    assert plain_out.abs().max() <= 0.8 + 1e-6
