"""FIR resampling: the transposed/strided-convolution forms equal the zero-insertion reference."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.nn.fir import blur2d, downsample2d, make_fir, upfirdn2d, upsample2d


def reference_upfirdn2d(x, f, up=1, down=1, padding=(0, 0, 0, 0), gain=1.0):
    """The textbook form: zero insertion, pad/crop, full depthwise filtering, then decimation."""
    n, c, h, w = x.shape
    if up > 1:
        x = x.reshape(n, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(n, c, h * up, w * up)
    px0, px1, py0, py1 = padding
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0) : x.shape[2] - max(-py1, 0), max(-px0, 0) : x.shape[3] - max(-px1, 0)]
    weight = (f * gain).flip([0, 1])[None, None].expand(c, 1, *f.shape)
    x = F.conv2d(x, weight, groups=c)
    return x[:, :, ::down, ::down] if down > 1 else x


CASES = [
    (2, 1, (2, 1, 2, 1), 4.0),  # upsample2d
    (1, 1, (1, 1, 1, 1), 4.0),  # the blur after a transposed modulated conv
    (1, 1, (2, 2, 2, 2), 1.0),  # the blur before a strided 3x3 conv
    (1, 2, (1, 1, 1, 1), 1.0),  # downsample2d
    (2, 1, (0, 0, 0, 0), 1.0),  # asymmetric: a crop on one side
    (2, 1, (4, 3, 1, 5), 2.0),  # padding beyond the transposed conv's reach
    (1, 1, (-1, 2, 3, -2), 1.0),  # crops and pads mixed
    (3, 2, (1, 2, 2, 1), 9.0),  # up and down at once
]


@pytest.mark.parametrize(("up", "down", "padding", "gain"), CASES)
@pytest.mark.parametrize("taps", [(1, 3, 3, 1), (1, 2, 1)])
def test_upfirdn2d_matches_reference(up, down, padding, gain, taps):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 7, 9, generator=gen)
    f = make_fir(taps)
    f = f * torch.linspace(0.5, 1.5, f.numel()).reshape(f.shape)  # not symmetric: catches a flip
    got = upfirdn2d(x, f, up=up, down=down, padding=padding, gain=gain)
    want = reference_upfirdn2d(x, f, up=up, down=down, padding=padding, gain=gain)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_helpers_and_channels_last():
    x = torch.randn(2, 4, 8, 8)
    f = make_fir()
    assert upsample2d(x, f).shape == (2, 4, 16, 16)
    assert downsample2d(x, f).shape == (2, 4, 4, 4)
    assert blur2d(x, f, (2, 1)).shape == (2, 4, 8, 8)
    xc = x.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(upsample2d(xc, f), reference_upfirdn2d(x, f, 2, 1, (2, 1, 2, 1), 4.0))
    with pytest.raises(ValueError, match="NCHW"):
        upfirdn2d(x[0], f)
