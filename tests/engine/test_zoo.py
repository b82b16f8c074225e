"""The bundled models: listed in assets/MANIFEST.json, present, loadable, reproducible from a preset."""

from __future__ import annotations

import json

import numpy as np
import torch

from engine import zoo
from engine.checkpoints.loader import load_model
from training.presets import PRESETS


def test_default_model_is_bundled_and_loads():
    entry = zoo.default_model()
    assert entry is not None, "no bundled default model"
    assert entry.path.exists() and entry.path.with_suffix(".json").exists()
    model = load_model(None)
    caps = model.capabilities
    assert caps.family == entry.family
    assert caps.resolution == entry.info["resolution"]
    with torch.no_grad():
        img = model.generate(model.sample_z([0, 1, 2, 3]))
    x = img.clamp(-1, 1).numpy()
    assert x.std() > 0.1, "the bundled model produces flat images"
    # Samples of different seeds differ (no collapse to one image).
    assert np.abs(x[0] - x[1]).mean() > 0.02


def test_manifest_entries_are_complete_and_reproducible():
    models = zoo.manifest()["models"]
    assert models
    for name, info in models.items():
        for key in ("path", "family", "command", "steps", "wall_time_s", "data", "licence", "sample_grid", "quality"):
            assert info.get(key) is not None, f"{name}: manifest lacks {key}"
        assert (zoo.assets_dir() / info["sample_grid"]).exists()
        preset = info["command"].split("--preset ")[1].split()[0]
        assert preset in PRESETS, f"{name}: preset {preset} does not exist"
        desc = json.loads((zoo.assets_dir() / info["path"]).with_suffix(".json").read_text())
        assert desc["provenance"]["steps"] == info["steps"]
        # The bare preset reproduces the checkpoint: no extra flags, the same steps, batch and data.
        assert info["command"] == f"latentlab train --preset {preset}", f"{name}: {info['command']}"
        assert PRESETS[preset].max_steps == info["steps"], f"{name}: preset stops at {PRESETS[preset].max_steps}"
        assert PRESETS[preset].batch == info["batch"] and PRESETS[preset].data == info["data"], name


def test_find_by_name_and_resolve():
    for entry in zoo.list_models():
        assert zoo.find(entry.name) == entry
    assert zoo.find("no-such-model") is None
