"""``latentlab invert``: projection and encoders from image files, npy parity with pSp, bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from app.cli import main
from engine.checkpoints.native import save_native
from engine.families import get_family
from engine.latent.invert import load_latent

FIXTURES = (Path(__file__).parents[2] / ".." / "shared" / "fixtures").resolve()
PSP = FIXTURES / "psp"


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("invert")
    out = {}
    for name in ("stylegan2", "psp", "vae", "dcgan"):
        torch.manual_seed(0)
        fam = get_family(name)
        out[name] = save_native(fam.new(fam.tiny_config()), d / f"{name}.safetensors")
    return out


@pytest.fixture
def image(tmp_path: Path) -> Path:
    p = tmp_path / "photo.png"
    rng = np.random.RandomState(0)
    Image.fromarray(rng.randint(0, 255, (30, 40, 3), dtype=np.uint8)).save(p)
    return p


def test_project_writes_latent_and_reconstruction(ckpts, image, tmp_path, capsys):
    lat, rec = tmp_path / "lat.npz", tmp_path / "rec.png"
    argv = ["invert", str(ckpts["stylegan2"]), str(image), "--method", "project", "--steps", "5", "--out", str(lat)]
    assert main([*argv, "--out-image", str(rec)]) == 0
    assert capsys.readouterr().out.split() == [str(lat), str(rec)]
    space, latent, header = load_latent(lat)
    assert space == "w+" and latent.shape == (1, 6, 16) and header["method"] == "project"
    assert Image.open(rec).size == (16, 16)
    assert main([*argv[:-2], "--space", "w", "--no-noise", "--out", str(lat)]) == 0
    space, latent, _ = load_latent(lat)
    assert space == "w" and np.allclose(latent[:, 0], latent[:, -1])


def test_progress_on_a_terminal_only(ckpts, image, tmp_path, capsys, monkeypatch):
    lat = tmp_path / "lat.npz"
    argv = ["invert", str(ckpts["stylegan2"]), str(image), "--method", "project", "--steps", "4", "--out", str(lat)]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""  # piped: nothing extra
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "\n" not in err and "/4" in err and "steps/s" in err  # one tqdm line, rewritten in place, then cleared
    assert main(["invert", str(ckpts["psp"]), str(image), "--out", str(lat)]) == 0
    err = capsys.readouterr().err
    assert "\n" not in err and "/2" in err


def test_encoders(ckpts, image, tmp_path):
    lat = tmp_path / "lat.npz"
    assert main(["invert", str(ckpts["psp"]), str(image), "--out", str(lat)]) == 0  # the encoder by default
    space, latent, header = load_latent(lat)
    assert space == "w+" and latent.shape == (1, 6, 16) and header["family"] == "psp"
    assert main(["invert", str(ckpts["vae"]), str(image), "--out", str(lat), "--method", "encoder"]) == 0
    space, latent, _ = load_latent(lat)
    assert space == "z" and latent.shape == (1, 6)


@pytest.mark.skipif(not PSP.is_dir(), reason=f"parity fixtures not found at {PSP}")
def test_npy_parity_with_the_psp_fixture(tmp_path):
    with np.load(PSP / "psp_ffhq_encode_small_64_io.npz") as f:
        x, expected = f["in_image"], f["out_codes_plus_latent_avg"]
    np.save(tmp_path / "x.npy", x)
    dst = tmp_path / "ws.npy"
    ckpt = PSP / "psp_ffhq_encode_small_64.pt"
    assert main(["invert", str(ckpt), "--in-npy", str(tmp_path / "x.npy"), "--out-npy", str(dst)]) == 0
    ws = np.load(dst)
    assert ws.dtype == np.float32 and ws.shape == expected.shape
    assert np.abs(ws - expected).max() < 1e-4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["invert", "{stylegan2}", "--out", "{o}/l.npz"], "give one IMAGE"),
        (["invert", "{stylegan2}", "{img}"], "nothing to write"),
        (["invert", "{stylegan2}", "{o}/missing.png", "--out", "{o}/l.npz"], "no such image"),
        (["invert", "{stylegan2}", "{txt}", "--out", "{o}/l.npz"], "not a readable image"),
        (["invert", "{dcgan}", "{img}", "--out", "{o}/l.npz"], "no W space"),
        (["invert", "{stylegan2}", "{img}", "--method", "encoder", "--out", "{o}/l.npz"], "no encoder"),
        (["invert", "{stylegan2}", "{img}", "--steps", "0", "--out", "{o}/l.npz"], "--steps"),
        (["invert", "{stylegan2}", "{img}", "--out-image", "{o}/r.xyz"], "unknown image type"),
        (
            ["invert", "{stylegan2}", "--in-npy", "{bad}", "--out-npy", "{o}/w.npy", "--method", "project"],
            "--in-npy must be",
        ),
        (
            ["invert", "{stylegan2}", "--in-npy", "{wrongsize}", "--out-npy", "{o}/w.npy", "--steps", "1"],
            "images must be",
        ),
    ],
)
def test_bad_input_is_one_line(ckpts, image, tmp_path, capsys, argv, message):
    txt = tmp_path / "notes.png"
    txt.write_text("not an image")
    np.save(tmp_path / "bad.npy", np.zeros((2, 3, 16), np.float32))
    np.save(tmp_path / "wrongsize.npy", np.zeros((1, 3, 8, 8), np.float32))
    fmt = {**{k: str(v) for k, v in ckpts.items()}, "img": str(image), "o": str(tmp_path), "txt": str(txt)}
    fmt |= {"bad": str(tmp_path / "bad.npy"), "wrongsize": str(tmp_path / "wrongsize.npy")}
    assert main([a.format(**fmt) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
