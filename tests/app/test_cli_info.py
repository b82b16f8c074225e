"""``latentlab info`` tells the truth about every field it prints, in aligned columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.cli import main
from app.commands.info import describe_model
from engine.checkpoints import nvlabs
from engine.checkpoints.loader import load_model
from engine.checkpoints.safe_unpickle import load_pickle

FIXTURES = (Path(__file__).parents[2] / ".." / "shared" / "fixtures").resolve()
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"fixtures not found at {FIXTURES}")
NV = FIXTURES / "nvlabs_stylegan2_ada" / "stylegan2ada_uncond_res32.pkl"


def info_text(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    capsys.readouterr()
    assert main(["info", str(path)]) == 0
    return capsys.readouterr().out


def test_nvlabs_discriminator_fields_come_from_the_pickled_d() -> None:
    snap = load_pickle(NV)
    epilogue = snap["D"].state["_modules"]["b4"].state["_modules"]
    epilogue["mbstd"].state["group_size"] = 8  # as pickled by a run with --mbstd-group 8
    doc = describe_model(nvlabs.load(NV, snap))
    assert doc["config"]["mbstd_group_size"] == 8
    assert doc["config"]["d_channels"] == [64, 64, 64, 32]  # b4 conv, b8/b16/b32 conv0 (channel_base 1024, max 64)
    assert doc["meta"]["discriminator"] == "read (resnet, minibatch-stddev group 8)"
    del snap["D"]
    doc = describe_model(nvlabs.load(NV, snap))
    assert "mbstd_group_size" not in doc["config"] and "d_channels" not in doc["config"]
    assert doc["meta"]["discriminator"] == "not in the file"
    assert doc["config"]["channel_base"] == 1024 and doc["config"]["channel_max"] == 64  # they make its channels


def test_psp_decoder_lists_its_channels_not_a_base_that_does_not_make_them(capsys) -> None:
    doc = describe_model(load_model(FIXTURES / "psp" / "psp_ffhq_encode_small_64.pt"))
    decoder = doc["config"]["decoder"]
    assert decoder["channels"] == [32, 32, 32, 32, 32]
    assert "channel_base" not in decoder and "channel_max" not in decoder
    assert "d_channels" not in decoder and "mbstd_group_size" not in decoder


def test_pix2pix_input_channels_and_no_discriminator() -> None:
    doc = describe_model(load_model(FIXTURES / "cyclegan_pix2pix" / "latest_net_G.pth"))
    assert doc["config"]["in_channels"] == 3
    assert "ndf" not in doc["config"] and "d_layers" not in doc["config"]


def test_g_ema_only_rosinality_file_lists_no_discriminator() -> None:
    doc = describe_model(load_model(FIXTURES / "rosinality_stylegan2" / "stylegan2_rosinality_g_ema.pt"))
    assert "d_channels" not in doc["config"] and "mbstd_group_size" not in doc["config"]
    assert doc["meta"]["discriminator"] == "not in the file"


def test_native_files_keep_their_training_config(capsys, tmp_path) -> None:
    from tests.app.conftest import make_tiny_model

    doc = describe_model(load_model(make_tiny_model(tmp_path / "t.safetensors")))
    assert doc["config"]["mbstd_group_size"] == 4 and "d_channels" in doc["config"]


@pytest.mark.parametrize(
    "rel", ["psp/psp_ffhq_encode_small_64.pt", "nvlabs_stylegan2_ada/stylegan2ada_cond10_res32.pkl"]
)
def test_labels_never_run_into_their_values(capsys, rel: str) -> None:
    text = info_text(capsys, FIXTURES / rel)
    for line in text.splitlines():
        assert re.fullmatch(r"\s*\S+(:|\s{2,}\S.*)", line), f"label runs into its value: {line!r}"
    assert "mbstd_group_size4" not in text and "start_from_latent_avgyes" not in text
