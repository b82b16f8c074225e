"""The native format: lossless round trip of a tiny StyleGAN2, and clear errors for corrupt files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.checkpoints import CheckpointError, load_native, save_native
from engine.checkpoints.loader import load_model
from engine.families import LoadedModel, get_family


@pytest.fixture()
def tiny() -> LoadedModel:
    family = get_family("stylegan2")
    torch.manual_seed(0)
    cfg = family.tiny_config()
    model = family.new(cfg, {"name": "tiny", "classes": []})
    with torch.no_grad():  # make every tensor non-trivial, so a dropped one shows
        for t in model.module.state_dict().values():
            if t.dtype.is_floating_point:
                t.add_(0.1 * torch.randn_like(t))
    return model


@torch.no_grad()
def test_round_trip_identical_outputs(tmp_path: Path, tiny: LoadedModel) -> None:
    path = save_native(tiny, tmp_path / "tiny.safetensors", provenance={"test": True})
    assert path.exists() and path.with_suffix(".json").exists()
    for loaded in (load_native(path), load_model(path), load_model(path.with_suffix(".json"))):
        assert loaded.config == tiny.config
        assert loaded.meta["provenance"] == {"test": True}
        for name, t in tiny.module.state_dict().items():
            assert torch.equal(loaded.module.state_dict()[name], t), name
        z = tiny.sample_z([1, 2, 3])
        for mode in ("const", "none"):
            assert torch.equal(loaded.generate(z, psi=0.7, noise_mode=mode), tiny.generate(z, psi=0.7, noise_mode=mode))
        assert torch.equal(
            loaded.synthesize(tiny.map(z), noise_mode="random", noise_seed=5),
            tiny.synthesize(tiny.map(z), noise_mode="random", noise_seed=5),
        )


def test_embedded_description_without_sidecar(tmp_path: Path, tiny: LoadedModel) -> None:
    path = save_native(tiny, tmp_path / "tiny.safetensors")
    path.with_suffix(".json").unlink()
    assert load_model(path).config == tiny.config


def test_corrupt_json(tmp_path: Path, tiny: LoadedModel) -> None:
    path = save_native(tiny, tmp_path / "tiny.safetensors")
    path.with_suffix(".json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(CheckpointError, match="JSON"):
        load_model(path)
    path.with_suffix(".json").write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    with pytest.raises(CheckpointError, match="not a LatentLab"):
        load_native(path)


def test_corrupt_safetensors(tmp_path: Path, tiny: LoadedModel) -> None:
    path = save_native(tiny, tmp_path / "tiny.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated tensor data
    with pytest.raises(CheckpointError):
        load_model(path)
    path.write_bytes(data[:8] + b"#" + data[9:])  # broken header
    with pytest.raises(CheckpointError):
        load_model(path)
    path.write_bytes(b"")
    with pytest.raises(CheckpointError):
        load_model(path)


def test_tensors_that_do_not_match_the_config(tmp_path: Path, tiny: LoadedModel) -> None:
    path = save_native(tiny, tmp_path / "tiny.safetensors")
    doc = json.loads(path.with_suffix(".json").read_text())
    doc["config"]["channels"] = [8, 8, 8]
    path.with_suffix(".json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CheckpointError, match="do not match"):
        load_model(path)
