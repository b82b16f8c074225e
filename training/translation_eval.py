"""Sample grids and cheap quality numbers for translation models (used by the trainers and by bundling)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from engine.families import LoadedModel

if TYPE_CHECKING:
    from training.trainers.base import Batch


def translation_rows(model: LoadedModel, fixed: Batch, exclusive: bool = True) -> tuple[torch.Tensor, int]:
    """A grid's images, row by row, and its column count, for the fixed inputs ``fixed``:

    - image-to-image with one direction (pix2pix): (A, G(A), B);
    - both directions (CycleGAN): (A, G_AB(A), B, G_BA(B));
    - multi-domain (StarGAN): (x, then x translated to each domain: that domain alone when the
      domains are ``exclusive``, else the image's own labels with that attribute toggled).
    """
    caps = model.capabilities
    with torch.no_grad():
        if caps.task == "multi-domain":
            x, c = fixed["image"], fixed["domain"]
            k = len(caps.classes)
            cols = [x]
            for i in range(k):
                if exclusive:
                    t = F.one_hot(torch.full((x.shape[0],), i), k).float()
                else:
                    t = c.clone()
                    t[:, i] = 1 - t[:, i]
                cols.append(model.translate(x, target=t).cpu())
            return torch.stack(cols, 1).flatten(0, 1), 1 + k
        a, b = fixed["A"], fixed["B"]
        dirs = caps.image_input.directions if caps.image_input else ()
        if "BtoA" in dirs and "AtoB" in dirs:
            ab, ba = model.translate(a, "AtoB").cpu(), model.translate(b, "BtoA").cpu()
            return torch.stack([a, ab, b, ba], 1).flatten(0, 1), 4
        return torch.stack([a, model.translate(a, dirs[0]).cpu(), b], 1).flatten(0, 1), 3


@torch.no_grad()
def translation_quality(model: LoadedModel, dataset, n: int = 256, batch: int = 32) -> dict[str, float | int | str]:
    """Mean absolute errors in [0, 1] pixel units over ``n`` evenly spread training examples:

    - paired data: ``l1_to_target`` = |G(A) − B|;
    - unpaired data with both directions: ``cycle_l1`` = |G_BA(G_AB(A)) − A| and the reverse, averaged;
    - multi-domain data: ``reconstruction_l1`` = |G(G(x, c′), c) − x| with c′ the labels rolled by one.
    """
    fixed = dataset.fixed(min(n, len(dataset)))
    caps = model.capabilities
    total, count = 0.0, 0
    key = ""
    first = fixed["image"] if caps.task == "multi-domain" else fixed["A"]
    for i in range(0, first.shape[0], batch):
        sl = slice(i, i + batch)
        if caps.task == "multi-domain":
            x, c = fixed["image"][sl], fixed["domain"][sl]
            rec = model.translate(model.translate(x, target=c.roll(1, 0)), target=c)
            err, key = (rec - x).abs().mean(), "reconstruction_l1"
        elif dataset.kind == "paired":
            err, key = (model.translate(fixed["A"][sl]) - fixed["B"][sl]).abs().mean(), "l1_to_target"
        else:
            a, b = fixed["A"][sl], fixed["B"][sl]
            cyc_a = model.translate(model.translate(a, "AtoB"), "BtoA")
            cyc_b = model.translate(model.translate(b, "BtoA"), "AtoB")
            err, key = 0.5 * ((cyc_a - a).abs().mean() + (cyc_b - b).abs().mean()), "cycle_l1"
        total += float(err) * first[sl].shape[0]
        count += first[sl].shape[0]
    return {
        "samples": count,
        key: round(total / count / 2, 4),
        "note": "pixel L1 in [0, 1] units (training/translation_eval.py)",
    }


@torch.no_grad()
def fmnist_target_accuracy(model: LoadedModel, spec: str, n: int = 1000, batch: int = 250) -> dict[str, float]:
    """For models trained on ``fmnist:CLASS,...`` data: the fraction of held-out test images, translated
    toward each target class (each direction, or each domain), that the bundled Fashion-MNIST classifier
    assigns to that class — does the translation really change the garment?"""
    from engine.metrics.features import classifier_extractor
    from training import fashion_mnist
    from training.data import open_dataset
    from training.translation_data import _slug

    slugs = {_slug(c): i for i, c in enumerate(fashion_mnist.CLASS_NAMES)}
    classes = [int(w) if w.strip().isdigit() else slugs[_slug(w)] for w in spec.split(":", 1)[1].split(",")]
    test = open_dataset("fmnist:test", model.capabilities.resolution, model.capabilities.channels, labelled=True)
    x, y = test.images.float() / 127.5 - 1, test.labels
    ext = classifier_extractor()

    def accuracy(images: torch.Tensor, target: int) -> float:
        _, logits = ext.extract(images)
        return round(float((logits.argmax(1) == target).mean()), 4)

    def run(xs: torch.Tensor, direction: str | None = None, target: torch.Tensor | None = None) -> torch.Tensor:
        parts = []
        for i in range(0, len(xs), batch):
            t = None if target is None else target[i : i + batch]
            parts.append(model.translate(xs[i : i + batch], direction=direction, target=t))
        return torch.cat(parts)

    out: dict[str, float] = {}
    caps = model.capabilities
    if caps.task == "multi-domain":
        xs = x[torch.isin(y, torch.tensor(classes))][:n]
        for k, name in enumerate(caps.classes):
            target = torch.zeros(len(xs), len(caps.classes))
            target[:, k] = 1
            out[f"to {name}"] = accuracy(run(xs, target=target), classes[k])
    else:
        for direction, (a, b) in {"AtoB": (classes[0], classes[1]), "BtoA": (classes[1], classes[0])}.items():
            out[direction] = accuracy(run(x[y == a][:n], direction=direction), b)
    return out
