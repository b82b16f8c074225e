"""The polyphase/strided resampling of engine.nn.filtered_lrelu against the textbook zero-insertion form."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from engine.nn.filtered_lrelu import design_lowpass_filter, filtered_lrelu, upfirdn2d


def naive_upfirdn2d(x: torch.Tensor, f: torch.Tensor | None, up: int, down: int, padding, gain: float) -> torch.Tensor:
    """Insert up-1 zeros after every sample, pad/crop, convolve (true convolution), keep every down-th."""
    if f is None:
        f = torch.ones(1, 1)
    n, c, h, w = x.shape
    z = torch.zeros(n, c, h * up, w * up, dtype=x.dtype)
    z[:, :, ::up, ::up] = x
    px0, px1, py0, py1 = padding
    z = F.pad(z, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    z = z[:, :, max(-py0, 0) : z.shape[2] - max(-py1, 0), max(-px0, 0) : z.shape[3] - max(-px1, 0)]
    f2 = torch.outer(f, f) if f.ndim == 1 else f
    k = (f2 * gain).flip([0, 1]).reshape(1, 1, *f2.shape).expand(c, 1, *f2.shape)
    return F.conv2d(z, k, groups=c)[:, :, ::down, ::down]


FILTERS = {
    "sep12": lambda: torch.rand(12, generator=torch.Generator().manual_seed(1)),
    "sep24": lambda: torch.rand(24, generator=torch.Generator().manual_seed(2)),
    "sep5": lambda: torch.rand(5, generator=torch.Generator().manual_seed(3)),
    "radial": lambda: torch.rand(12, 12, generator=torch.Generator().manual_seed(4)),
    "none": lambda: None,
}


@pytest.mark.parametrize("fname", sorted(FILTERS))
@pytest.mark.parametrize(("up", "down"), [(1, 1), (2, 1), (4, 1), (1, 2), (2, 2), (3, 1)])
@pytest.mark.parametrize("padding", [(0, 0, 0, 0), (11, 10, 11, 10), (-2, -5, -2, -5), (3, -1, 2, 0)])
def test_upfirdn2d_matches_zero_insertion(fname: str, up: int, down: int, padding: tuple[int, int, int, int]) -> None:
    f = FILTERS[fname]()
    x = torch.randn(2, 3, 20, 17, generator=torch.Generator().manual_seed(up * 10 + down))
    taps = 1 if f is None else f.shape[0]
    if 17 * up + padding[0] + padding[1] < taps or 20 * up + padding[2] + padding[3] < taps:
        with pytest.raises(ValueError, match="smaller than the filter"):
            upfirdn2d(x, f, up, down, padding)
        return
    expected = naive_upfirdn2d(x, f, up, down, padding, gain=up * up)
    actual = upfirdn2d(x, f, up, down, padding, gain=up * up)
    assert actual.shape == expected.shape
    torch.testing.assert_close(actual, expected, atol=1e-5 * expected.abs().max().item(), rtol=0)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize(
    ("fu_taps", "fd_shape", "up", "down"), [(12, (12,), 2, 2), (24, (12, 12), 4, 2), (1, None, 1, 1)]
)
def test_filtered_lrelu_matches_its_definition(channels_last: bool, fu_taps: int, fd_shape, up: int, down: int) -> None:
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(2, 5, 18, 18, generator=gen) * 50  # large enough to reach the clamp
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    before = x.clone()
    fu = torch.rand(fu_taps, generator=gen) if fu_taps > 1 else None
    fd = torch.rand(fd_shape, generator=gen) if fd_shape else None
    b = torch.randn(5, generator=gen)
    padding = (11, 10, 11, 10) if fu is not None else (0, 0, 0, 0)
    gain, slope, clamp = math.sqrt(2), 0.2, 64.0
    y = naive_upfirdn2d(x + b.reshape(1, -1, 1, 1), fu, up, 1, padding, gain=up * up)
    y = (F.leaky_relu(y, slope) * gain).clamp(-clamp, clamp)
    expected = naive_upfirdn2d(y, fd, 1, down, (0, 0, 0, 0), gain=1.0)
    actual = filtered_lrelu(x, fu, fd, b, up, down, padding, gain, slope, clamp)
    torch.testing.assert_close(actual, expected, atol=1e-5 * expected.abs().max().item(), rtol=0)
    assert torch.equal(x, before)  # the input is never changed in place
    # A linear layer (slope 1, gain 1, no bias: ToRGB) with no filters is the identity.
    assert torch.equal(filtered_lrelu(x, None, None, None, gain=1.0, slope=1.0), x)


def test_lowpass_filters() -> None:
    assert design_lowpass_filter(1, 2.0, 6.0, 32) is None
    f = design_lowpass_filter(12, 2.0, 12.0, 32)
    assert f.shape == (12,) and f.dtype == torch.float32
    assert abs(f.sum().item() - 1) < 1e-6 and torch.allclose(f, f.flip(0))  # unit DC gain, symmetric
    r = design_lowpass_filter(12, 2.0, 12.0, 32, radial=True)
    assert r.shape == (12, 12) and abs(r.sum().item() - 1) < 1e-6
    assert torch.allclose(r, r.t()) and torch.allclose(r, r.flip(0))  # radially symmetric
    with pytest.raises(ValueError):
        design_lowpass_filter(0, 2.0, 6.0, 32)


def test_shape_checks() -> None:
    with pytest.raises(ValueError, match="NCHW"):
        upfirdn2d(torch.zeros(3, 4, 4), None)
    with pytest.raises(ValueError, match="bias"):
        filtered_lrelu(torch.zeros(1, 3, 4, 4), None, None, torch.zeros(4))


def test_gradients_match_the_definition() -> None:
    gen = torch.Generator().manual_seed(11)
    fu, fd, b = torch.rand(12, generator=gen), torch.rand(12, 12, generator=gen), torch.randn(4, generator=gen)
    x = (torch.randn(2, 4, 14, 14, generator=gen) * 30).requires_grad_(True)
    weights = torch.randn(2, 4, 14, 14, generator=gen)
    out = filtered_lrelu(x, fu, fd, b, 2, 2, (11, 10, 11, 10), math.sqrt(2), 0.2, 40.0)
    (grad,) = torch.autograd.grad((out * weights).sum(), x)
    x2 = x.detach().clone().requires_grad_(True)
    y = naive_upfirdn2d(x2 + b.reshape(1, -1, 1, 1), fu, 2, 1, (11, 10, 11, 10), gain=4)
    y = (F.leaky_relu(y, 0.2) * math.sqrt(2)).clamp(-40.0, 40.0)
    ref = naive_upfirdn2d(y, fd, 1, 2, (0, 0, 0, 0), gain=1.0)
    (grad_ref,) = torch.autograd.grad((ref * weights).sum(), x2)
    torch.testing.assert_close(grad, grad_ref, atol=1e-5 * grad_ref.abs().max().item(), rtol=0)
