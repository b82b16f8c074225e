"""pix2pix, CycleGAN and StarGAN trainers: tiny runs through the loop, finite losses, moving weights, resume."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.checkpoints.native import load_native
from training.loop import TrainOptions, run
from training.presets import get_preset
from training.trainers import make_trainer
from training.trainers.translation_common import ImagePool, linear_decay


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """The loop sizes torch's thread pool to all cores; on a shared test machine one is faster."""
    monkeypatch.setenv("LATENTLAB_THREADS", "1")


class Collect:
    def __init__(self):
        self.events = []

    def emit(self, event, **fields):
        self.events.append({"event": event, **fields})
        return self.events[-1]


def _opts(name, out, **kw):
    p = get_preset(name)
    fields = dict(
        family=p.family,
        data=p.data,
        resolution=p.resolution,
        out=str(out),
        batch=p.batch,
        max_steps=p.max_steps,
        checkpoint_every=p.checkpoint_every,
        sample_every=p.sample_every,
        log_every=1,
        channels=p.channels,
        model=p.model,
        hparams=p.hparams,
        preset=name,
    )
    fields.update(kw)
    return TrainOptions(**fields)


@pytest.mark.parametrize(
    ("preset", "keys"),
    [
        ("tiny-pix2pix", {"loss_D", "G_GAN", "G_L1"}),
        ("tiny-cyclegan", {"G_GAN", "cycle", "identity", "D_A", "D_B"}),
        ("tiny-stargan", {"loss_D", "D_cls", "gp", "loss_G", "G_cls", "rec"}),
    ],
)
def test_tiny_preset_trains(preset, keys, tmp_path):
    torch.manual_seed(0)
    ev = Collect()
    opts = _opts(preset, tmp_path / "r")
    trainer = make_trainer(
        opts.family, {"resolution": opts.resolution, "img_channels": 3, **opts.model}, opts.hparams, torch.device("cpu")
    )
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    out = run(opts, ev)
    steps = [e for e in ev.events if e["event"] == "step"]
    seen = set().union(*(e["losses"] for e in steps))
    assert keys <= seen
    assert all(math.isfinite(v) for e in steps for v in e["losses"].values())
    model = load_native(out)
    assert model.family == opts.family
    after = model.module.state_dict()
    changed = [
        k for k in before if k in after and before[k].dtype.is_floating_point and not torch.equal(before[k], after[k])
    ]
    assert len(changed) > len(before) // 2  # the generator trained (fresh trainers start from the same seed)
    caps = model.capabilities
    x = torch.rand(2, 3, caps.resolution, caps.resolution) * 2 - 1
    with torch.no_grad():
        y = (
            model.translate(x, target=torch.eye(len(caps.classes))[:2])
            if caps.task == "multi-domain"
            else model.translate(x, caps.image_input.directions[-1])
        )
    assert y.shape == x.shape and torch.isfinite(y).all()
    grids = [Path(e["path"]) for e in ev.events if e["event"] == "sample"]
    assert grids and all(p.exists() for p in grids)
    w, h = Image.open(grids[-1]).size
    assert w // caps.resolution == getattr(get_preset(preset), "sample_columns", trainer.sample_columns)
    if caps.task == "multi-domain":
        assert caps.classes == ("red", "yellow", "green", "blue")


def test_cyclegan_resume_is_exact():
    """Networks, optimisers, the replay buffers and the decayed LR all come back from state_dict."""
    from training.data import DataSummary
    from training.translation_data import TranslationDataset

    p = get_preset("tiny-cyclegan")
    cfg = {"resolution": p.resolution, "img_channels": 3, **p.model}
    hp = {**p.hparams, "pool_size": 2}
    rng = torch.Generator().manual_seed(3)
    a = torch.randint(0, 256, (6, 32, 32, 3), generator=rng, dtype=torch.uint8).numpy()
    ds = TranslationDataset("unpaired", DataSummary("t", 12, 0, 32, 3), a, a[::-1].copy())
    batches = [ds.sample(2, torch.Generator().manual_seed(i)) for i in range(4)]

    def trainer():
        t = make_trainer("cyclegan", cfg, hp, torch.device("cpu"))
        t.attach_data(ds)
        return t

    torch.manual_seed(0)
    full = trainer()
    for i, b in enumerate(batches):
        full.step(b, i)
    torch.manual_seed(0)
    half = trainer()
    for i, b in enumerate(batches[:2]):
        half.step(b, i)
    state, rng_state = half.state_dict(), torch.get_rng_state()
    resumed = trainer()
    resumed.load_state_dict(state)
    torch.set_rng_state(rng_state)
    for i, b in enumerate(batches[2:], start=2):
        resumed.step(b, i)
    assert resumed.opt_G.param_groups[0]["lr"] == full.opt_G.param_groups[0]["lr"] < p.hparams.get("lr", 2e-4)
    for k, v in full.G.state_dict().items():
        torch.testing.assert_close(resumed.G.state_dict()[k], v, rtol=0, atol=0)


