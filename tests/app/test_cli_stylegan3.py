"""``latentlab`` commands on NVlabs StyleGAN3 pickles (fixtures §7)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main

FIXTURES = (Path(__file__).parents[2] / ".." / "shared" / "fixtures").resolve()
SG3 = FIXTURES / "nvlabs_stylegan3"
pytestmark = pytest.mark.skipif(not SG3.is_dir(), reason=f"parity fixtures not found at {SG3}")


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


@pytest.mark.parametrize(("name", "config"), [("stylegan3t_uncond_res32", "T"), ("stylegan3r_cond5_res32", "R")])
def test_info_names_family_and_config(capsys: pytest.CaptureFixture[str], name: str, config: str) -> None:
    rc, out, err = cli(capsys, "info", SG3 / f"{name}.pkl")
    assert rc == 0, err
    top = [line.split(None, 1) for line in out.splitlines() if line[:1] not in (" ", "")]
    lines = {kv[0]: kv[1] for kv in top if len(kv) == 2}
    assert lines["family"] == "stylegan3"
    assert lines["architecture"].startswith(f"StyleGAN3-{config} (config {config}:")
    rc, out, _ = cli(capsys, "info", SG3 / f"{name}.pkl", "--json")
    doc = json.loads(out)
    assert doc["family"] == "stylegan3" and doc["architecture"].startswith(f"StyleGAN3-{config}")
    assert doc["capabilities"]["input_transform"] is True and doc["capabilities"]["noise_layers"] is None
    assert doc["config"]["conv_kernel"] == (1 if config == "R" else 3)


@pytest.mark.parametrize("name", ["stylegan3t_uncond_res32", "stylegan3r_cond5_res32"])
def test_generate_with_translate_and_rotate_matches_nvlabs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    """``generate --translate X,Y --rotate DEG`` is gen_images.py's --translate/--rotate (fixture §7)."""
    with np.load(SG3 / f"{name}_io.npz") as f:
        io = {k: np.asarray(f[k]) for k in f.files}
    np.save(tmp_path / "z.npy", io["in_z"])
    labels = ["--c-npy", tmp_path / "c.npy"] if io["in_c"].shape[1] else []
    np.save(tmp_path / "c.npy", io["in_c"])
    x, y = (float(v) for v in io["in_transform_translate"])
    rc, _, err = cli(
        capsys, "generate", SG3 / f"{name}.pkl", "--z-npy", tmp_path / "z.npy", *labels,
        "--psi", 0.7, "--cutoff", 4, f"--translate={x},{y}", "--rotate", float(io["in_transform_angle_deg"]),
        "--out-npy", tmp_path / "img.npy", "--batch", 2,
    )  # fmt: skip
    assert rc == 0, err
    img = np.load(tmp_path / "img.npy")
    assert np.abs(img - io["out_img_psi07_cutoff_transform"]).max() <= 1e-5
    assert np.abs(img - io["out_img_psi07_cutoff"]).max() > 0.01


def test_translate_and_rotate_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pkl = SG3 / "stylegan3t_uncond_res32.pkl"
    out = ["--seeds", "0", "--out-npy", tmp_path / "x.npy"]
    rc, _, err = cli(capsys, "generate", pkl, *out, "--translate", "0.1")
    assert rc != 0 and "--translate must be X,Y (two numbers), got '0.1'" in err and len(err.strip().splitlines()) == 1
    rc, _, err = cli(capsys, "generate", pkl, *out, "--rotate", "nan")
    assert rc != 0 and "finite" in err
    sg2 = FIXTURES / "nvlabs_stylegan2_ada" / "stylegan2ada_uncond_res32.pkl"
    rc, _, err = cli(capsys, "generate", sg2, *out, "--rotate", "10")
    assert rc != 0 and "stylegan2 models have no input transform" in err
    assert not (tmp_path / "x.npy").exists()
