"""Fine-tuning: --init from a run checkpoint, a native model or a foreign file; FreezeD; DiffAugment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from training.loop import checkpoints
from training.presets import get_preset
from training.run import main as train_main
from training.trainers import make_trainer

ROS = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "fixtures"
    / "rosinality_stylegan2"
    / "stylegan2_rosinality_g_ema.pt"
)
TINY = ["--preset", "tiny-stylegan2", "--batch", "4", "--log-every", "1", "--sample-every", "0"]


def _events(capsys):
    return [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]


def _last_state(run_dir):
    return torch.load(checkpoints(Path(run_dir))[-1][1], weights_only=True)["trainer"]


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


# --- --init ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("src") / "run"
    assert train_main([*TINY, "--out", str(out), "--max-steps", "2", "--checkpoint-every", "2"]) == 0
    return out


def test_init_from_training_checkpoint_loads_g_and_d(source_run, tmp_path, capsys):
    capsys.readouterr()
    ckpt = checkpoints(source_run)[-1][1]
    out = tmp_path / "ft"
    assert train_main([*TINY, "--init", str(ckpt), "--out", str(out), "--max-steps", "0"]) == 0
    (init,) = [e for e in _events(capsys) if e["event"] == "init"]
    assert init["kind"] == "training checkpoint" and init["D"] == "loaded" and init["from_step"] == 2
    src, dst = _last_state(source_run), _last_state(out)
    for net in ("G", "D", "G_ema"):
        _same(src[net], dst[net])
    assert json.loads((out / "run.json").read_text())["init"] == str(ckpt.resolve())


def test_init_from_native_model_with_freeze_and_diffaugment(source_run, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "ft"
    args = [
        *TINY,
        "--init",
        str(source_run / "model.safetensors"),
        "--out",
        str(out),
        "--max-steps",
        "2",
        "--freeze-d",
        "1",
        "--diffaugment",
        "color,translation,cutout",
        "--lr",
        "0.0005",
    ]
    assert train_main(args) == 0
    events = _events(capsys)
    (init,) = [e for e in events if e["event"] == "init"]
    assert init["kind"] == "native" and init["D"] == "fresh"
    run = json.loads((out / "run.json").read_text())
    assert run["hparams"]["freeze_d"] == 1 and run["hparams"]["lr"] == 0.0005
    assert events[-1]["event"] == "done" and events[-1]["step"] == 2


def test_init_family_mismatch_is_refused(source_run, tmp_path, capsys):
    args = ["--preset", "tiny-dcgan", "--init", str(source_run / "model.safetensors"), "--out", str(tmp_path / "x")]
    assert train_main(args) == 2
    assert "cannot start a dcgan run" in capsys.readouterr().err


@pytest.mark.skipif(not ROS.exists(), reason="rosinality fixture not found")
def test_init_from_rosinality_generator(tmp_path, capsys):
    from engine.checkpoints.loader import load_model

    out = tmp_path / "ft"
    args = [
        "--init",
        str(ROS),
        "--data",
        "demo:emoji",
        "--out",
        str(out),
        "--max-steps",
        "0",
        "--batch",
        "2",
        "--sample-every",
        "0",
    ]
    assert train_main(args) == 0
    (init,) = [e for e in _events(capsys) if e["event"] == "init"]
    assert init["D"] == "fresh" and init["kind"] != "native"
    ref = load_model(ROS).module.state_dict()
    _same(ref, _last_state(out)["G_ema"])
    assert json.loads((out / "run.json").read_text())["resolution"] == 64


def test_finetune_the_bundled_stylegan2_on_200_images(tmp_path, capsys):
    """Issue 7's acceptance: the bundled model by name, a 200-image folder, DiffAugment and FreezeD."""
    import numpy as np
    from PIL import Image

    from engine import zoo
    from engine.checkpoints.native import load_native

    folder = tmp_path / "imgs"
    folder.mkdir()
    emoji = np.load(zoo.data_path("emoji64.npz"))["images"]
    for i in range(200):
        Image.fromarray(emoji[(i * 7) % len(emoji)]).save(folder / f"{i:03d}.png")
    capsys.readouterr()
    out = tmp_path / "ft"
    args = [
        "--init",
        "emoji-stylegan2",
        "--data",
        str(folder),
        "--out",
        str(out),
        "--max-steps",
        "2",
        "--batch",
        "2",
        "--freeze-d",
        "2",
        "--diffaugment",
        "color,translation,cutout",
        "--lr",
        "0.001",
        "--checkpoint-every",
        "2",
        "--sample-every",
        "0",
    ]
    assert train_main(args) == 0
    events = _events(capsys)
    start = next(e for e in events if e["event"] == "start")
    assert start["images"] == 200
    (init,) = [e for e in events if e["event"] == "init"]
    assert init["kind"] == "native" and init["D"] == "fresh"
    tuned = load_native(out / "model.safetensors")
    base = load_native(zoo.find("emoji-stylegan2").path)
    assert tuned.config == base.config
    a, b = tuned.module.state_dict(), base.module.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)  # the generator moved from the bundled weights