def test_image_pool_mixes_old_fakes():
    torch.manual_seed(0)
    pool = ImagePool(3)
    first = torch.arange(3.0).reshape(3, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling: returned as given
    new = torch.full((20, 1, 1, 1), 9.0)
    out = pool.query(new)
    old = (out < 9).sum().item()
    assert 0 < old <= 20 and len(pool.images) == 3
    assert torch.equal(ImagePool(0).query(new), new)


def test_linear_decay():
    f = linear_decay(10, 5)
    assert [f(s) for s in (0, 9, 10, 12, 15, 30)] == [1.0, 1.0, 1.0, pytest.approx(0.6), 0.0, 0.0]
    assert linear_decay(0, 0)(1000) == 1.0


def test_paper_defaults():
    from training.trainers.cyclegan import CycleGANHparams
    from training.trainers.pix2pix import Pix2PixHparams
    from training.trainers.stargan import StarGANHparams

    assert Pix2PixHparams().l1_lambda == 100 and Pix2PixHparams().gan_loss == "vanilla"
    c = CycleGANHparams()
    assert (c.lambda_cycle, c.lambda_identity, c.pool_size) == (10, 0.5, 50)
    s = StarGANHparams()
    assert (s.lambda_gp, s.lambda_rec, s.lambda_cls, s.n_critic) == (10, 10, 1, 5)


def test_pix2pix_channels_last_bf16_close_to_fp32_and_resume_exact():
    """The speed settings change one step by rounding only, and a run with them resumes exactly."""
    from training.data import DataSummary
    from training.translation_data import TranslationDataset

    p = get_preset("tiny-pix2pix")
    cfg = {"resolution": p.resolution, "img_channels": 3, **p.model}
    rng = torch.Generator().manual_seed(3)
    a = torch.randint(0, 256, (6, p.resolution, p.resolution, 3), generator=rng, dtype=torch.uint8).numpy()
    ds = TranslationDataset("paired", DataSummary("t", 6, 0, p.resolution, 3), a, a[::-1].copy())
    batches = [ds.sample(2, torch.Generator().manual_seed(i)) for i in range(4)]

    def trainer(**hp):
        torch.manual_seed(0)
        t = make_trainer("pix2pix", cfg, {**p.hparams, **hp}, torch.device("cpu"))
        t.attach_data(ds)
        return t

    fp32, fast = trainer(), trainer(channels_last=True, bf16=True)
    torch.manual_seed(1)
    l32 = {k: float(v) for k, v in fp32.step(batches[0], 0).items()}
    torch.manual_seed(1)
    lbf = {k: float(v) for k, v in fast.step(batches[0], 0).items()}
    for k in l32:
        assert lbf[k] == pytest.approx(l32[k], rel=0.05), k
    full = trainer(channels_last=True, bf16=True)
    for i, b in enumerate(batches):
        full.step(b, i)
    half = trainer(channels_last=True, bf16=True)
    for i, b in enumerate(batches[:2]):
        half.step(b, i)
    state, rng_state = half.state_dict(), torch.get_rng_state()
    resumed = trainer(channels_last=True, bf16=True)
    resumed.load_state_dict(state)
    torch.set_rng_state(rng_state)
    for i, b in enumerate(batches[2:], start=2):
        resumed.step(b, i)
    for k, v in full.G.state_dict().items():
        torch.testing.assert_close(resumed.G.state_dict()[k], v, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("family", "kind", "names"),
    [("cyclegan", "unpaired", ("grey", "colour")), ("pix2pix", "paired", ("edges", "colour"))],
)
def test_translators_keep_the_names_of_their_domains(family, kind, names):
    """The data's names for A and B go into the exported model, so the GUI can say "edges → colour"."""
    from training.data import DataSummary
    from training.translation_data import TranslationDataset

    p = get_preset(f"tiny-{family}")
    cfg = {"resolution": p.resolution, "img_channels": 3, **p.model}
    a = torch.randint(0, 256, (4, p.resolution, p.resolution, 3), dtype=torch.uint8).numpy()
    ds = TranslationDataset(kind, DataSummary("t", 8, 0, p.resolution, 3), a, a[::-1].copy(), domain_names=names)
    t = make_trainer(family, cfg, p.hparams, torch.device("cpu"))
    t.attach_data(ds)
    assert t.export_model().capabilities.image_input.domains == names


def test_stargan_says_whether_its_domains_are_exclusive():
    from training.data import DataSummary
    from training.translation_data import TranslationDataset

    p = get_preset("tiny-stargan")
    cfg = {"resolution": p.resolution, "img_channels": 3, **p.model}
    a = torch.randint(0, 256, (6, p.resolution, p.resolution, 3), dtype=torch.uint8).numpy()
    k = cfg["c_dim"]
    onehot = np.eye(k, dtype=np.float32)[np.arange(6) % k]
    for labels, exclusive in ((onehot, True), (np.ones((6, k), np.float32), False)):
        ds = TranslationDataset(
            "multi-domain", DataSummary("t", 6, 0, p.resolution, 3), a, None, labels,
            tuple(f"d{i}" for i in range(k)), exclusive=True,
        )  # fmt: skip
        t = make_trainer("stargan", cfg, p.hparams, torch.device("cpu"))
        t.attach_data(ds)
        assert t.export_model().capabilities.image_input.exclusive_domains is exclusive
