"""The bundled classic generators (issue 3): all six systems present, each generates, interpolates,
and the CGAN follows the chosen class (judged by the bundled Fashion-MNIST classifier)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import zoo
from engine.checkpoints.loader import load_model
from engine.latent.ops import slerp
from engine.metrics.features import classifier_extractor

SYSTEMS = {
    "fmnist-gan": "gan",
    "fmnist-cgan": "dcgan",
    "fmnist-cgan-mlp": "gan",
    "fmnist-dcgan": "dcgan",
    "fmnist-wgan-cp": "dcgan",
    "fmnist-wgan-gp": "dcgan",
    "fmnist-vae": "vae",
}


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_bundled_system_generates_and_interpolates(name: str) -> None:
    entry = zoo.find(name)
    assert entry is not None, f"{name} is not bundled"
    model = load_model(name)
    caps = model.capabilities
    assert caps.family == SYSTEMS[name] and caps.resolution == 32 and caps.channels == 1
    seeds = [0, 1]
    with torch.no_grad():
        z = model.sample_z(seeds)
        c = model.one_hot([3, 3], 2) if caps.classes else None
        x = model.generate(z, c)
        assert x.shape == (2, 1, 32, 32) and x.abs().max() <= 1.0
        assert x.std() > 0.2 and (x[0] - x[1]).abs().mean() > 0.02
        ts = torch.linspace(0, 1, 5)
        path = torch.stack([slerp(z[0:1], z[1:2], float(t))[0] for t in ts])
        frames = model.generate(path, None if c is None else c[:1].expand(5, -1))
    assert torch.allclose(frames[0], x[0], atol=1e-5) and torch.allclose(frames[-1], x[1], atol=1e-5)
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert steps.max() < (frames[-1] - frames[0]).abs().mean() * 2  # a path, not jumps


def test_cgan_follows_the_chosen_class() -> None:
    """The MANIFEST's protocol: 10,000 samples, seeds 0.., classes round-robin, judged by the classifier."""
    from engine.metrics.evaluate import class_accuracy
    from engine.metrics.sampling import class_schedule, model_batches

    model = load_model("fmnist-cgan")
    classes = model.capabilities.classes
    assert len(classes) == 10 and classes[9] == "Ankle boot"
    extractor = classifier_extractor()
    n = 10000
    logits = np.concatenate([extractor.extract(x)[1] for x in model_batches(model, n, 500)])
    accuracy = class_accuracy(logits, np.array(class_schedule(n, 10)))
    assert accuracy >= 0.85, f"CGAN class accuracy {accuracy:.3f}"
    assert accuracy == pytest.approx(zoo.find("fmnist-cgan").info["metrics"]["class_accuracy"], abs=1e-4)


def test_vae_encodes_reconstructs_and_has_directions() -> None:
    model = load_model("fmnist-vae")
    caps = model.capabilities
    assert caps.encodes_into == "z" and caps.latent_directions > 0
    comps, std = model.latent_directions()
    assert comps.shape == (caps.latent_directions, caps.z_dim) and (std > 0).all()
    with torch.no_grad():
        sample = model.generate(model.sample_z([7]))
        rec = model.reconstruct(sample)
        moved = model.decode(model.encode(sample) + 3 * std[0] * comps[0])
    assert (rec - sample).abs().mean() < 0.25  # its own samples reconstruct closely
    assert (moved - rec).abs().mean() > 0.05  # the first principal direction changes the image