# --- --init for every family ---------------------------------------------------------------------------------
FAMILY_PRESETS = [
    "tiny-gan",
    "tiny-cgan",
    "tiny-dcgan",
    "tiny-cdcgan",
    "tiny-wgan-cp",
    "tiny-wgan-gp",
    "tiny-vae",
    "tiny-pggan",
    "tiny-stylegan",
    "tiny-pix2pix",
    "tiny-cyclegan",
    "tiny-stargan",
    "tiny-psp",
]
QUIET = ["--batch", "2", "--log-every", "1", "--sample-every", "0"]
GAN_PRESETS = {"tiny-gan", "tiny-cgan", "tiny-dcgan", "tiny-cdcgan", "tiny-wgan-cp", "tiny-wgan-gp"}


@pytest.fixture(scope="module")
def fmnist_stand_in(tmp_path_factory) -> Path:
    """Ten classes of random 28×28 grey images in an .npz: the data of the presets that train on fmnist:train
    (what is learnt does not matter here, so the tests run without Debian's Fashion-MNIST, and faster)."""
    import numpy as np

    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "fmnist-stand-in.npz"
    labels = np.arange(40) % 10
    images = rng.integers(0, 256, (40, 28, 28, 1), dtype=np.uint8)
    np.savez(path, images=images, labels=labels, class_names=np.array([f"class {i}" for i in range(10)]))
    return path


def _quick(preset, fmnist_stand_in):
    """Run flags for a fast test: few precise-BN batches at export for the classic GANs; the stand-in data for
    presets that train on Fashion-MNIST."""
    flags = ["--preset", preset, *QUIET]
    if get_preset(preset).data.startswith("fmnist"):
        flags += ["--data", str(fmnist_stand_in)]
    return flags + (["--hparams", '{"precise_bn_batches": 2}'] if preset in GAN_PRESETS else [])


def _module_state(path):
    from engine.checkpoints.native import load_native

    return load_native(path).module.state_dict()


def _fresh_trainer(run_dir, **hparams):
    """The trainer a run in ``run_dir`` builds before any step (the loop seeds torch before building it)."""
    run = json.loads((Path(run_dir) / "run.json").read_text())
    model = {"resolution": run["resolution"], "img_channels": run["channels"], **run["model"]}
    torch.manual_seed(run["seed"])
    return make_trainer(run["family"], model, {**run["hparams"], **hparams}, torch.device("cpu"))


def _discriminators(trainer):
    return {k: v for k, v in trainer.networks().items() if k not in trainer.generator_networks()}


