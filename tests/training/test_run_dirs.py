"""Default run folders: the user's data folder, named after preset, data and date."""

from __future__ import annotations

import json
from datetime import datetime

from training.run import build_parser, options_from_args
from training.run_dirs import data_slug, new_run_dir, run_name, runs_root


def test_names_say_preset_data_and_date(tmp_path) -> None:
    when = datetime(2025, 6, 1, 14, 32)
    assert run_name("quick-dcgan", "fmnist:train", when) == "quick-dcgan-fmnist-2025-06-01-1432"
    assert data_slug("demo:emoji") == "emoji" and data_slug("fmnist:sneaker,ankle-boot") == "fmnist-sneaker-ankle-boot"
    assert data_slug(str(tmp_path / "My Cats")) == "my-cats" and data_slug("/data/faces.zip") == "faces"
    first = new_run_dir("stylegan2", "demo:emoji", tmp_path, when)
    first.mkdir()
    second = new_run_dir("stylegan2", "demo:emoji", tmp_path, when)
    assert second.name == first.name + "-2" and not second.exists()


def test_train_without_out_uses_the_runs_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LATENTLAB_RUNS_DIR", str(tmp_path / "runs"))
    assert runs_root() == tmp_path / "runs"
    opts, _ = options_from_args(build_parser().parse_args(["--preset", "tiny-dcgan"]))
    assert opts.out.startswith(str(tmp_path / "runs" / "tiny-dcgan-fmnist-"))
    opts, _ = options_from_args(build_parser().parse_args(["--preset", "tiny-dcgan", "--data", "demo:emoji"]))
    assert "tiny-dcgan-emoji-" in opts.out
    given, _ = options_from_args(build_parser().parse_args(["--preset", "tiny-dcgan", "--out", str(tmp_path / "x")]))
    assert given.out == str(tmp_path / "x")
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "run.json").write_text(json.dumps({**vars(given), "out": "elsewhere"}))
    resumed, resume = options_from_args(build_parser().parse_args(["--resume", str(tmp_path / "r")]))
    assert resume and resumed.out == str(tmp_path / "r")
