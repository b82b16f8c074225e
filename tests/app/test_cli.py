"""The ``latentlab`` command line, mostly in-process (``app.cli.main``), a few cases via subprocess."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from app.cli import main
from app.commands.common import CliError, latency_stats, make_grid, parse_seeds
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import save_native
from engine.families import LoadedModel, get_family
from engine.image_info import read_info
from engine.render import to_uint8

ROOT = Path(__file__).resolve().parents[2]
RES = 16


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny unconditional and a tiny 3-class StyleGAN2 checkpoint."""
    d = tmp_path_factory.mktemp("ckpts")
    fam = get_family("stylegan2")
    torch.manual_seed(0)
    models = {"uncond": fam.new(fam.tiny_config()), "cond": fam.new(dataclasses.replace(fam.tiny_config(), c_dim=3))}
    for m in models.values():  # noise strengths start at 0: make noise visible
        for name, p in m.module.named_parameters():
            if name.endswith("noise_strength"):
                p.data.fill_(0.5)
    return {
        "uncond": save_native(models["uncond"], d / "tiny.safetensors"),
        "cond": save_native(models["cond"], d / "tinycond.safetensors"),
    }


@pytest.fixture(scope="module")
def model(ckpts: dict[str, Path]) -> LoadedModel:
    return load_model(ckpts["uncond"])


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run ``latentlab ARGS`` in-process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def run_subprocess(*args: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env["LATENTLAB_THREADS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def assert_one_error_line(rc: int, err: str) -> None:
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("latentlab"), err
    assert "Traceback" not in err


def generate_npy(capsys: pytest.CaptureFixture[str], tmp_path: Path, ckpt: Path, *args: object) -> np.ndarray:
    out = tmp_path / f"out{len(list(tmp_path.iterdir()))}.npy"
    rc, stdout, err = cli(capsys, "generate", ckpt, "--out-npy", out, *args)
    assert rc == 0, err
    assert str(out) in stdout
    arr = np.load(out)
    assert arr.dtype == np.float32
    return arr


def reference(model: LoadedModel, z: torch.Tensor, c=None, psi=1.0, cutoff=None, noise_mode="const") -> np.ndarray:
    with torch.inference_mode():
        return model.synthesize(model.map(z, c, psi=psi, cutoff=cutoff), noise_mode=noise_mode).numpy()


# --- helpers -----------------------------------------------------------------------------------------
def test_parse_seeds() -> None:
    assert parse_seeds("0-7") == list(range(8))
    assert parse_seeds("1,5,9") == [1, 5, 9]
    assert parse_seeds(" 0-3, 10 ") == [0, 1, 2, 3, 10]
    for bad in ("x-y", "", "3-1", "1,,2", "-1", "1-", "abc"):
        with pytest.raises(CliError):
            parse_seeds(bad)


def test_make_grid_and_stats() -> None:
    imgs = np.arange(5 * 2 * 2 * 3, dtype=np.uint8).reshape(5, 2, 2, 3)
    g = make_grid(imgs, cols=3)
    assert g.shape == (4, 6, 3)
    assert (g[2:4, 2:4] == imgs[4]).all() and (g[2:4, 4:6] == 0).all()
    s = latency_stats([1.0, 2.0, 3.0, 4.0])
    assert s["median_ms"] == 2.5 and s["fps"] == pytest.approx(400.0)


# --- models / info ----------------------------------------------------------------------------------
def test_models_json(capsys, ckpts, tmp_path, monkeypatch) -> None:
    (tmp_path / "models").mkdir()
    save_native(load_model(ckpts["uncond"]), tmp_path / "models" / "tiny.safetensors")
    manifest = {
        "default": "tiny",
        "models": {
            "tiny": {"family": "stylegan2", "path": "models/tiny.safetensors", "description": "a tiny test model"}
        },
    }
    (tmp_path / "MANIFEST.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("LATENTLAB_ASSETS", str(tmp_path))
    rc, out, err = cli(capsys, "models", "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert "stylegan2" in [f["name"] for f in doc["families"]]
    assert doc["models"][0]["name"] == "tiny" and doc["models"][0]["resolution"] == RES
    assert doc["models"][0]["default"] is True
    # MODEL defaults to the bundled model
    rc, out, err = cli(capsys, "generate", "--seeds", "0", "--out-npy", tmp_path / "d.npy")
    assert rc == 0, err
    assert np.load(tmp_path / "d.npy").shape == (1, 3, RES, RES)


def test_models_subprocess() -> None:
    r = run_subprocess("models")
    assert r.returncode == 0, r.stderr
    assert "stylegan2" in r.stdout


def test_info_json(capsys, ckpts, model) -> None:
    rc, out, err = cli(capsys, "info", ckpts["uncond"], "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["family"] == "stylegan2"
    assert doc["capabilities"]["resolution"] == RES
    assert doc["capabilities"]["w_space"]["num_ws"] == model.capabilities.w_space.num_ws
    assert doc["config"]["z_dim"] == model.capabilities.z_dim
    assert doc["parameters"] == sum(p.numel() for p in model.module.parameters()) > 0
    assert "provenance" in doc and "metrics" in doc
    rc, out, _ = cli(capsys, "info", ckpts["uncond"])
    assert rc == 0 and "parameters" in out and "capabilities:" in out


# --- generate ---------------------------------------------------------------------------------------
def test_generate_grid_and_npy(capsys, ckpts, model, tmp_path) -> None:
    grid, npy = tmp_path / "sub" / "grid.png", tmp_path / "x.npy"
    args = ["--seeds", "0-3,10", "--cols", "3", "--out", grid, "--out-npy", npy, "--batch", "2"]
    rc, out, err = cli(capsys, "generate", ckpts["uncond"], *args)
    assert rc == 0, err
    assert out.split() == [str(npy), str(grid)]
    arr = np.load(npy)
    assert arr.shape == (5, 3, RES, RES) and arr.dtype == np.float32
    ref = reference(model, model.sample_z([0, 1, 2, 3, 10]))
    np.testing.assert_allclose(arr, ref, atol=1e-5)
    img = np.asarray(Image.open(grid))
    assert img.shape == (2 * RES, 3 * RES, 3)
    u8 = to_uint8(torch.from_numpy(arr))
    assert (img[:RES, :RES] == u8[0]).all() and (img[RES:, RES : 2 * RES] == u8[4]).all()
    info = read_info(grid)  # the grid says how to make it again
    assert info["latentlab.seeds"] == "0,1,2,3,10" and info["latentlab.columns"] == "3"
    assert info["latentlab.model_source"] == str(ckpts["uncond"]) and info["latentlab.latent"] == "seed"


def test_generate_records_truncation_and_noise_in_the_png(capsys, ckpts, tmp_path) -> None:
    grid = tmp_path / "g.png"
    grid.write_bytes(b"an older grid")
    args = ["--seeds", "4,5", "--psi", "0.5", "--cutoff", "2", "--noise-mode", "random", "--noise-seed", "9"]
    rc, _, err = cli(capsys, "generate", ckpts["uncond"], *args, "--out", grid)
    assert rc == 0, err
    info = read_info(grid)
    assert (info["latentlab.psi"], info["latentlab.cutoff"], info["latentlab.noise_mode"]) == ("0.5", "2", "random")
    assert info["latentlab.noise_seed"] == "9" and info["latentlab.seeds"] == "4,5"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png"]  # written in place, no temporary left


def test_generate_deterministic_and_z_npy(capsys, ckpts, model, tmp_path) -> None:
    a = generate_npy(capsys, tmp_path, ckpts["uncond"], "--seeds", "3,4,5")
    b = generate_npy(capsys, tmp_path, ckpts["uncond"], "--seeds", "3,4,5")
    assert np.array_equal(a, b)
    np.save(tmp_path / "z.npy", model.sample_z([3, 4, 5]).numpy())
    c = generate_npy(capsys, tmp_path, ckpts["uncond"], "--z-npy", tmp_path / "z.npy")
    assert np.array_equal(a, c)


def test_generate_truncation_and_noise(capsys, ckpts, model, tmp_path) -> None:
    z = model.sample_z([0, 1])
    base = generate_npy(capsys, tmp_path, ckpts["uncond"], "--seeds", "0,1")
    half = generate_npy(capsys, tmp_path, ckpts["uncond"], "--seeds", "0,1", "--psi", "0.5")
    cut = generate_npy(capsys, tmp_path, ckpts["uncond"], "--seeds", "0,1", "--psi", "0.5", "--cutoff", "2")
    none = generate_npy(capsys, tmp_path, ckpts["uncond"], "--seeds", "0,1", "--noise-mode", "none")
    assert not np.allclose(base, half) and not np.allclose(half, cut) and not np.allclose(base, cut)
    np.testing.assert_allclose(half, reference(model, z, psi=0.5), atol=1e-5)
    np.testing.assert_allclose(cut, reference(model, z, psi=0.5, cutoff=2), atol=1e-5)
    np.testing.assert_allclose(none, reference(model, z, noise_mode="none"), atol=1e-5)
    assert not np.allclose(base, none)


def test_generate_conditional(capsys, ckpts, tmp_path) -> None:
    cm = load_model(ckpts["cond"])
    z = cm.sample_z([0, 1])
    arr = generate_npy(capsys, tmp_path, ckpts["cond"], "--seeds", "0,1", "--class", "2")
    np.testing.assert_allclose(arr, reference(cm, z, cm.one_hot([2], 2)), atol=1e-5)
    labels = np.eye(3, dtype=np.float32)[[1, 0]]
    np.save(tmp_path / "c.npy", labels)
    arr = generate_npy(capsys, tmp_path, ckpts["cond"], "--seeds", "0,1", "--c-npy", tmp_path / "c.npy")
    np.testing.assert_allclose(arr, reference(cm, z, torch.from_numpy(labels)), atol=1e-5)
    grid = tmp_path / "c.png"
    rc, _, err = cli(capsys, "generate", ckpts["cond"], "--seeds", "0,1", "--class", "2", "--out", grid)
    assert rc == 0, err
    assert read_info(grid)["latentlab.class"].startswith("2 (")


# --- bad input --------------------------------------------------------------------------------------
def test_bad_inputs(capsys, ckpts, tmp_path) -> None:
    text = tmp_path / "notes.safetensors"
    text.write_text("not a checkpoint\n" * 20)
    np.save(tmp_path / "bad_z.npy", np.zeros((2, 5), np.float32))
    np.save(tmp_path / "bad_c.npy", np.zeros((2, 4), np.float32))
    png = tmp_path / "x.png"
    cases = [
        ["info", tmp_path / "missing.safetensors"],
        ["info", text],
        ["generate", text, "--out", png],
        ["generate", ckpts["uncond"], "--seeds", "x-y", "--out", png],
        ["generate", ckpts["uncond"], "--z-npy", tmp_path / "bad_z.npy", "--out", png],
        ["generate", ckpts["uncond"], "--z-npy", tmp_path / "missing.npy", "--out", png],
        ["generate", ckpts["uncond"], "--seeds", "0"],  # no output
        ["generate", ckpts["uncond"], "--seeds", "0", "--cutoff", "99", "--out", png],
        ["generate", ckpts["cond"], "--seeds", "0", "--class", "7", "--out", png],
        ["generate", ckpts["cond"], "--seeds", "0,1", "--c-npy", tmp_path / "bad_c.npy", "--out", png],
        ["generate", ckpts["uncond"], "--psi", "abc", "--out", png],
        ["convert", tmp_path / "missing.pkl", "--out", tmp_path / "y.safetensors"],
        ["bench", "render", ckpts["uncond"], "--frames", "0"],
        ["nonsense"],
    ]
    for args in cases:
        rc, _, err = cli(capsys, *args)
        assert_one_error_line(rc, err)
    assert not png.exists()


def test_bad_inputs_subprocess(ckpts, tmp_path) -> None:
    r = run_subprocess("info", tmp_path / "missing.safetensors")
    assert_one_error_line(r.returncode, r.stderr)
    assert "missing.safetensors" in r.stderr
    text = tmp_path / "t.pt"
    text.write_text("hello world\n" * 50)
    r = run_subprocess("generate", text, "--seeds", "0-3", "--out", tmp_path / "g.png")
    assert_one_error_line(r.returncode, r.stderr)


# --- convert / bench / train / gui --------------------------------------------------------------------
def test_convert_round_trip(capsys, ckpts, model, tmp_path) -> None:
    dst = tmp_path / "conv" / "copy.safetensors"
    rc, out, err = cli(capsys, "convert", ckpts["uncond"], "--out", dst)
    assert rc == 0, err
    assert out.split() == [str(dst), str(dst.with_suffix(".json"))]
    copy = load_model(dst)
    a, b = model.module.state_dict(), copy.module.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert copy.meta["provenance"]["converted_from"] == str(ckpts["uncond"])


def test_bench_json(capsys, ckpts) -> None:
    for vary in ("seed", "style"):
        args = ["--frames", "5", "--warmup", "1", "--threads", "1", "--vary", vary, "--json"]
        rc, out, err = cli(capsys, "bench", "render", ckpts["uncond"], *args)
        assert rc == 0, err
        r = json.loads(out)
        keys = "device model resolution batch frames median_ms p95_ms mean_ms fps torch_threads torch_version vary"
        for key in keys.split():
            assert key in r, key
        assert r["batch"] == 1 and r["frames"] == 5 and r["resolution"] == RES and r["vary"] == vary
        assert r["model"] == "tiny" and r["device"] == "cpu" and r["torch_threads"] == 1
        assert 0 < r["median_ms"] <= r["p95_ms"] and r["mean_ms"] > 0
        assert r["fps"] == pytest.approx(1000 / r["median_ms"], rel=1e-3)


def test_bench_render_times_previews_and_bf16(capsys, ckpts) -> None:
    args = ["--frames", "2", "--warmup", "0", "--threads", "1", "--json", "--previews", "8"]
    rc, out, err = cli(capsys, "bench", "render", ckpts["uncond"], *args)
    assert rc == 0, err
    r = json.loads(out)
    assert [p["resolution"] for p in r["previews"]] == [8] and r["previews"][0]["median_ms"] > 0
    rc, _, err = cli(capsys, "bench", "render", ckpts["uncond"], "--frames", "1", "--previews", "12")
    assert rc == 2 and "no preview at 12 px" in err
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        rc, out, err = cli(capsys, "bench", "render", ckpts["uncond"], "--frames", "1", "--dtype", "bf16", "--json")
        r = json.loads(out)
        assert rc == 0 and r["dtype"] == "bfloat16" and r["difference_from_fp32"]["levels_mean"] >= 0


def test_bench_render_takes_translation_models(capsys, tmp_path) -> None:
    torch.manual_seed(0)
    fam = get_family("cyclegan")
    path = save_native(fam.new(fam.tiny_config()), tmp_path / "cg.safetensors")
    rc, out, err = cli(capsys, "bench", "render", path, "--frames", "2", "--warmup", "0", "--size", "40x24", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["benchmark"] == "translate" and r["input"] == "40x24" and r["ran_at"] == "40x24"
    assert "its own size" in r["plan"] and r["median_ms"] > 0


def test_bench_export_json(capsys, ckpts) -> None:
    rc, out, err = cli(capsys, "bench", "export", ckpts["uncond"], "--frames", "6", "--format", "gif", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["benchmark"] == "export" and r["frames"] == 6 and r["format"] == "gif"
    assert r["render_fps"] > 0 and r["export_fps"] > 0
    assert r["export_vs_render"] == pytest.approx(r["export_fps"] / r["render_fps"], rel=0.02)
    rc, _, err = cli(capsys, "bench", "export", ckpts["uncond"], "--frames", "1")
    assert rc == 2 and "--frames" in err


def test_train(capsys, tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    rc, out, err = cli(
        capsys, "train", "--preset", "tiny-stylegan2", "--data", tmp_path / "empty", "--out", tmp_path / "run"
    )
    assert_one_error_line(rc, err)
    assert json.loads(out.strip().splitlines()[-1])["event"] == "error"
    rc, out, _ = cli(capsys, "train", "--help")
    assert rc == 0 and "--preset" in out and "--max-steps" in out
    rc, out, _ = cli(capsys, "--help")
    assert rc == 0 and "train" in out and "bench" in out


def test_gui_default(capsys, monkeypatch, ckpts) -> None:
    calls: list[tuple] = []
    fake = types.ModuleType("app.__main__")
    fake.run_gui = lambda model, device: calls.append((model, device)) or 0
    monkeypatch.setitem(sys.modules, "app.__main__", fake)
    model = str(ckpts["uncond"])
    assert main([]) == 0
    assert main(["gui", model, "--device", "cpu"]) == 0
    assert calls == [(None, None), (model, "cpu")]


def test_latentlab_model_opens_the_app_on_it(capsys, monkeypatch, ckpts, tmp_path) -> None:
    calls: list[tuple] = []
    fake = types.ModuleType("app.__main__")
    fake.run_gui = lambda model, device: calls.append((model, device)) or 0
    monkeypatch.setitem(sys.modules, "app.__main__", fake)
    model = str(ckpts["uncond"])
    assert main([model]) == 0 and main(["-v", model, "--device", "cpu"]) == 0
    assert calls == [(model, None), (model, "cpu")]
    calls.clear()
    # A command name is always the command, even with a file of that name here.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").write_text("not a model")
    rc, out, err = cli(capsys, "models", "--json")
    assert rc == 0 and json.loads(out) and calls == []
    # A missing file, a typo of a command, a folder: one error line, and no window.
    for word, reason in (("nothere.safetensors", "no such file"), ("genrate", "no such file"), (".", "folder")):
        rc, _, err = cli(capsys, word)
        assert_one_error_line(rc, err)
        assert reason in err and f"'{word}' is not a command" in err and "generate" in err
    rc, _, err = cli(capsys, "gui", "nothere.safetensors")
    assert_one_error_line(rc, err)
    assert "no such file" in err
    assert calls == []


def test_directions_command_writes_npz_and_preview(tmp_path, capsys):
    from app.cli import main as cli_main
    from engine.latent.directions import Directions

    out_npz, grid = tmp_path / "d.npz", tmp_path / "grid.png"
    rc = cli_main(
        ["directions", "--method", "sefa", "--k", "3", "--layers", "0-2", "--out", str(out_npz), "--preview", str(grid)]
    )
    assert rc == 0 and Directions.load(out_npz).layers == (0, 3) and grid.exists()
    from PIL import Image

    assert Image.open(grid).size[0] == 5 * Image.open(grid).size[1] // 3  # 3 rows x 5 offsets of square frames
    small = tmp_path / "small.png"  # cells of at most 16 px: the model's 16 px preview, not full frames
    args = ["directions", "--k", "2", "--out", str(out_npz), "--preview", str(small), "--preview-size", "16"]
    assert cli_main(args) == 0 and Image.open(small).size[1] == 2 * 16
    assert cli_main(["directions", "--k", "0", "--out", str(out_npz)]) == 2
    assert cli_main(["directions", "--layers", "5-2", "--out", str(out_npz)]) == 2
    assert "error" in capsys.readouterr().err


def test_bugs_are_not_reported_as_user_errors(capsys, monkeypatch) -> None:
    """Expected errors (a LatentLabError, an OSError) are one plain line with exit code 2; anything
    else — a plain ValueError included — is a bug: one line naming it with a hint (exit code 1),
    and ``--verbose`` prints the traceback."""
    from app.commands import convert
    from engine.checkpoints.errors import CheckpointError

    def raising(exc: BaseException):
        def run(args):
            raise exc

        return run

    monkeypatch.setattr(convert, "cmd_convert", raising(CheckpointError("x.pt", "not a checkpoint")))
    rc, _, err = cli(capsys, "convert", "x.pt", "--out", "y.safetensors")
    assert rc == 2 and err.strip() == "latentlab: error: x.pt: not a checkpoint"
    monkeypatch.setattr(convert, "cmd_convert", raising(ValueError("index out of range")))
    rc, _, err = cli(capsys, "convert", "x.pt", "--out", "y.safetensors")
    assert_one_error_line(rc, err)
    assert rc == 1 and "ValueError: index out of range" in err and "run with --verbose for the traceback" in err
    rc, _, err = cli(capsys, "--verbose", "convert", "x.pt", "--out", "y.safetensors")
    assert rc == 1 and "Traceback" in err and err.strip().splitlines()[-1].startswith("latentlab: error: ValueError")


def test_one_seed_range_everywhere(capsys) -> None:
    from app.widgets import seed_spin
    from engine.api import MAX_SEED

    assert parse_seeds(f"{MAX_SEED - 1}-{MAX_SEED}") == [MAX_SEED - 1, MAX_SEED]
    with pytest.raises(CliError, match=f"0..{MAX_SEED}"):
        parse_seeds(str(MAX_SEED + 1))
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])
    assert seed_spin().maximum() == MAX_SEED