@pytest.mark.parametrize("preset", FAMILY_PRESETS)
def test_init_from_exported_model_for_every_family(preset, fmnist_stand_in, tmp_path, capsys):
    src = tmp_path / "src"
    assert train_main([*_quick(preset, fmnist_stand_in), "--out", str(src), "--max-steps", "2"]) == 0
    capsys.readouterr()
    out = tmp_path / "ft"
    args = [*_quick(preset, fmnist_stand_in), "--init", str(src / "model.safetensors"), "--out", str(out)]
    assert train_main([*args, "--max-steps", "0"]) == 0
    (init,) = [e for e in _events(capsys) if e["event"] == "init"]
    assert init["kind"] == "native"
    # The generator (and its EMA copy) start as the source's exported model: so does the export at step 0.
    _same(_module_state(src / "model.safetensors"), _module_state(out / "model.safetensors"))
    state = _last_state(out)
    fresh = _fresh_trainer(out)
    for name in fresh.generator_networks():
        if name in state:
            _same(_module_state(src / "model.safetensors"), state[name])
    discs = _discriminators(fresh)
    assert init["D"] == ("fresh" if discs else "none") and sorted(init["fresh"]) == sorted(discs)
    for name, d in discs.items():  # discriminators start as a new run's, not as the source run's trained ones
        _same(d.state_dict(), state[name])
        assert any(not torch.equal(v, _last_state(src)[name][k]) for k, v in state[name].items())


def test_init_from_training_checkpoint_restores_every_network(tmp_path, capsys):
    src = tmp_path / "src"
    assert train_main(["--preset", "tiny-cyclegan", *QUIET, "--out", str(src), "--max-steps", "2"]) == 0
    capsys.readouterr()
    ckpt = checkpoints(src)[-1][1]
    out = tmp_path / "ft"
    assert (
        train_main(["--init", str(ckpt), *QUIET, "--data", "demo:emoji-grey", "--out", str(out), "--max-steps", "0"])
        == 0
    )
    (init,) = [e for e in _events(capsys) if e["event"] == "init"]
    assert init["kind"] == "training checkpoint" and init["D"] == "loaded" and init["from_step"] == 2
    assert sorted(init["loaded"]) == ["D_A", "D_B", "G"]
    a, b = _last_state(src), _last_state(out)
    for net in ("G", "D_A", "D_B"):
        _same(a[net], b[net])


def test_pggan_init_continues_at_the_sources_level(tmp_path, capsys):
    from training.trainers.pggan import nimg_at, schedule

    for level, alpha in [(0, 1.0), (1, 0.25), (2, 1.0), (3, 0.5)]:
        assert schedule(nimg_at(level, alpha, 16, 8), 4, 16, 8) == (level, alpha)
    src = tmp_path / "src"
    args = ["--preset", "tiny-pggan", *QUIET, "--out", str(src), "--max-steps", "14", "--checkpoint-every", "0"]
    assert train_main(args) == 0  # 28 images: level 1, fading in (stable 16, fade 16)
    capsys.readouterr()
    out = tmp_path / "ft"
    args = ["--preset", "tiny-pggan", *QUIET, "--init", str(src / "model.safetensors"), "--out", str(out)]
    assert train_main([*args, "--max-steps", "0"]) == 0
    (init,) = [e for e in _events(capsys) if e["event"] == "init"]
    assert init["level"] == 1 and init["alpha"] == pytest.approx(0.75)
    assert _last_state(out)["nimg"] == 28


