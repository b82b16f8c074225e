"""Findings 4, 5 and 12 (engine side): tiny hostile files are refused before any large allocation,
in one line naming the file, without blocking, and in a bounded budget (≤ 1 CPU s, ≤ 200 MB)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.hostile import hostile_files as hf

LOAD = "from engine.checkpoints.loader import load_model\n"


def _load(path: Path | str) -> str:
    return f"load_model({str(path)!r})"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("stylegan2")
    return save_native(fam.new(fam.tiny_config()), tmp_path_factory.mktemp("tiny") / "tiny.safetensors")


# --- finding 4: size checks before allocation ---------------------------------------------------
def test_sidecar_with_a_million_mapping_layers_is_refused_before_building(tmp_path: Path, tiny: Path) -> None:
    st = hf.native_with_description(tmp_path, tiny, {"config.mapping_layers": 1_000_000})
    r = hf.probe(_load(st), LOAD)
    hf.assert_refused_cheaply(r, "model.safetensors", "mapping_layers must be in 0..64, got 1000000")


def test_config_that_promises_more_than_the_file_holds_is_refused(tmp_path: Path, tiny: Path) -> None:
    # Within every bound, but the file's tensors are those of the tiny model.
    change = {"config.resolution": 2048, "config.channels": [], "config.d_channels": []}
    r = hf.probe(_load(hf.native_with_description(tmp_path, tiny, change)), LOAD)
    hf.assert_refused_cheaply(r, "model.safetensors", "tensors do not match the stylegan2 config")
    # A config of ~2 billion parameters (each value within its bound) stops at the allocation budget.
    huge = {**change, "config.resolution": 4096, "config.channel_max": 4096, "config.channel_base": 1 << 18}
    huge.update({"config.z_dim": 4096, "config.w_dim": 4096})
    r = hf.probe(_load(hf.native_with_description(tmp_path, tiny, huge)), LOAD)
    hf.assert_refused_cheaply(r, "model.safetensors", "needs more than", "far more than its file holds")


def test_stride0_tensor_in_a_tiny_torch_zip_is_refused(tmp_path: Path) -> None:
    p = hf.torch_stride0(tmp_path / "200000-G.ckpt")  # 2.8 GB as a contiguous tensor
    assert p.stat().st_size < 4096
    r = hf.probe(_load(p), LOAD)
    hf.assert_refused_cheaply(r, "200000-G.ckpt", "stride 0")


def test_deflated_torch_zip_is_refused_before_inflating(tmp_path: Path) -> None:
    p = hf.torch_deflated(tmp_path / "deflated.pt", 256 << 20)
    assert p.stat().st_size < 1 << 20
    r = hf.probe(_load(p), LOAD)
    hf.assert_refused_cheaply(r, "deflated.pt", "inflates", "256.0 MB")


def test_legacy_torch_file_declaring_gigabytes_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "legacy.pt"
    p.write_bytes(hf.legacy_torch_bytes(1_000_000_000))
    r = hf.probe(_load(p), LOAD)
    hf.assert_refused_cheaply(r, "legacy.pt", "declares 3.7 GB of tensor data")


def test_nvlabs_pickle_with_a_nested_storage_declaring_gigabytes_is_refused(tmp_path: Path) -> None:
    p = hf.nvlabs_nested_legacy(tmp_path / "snapshot.pkl", 1_000_000_000)
    r = hf.probe(_load(p), LOAD)
    hf.assert_refused_cheaply(r, "snapshot.pkl", "declares 3.7 GB")


def test_npz_with_a_label_of_1e8_is_refused(tmp_path: Path) -> None:
    p = hf.npz_with_labels(tmp_path / "data.npz", np.array([0, 1, 2, 100_000_000]))
    r = hf.probe(f"open_dataset({str(p)!r}, 8, 1)", "from training.data import open_dataset")
    hf.assert_refused_cheaply(r, "data.npz", "label 100000000 is outside the limit of 65536 classes")


@pytest.mark.parametrize(
    ("labels", "needle"),
    [
        (np.array([0.0, 1.0, np.nan, 1.0]), "NaN"),
        (np.array([0, 1, -1, 1]), "negative class index"),
        (np.array([0.0, 0.5, 1.0, 1.0]), "fractions"),
    ],
)
def test_npz_labels_out_of_range_or_nan_are_refused(tmp_path: Path, labels: np.ndarray, needle: str) -> None:
    from training.data import DataError, open_dataset

    p = hf.npz_with_labels(tmp_path / "data.npz", labels)
    with pytest.raises(DataError, match=needle):
        open_dataset(p, 8, 1)


def test_npz_whose_header_promises_100_gb_is_refused(tmp_path: Path) -> None:
    p = hf.npz_lying_header(tmp_path / "data.npz")
    r = hf.probe(f"open_dataset({str(p)!r}, 8, 1)", "from training.data import open_dataset")
    hf.assert_refused_cheaply(r, "data.npz", "declares")


def test_sparse_2gb_sidecar_is_refused_by_its_size(tmp_path: Path, tiny: Path) -> None:
    st = tmp_path / "model.safetensors"
    st.write_bytes(tiny.read_bytes())
    side = st.with_suffix(".json")
    side.write_text('{"format": "latentlab", "pad": "')
    os.truncate(side, 2 << 30)  # sparse: takes no disk space
    r = hf.probe(_load(st), LOAD)
    hf.assert_refused_cheaply(r, "model.json", "2.0 GB, more than the limit of 16.0 MB")


def test_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    r = hf.probe(_load("/dev/zero"), LOAD)
    hf.assert_refused_cheaply(r, "zero", "is a device")


def test_forged_safetensors_header_is_refused(tmp_path: Path) -> None:
    cases = {
        "offsets.safetensors": ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 1 << 40]}}, "outside"),
        "dtype.safetensors": ({"w": {"dtype": "X99", "shape": [1], "data_offsets": [0, 4]}}, "unknown dtype"),
        "shape.safetensors": ({"w": {"dtype": "F32", "shape": [1 << 30], "data_offsets": [0, 4]}}, "needs"),
        "negative.safetensors": ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, "non-negative"),
    }
    from engine.checkpoints.errors import CheckpointError
    from engine.checkpoints.safetensors_header import read_header

    for name, (header, needle) in cases.items():
        p = hf.safetensors_with_header(tmp_path / name, header, b"\0" * 4)
        with pytest.raises(CheckpointError, match=needle) as e:
            read_header(p)
        assert name in str(e.value)
    huge = tmp_path / "huge.safetensors"
    huge.write_bytes((1 << 62).to_bytes(8, "little") + b"{}")
    r = hf.probe(f"read_header({str(huge)!r})", "from engine.checkpoints.safetensors_header import read_header")
    hf.assert_refused_cheaply(r, "huge.safetensors", "more than the limit")


# --- finding 5: FIFOs never block -----------------------------------------------------------------
def test_fifo_named_safetensors_is_refused_without_blocking(tmp_path: Path) -> None:
    p = hf.fifo(tmp_path / "x.safetensors")
    r = hf.probe(_load(p), LOAD, timeout=30)
    hf.assert_refused_cheaply(r, "x.safetensors", "named pipe")


@pytest.mark.parametrize("name", ["x.pt", "x.json", "x.npz", "x.png", "x.latentlab.json", "keys.npz"])
def test_fifo_is_refused_by_every_reader(tmp_path: Path, name: str) -> None:
    p = hf.fifo(tmp_path / name)
    code = {
        "x.pt": f"load_model({str(p)!r})",
        "x.json": f"load_model({str(p)!r})",
        "x.npz": f"load_latent({str(p)!r})",
        "x.png": f"read_image({str(p)!r})",
        "x.latentlab.json": f"load_project({str(p)!r})",
        "keys.npz": f"load_keyframes({str(p)!r})",
    }[name]
    setup = (
        LOAD + "from engine.latent.invert import load_latent\nfrom engine.images import read_image\n"
        "from engine.latent.gallery import load_project\nfrom engine.latent.keyframe_files import load_keyframes\n"
    )
    r = hf.probe(code, setup, timeout=30)
    hf.assert_refused_cheaply(r, "named pipe")


# --- finding 12: one line naming the file instead of a raw exception ------------------------------
@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"version": None}, "format version must be a positive integer, got 'None'"),
        ({"version": [1]}, "format version must be a positive integer, got '[1]'"),
        ({"version": "abc"}, "format version must be a positive integer, got 'abc'"),
        ({"config.z_dim": -5}, "z_dim must be in 0..4096, got -5"),
        ({"config.channels": [0, 16, 8]}, "channels[0] must be in 1..4096, got 0"),
        ({"config.w_dim": "16"}, "w_dim must be an integer, got '16'"),
        ({"config.resolution": 1048576}, "resolution must be a power of two from 4 to 4096, got 1048576"),
        ({"config": [1, 2]}, "'config' must be an object"),
        ({"family": 7}, "'family' must be a family name"),
    ],
)
def test_bad_descriptions_are_one_line_naming_the_file(tmp_path: Path, tiny: Path, change: dict, needle: str) -> None:
    from engine.checkpoints.errors import CheckpointError
    from engine.checkpoints.loader import load_model

    st = hf.native_with_description(tmp_path, tiny, change)
    with pytest.raises(CheckpointError) as e:
        load_model(st)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(("model.json:", "model.safetensors:")), msg
    assert needle in msg


def test_dcgan_ngf_as_a_string_is_refused(tmp_path: Path) -> None:
    from engine import zoo
    from engine.checkpoints.errors import CheckpointError
    from engine.checkpoints.loader import load_model

    src = zoo.find("fmnist-dcgan").path
    st = hf.native_with_description(tmp_path, src, {"config.ngf": "16"})
    expected = r"model\.safetensors: bad model description: dcgan ngf must be an integer"
    with pytest.raises(CheckpointError, match=expected):
        load_model(st)


def test_npz_object_arrays_are_refused_in_one_line(tmp_path: Path) -> None:
    from engine.errors import DataError
    from engine.latent.invert import load_latent
    from training.data import open_dataset

    p = hf.npz_object_array(tmp_path / "objects.npz")
    with pytest.raises(DataError, match="objects.npz: .*holds Python objects"):
        open_dataset(p, 8, 1)
    with pytest.raises(ValueError, match="objects.npz: not a LatentLab latent file .*Python objects"):
        load_latent(p)


def test_a_folder_and_an_empty_name_are_named(tmp_path: Path) -> None:
    from engine.checkpoints.errors import CheckpointError
    from engine.checkpoints.loader import load_model

    with pytest.raises(CheckpointError, match=r"^/: is a folder"):
        load_model("/")
    with pytest.raises(CheckpointError, match="empty file name"):
        load_model("")


def test_newlines_in_file_names_are_escaped(tmp_path: Path) -> None:
    from engine.checkpoints.errors import CheckpointError
    from engine.checkpoints.loader import load_model

    p = tmp_path / "evil\nname.pt"
    p.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError) as e:
        load_model(p)
    assert "\n" not in str(e.value) and "evil\\nname.pt" in str(e.value)


def test_published_configs_pass_the_schema() -> None:
    """The bounds are generous enough for real models: StyleGAN2 FFHQ 1024 (config-f), StyleGAN2-ADA
    at 1024 with channel base 32768, pSp on a 1024 decoder, CycleGAN/pix2pix at 256, StarGAN at 128."""
    from engine.config_schema import check_config
    from engine.models.cyclegan import CycleGANConfig
    from engine.models.pix2pix import Pix2PixConfig
    from engine.models.psp_encoder import PSPConfig
    from engine.models.stargan import StarGANConfig
    from engine.models.stylegan2 import StyleGAN2Config

    ffhq = {
        "resolution": 1024,
        "img_channels": 3,
        "z_dim": 512,
        "w_dim": 512,
        "mapping_layers": 8,
        "channel_base": 32768,
        "channel_max": 512,
        "conv_clamp": 256.0,
        "mapping_lr_mul": 0.01,
        "w_avg_beta": 0.995,
    }
    check_config(StyleGAN2Config, ffhq)
    check_config(StyleGAN2Config, {**ffhq, "channels": [512] * 7 + [256, 128, 64, 32][:2]})
    psp = {
        "decoder": ffhq,
        "input_size": 256,
        "stage_channels": [64, 128, 256, 512],
        "stage_units": [3, 4, 14, 3],
        "se_reduction": 16,
        "coarse_ind": 3,
        "middle_ind": 7,
    }
    check_config(PSPConfig, psp)
    check_config(CycleGANConfig, {"resolution": 256, "ngf": 64, "n_blocks": 9, "directions": ["AtoB", "BtoA"]})
    check_config(Pix2PixConfig, {"resolution": 256, "num_downs": 8, "ngf": 64})
    check_config(StarGANConfig, {"resolution": 128, "c_dim": 5, "conv_dim": 64, "repeat_num": 6})


def test_the_reference_fixtures_still_load(fixtures_dir: Path) -> None:
    """Every foreign fixture passes the structure scan (sizes, views) and the loaders."""
    from engine.checkpoints.loader import load_model

    names = [
        "rosinality_stylegan2/stylegan2_rosinality_g_ema.pt",
        "stargan/200000-G.ckpt",
        "stargan/200000-G_legacy_format.ckpt",
        "pytorch_gan_zoo/pgan_small.pth",
        "cyclegan_pix2pix/latest_net_G.pth",
        "nvlabs_stylegan2_ada/stylegan2ada_uncond_res32.pkl",
    ]
    for n in names:
        p = fixtures_dir / n
        if p.exists():
            assert load_model(p).capabilities.resolution > 0


def test_no_payload_executes_and_the_refusal_is_one_line(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    p = hf.payload_pickle(tmp_path / "payload.pkl", marker)
    r = hf.probe(_load(p), "import logging; logging.basicConfig(level=logging.WARNING)\n" + LOAD)
    hf.assert_refused_cheaply(r, "payload.pkl", "refused global")
    assert not marker.exists()
    assert "refused global" not in r["stderr"]  # the refusal is the error, not an extra WARNING line
    zp = tmp_path / "payload.pt"
    import pickle
    import zipfile

    with zipfile.ZipFile(zp, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(hf._Payload(marker), protocol=2))
        z.writestr("archive/version", "3\n")
    r = hf.probe(_load(zp), LOAD)
    hf.assert_refused_cheaply(r, "payload.pt")
    assert not marker.exists()


def test_json_sidecar_nesting_bomb_is_one_line(tmp_path: Path, tiny: Path) -> None:
    st = tmp_path / "model.safetensors"
    st.write_bytes(tiny.read_bytes())
    st.with_suffix(".json").write_text("[" * 200_000 + "]" * 200_000)
    r = hf.probe(_load(st), LOAD)
    hf.assert_refused_cheaply(r, "model.json")
    assert json  # the module is used by the builders
