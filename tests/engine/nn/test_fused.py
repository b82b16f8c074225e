"""The inference forms of the StyleGAN2 layers equal the training forms (engine.nn.fused)."""

from __future__ import annotations

import pytest
import torch

from engine.families import get_family
from engine.models.stylegan2 import StyleGAN2Config
from engine.nn.equalized import bias_lrelu
from engine.nn.fir import make_fir, upsample2d
from engine.nn.fused import LRELU_GAIN, compute_dtype, lrelu_tail, modconv_inference
from engine.nn.modconv import modulated_conv2d


def reference(x, weight, styles, up, bias, noise, clamp):
    y = modulated_conv2d(x, weight, styles, True, up, make_fir() if up > 1 else None)
    if noise is not None:
        y = y + noise
    return bias_lrelu(y, bias, clamp)


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("up", [1, 2])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("shape", [(6, 5, 8), (40, 32, 2)], ids=["weights-fused", "activations-scaled"])
def test_modconv_inference_matches_the_training_form(
    n: int, up: int, channels_last: bool, grad: bool, shape: tuple[int, int, int]
) -> None:
    i, o, r = shape
    g = torch.Generator().manual_seed(n * 10 + up)
    x = torch.randn(n, i, r, r, generator=g)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    weight = torch.randn(o, i, 3, 3, generator=g) / 7
    styles = torch.randn(n, i, generator=g) + 1
    bias = torch.randn(o, generator=g)
    noise = torch.randn(1, 1, r * up, r * up, generator=g) * 0.3
    expected = reference(x, weight, styles, up, bias, noise, 0.5)
    with torch.set_grad_enabled(grad):
        y = modconv_inference(x, weight, styles, up=up, resample_filter=make_fir(), bias=bias, scale=LRELU_GAIN)
        y = lrelu_tail(y, noise * LRELU_GAIN, 0.5)
    assert y.shape == expected.shape == (n, o, r * up, r * up)
    assert (y - expected).abs().max().item() < 1e-5
    if channels_last and n == 1:
        assert y.is_contiguous(memory_format=torch.channels_last)


def test_modconv_inference_without_demodulation_is_a_plain_modulated_conv() -> None:
    g = torch.Generator().manual_seed(0)
    x, weight, styles = torch.randn(2, 4, 5, 5, generator=g), torch.randn(3, 4, 1, 1, generator=g), torch.randn(2, 4)
    expected = modulated_conv2d(x, weight, styles, demodulate=False) + torch.ones(3).reshape(1, 3, 1, 1)
    y = modconv_inference(x, weight, styles, demodulate=False, bias=torch.ones(3))
    assert (y - expected).abs().max().item() < 1e-5


def test_modconv_inference_checks_shapes() -> None:
    with pytest.raises(ValueError, match="modconv shapes"):
        modconv_inference(torch.zeros(1, 4, 4, 4), torch.zeros(2, 3, 3, 3), torch.zeros(1, 4))


def small_generator():
    cfg = StyleGAN2Config(resolution=32, z_dim=8, w_dim=8, mapping_layers=2, channels=(16, 16, 8, 8), conv_clamp=256)
    torch.manual_seed(0)
    model = get_family("stylegan2").new(cfg)
    for layer in model.module.synthesis.layers:  # exercise the noise path
        layer.noise_strength.data.fill_(0.3)
    return model


@pytest.mark.parametrize("noise_mode", ["const", "random", "none"])
def test_eval_synthesis_equals_the_training_form(noise_mode: str) -> None:
    model = small_generator()
    syn = model.module.synthesis
    ws = model.map(model.sample_z([1, 2]))
    with torch.no_grad():
        fast = syn(ws, noise_mode=noise_mode, noise_seed=5)
        syn.train()
        slow = syn(ws, noise_mode=noise_mode, noise_seed=5)
        syn.eval()
        one = syn(ws[:1], noise_mode=noise_mode, noise_seed=5)
    assert (fast - slow).abs().max().item() < 1e-5
    if noise_mode != "random":  # random noise differs with the batch size
        assert (one - slow[:1]).abs().max().item() < 1e-5


def test_eval_synthesis_back_propagates_like_the_training_form() -> None:
    model = small_generator()
    syn = model.module.synthesis
    ws0 = model.map(model.sample_z([3])).detach()
    grads = []
    for train in (False, True):
        syn.train(train)
        ws = ws0.clone().requires_grad_(True)
        syn(ws).square().mean().backward()
        grads.append(ws.grad)
    syn.eval()
    assert (grads[0] - grads[1]).abs().max().item() < 1e-5 * max(1.0, grads[1].abs().max().item())


def test_max_resolution_returns_the_rgb_accumulated_so_far() -> None:
    model = small_generator()
    syn = model.module.synthesis
    ws = model.map(model.sample_z([4]))
    assert syn.block_resolutions == (4, 8, 16, 32)
    with torch.no_grad():
        low = syn(ws, max_resolution=8)
        syn.train()  # the same sum by hand, through the training forms
        b4, b8 = syn.blocks[0], syn.blocks[1]
        x = b4.conv1(b4.const.unsqueeze(0), ws[:, 0], b4.conv1.make_noise("const", 1))
        img = b4.torgb(x, ws[:, 1])
        x = b8.conv0(x, ws[:, 1], b8.conv0.make_noise("const", 1))
        x = b8.conv1(x, ws[:, 2], b8.conv1.make_noise("const", 1))
        img = upsample2d(img, b8.resample_filter) + b8.torgb(x, ws[:, 3])
        syn.eval()
    assert low.shape == (1, 3, 8, 8)
    assert (low - img).abs().max().item() < 1e-5
    with pytest.raises(ValueError, match="max_resolution"):
        syn(ws, max_resolution=12)


def test_bf16_compute_dtype_stays_close_to_float32() -> None:
    model = small_generator()
    ws = model.map(model.sample_z([7]))
    with torch.no_grad():
        ref = model.module.synthesis(ws)
        with compute_dtype(torch.bfloat16):
            low = model.module.synthesis(ws)
    assert low.dtype == torch.float32  # the image is accumulated in float32
    err = (low - ref).abs().max().item()
    assert 0 < err < 0.05 * max(1.0, ref.abs().max().item())
