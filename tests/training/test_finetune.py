"""Fine-tuning: --init from a run checkpoint, a native model or a foreign file; FreezeD; DiffAugment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from training.augment import cutout, diff_augment, parse_policy, translation
from training.loop import checkpoints
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


# --- DiffAugment ---------------------------------------------------------------------------------------------
def test_translation_shifts_whole_images_with_zero_fill():
    torch.manual_seed(0)
    x = torch.arange(1, 4 * 16 * 16 + 1, dtype=torch.float32).reshape(4, 1, 16, 16)
    y = translation(x)
    for i in range(4):
        nz = y[i, 0].nonzero()
        src = [(int(v) - 1 - i * 256) for v in y[i, 0][y[i, 0] != 0]]
        shifts = {(sy - int(p[0]), sx - int(p[1])) for (sy, sx), p in zip((divmod(s, 16) for s in src), nz)}
        assert len(shifts) == 1  # one shift per image
        (dy, dx) = shifts.pop()
        assert abs(dy) <= 2 and abs(dx) <= 2
        assert len(nz) == (16 - abs(dy)) * (16 - abs(dx))


def test_cutout_zeroes_at_most_a_half_size_square():
    torch.manual_seed(1)
    y = cutout(torch.ones(64, 3, 16, 16))
    zeros = (y[:, 0] == 0).flatten(1).sum(1)
    assert zeros.max() <= 64 and zeros.min() > 0 and (zeros == 64).any()
    assert torch.equal(y[:, 0], y[:, 2])  # the same square in every channel


def test_diff_augment_policy_grad_and_determinism():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    torch.manual_seed(3)
    a = diff_augment(x * 2 - 1, "color,translation,cutout")
    torch.manual_seed(3)
    b = diff_augment(x * 2 - 1, "color,translation,cutout")
    assert a.shape == x.shape and torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.equal(diff_augment(x, ""), x)
    with pytest.raises(ValueError, match="unknown DiffAugment policy"):
        parse_policy("color,zoom")


# --- FreezeD ----------------------------------------------------------------------------------------------------
def test_freeze_d_keeps_first_blocks_fixed():
    model = {
        "resolution": 16,
        "img_channels": 3,
        "z_dim": 16,
        "w_dim": 16,
        "mapping_layers": 2,
        "channels": [16, 16, 8],
    }
    hp = {"freeze_d": 1, "diffaugment": "color,translation,cutout", "r1_interval": 1, "pl_interval": 1}
    trainer = make_trainer("stylegan2", model, hp, torch.device("cpu"))
    before = {k: v.clone() for k, v in trainer.D.state_dict().items()}
    g_before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    torch.manual_seed(0)
    for step in range(2):
        losses = trainer.step({"image": torch.rand(4, 3, 16, 16) * 2 - 1}, step)
    assert {"G", "D", "D_r1", "G_pl"} <= set(losses)
    after = trainer.D.state_dict()
    frozen = [k for k in after if k.startswith("blocks.0.")]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert any(not torch.equal(before[k], after[k]) for k in after if k.startswith("blocks.1."))
    assert any(not torch.equal(g_before[k], v) for k, v in trainer.G.state_dict().items())
    with pytest.raises(ValueError, match="more than the discriminator"):
        make_trainer("stylegan2", model, {"freeze_d": 9}, torch.device("cpu"))


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