@pytest.mark.parametrize(
    ("preset", "policy"),
    [
        ("tiny-dcgan", "color,translation,cutout"),
        ("tiny-gan", "color,translation,cutout"),
        ("tiny-wgan-cp", "translation"),
        ("tiny-wgan-gp", "cutout"),
        ("tiny-pggan", "color,translation,cutout"),
        ("tiny-stylegan", "color,translation,cutout"),
        ("tiny-pix2pix", "color,translation,cutout"),
        ("tiny-cyclegan", "color,translation,cutout"),
        ("tiny-stargan", "translation,cutout"),
    ],
)
def test_freeze_d_and_diffaugment_for_every_family(preset, policy, fmnist_stand_in, tmp_path):
    out = tmp_path / "run"
    args = [*_quick(preset, fmnist_stand_in), "--out", str(out), "--max-steps", "2", "--freeze-d", "1"]
    assert train_main([*args, "--diffaugment", policy]) == 0
    fresh = _fresh_trainer(out)
    stepped = {id(p) for g in fresh.opt_D.param_groups for p in g["params"]}
    state = _last_state(out)
    frozen_seen = moved = 0
    for name, d in _discriminators(fresh).items():
        for key, p in d.named_parameters():
            if id(p) in stepped:
                moved += not torch.equal(p.detach(), state[name][key])
            else:
                frozen_seen += 1
                torch.testing.assert_close(p.detach(), state[name][key], rtol=0, atol=0, msg=f"{name}.{key}")
    assert frozen_seen > 0 and moved > 0


