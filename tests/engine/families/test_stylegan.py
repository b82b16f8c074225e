"""StyleGAN v1: layer layout, learned per-channel noise scales, AdaIN styles per layer."""

from __future__ import annotations

import pytest
import torch

from engine.families import get_family


def test_layout_noise_and_styles():
    torch.manual_seed(0)
    fam = get_family("stylegan")
    model = fam.new(fam.tiny_config())
    caps = model.capabilities
    assert caps.w_space.num_ws == caps.noise_layers == 6
    assert caps.noise_resolutions == caps.w_space.layer_resolutions == (4, 4, 8, 8, 16, 16)
    assert model.layer_names() == ["b4.conv0", "b4.conv1", "b8.conv0", "b8.conv1", "b16.conv0", "b16.conv1"]
    ws = model.map(model.sample_z([1]))
    assert caps.preview_resolutions == ()
    with pytest.raises(ValueError, match="no preview"):
        model.synthesize(ws, preview=8)
    with torch.no_grad():
        # Noise scales start at zero: the noise mode does not matter until they are learned.
        torch.testing.assert_close(model.synthesize(ws, "const"), model.synthesize(ws, "none"))
        model.module.synthesis.layers[3].noise_weight.fill_(0.5)
        a, b = model.synthesize(ws, "const"), model.synthesize(ws, "none")
        assert (a - b).abs().max() > 1e-4
        off = [1.0] * 6
        off[3] = 0.0
        torch.testing.assert_close(model.synthesize(ws, "const", noise_strengths=off), b)
        # Each layer's style matters: changing only style 5's w changes the image.
        ws2 = ws.clone()
        ws2[:, 5] = model.map(model.sample_z([2]))[:, 5]
        assert (model.synthesize(ws2, "none") - b).abs().max() > 1e-4
        # Truncation with psi 0 and cutoff 2 pulls only the first two styles to w_avg.
        t = model.truncate(ws, 0.0, cutoff=2)
        assert torch.equal(t[:, :2], model.w_avg.expand(1, 2, -1)) and torch.equal(t[:, 2:], ws[:, 2:])
