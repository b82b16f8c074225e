"""Parity of NVlabs stylegan3 pickles (configs T and R) against the reference outputs (fixtures §7)."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError, nvlabs, nvlabs_stylegan3
from engine.checkpoints.convert import convert
from engine.checkpoints.loader import load_model
from engine.checkpoints.safe_unpickle import NumericArray, PersistentObject, load_pickle
from engine.families import LoadedModel, get_family
from engine.input_transform import InputTransform, user_matrix

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
SG3 = FIXTURES / "nvlabs_stylegan3"
pytestmark = pytest.mark.skipif(not SG3.is_dir(), reason=f"parity fixtures not found at {SG3}")

NAMES = ["stylegan3t_uncond_res32", "stylegan3r_cond5_res32"]
ATOL = 1e-5  # images are scaled by 0.25 (|x| ≤ 0.32): 1e-4 would be loose


def _io(name: str) -> dict[str, torch.Tensor]:
    with np.load(SG3 / f"{name}_io.npz") as f:
        return {k: torch.from_numpy(np.asarray(f[k])) for k in f.files}


@pytest.fixture(scope="module", params=NAMES)
def case(request: pytest.FixtureRequest) -> tuple[str, LoadedModel, dict[str, torch.Tensor]]:
    return request.param, load_model(SG3 / f"{request.param}.pkl"), _io(request.param)


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL) -> None:
    assert actual.shape == expected.shape
    err = (actual - expected).abs().max().item()
    assert err <= atol, f"max abs error {err:.3g} > {atol}"


def labels(model: LoadedModel, io: dict[str, torch.Tensor]) -> torch.Tensor | None:
    return io["in_c"] if model.config.c_dim > 0 else None


def fixture_transform(io: dict[str, torch.Tensor]) -> InputTransform:
    x, y = (float(v) for v in io["in_transform_translate"])
    return InputTransform(x, y, float(io["in_transform_angle_deg"]))


def test_config_and_capabilities(case: tuple[str, LoadedModel, dict[str, torch.Tensor]]) -> None:
    name, model, io = case
    cfg = model.config
    assert model.family == "stylegan3" and model.meta["source"] == "nvlabs" and model.meta["generator"] == "G_ema"
    assert (cfg.resolution, cfg.z_dim, cfg.w_dim, cfg.mapping_layers, cfg.num_ws) == (32, 64, 64, 2, 16)
    r = name.startswith("stylegan3r")
    assert cfg.variant == ("r" if r else "t") and cfg.conv_kernel == (1 if r else 3)
    widths = (128, 108, 91, 76, 64, 64, 3) if r else (64, 54, 45, 38, 32, 32, 3)
    assert cfg.channels == (widths[0],) * 9 + widths[1:]
    sizes = [layer.spec.out_size for layer in model.module.synthesis.layers]
    assert sizes == [36] * 5 + [52] * 8 + [32, 32]
    assert model.module.synthesis.layers[5].spec.up == 4  # 16 → 32 samples per unit
    caps = model.capabilities
    assert caps.input_transform and not caps.noise_layers
    assert caps.w_space.num_ws == 16 and caps.w_space.layer_resolutions == (16,) * 6 + (32,) * 10
    assert len(caps.classes) == io["in_c"].shape[1]
    close(model.w_avg, io["in_w_avg"], 0.0)


@torch.no_grad()
def test_mapping_and_truncation(case: tuple[str, LoadedModel, dict[str, torch.Tensor]]) -> None:
    _, model, io = case
    z, c, psi, cutoff = io["in_z"], labels(model, io), float(io["in_psi"]), int(io["in_truncation_cutoff"])
    close(model.map(z, c), io["out_ws_psi1"])
    close(model.map(z, c, psi=psi), io["out_ws_psi07"])
    close(model.map(z, c, psi=psi, cutoff=cutoff), io["out_ws_psi07_cutoff"])


@torch.no_grad()
def test_images(case: tuple[str, LoadedModel, dict[str, torch.Tensor]]) -> None:
    _, model, io = case
    z, c, psi, cutoff = io["in_z"], labels(model, io), float(io["in_psi"]), int(io["in_truncation_cutoff"])
    close(model.synthesize(model.map(z, c)), io["out_img_psi1"])
    close(model.synthesize(model.map(z, c, psi=psi)), io["out_img_psi07"])
    close(model.synthesize(model.map(z, c, psi=psi, cutoff=cutoff), noise_mode="none"), io["out_img_psi07_cutoff"])
    close(model.synthesize(io["out_ws_psi1"]), io["out_img_synth_from_ws"])


@torch.no_grad()
def test_images_with_input_transform(case: tuple[str, LoadedModel, dict[str, torch.Tensor]]) -> None:
    _, model, io = case
    z, c, psi, cutoff = io["in_z"], labels(model, io), float(io["in_psi"]), int(io["in_truncation_cutoff"])
    tr = fixture_transform(io)
    ws = model.map(z, c)
    moved = model.synthesize(ws, transform=tr)
    close(moved, io["out_img_psi1_transform"])
    close(model.generate(z, c, psi=psi, cutoff=cutoff, transform=tr), io["out_img_psi07_cutoff_transform"])
    # The raw matrix, and one matrix per sample, say the same (two samples are enough here).
    expected = io["out_img_psi1_transform"][:2]
    close(model.synthesize(ws[:2], transform=io["in_transform"]), expected)
    close(model.synthesize(ws[:2], transform=io["in_transform"].expand(2, 3, 3)), expected)
    # The transform is per call: the stored buffer stays the identity, and the next frame is untransformed.
    assert torch.equal(model.module.synthesis.input.transform, torch.eye(3))
    close(model.synthesize(ws[:1]), io["out_img_psi1"][:1])
    assert (moved - io["out_img_psi1"]).abs().max() > 0.01


def test_transform_convention_matches_nvlabs() -> None:
    """gen_images.make_transform(translate, angle) is the user matrix; its inverse is the input transform."""
    for name in NAMES:
        io = _io(name)
        tr = fixture_transform(io)
        assert (tr.translate_x, tr.translate_y, tr.rotate) == pytest.approx((0.1, -0.05, 20.0))
        assert np.array_equal(tr.user_matrix().astype(np.float32), io["in_transform_user"].numpy())
        assert torch.equal(tr.matrix(), io["in_transform"])
        assert torch.equal(get_family("stylegan3").new(get_family("stylegan3").tiny_config()).input_transform(
            (0.1, -0.05), 20.0
        ).matrix(), io["in_transform"])  # fmt: skip
    m = user_matrix((0.3, 0.2), 90.0)
    assert np.allclose(m, [[0, 1, 0.3], [-1, 0, 0.2], [0, 0, 1]])
    assert InputTransform().is_identity and torch.equal(InputTransform().matrix(), torch.eye(3))
    with pytest.raises(ValueError, match="finite"):
        InputTransform(float("nan"), 0, 0)


@torch.no_grad()
@pytest.mark.parametrize("name", NAMES)
def test_training_copy_g(name: str) -> None:
    path = SG3 / f"{name}.pkl"
    io = _io(name)
    snap = load_pickle(path)
    g = nvlabs_stylegan3.load_generator(path, "G", snap["G"])
    assert g.meta["generator"] == "G"
    c = io["in_c"] if g.config.c_dim else None
    ws = g.map(io["in_z"], c)
    close(ws, io["out_G_ws_psi1"])
    close(g.synthesize(ws), io["out_G_img_psi1"])
    del snap["G_ema"]
    assert nvlabs.load(path, snap).meta["generator"] == "G"


def test_pickle_holds_numeric_arrays_and_never_runs_code(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def forbidden(name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} called while loading a pickle")

        return fail

    path = SG3 / "stylegan3r_cond5_res32.pkl"
    for name in ("exec", "eval", "compile"):
        monkeypatch.setattr(builtins, name, forbidden(name))
    snap = load_pickle(path)
    model = nvlabs.load(path, snap)
    monkeypatch.undo()
    assert calls == []
    syn = snap["G_ema"].state["_modules"]["synthesis"]
    size = syn.state["_modules"]["input"].state["size"]
    assert isinstance(size, NumericArray) and size.dtype == np.int64 and size.tolist() == [36, 36]
    assert isinstance(snap["D"], PersistentObject)
    assert model.config.c_dim == 5 and model.config.variant == "r"


def _mutated(name: str, mutate: Any) -> tuple[Path, Any]:
    path = SG3 / f"{name}.pkl"
    snap = load_pickle(path)
    mutate(snap["G_ema"])
    return path, snap


def _syn(g: PersistentObject) -> PersistentObject:
    return g.state["_modules"]["synthesis"]


def _layer(g: PersistentObject, i: int) -> PersistentObject:
    mods = _syn(g).state["_modules"]
    return mods[[n for n in mods if n.startswith(f"L{i}_")][0]]


def test_refuses_what_the_native_module_would_compute_differently() -> None:
    def padding(g: PersistentObject) -> None:
        _layer(g, 3).state["padding"] = [10, 10, 10, 10]

    def input_band(g: PersistentObject) -> None:
        _syn(g).state["_modules"]["input"].state["bandwidth"] = np.float64(3.0)

    def size(g: PersistentObject) -> None:
        _layer(g, 6).state["out_size"] = np.array([50, 50])

    def layer_names(g: PersistentObject) -> None:
        mods = _syn(g).state["_modules"]
        renamed = {("L99_52_64" if k == "L5_52_64" else k): v for k, v in mods.items()}
        mods.clear()
        mods.update(renamed)
        _syn(g).state["layer_names"] = [n for n in renamed if n != "input"]

    def extra_tensor(g: PersistentObject) -> None:
        _layer(g, 2).state["_buffers"]["mystery"] = torch.zeros(2)

    def missing_filter(g: PersistentObject) -> None:
        _layer(g, 2).state["_buffers"]["up_filter"] = None

    def channel_mismatch(g: PersistentObject) -> None:
        _layer(g, 4).state["_parameters"]["weight"] = torch.zeros(32, 64, 3, 3)

    def huge(g: PersistentObject) -> None:
        _syn(g).state["_init_kwargs"]["num_layers"] = 10**9

    cases = [
        (huge, "num_layers must be at most"),
        (padding, "padding"),
        (input_band, "bandwidth"),
        (size, "out_size"),
        (layer_names, "unexpected StyleGAN3 synthesis module 'L99_52_64'"),
        (extra_tensor, "mystery"),
        (missing_filter, "up_filter"),
        (channel_mismatch, "L4_36_64"),
    ]
    for mutate, match in cases:
        path, snap = _mutated("stylegan3t_uncond_res32", mutate)
        with pytest.raises(CheckpointError, match=match):
            nvlabs.load(path, snap)


@torch.no_grad()
@pytest.mark.parametrize("name", NAMES)
def test_convert_round_trip(tmp_path: Path, name: str) -> None:
    src = SG3 / f"{name}.pkl"
    io = _io(name)
    out = convert(src, tmp_path / "m.safetensors")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["family"] == "stylegan3" and doc["source"] == "nvlabs" and doc["capabilities"]["input_transform"]
    foreign, native = load_model(src), load_model(out)
    assert native.config == foreign.config and native.capabilities == foreign.capabilities
    for k, t in foreign.module.state_dict().items():
        assert torch.equal(native.module.state_dict()[k], t), k
    z, c = io["in_z"], labels(foreign, io)
    tr = fixture_transform(io)
    for kwargs in ({}, {"psi": 0.7, "cutoff": 4, "transform": tr}):
        a, b = foreign.generate(z, c, **kwargs), native.generate(z, c, **kwargs)
        assert torch.equal(a, b)
    close(native.generate(z, c, psi=0.7, cutoff=4, transform=tr), io["out_img_psi07_cutoff_transform"])
