"""Parity of NVlabs stylegan2-ada-pytorch pickles against the reference outputs (fixtures §2)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError, nvlabs
from engine.checkpoints.loader import load_model
from engine.checkpoints.safe_unpickle import PersistentObject, load_pickle
from engine.families import LoadedModel

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
NV = FIXTURES / "nvlabs_stylegan2_ada"
pytestmark = pytest.mark.skipif(not NV.is_dir(), reason=f"parity fixtures not found at {NV}")

NAMES = ["stylegan2ada_uncond_res32", "stylegan2ada_cond10_res32"]
ATOL = 1e-4


@pytest.fixture(scope="module", params=NAMES)
def case(request: pytest.FixtureRequest) -> tuple[LoadedModel, dict[str, torch.Tensor]]:
    with np.load(NV / f"{request.param}_io.npz") as f:
        io = {k: torch.from_numpy(np.asarray(f[k])) for k in f.files}
    return load_model(NV / f"{request.param}.pkl"), io


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL) -> None:
    assert actual.shape == expected.shape
    err = (actual - expected).abs().max().item()
    assert err <= atol, f"max abs error {err:.3g} > {atol}"


def labels(model: LoadedModel, io: dict[str, torch.Tensor]) -> torch.Tensor | None:
    return io["in_c"] if model.config.c_dim > 0 else None


def test_config_and_meta(case: tuple[LoadedModel, dict[str, torch.Tensor]]) -> None:
    model, io = case
    cfg = model.config
    assert (cfg.resolution, cfg.z_dim, cfg.w_dim, cfg.mapping_layers, cfg.num_ws) == (32, 128, 128, 8, 8)
    assert cfg.channels == (64, 64, 64, 32)
    assert cfg.conv_clamp == 256
    assert model.meta["source"] == "nvlabs" and model.meta["generator"] == "G_ema"
    assert model.meta["classes"] == [f"class {i}" for i in range(io["in_c"].shape[1])]
    close(model.w_avg, io["in_w_avg"], 0.0)


@torch.no_grad()
def test_mapping_and_truncation(case: tuple[LoadedModel, dict[str, torch.Tensor]]) -> None:
    model, io = case
    z, c, psi, cutoff = io["in_z"], labels(model, io), float(io["in_psi"]), int(io["in_truncation_cutoff"])
    close(model.map(z, c), io["out_ws_psi1"], 1e-5)
    close(model.map(z, c, psi=psi), io["out_ws_psi07"], 1e-5)
    close(model.map(z, c, psi=psi, cutoff=cutoff), io["out_ws_psi07_cutoff"], 1e-5)


@torch.no_grad()
def test_images(case: tuple[LoadedModel, dict[str, torch.Tensor]]) -> None:
    model, io = case
    z, c, psi, cutoff = io["in_z"], labels(model, io), float(io["in_psi"]), int(io["in_truncation_cutoff"])
    ws = model.map(z, c)
    close(model.synthesize(ws, noise_mode="const"), io["out_img_psi1"])
    close(model.synthesize(model.map(z, c, psi=psi), noise_mode="const"), io["out_img_psi07"])
    close(
        model.synthesize(model.map(z, c, psi=psi, cutoff=cutoff), noise_mode="const"),
        io["out_img_psi07_cutoff"],
    )
    close(model.synthesize(ws, noise_mode="none"), io["out_img_psi1_noise_none"])
    close(model.synthesize(io["out_ws_psi1"], noise_mode="const"), io["out_img_synth_from_ws"])
    close(model.generate(z, c, psi=psi, noise_mode="const"), io["out_img_psi07"])


def test_loads_g_ema_not_training_copy() -> None:
    path = NV / "stylegan2ada_uncond_res32.pkl"
    snap = load_pickle(path)
    ema, train = nvlabs.flatten(snap["G_ema"], path), nvlabs.flatten(snap["G"], path)
    model = load_model(path)
    ours = model.module.synthesis.blocks[2].conv0.weight
    assert torch.equal(ours, ema["synthesis.b16.conv0.weight"])
    assert not torch.equal(ours, train["synthesis.b16.conv0.weight"])
    assert len(ema) == 87


def test_embedded_source_is_never_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def forbidden(name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} called while loading a pickle")

        return fail

    for name in ("exec", "eval", "compile"):
        monkeypatch.setattr(builtins, name, forbidden(name))
    snap = load_pickle(NV / "stylegan2ada_cond10_res32.pkl")
    model = nvlabs.load(NV / "stylegan2ada_cond10_res32.pkl", snap)
    monkeypatch.undo()
    assert calls == []
    assert isinstance(snap["G_ema"], PersistentObject) and isinstance(snap["augment_pipe"], PersistentObject)
    assert "module_src" not in snap["G_ema"].state
    assert model.config.c_dim == 10


def _mutated(mutate: Any) -> tuple[Path, Any]:
    path = NV / "stylegan2ada_uncond_res32.pkl"
    snap = load_pickle(path)
    mutate(snap["G_ema"])
    return path, snap


def test_refuses_unsupported_architectures() -> None:
    def resnet(g: PersistentObject) -> None:
        g.state["_init_kwargs"]["synthesis_kwargs"]["architecture"] = "resnet"

    def stylegan3(g: PersistentObject) -> None:
        mods = g.state["_modules"]["synthesis"].state["_modules"]
        mods["input"] = mods.pop("b4")

    def extra_tensor(g: PersistentObject) -> None:
        g.state["_modules"]["mapping"].state["_parameters"]["mystery"] = torch.zeros(2)

    for mutate, match in ((resnet, "resnet"), (stylegan3, "StyleGAN3"), (extra_tensor, "mystery")):
        path, snap = _mutated(mutate)
        with pytest.raises(CheckpointError, match=match):
            nvlabs.load(path, snap)


def test_falls_back_to_g_without_g_ema() -> None:
    path = NV / "stylegan2ada_uncond_res32.pkl"
    snap = load_pickle(path)
    del snap["G_ema"]
    model = nvlabs.load(path, snap)
    assert model.meta["generator"] == "G"
