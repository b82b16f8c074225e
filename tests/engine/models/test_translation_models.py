"""Shapes and structure of the image-to-image networks (PatchGAN, StarGAN discriminator, U-Net skips)."""

from __future__ import annotations

import pytest
import torch

from engine.models.cyclegan import CycleGANConfig, ResnetGenerator
from engine.models.pix2pix import PatchDiscriminator, Pix2PixConfig, UnetGenerator
from engine.models.stargan import StarGANConfig, StarGANDiscriminator, StarGANGenerator


def test_patchgan_has_a_70_pixel_receptive_field():
    torch.manual_seed(0)
    d = PatchDiscriminator(3, ndf=4, n_layers=3, norm="none").eval()
    x = torch.zeros(1, 3, 128, 128, requires_grad=True)
    out = d(x)
    assert out.shape == (1, 1, 14, 14)  # 128 → 64 → 32 → 16 → 15 → 14
    out[0, 0, 7, 7].backward()
    rows = (x.grad[0].abs().sum(dim=(0, 2)) > 0).nonzero().flatten()
    assert rows.max() - rows.min() + 1 == 70


def test_stargan_discriminator_heads():
    cfg = StarGANConfig(resolution=32, c_dim=4, d_conv_dim=4, d_repeat_num=3)
    src, cls = StarGANDiscriminator(cfg)(torch.zeros(2, 3, 32, 32))
    assert src.shape == (2, 1, 4, 4) and cls.shape == (2, 4)
    with pytest.raises(ValueError):
        StarGANDiscriminator(cfg)(torch.zeros(2, 3, 16, 16))


def test_generators_check_their_input():
    unet = UnetGenerator(Pix2PixConfig(resolution=32, num_downs=5, ngf=4))
    with pytest.raises(ValueError, match="divisible by 32"):
        unet(torch.zeros(1, 3, 48, 40))
    with pytest.raises(ValueError, match="expects images"):
        unet(torch.zeros(1, 1, 32, 32))
    res = ResnetGenerator(CycleGANConfig(resolution=16, ngf=4, n_blocks=1))
    assert res(torch.zeros(1, 3, 20, 28)).shape == (1, 3, 20, 28)  # fully convolutional
    star = StarGANGenerator(StarGANConfig(resolution=16, c_dim=2, conv_dim=4, repeat_num=1, d_repeat_num=2))
    with pytest.raises(ValueError, match="labels"):
        star(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3))


def test_unet_dropout_levels_follow_the_paper():
    g = UnetGenerator(Pix2PixConfig(resolution=256, num_downs=8, ngf=2))
    drops = [m for m in g.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(drops) == 3  # the three 8·ngf levels between the innermost and the 4·ngf level
    assert not [
        m
        for m in UnetGenerator(Pix2PixConfig(resolution=256, ngf=2, dropout=False)).modules()
        if isinstance(m, torch.nn.Dropout)
    ]
