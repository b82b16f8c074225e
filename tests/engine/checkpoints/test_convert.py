"""Converting foreign checkpoints to the native format keeps every output identical."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints.convert import convert
from engine.checkpoints.loader import load_model
from engine.checkpoints.sniff import NATIVE, sniff

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"parity fixtures not found at {FIXTURES}")

CASES = [
    (
        "rosinality_stylegan2/stylegan2_rosinality_train_ckpt.pt",
        "rosinality_stylegan2/stylegan2_rosinality_io.npz",
    ),
    (
        "nvlabs_stylegan2_ada/stylegan2ada_cond10_res32.pkl",
        "nvlabs_stylegan2_ada/stylegan2ada_cond10_res32_io.npz",
    ),
]


@pytest.mark.parametrize(("rel", "io_rel"), CASES, ids=["rosinality", "nvlabs"])
@torch.no_grad()
def test_convert_round_trip(tmp_path: Path, rel: str, io_rel: str) -> None:
    src = FIXTURES / rel
    with np.load(FIXTURES / io_rel) as f:
        z = torch.from_numpy(f["in_z"])
        c = torch.from_numpy(f["in_c"]) if "in_c" in f.files else None
        ref_img = torch.from_numpy(f["out_img_psi07"] if "out_img_psi07" in f.files else f["out_img_trunc1"])
        psi = float(f["in_psi"]) if "in_psi" in f.files else 1.0

    out = convert(src, tmp_path / "x.safetensors")
    assert out == tmp_path / "x.safetensors" and sniff(out) == NATIVE
    doc = json.loads((tmp_path / "x.json").read_text())
    assert doc["provenance"]["converted_from"] == str(src)
    assert doc["provenance"]["source_format"] == doc["source"] == ("nvlabs" if rel.endswith(".pkl") else "rosinality")

    foreign, native = load_model(src), load_model(out)
    assert native.config == foreign.config
    assert native.class_names == foreign.class_names
    assert torch.equal(native.w_avg, foreign.w_avg)
    for name, t in foreign.module.state_dict().items():
        assert torch.equal(native.module.state_dict()[name], t), name
    a = foreign.generate(z, c, psi=psi, noise_mode="const")
    b = native.generate(z, c, psi=psi, noise_mode="const")
    assert torch.equal(a, b)
    assert (b - ref_img).abs().max().item() < 1e-4
