"""``latentlab metrics`` on a tiny checkpoint and tiny fake datasets (bundled classifier features)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from app.cli import main
from engine.checkpoints.native import save_native
from engine.families import get_family


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("metrics")
    fam = get_family("gan")
    torch.manual_seed(0)
    ckpt = save_native(fam.new(fam.tiny_config()), d / "tinygan.safetensors")
    rng = np.random.default_rng(0)
    out = {"ckpt": ckpt}
    for name in ("a", "b"):
        images = rng.integers(0, 256, (140, 8, 8, 1), dtype=np.uint8)
        out[name] = d / f"{name}.npz"
        np.savez(out[name], images=images, labels=np.arange(140) % 3)
    out["small"] = d / "small.npz"
    np.savez(out["small"], images=rng.integers(0, 256, (50, 8, 8, 1), dtype=np.uint8))
    return out


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["metrics", *(str(a) for a in args)])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_metrics_of_a_checkpoint_as_json(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = cli(capsys, files["ckpt"], "--data", files["a"], "--n", 129, "--batch", 64, "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["n_real"] == 129 and doc["n_generated"] == 129
    assert doc["fid"] > 0 and doc["kid_std"] >= 0 and 1 <= doc["is_mean"] <= 10
    assert 0 <= doc["precision"] <= 1 and 0 <= doc["recall"] <= 1
    assert doc["features"].startswith("classifier-fmnist-classifier-")


def test_metrics_table_and_real_vs_real(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = cli(capsys, "--data", files["a"], "--against", files["b"], "--metric", "fid,kid", "--n", 130)
    assert rc == 0, err
    lines = out.splitlines()
    assert any(line.startswith("FID") for line in lines) and any(line.startswith("KID") for line in lines)
    assert not any(line.startswith("IS") or line.startswith("precision") for line in lines)
    rc, out, _ = cli(capsys, "--data", files["a"], "--against", files["a"], "--metric", "fid", "--n", 140, "--json")
    assert rc == 0 and abs(json.loads(out)["fid"]) < 1e-3  # the same 140 images on both sides


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "A"], "nothing to measure"),
        (["CKPT", "--data", "A", "--against", "B"], "not both"),
        (["CKPT", "--data", "A", "--metric", "fid,lpips"], "unknown metric"),
        (["CKPT", "--data", "A", "--n", "1"], "--n"),
        (["CKPT", "--data", "A", "--n", "128"], "FID needs at least 129 images per side with classifier-fmnist"),
        (["CKPT", "--data", "A", "--n", "128", "--metric", "kid,fid"], "(--n is 128)"),
        (["--data", "S", "--against", "B", "--metric", "fid", "--n", "500"], "(got 50 real, 140 generated)"),
        (["CKPT", "--data", "A", "--protocol", "clean-fid"], "--features inception only"),
        (["CKPT", "--data", "/nonexistent/data"], "does not exist"),
        (["CKPT", "--data", "A", "--features", "inception"], "--inception-weights"),
        (["CKPT", "--data", "A", "--features", "clip"], "unknown feature network"),
        (["/nonexistent/model.safetensors", "--data", "A"], "model.safetensors"),
    ],
)
def test_metrics_bad_input(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    subst = {"CKPT": str(files["ckpt"]), "A": str(files["a"]), "B": str(files["b"]), "S": str(files["small"])}
    rc, out, err = cli(capsys, *(subst.get(a, a) for a in args))
    assert rc == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
