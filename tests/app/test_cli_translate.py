"""``latentlab translate``: image files and folders of any mode, bad files reported, npy parity, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from app.cli import main
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import save_native
from engine.families import get_family
from engine.images import fit_image
from engine.translate import translate_array


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("translate")
    out = {}
    for name in ("pix2pix", "cyclegan", "stargan"):
        torch.manual_seed(0)
        fam = get_family(name)
        meta = {"classes": ["red", "green", "blue"]} if name == "stargan" else None
        out[name] = save_native(fam.new(fam.tiny_config(), meta), d / f"{name}.safetensors")
    return out


def mixed_folder(d: Path) -> dict[str, Path]:
    """20 files: 17 good images of various modes/sizes, a text file, an RGBA PNG and a 16-bit PNG."""
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    files: dict[str, Path] = {}
    modes = ["RGB", "L", "P", "CMYK", "LA"]
    for i in range(17):
        mode = modes[i % len(modes)]
        w, h = 20 + 7 * i, 30 + 3 * (i % 4)
        im = Image.fromarray(rng.randint(0, 255, (h, w, 3), dtype=np.uint8)).convert(mode)
        suffix = {"CMYK": ".jpg", "RGB": ".jpg" if i % 2 else ".bmp"}.get(mode, ".png")
        files[f"img{i:02d}"] = d / f"img{i:02d}{suffix}"
        im.save(files[f"img{i:02d}"])
    files["notes"] = d / "notes.txt"
    files["notes"].write_text("this is not an image\n")
    rgba = np.zeros((24, 40, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 128
    files["rgba"] = d / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(files["rgba"])
    files["deep"] = d / "deep16.png"
    Image.fromarray((np.arange(32 * 48).reshape(32, 48) * 40).astype(np.uint16)).save(files["deep"])
    assert len(list(d.iterdir())) == 20
    return files


def test_mixed_folder_translates_images_and_reports_the_bad_one(ckpts, tmp_path, capsys):
    files = mixed_folder(tmp_path / "in")
    before = {p: p.read_bytes() for p in files.values()}
    rc = main(
        [
            "translate",
            str(ckpts["cyclegan"]),
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "out"),
            "--direction",
            "BtoA",
            "--fit",
            "crop",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0  # some files skipped (listed, with a summary line), the rest translated
    written = [Path(line) for line in captured.out.split()]
    assert len(written) == 19 and all(p.exists() for p in written)
    assert "notes.txt" in captured.err and captured.err.count("skipped: ") == 1
    assert captured.err.splitlines()[-1] == "latentlab: translated 19 of 20 files; skipped 1"
    assert Image.open(tmp_path / "out" / "deep16_BtoA.png").size == (16, 16)
    assert {p: p.read_bytes() for p in files.values()} == before  # inputs untouched
    model = load_model(ckpts["cyclegan"])
    expect = translate_array(model, fit_image(Image.open(files["rgba"]), 16, 3), "BtoA")
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "alpha_BtoA.png")), expect)


def test_output_into_the_input_folder_never_overwrites(ckpts, tmp_path, capsys):
    d = tmp_path / "same"
    d.mkdir()
    Image.new("RGB", (40, 40), (10, 200, 30)).save(d / "a.png")
    Image.new("RGB", (40, 40), (90, 20, 30)).save(d / "a_AtoB.png")  # would be a's output name
    before = (d / "a_AtoB.png").read_bytes()
    assert main(["translate", str(ckpts["pix2pix"]), str(d / "a.png"), str(d / "a_AtoB.png"), "--out", str(d)]) == 0
    assert (d / "a_AtoB.png").read_bytes() == before
    outs = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in outs) == ["a_AtoB-1.png", "a_AtoB_AtoB.png"]


def test_stargan_targets_by_name_and_index(ckpts, tmp_path, capsys):
    Image.new("RGB", (50, 30), (200, 30, 30)).save(tmp_path / "x.png")
    assert (
        main(
            [
                "translate",
                str(ckpts["stargan"]),
                str(tmp_path / "x.png"),
                "--out",
                str(tmp_path / "o"),
                "--target",
                "green,blue",
                "--fit",
                "crop",
            ]
        )
        == 0
    )
    by_name = np.asarray(Image.open(tmp_path / "o" / "x_green+blue.png"))
    assert (
        main(
            [
                "translate",
                str(ckpts["stargan"]),
                str(tmp_path / "x.png"),
                "--out",
                str(tmp_path / "p"),
                "--target",
                "1,2",
                "--fit",
                "pad",
            ]
        )
        == 0
    )
    by_index = np.asarray(Image.open(tmp_path / "p" / "x_green+blue.png"))
    assert by_name.shape == by_index.shape == (16, 16, 3) and not np.array_equal(by_name, by_index)  # crop vs pad
    assert (
        main(
            [
                "translate",
                str(ckpts["stargan"]),
                str(tmp_path / "x.png"),
                "--out",
                str(tmp_path / "q"),
                "--target",
                "purple",
            ]
        )
        == 2
    )
    assert "unknown target domain 'purple'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["translate", "{pix2pix}", "{img}", "--out", "{o}", "--direction", "BtoA"], "direction 'BtoA' not available"),
        (["translate", "{stargan}", "{img}", "--out", "{o}"], "needs target domain"),
        (["translate", "{cyclegan}", "{img}", "--out", "{o}", "--target", "a"], "take --direction"),
        (["translate", "{cyclegan}", "{img}"], "--out DIR is required"),
        (["translate", "{cyclegan}", "{o}/missing.png", "--out", "{o}"], "no such file"),
        (["translate", "{cyclegan}", "--in-npy", "{img}"], "--in-npy needs --out-npy"),
    ],
)
def test_bad_input_is_one_line(ckpts, tmp_path, capsys, argv, message):
    img = tmp_path / "i.png"
    Image.new("RGB", (20, 20)).save(img)
    fmt = {**{k: str(v) for k, v in ckpts.items()}, "img": str(img), "o": str(tmp_path)}
    assert main([a.format(**fmt) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_npy_round_trip_matches_the_engine(ckpts, tmp_path):
    x = (torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1).numpy()
    t = np.array([[1, 0, 1], [0, 1, 0]], np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", t)
    assert (
        main(
            [
                "translate",
                str(ckpts["stargan"]),
                "--in-npy",
                str(tmp_path / "x.npy"),
                "--target-npy",
                str(tmp_path / "t.npy"),
                "--out-npy",
                str(tmp_path / "y.npy"),
            ]
        )
        == 0
    )
    model = load_model(ckpts["stargan"])
    with torch.no_grad():
        expect = model.translate(torch.from_numpy(x), target=torch.from_numpy(t)).numpy()
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expect)


@pytest.mark.parametrize(
    ("ckpt", "npz", "extra"),
    [
        ("cyclegan_pix2pix/latest_net_G_A.pth", "cyclegan_pix2pix/cyclegan_resnet_io.npz", ["--direction", "AtoB"]),
        ("cyclegan_pix2pix/latest_net_G.pth", "cyclegan_pix2pix/pix2pix_unet_io.npz", []),
        ("stargan/200000-G_legacy_format.ckpt", "stargan/stargan_io.npz", ["--target-npy"]),
    ],
)
def test_foreign_parity_through_the_cli(fixtures_dir, tmp_path, ckpt, npz, extra):
    with np.load(fixtures_dir / npz) as f:
        io = {k: f[k] for k in f.files}
    np.save(tmp_path / "x.npy", io["in_image"])
    if extra == ["--target-npy"]:
        np.save(tmp_path / "t.npy", io["in_label"])
        extra = ["--target-npy", str(tmp_path / "t.npy")]
    argv = [
        "translate",
        str(fixtures_dir / ckpt),
        "--in-npy",
        str(tmp_path / "x.npy"),
        "--out-npy",
        str(tmp_path / "y.npy"),
        *extra,
    ]
    assert main(argv) == 0
    expect = io["out_train_mode"] if "stargan" in npz else io["out_eval"]
    assert np.abs(np.load(tmp_path / "y.npy") - expect).max() < 1e-4


def test_fully_convolutional_models_run_photos_at_their_own_size(ckpts, tmp_path, capsys):
    """A 16:9 photo into a 16 px CycleGAN: by default at its own size rounded to the stride (4), so the
    aspect ratio is kept; --fit crop gives the model's square; the plan says what was done."""
    from engine.translate import plan_input

    Image.fromarray(np.random.RandomState(1).randint(0, 255, (54, 96, 3), np.uint8)).save(tmp_path / "wide.png")
    assert main(["translate", str(ckpts["cyclegan"]), str(tmp_path / "wide.png"), "--out", str(tmp_path / "o")]) == 0
    assert Image.open(tmp_path / "o" / "wide_AtoB.png").size == (96, 56)
    args = ["translate", str(ckpts["cyclegan"]), str(tmp_path / "wide.png"), "--out", str(tmp_path / "c"), "--fit"]
    assert main([*args, "crop"]) == 0 and Image.open(tmp_path / "c" / "wide_AtoB.png").size == (16, 16)
    model = load_model(ckpts["cyclegan"])
    plan = plan_input(model, 1920, 1080)
    assert (plan.mode, plan.width, plan.height) == ("native", 1920, 1080)
    assert "its own size" in plan.describe() and "MB of activations" in plan.describe()
    small = plan_input(model, 4000, 3000, memory_limit=plan.estimate_bytes)  # too big: scaled down alike
    assert small.width * small.height * model.capabilities.image_input.bytes_per_pixel <= plan.estimate_bytes
    assert abs(small.width / small.height - 4 / 3) < 0.05 and small.width % 4 == 0 and small.height % 4 == 0
    assert "memory limit" in small.describe()
    assert plan_input(model, 1920, 1080, "pad").describe().startswith("resized 1920×1080 to 16×16 (padded")


def test_native_fit_needs_a_fully_convolutional_model(tmp_path):
    from engine.families import get_family
    from engine.translate import plan_input

    vae = get_family("vae").new(get_family("vae").tiny_config())
    assert not vae.capabilities.image_input.fully_convolutional
    with pytest.raises(ValueError, match="only"):
        plan_input(vae, 100, 50, "native")
    assert plan_input(vae, 100, 50).mode == "crop"
