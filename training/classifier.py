"""Supervised training of the Fashion-MNIST feature classifier (``latentlab train --preset fmnist-classifier``).

A plain loop: Adam with a cosine learning-rate decay, light augmentation (random shifts of up to
``shift`` pixels and horizontal flips), test accuracy after every epoch, JSON-lines events like the
GAN trainers. Writes ``RUN_DIR/classifier.safetensors`` + ``.json`` (config, accuracy, provenance).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.device import choose_device, configure_cpu_threads
from engine.metrics.classifier import FEATURE_LAYER, Classifier, ClassifierConfig, calibrate_features, save_classifier
from training.data import ImageDataset, open_dataset
from training.events import EventWriter
from training.loop import TrainOptions
from training.trainers.base import TrainerSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassifierHparams:
    """Adam with weight decay and a cosine decay of ``lr``; augmentation by random shifts of up to ``shift``
    pixels and horizontal flips; test accuracy on ``eval_data`` (default: Fashion-MNIST's test split for
    fmnist data) or on a stratified ``holdout`` fraction of the data."""

    lr: float = 2e-3
    weight_decay: float = 1e-4
    shift: int = 2
    xflip: bool = True
    eval_data: str = ""
    holdout: float = 0.0


def augment(x: torch.Tensor, shift: int, xflip: bool, generator: torch.Generator) -> torch.Tensor:
    """Random translation by up to ``shift`` pixels (black fill) and random horizontal flips of NCHW [-1, 1] images."""
    if x.ndim != 4:
        raise ValueError(f"expected NCHW images, got {tuple(x.shape)}")
    n, _, h, w = x.shape
    if shift > 0:
        padded = F.pad(x, (shift, shift, shift, shift), value=-1.0)
        dx = torch.randint(0, 2 * shift + 1, (n,), generator=generator)
        dy = torch.randint(0, 2 * shift + 1, (n,), generator=generator)
        rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :]
        idx_n = torch.arange(n)[:, None, None, None]
        idx_c = torch.arange(x.shape[1])[None, :, None, None]
        x = padded[idx_n, idx_c, rows, cols]
    if xflip:
        flip = torch.rand(n, generator=generator) < 0.5
        x = torch.where(flip.reshape(-1, 1, 1, 1), x.flip(3), x)
    return x


@torch.no_grad()
def accuracy(model: Classifier, data: ImageDataset, device: torch.device, batch: int = 500) -> float:
    """Top-1 accuracy of ``model`` on every image of ``data``."""
    model.eval()
    correct = 0
    for b in data.iterate(batch):
        pred = model(b["image"].to(device)).argmax(1).cpu()
        correct += int((pred == b["label"]).sum())
    return correct / len(data)


def split_holdout(data: ImageDataset, fraction: float, seed: int) -> tuple[ImageDataset, ImageDataset]:
    """A seeded, per-class (stratified) split of ``data`` into (train, held-out) with ``fraction`` held out."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"holdout must be in (0, 1), got {fraction}")
    if data.labels is None:
        raise ValueError("a held-out split needs labelled data")
    gen = torch.Generator().manual_seed(seed)
    held: list[torch.Tensor] = []
    for c in range(len(data.class_names)):
        idx = torch.nonzero(data.labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        held.append(idx[: int(round(len(idx) * fraction))])
    mask = torch.zeros(len(data), dtype=torch.bool)
    mask[torch.cat(held)] = True

    def subset(m: torch.Tensor, what: str) -> ImageDataset:
        s = data.summary
        summary = dataclasses.replace(s, source=f"{s.source} ({what})", count=int(m.sum()))
        images = data.images[m].permute(0, 2, 3, 1).numpy()
        return ImageDataset(images, summary, data.xflip, data.labels[m].numpy(), data.class_names)

    return subset(~mask, f"{1 - fraction:.0%} train split"), subset(mask, f"{fraction:.0%} held out")


def _eval_spec(train_spec: str, explicit: str) -> str | None:
    if explicit:
        return explicit
    return "fmnist:test" if train_spec.startswith("fmnist") else None


def run(opts: TrainOptions, events: EventWriter | None = None) -> Path:
    """Train the classifier for ``opts.max_steps`` steps; returns the written ``classifier.safetensors``."""
    ev = events or EventWriter()
    hp: ClassifierHparams = TRAINER.hparams(opts.hparams)
    run_dir = Path(opts.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    device = choose_device(None if opts.device == "auto" else opts.device)
    if device.type == "cpu":
        configure_cpu_threads()
    torch.manual_seed(opts.seed)
    gen = torch.Generator().manual_seed(opts.seed + 1)

    channels = int(opts.model.get("channels", 1))
    train = open_dataset(opts.data, opts.resolution, channels, labelled=True)
    eval_spec = _eval_spec(opts.data, hp.eval_data)
    test = open_dataset(eval_spec, opts.resolution, channels, labelled=True) if eval_spec else None
    if test is None and hp.holdout > 0:
        train, test = split_holdout(train, float(hp.holdout), opts.seed)
        eval_spec = f"{opts.data}: {hp.holdout:.0%} of each class held out (seed {opts.seed})"
    cfg = ClassifierConfig.from_dict(
        {
            **opts.model,
            "resolution": opts.resolution,
            "channels": channels,
            "num_classes": len(train.class_names),
            "class_names": train.class_names,
        }
    )
    model = Classifier(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, opts.max_steps) / opts.max_steps))
    )
    ev.also_to(str(run_dir / "events.jsonl"))
    (run_dir / "run.json").write_text(json.dumps(dataclasses.asdict(opts), indent=2) + "\n")
    steps_per_epoch = math.ceil(len(train) / opts.batch)
    ev.emit(
        "start",
        family="classifier",
        run_dir=str(run_dir),
        device=str(device),
        data=train.summary.source,
        images=len(train),
        step=0,
        max_steps=opts.max_steps,
        batch=opts.batch,
        params=sum(p.numel() for p in model.parameters()),
    )
    t0 = time.perf_counter()
    step, loss_sum, correct, seen = 0, torch.zeros(()), 0, 0
    test_acc: float | None = None
    while step < opts.max_steps:
        model.train()
        order = torch.randperm(len(train), generator=gen)
        for i in range(0, len(train), opts.batch):
            if step >= opts.max_steps:
                break
            idx = order[i : i + opts.batch]
            x = augment(train.images[idx].float() / 127.5 - 1, hp.shift, hp.xflip, gen).to(device)
            y = train.labels[idx].to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            loss_sum += loss.detach().cpu()
            correct += int((logits.argmax(1) == y).sum())
            seen += len(idx)
            if step % opts.log_every == 0 or step == opts.max_steps:
                elapsed = time.perf_counter() - t0
                ev.emit(
                    "step",
                    step=step,
                    losses={"ce": float(loss_sum) / opts.log_every, "train_acc": correct / max(seen, 1)},
                    images_per_s=step * opts.batch / elapsed,
                    eta_s=(opts.max_steps - step) * elapsed / step,
                    elapsed_s=elapsed,
                )
                loss_sum, correct, seen = torch.zeros(()), 0, 0
        if test is not None:
            test_acc = accuracy(model, test, device)
            ev.emit("metric", step=step, epoch=math.ceil(step / steps_per_epoch), test_accuracy=test_acc)
    full = open_dataset(opts.data, opts.resolution, channels) if hp.holdout > 0 else train
    calibrate_features(model, (b["image"] for b in full.iterate(500)))
    wall = time.perf_counter() - t0
    info = {
        "preset": opts.preset,
        "data": opts.data,
        "eval_data": eval_spec,
        "steps": step,
        "epochs": round(step / steps_per_epoch, 2),
        "batch": opts.batch,
        "test_accuracy": test_acc,
        "train_seconds": round(wall, 1),
        "device": str(device),
        "torch": torch.__version__,
        "hparams": dataclasses.asdict(hp),
        "features": f"{FEATURE_LAYER}: fc pre-activations standardised with per-dimension mean/std over {opts.data}",
    }
    path = save_classifier(model.cpu(), run_dir / "classifier", info)
    ev.emit("done", step=step, model=str(path), test_accuracy=test_acc, train_seconds=wall)
    return path


TRAINER = TrainerSpec(
    name="classifier",
    run=run,
    makes="feature-network",
    hparams_cls=ClassifierHparams,
    data_kind="labelled",
    losses=("cross-entropy",),
    has_discriminator=False,
    checkpoint_metrics=False,
)
"""Not a model family: the CNN whose features the metrics (FID/KID/IS/PR, PPL) use, trained by its own loop."""