@pytest.mark.parametrize("preset", ["tiny-vae", "tiny-psp"])
def test_freeze_d_and_diffaugment_refused_without_a_discriminator(preset, tmp_path, capsys):
    assert train_main(["--preset", preset, "--out", str(tmp_path / "x"), "--diffaugment", "color"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "has no discriminator, so --diffaugment do" in err


def test_stargan_refuses_color_augmentation(tmp_path, capsys):
    assert train_main(["--preset", "tiny-stargan", "--out", str(tmp_path / "x"), "--diffaugment", "color"]) == 2
    assert "StarGAN cannot use the color DiffAugment" in capsys.readouterr().err


# --- foreign sources and mismatches ------------------------------------------------------------------------
def _write_images(folder, n, size, seed):
    import numpy as np
    from PIL import Image

    rng = np.random.RandomState(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        Image.fromarray(rng.randint(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"{i}.png")


def test_finetune_pix2pix_from_pytorch_cyclegan_and_pix2pix_unet(fixtures_dir, tmp_path, capsys):
    from engine.checkpoints.loader import load_model
    from training.finetune import init_spec

    source = fixtures_dir / "cyclegan_pix2pix" / "latest_net_G.pth"
    spec = init_spec(str(source))
    assert spec["family"] == "pix2pix" and spec["resolution"] == 64
    trainer = make_trainer("pix2pix", {"resolution": 64, "img_channels": 3, **spec["model"]}, {}, torch.device("cpu"))
    d_before = {k: v.clone() for k, v in trainer.D.state_dict().items()}
    report = trainer.init_from(str(source))
    assert report["D"] == "fresh" and report["kind"] != "native" and report["fresh"] == ["D"]
    assert report["format"] == "pytorch-CycleGAN-and-pix2pix"
    _same(load_model(source).module.state_dict(), trainer.G.state_dict())
    _same(d_before, trainer.D.state_dict())

    data = tmp_path / "pairs"
    _write_images(data / "A", 4, 64, 0)
    _write_images(data / "B", 4, 64, 1)
    capsys.readouterr()
    out = tmp_path / "ft"
    args = ["--init", str(source), "--data", str(data), "--out", str(out), *QUIET, "--max-steps", "2"]
    assert train_main([*args, "--lr", "0.0001", "--freeze-d", "1", "--diffaugment", "translation,cutout"]) == 0
    events = _events(capsys)
    assert events[-1]["event"] == "done" and events[-1]["step"] == 2
    tuned = _module_state(out / "model.safetensors")
    assert any(not torch.equal(v, load_model(source).module.state_dict()[k]) for k, v in tuned.items())


def test_finetune_cyclegan_from_one_direction_generator(fixtures_dir, tmp_path, capsys):
    from engine.checkpoints.loader import load_model

    source = fixtures_dir / "cyclegan_pix2pix" / "latest_net_G_A.pth"
    data = tmp_path / "domains"
    _write_images(data / "trainA", 3, 32, 0)
    _write_images(data / "trainB", 3, 32, 1)
    out = tmp_path / "ft"
    args = ["--init", str(source), "--data", str(data), "--resolution", "32", "--out", str(out), *QUIET]
    assert train_main([*args, "--max-steps", "2", "--checkpoint-every", "0"]) == 0
    events = _events(capsys)
    (init,) = [e for e in events if e["event"] == "init"]
    assert init["D"] == "fresh" and sorted(init["fresh"]) == ["D_A", "D_B", "G.generators.BtoA"]
    assert events[-1]["event"] == "done" and events[-1]["step"] == 2
    assert json.loads((out / "run.json").read_text())["model"]["directions"] == ["AtoB", "BtoA"]
    # At step 0 the AtoB generator is the file's; BtoA is a new one.
    run = json.loads((out / "run.json").read_text())
    trainer = make_trainer("cyclegan", {"resolution": 32, "img_channels": 3, **run["model"]}, {}, torch.device("cpu"))
    trainer.init_from(str(source))
    ref = load_model(source).module.state_dict()
    _same(ref, {k: v for k, v in trainer.G.state_dict().items() if k.startswith("generators.AtoB.")})


def test_init_mismatches_fail_with_one_line(tmp_path, capsys):
    from engine.checkpoints.native import save_native
    from engine.errors import CheckpointMismatchError
    from engine.families import get_family

    dcgan = get_family("dcgan")
    path = save_native(dcgan.new(dcgan.tiny_config()), tmp_path / "dcgan.safetensors")
    args = ["--preset", "tiny-cyclegan", "--init", str(path), "--out", str(tmp_path / "x")]
    assert train_main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--init holds a dcgan model; it cannot start a cyclegan run" in err
    cyclegan = make_trainer("cyclegan", {"resolution": 16, "img_channels": 3, "ngf": 4}, {}, torch.device("cpu"))
    with pytest.raises(CheckpointMismatchError, match="is a dcgan model, not cyclegan"):
        cyclegan.init_from(str(path))
    cfg = dcgan.config_to_dict(dcgan.tiny_config())
    wider = make_trainer("dcgan", {**cfg, "ngf": cfg["ngf"] * 2}, {}, torch.device("cpu"))
    with pytest.raises(CheckpointMismatchError, match="does not match the run's architecture: .* is \\("):
        wider.init_from(str(path))


@pytest.mark.parametrize(
    "name",
    [
        "rosinality_stylegan2/stylegan2_rosinality_g_ema.pt",
        "nvlabs_stylegan2_ada/stylegan2ada_cond10_res32.pkl",
        "stargan/200000-G_legacy_format.ckpt",
        "pytorch_gan_zoo/pgan_small.pth",
        "pytorch_gan_zoo/dcgan_small.pth",
        "psp/psp_ffhq_encode_small_64.pt",
    ],
)
def test_init_from_every_foreign_format(name, fixtures_dir):
    """Each reference format starts a run of its family: the exported module's weights go into the trainer."""
    from engine.checkpoints.loader import load_model
    from training.finetune import init_spec

    source = fixtures_dir / name
    spec = init_spec(str(source))
    model = {"resolution": spec["resolution"], "img_channels": spec["channels"], **spec["model"]}
    trainer = make_trainer(spec["family"], model, {}, torch.device("cpu"))
    report = trainer.init_from(str(source))
    assert report["kind"] != "native" and report["loaded"]
    ref = load_model(source).module.state_dict()
    for net in report["loaded"]:
        _same(ref, trainer.networks()[net].state_dict())
    if spec["family"] == "pggan":  # GAN zoo's model is fully grown: training goes on at its top level
        assert (report["level"], report["alpha"]) == (3, 1.0) and trainer.phase() == (3, 1.0)
