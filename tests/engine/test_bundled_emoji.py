"""The bundled emoji generators of issue 4 — PGGAN, StyleGAN (v1) and StyleGAN2 on the same data at
64×64 — load, generate varied images, expose their family's controls, and carry FID/PPL measured with
the same emoji feature network (the README's comparison)."""

from __future__ import annotations

import pytest
import torch

from engine import zoo
from engine.checkpoints.loader import load_model

SYSTEMS = {"emoji-stylegan2": "stylegan2", "emoji-stylegan": "stylegan", "emoji-pggan": "pggan"}


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_bundled_emoji_generator(name: str) -> None:
    entry = zoo.find(name)
    assert entry is not None, f"{name} is not bundled"
    model = load_model(name)
    caps = model.capabilities
    assert caps.family == SYSTEMS[name] and caps.resolution == 64 and caps.channels == 3
    with torch.no_grad():
        x = model.generate(model.sample_z([0, 1, 2, 3]))
    assert x.shape == (4, 3, 64, 64) and torch.isfinite(x).all()
    assert x.std() > 0.2 and (x[0] - x[1]).abs().mean() > 0.05
    if caps.w_space is not None:  # the style controls: mixing coarse layers from another seed changes the image
        with torch.no_grad():
            ws = model.map(model.sample_z([0, 1]))
            mixed = ws[:1].clone()
            mixed[:, :4] = ws[1:, :4]
            a, b = model.synthesize(ws[:1]), model.synthesize(mixed)
        assert (a - b).abs().mean() > 0.02
    else:  # PGGAN: grown to 64×64 and fully faded in; every level can be viewed
        assert caps.progressive is not None and caps.progressive.levels[-1] == 64
        assert caps.progressive.alpha == 1.0
        with torch.no_grad():
            z = model.sample_z([0])
            low = model.generate(z, level=1, alpha=1.0, native=True)
            half = model.generate(z, level=4, alpha=0.5)
            full = model.generate(z)
        assert low.shape == (1, 3, 8, 8) and torch.isfinite(low).all()
        assert 0 < (half - full).abs().mean() < (model.generate(z, level=3, alpha=1.0) - full).abs().mean() + 1e-6


def test_emoji_models_are_measured_with_one_feature_network() -> None:
    models = zoo.manifest()["models"]
    features = {models[n]["metrics"]["features"] for n in SYSTEMS}
    assert len(features) == 1 and "emoji-classifier" in features.pop()
    for name in SYSTEMS:
        m = models[name]["metrics"]
        assert m["against"] == "demo:emoji" and m["n"] == 2308 and m["fid"] > 0 and m["ppl"] > 0
        assert models[name]["images_seen"] == models[name]["steps"] * models[name]["batch"]
