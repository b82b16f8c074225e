"""Modulated convolution: the input-scaling form equals per-sample convolution with modulated weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.nn.fir import make_fir, upsample2d
from engine.nn.modconv import modulated_conv2d


def reference(x, weight, styles, demodulate, up, f):
    """Each sample convolved with its own weights ``W * s`` (demodulated per output channel)."""
    out = []
    for xi, si in zip(x, styles):
        w = weight * si.reshape(1, -1, 1, 1)
        if demodulate:
            w = w * (w.square().sum(dim=[1, 2, 3], keepdim=True) + 1e-8).rsqrt()
        if up == 1:
            out.append(F.conv2d(xi[None], w, padding=weight.shape[-1] // 2))
        else:  # the transposed conv's 2H+1 grid, blurred back to 2H (as NVlabs' modulated_conv2d)
            y = F.conv_transpose2d(xi[None], w.transpose(0, 1), stride=2)
            y = F.pad(y, [1, 1, 1, 1])
            c = y.shape[1]
            out.append(F.conv2d(y, (f * 4).flip([0, 1])[None, None].expand(c, 1, 4, 4), groups=c))
    return torch.cat(out)


@pytest.mark.parametrize(("demodulate", "up", "k"), [(True, 1, 3), (True, 2, 3), (False, 1, 1)])
def test_modulated_conv2d_matches_per_sample_weights(demodulate, up, k):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(3, 5, 6, 6, generator=gen)
    weight = torch.randn(4, 5, k, k, generator=gen) / 3
    styles = torch.randn(3, 5, generator=gen) + 1
    f = make_fir()
    got = modulated_conv2d(x, weight, styles, demodulate, up, f if up > 1 else None)
    want = reference(x, weight, styles, demodulate, up, f)
    assert got.shape == want.shape == (3, 4, 6 * up, 6 * up)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    assert upsample2d(x, f).shape == (3, 5, 12, 12)


def test_shape_errors():
    with pytest.raises(ValueError, match="modconv shapes"):
        modulated_conv2d(torch.zeros(2, 3, 4, 4), torch.zeros(4, 3, 3, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="resample filter"):
        modulated_conv2d(torch.zeros(2, 3, 4, 4), torch.zeros(4, 3, 3, 3), torch.ones(2, 3), up=2)
