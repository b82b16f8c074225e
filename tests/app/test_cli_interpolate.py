"""``latentlab interpolate``: frames between two seeds as PNG frames, GIF and MP4; bad input."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from app.cli import main
from engine.api import RenderRequest
from engine.checkpoints.loader import load_model
from engine.render import render
from engine.video import output_kind
from tests.app.conftest import make_tiny_model
from tests.app.test_explorer_panels import make_tiny_vae


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("interp")
    return {
        "sg2": make_tiny_model(d / "sg2.safetensors"),
        "vae": make_tiny_vae(d / "vae.safetensors"),
        "sg3": make_tiny_stylegan3(d / "sg3.safetensors"),
    }


def make_tiny_stylegan3(path: Path) -> Path:
    """A tiny native StyleGAN3 (a model with an input transform)."""
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(3)
    fam = get_family("stylegan3")
    return save_native(fam.new(fam.tiny_config()), path)


def test_translate_and_rotate_animated_along_the_walk(ckpts, tmp_path, capsys) -> None:
    """StyleGAN3: --translate/--rotate move every frame; --rotate-to turns the image along the walk."""
    out_dir = tmp_path / "turn"
    args = ["interpolate", str(ckpts["sg3"]), "--seeds", "3", "3", "--frames", "4", "--translate=0.1,-0.05"]
    assert main([*args, "--rotate", "10", "--rotate-to", "100", "--out", f"{out_dir}/"]) == 0
    model = load_model(ckpts["sg3"])
    files = sorted(out_dir.glob("frame_*.png"))
    for f, angle in zip(files, (10.0, 40.0, 70.0, 100.0), strict=True):
        expected = render(model, RenderRequest("m", seed=3, translate_x=0.1, translate_y=-0.05, rotate=angle))
        np.testing.assert_array_equal(np.asarray(imageio.imread(f)).reshape(expected.shape), expected)
    assert not np.array_equal(np.asarray(imageio.imread(files[0])), np.asarray(imageio.imread(files[-1])))
    capsys.readouterr()
    rc = main(["interpolate", str(ckpts["sg2"]), "--seeds", "1", "2", "--rotate-to", "90", "--out", f"{tmp_path}/x/"])
    err = capsys.readouterr().err
    assert rc == 2 and "stylegan2 models have no input transform; --translate-to and --rotate-to need one" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("which", ["sg2", "vae"])
def test_png_frames_start_at_a_and_end_at_b(ckpts, which, tmp_path, capsys) -> None:
    out_dir = tmp_path / "frames"
    rc = main(["interpolate", str(ckpts[which]), "--seeds", "3", "7", "--frames", "5", "--out", f"{out_dir}/"])
    assert rc == 0
    assert capsys.readouterr().out.strip() == str(out_dir)
    files = sorted(out_dir.glob("frame_*.png"))
    assert len(files) == 5
    model = load_model(ckpts[which])
    a, b = render(model, RenderRequest("m", seed=3)), render(model, RenderRequest("m", seed=7))
    first, last = (np.asarray(imageio.imread(f)) for f in (files[0], files[-1]))
    np.testing.assert_array_equal(first.reshape(a.shape), a)
    np.testing.assert_array_equal(last.reshape(b.shape), b)
    assert not np.array_equal(np.asarray(imageio.imread(files[2])).reshape(a.shape), a)


def test_gif_and_mp4(ckpts, tmp_path) -> None:
    gif, mp4 = tmp_path / "a.gif", tmp_path / "a.mp4"
    args = ["interpolate", str(ckpts["sg2"]), "--seeds", "1", "2", "--frames", "6", "--space", "w"]
    assert main([*args, "--method", "lerp", "--scale", "2", "--out", str(gif)]) == 0
    frames = imageio.mimread(gif)
    assert len(frames) == 6 and frames[0].shape[:2] == (32, 32)
    assert main([*args, "--out", str(mp4)]) == 0
    with imageio.get_reader(mp4) as reader:
        n = sum(1 for _ in reader)
    assert n == 6


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--frames", "1"], "--frames must be in 2..1000000, got 1"),
        (["--out", "x.avi"], "unknown output type"),
        (["--space", "w"], "no W space"),
        (["--class", "2"], "unconditional"),
        (["--psi", "0.5"], "no average w"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(ckpts, tmp_path, capsys, extra, needle) -> None:
    argv = ["interpolate", str(ckpts["vae"]), "--seeds", "1", "2", "--out", str(tmp_path / "o.gif"), *extra]
    if "--out" in extra:
        argv = ["interpolate", str(ckpts["vae"]), "--seeds", "1", "2", *extra]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc != 0 and needle in err and err.count("\n") == 1


def test_missing_model_is_one_line(tmp_path, capsys) -> None:
    rc = main(
        ["interpolate", str(tmp_path / "nope.safetensors"), "--seeds", "1", "2", "--out", str(tmp_path / "o.gif")]
    )
    err = capsys.readouterr().err
    assert rc != 0 and err.count("\n") == 1 and err.startswith("latentlab: error:")


def test_output_kind(tmp_path) -> None:
    assert output_kind(tmp_path) == "dir" and output_kind("frames/") == "dir" and output_kind("frames") == "dir"
    assert output_kind("a.GIF") == "gif" and output_kind("b.mp4") == "mp4"
    with pytest.raises(ValueError, match="unknown output type"):
        output_kind("c.webp")


def test_keyframes_loop_and_webm(ckpts, tmp_path) -> None:
    out = tmp_path / "walk.webm"
    rc = main(
        [
            "interpolate",
            str(ckpts["sg2"]),
            "--seeds",
            "1,5,9",
            "--frames",
            "12",
            "--loop",
            "--easing",
            "smooth",
            "--space",
            "w",
            "--size",
            "40",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    frames = [f for f in imageio.get_reader(out)]  # noqa: C416 - list() asks len(), which is inf for webm
    assert len(frames) == 12 and frames[0].shape[0] >= 40
    assert main(["interpolate", str(ckpts["sg2"]), "--seeds", "1", "--out", str(out)]) == 2
    assert main(["interpolate", str(ckpts["sg2"]), "--seeds", "1,x", "--out", str(out)]) == 2


def _inverted(ckpts, tmp_path) -> Path:
    """A W+ latent of the tiny StyleGAN2, written by ``latentlab invert`` (a short projection)."""
    img = tmp_path / "face.png"
    rng = np.random.default_rng(0)
    imageio.imwrite(img, rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    lat = tmp_path / "inv.npz"
    assert main(["invert", str(ckpts["sg2"]), str(img), "--steps", "3", "--out", str(lat)]) == 0
    return lat


def test_wplus_gif_from_an_inverted_latent_and_a_seed(ckpts, tmp_path, capsys) -> None:
    from engine.latent.invert import load_latent

    lat = _inverted(ckpts, tmp_path)
    space, latent, _ = load_latent(lat)
    assert space == "w+" and latent.shape[0] == 1
    capsys.readouterr()
    gif = tmp_path / "walk.gif"
    argv = ["interpolate", str(ckpts["sg2"]), "--keyframes", f"{lat},7", "--space", "wplus", "--frames", "5"]
    assert main([*argv, "--size", "32", "--out", str(gif)]) == 0
    assert capsys.readouterr().out.strip() == str(gif)
    frames = imageio.mimread(gif)
    assert len(frames) == 5 and frames[0].shape[:2] == (32, 32)
    # Lossless frames: the walk starts exactly at the inverted latent and ends at the seed.
    folder = tmp_path / "frames"
    assert main(["interpolate", str(ckpts["sg2"]), "--keyframes", str(lat), "7", "--space", "wplus",
                 "--frames", "5", "--out", f"{folder}/"]) == 0  # fmt: skip
    files = sorted(folder.glob("frame_*.png"))
    model = load_model(ckpts["sg2"])
    ws = tuple(tuple(float(v) for v in row) for row in latent[0].tolist())
    a, b = render(model, RenderRequest("m", ws=ws)), render(model, RenderRequest("m", seed=7))
    np.testing.assert_array_equal(np.asarray(imageio.imread(files[0])).reshape(a.shape), a)
    np.testing.assert_array_equal(np.asarray(imageio.imread(files[-1])).reshape(b.shape), b)


def test_keyframe_errors_are_one_line(ckpts, tmp_path, capsys) -> None:
    lat = _inverted(ckpts, tmp_path)
    capsys.readouterr()
    gif = str(tmp_path / "o.gif")
    cases = [
        (["--keyframes", f"{lat},7", "--space", "z"], "W+ latent (no z)"),
        (["--keyframes", f"{lat},7", "--space", "w"], "per-layer codes: walk in w+ (space wplus)"),
        (["--keyframes", f"3,{tmp_path / 'missing.npz'}"], "neither a seed nor an existing"),
        (["--keyframes", f"3,{lat}#4"], "index 4 is outside"),
        (["--keyframes", str(lat)], "at least two keyframes"),
        (["--seeds", "1", "2", "--keyframes", "3", "4"], "not allowed with"),
    ]
    for extra, needle in cases:
        rc = main(["interpolate", str(ckpts["sg2"]), *extra, "--out", gif])
        err = capsys.readouterr().err
        assert rc != 0 and needle in err and err.count("\n") == 1, (extra, err)
    rc = main(["interpolate", str(ckpts["vae"]), "--keyframes", f"{lat},7", "--space", "wplus", "--out", gif])
    err = capsys.readouterr().err
    assert rc != 0 and "no W space" in err and err.count("\n") == 1
