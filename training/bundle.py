"""Bundle a finished run into ``assets/``: model files, a sample grid and a MANIFEST entry.

``python -m training.bundle RUN_DIR --name emoji-stylegan2`` (used to make the bundled models).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import shutil
from pathlib import Path
from typing import Any

import torch

from engine import zoo
from engine.checkpoints.native import load_native, read_description
from engine.fileio import atomic_write, atomic_write_text
from training.data import open_dataset
from training.loop import save_grid
from training.quality import sample_quality
from training.trainers import get_trainer

log = logging.getLogger(__name__)
GRID_SEEDS = list(range(16))
TRANSLATING = ("image-to-image", "multi-domain")


def licence_of(data: str) -> str:
    """The licence line of a model trained on ``data``."""
    if data.startswith("fmnist"):
        return "MIT (trained on Fashion-MNIST, (c) Zalando SE); see LICENSES/README.md"
    if data.startswith("demo:emoji"):
        return "SIL OFL 1.1 (derived from Noto Color Emoji); see LICENSES/README.md"
    return "see LICENSES/README.md"


EMOJI_PPL_N = 2000
"""Latent pairs of the perceptual path length measured for the bundled emoji models."""


def _held_out(data: str) -> str:
    return "fmnist:test" if data.startswith("fmnist") else data


def sample_grid(model: Any) -> tuple[torch.Tensor, int]:
    """Images and columns of a model's sample grid: 16 seeds, or 8 seeds × every class (a column per class)."""
    classes = len(model.capabilities.classes)
    with torch.no_grad():
        if classes:
            seeds = [s for s in range(8) for _ in range(classes)]
            labels = [k for _ in range(8) for k in range(classes)]
            return model.generate(model.sample_z(seeds), model.one_hot(labels, len(seeds))), classes
        return model.generate(model.sample_z(GRID_SEEDS), None), 4


@torch.no_grad()
def reconstruction_error(model: Any, data: Any, n: int = 10000) -> dict[str, float]:
    """Autoencoders: mean per-pixel squared error and per-image binary cross-entropy of
    decode(encode(x)) on up to ``n`` held-out images (pixels in [0, 1])."""
    se, bce, count = 0.0, 0.0, 0
    for batch in data.iterate(500, limit=n):
        x = batch["image"]
        rec = model.reconstruct(x).clamp(-1, 1)
        t, r = (x + 1) / 2, ((rec + 1) / 2).clamp(1e-6, 1 - 1e-6)
        se += float((r - t).square().mean(dim=(1, 2, 3)).sum())
        bce += float(torch.nn.functional.binary_cross_entropy(r, t, reduction="none").flatten(1).sum(1).sum())
        count += x.shape[0]
    return {"images": count, "mse_per_pixel": round(se / count, 5), "bce_per_image": round(bce / count, 2)}


def encoder_reconstruction(model: Any, data: Any, n: int = 512, batch: int = 64) -> dict[str, Any]:
    """How well a W+ encoder inverts images: per-pixel MSE (pixels in [0, 1]) of decode(encode(x)) on
    ``n`` training images and on ``n`` images the decoder generates (seeds 100000..; never seen as
    such in training), each next to the MSE of the decoder's average image (``latent_avg``) as the
    do-nothing baseline."""

    def mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return ((a.clamp(-1, 1) - b.clamp(-1, 1)) / 2).square().mean(dim=(1, 2, 3))

    out: dict[str, Any] = {}
    caps = model.capabilities
    avg = model.latent_avg.cpu()
    with torch.no_grad():
        for kind in ("data", "generated"):
            errs, base = [], []
            count = min(n, len(data.images)) if kind == "data" else n  # a small set: every image once
            for i in range(0, count, batch):
                m = min(batch, count - i)
                if kind == "data":
                    x = data.images[i : i + m].float() / 127.5 - 1
                else:
                    x = model.generate(model.sample_z(range(100000 + i, 100000 + i + m))).cpu()
                rec = model.decode(model.encode(x)).cpu()
                mean_image = model.decode(avg.expand(m, *avg.shape)).cpu()
                errs.append(mse(rec, x))
                base.append(mse(mean_image, x))
            out[kind] = {
                "images": int(sum(len(e) for e in errs)),
                "mse_per_pixel": round(float(torch.cat(errs).mean()), 5),
                "average_image_mse_per_pixel": round(float(torch.cat(base).mean()), 5),
            }
    out["resolution"] = caps.resolution
    return out


def measure(model: Any, data: str, n: int = 10000, ppl_n: int = 0) -> dict[str, Any]:
    """FID, KID, IS, precision/recall (and class accuracy for conditional models) against the held-out
    split (Fashion-MNIST) or the whole set (the emoji, which has no held-out images), with the bundled
    feature network for that data, at most as many generated images as real ones (``latentlab metrics``
    computes the same). ``ppl_n`` > 0 also measures the perceptual path length with that many pairs."""
    from engine.metrics.evaluate import EvalOptions, dataset_source, evaluate, model_source, run_to_end
    from engine.metrics.features import feature_network_for, make_extractor

    caps = model.capabilities
    held_out = _held_out(data)
    metrics = ("fid", "kid", "is", "pr") + (("acc",) if caps.classes else ())
    real_data = open_dataset(held_out, caps.resolution, caps.channels)
    n = min(n, len(real_data))
    real = dataset_source(held_out, real_data, n)
    extractor = make_extractor("auto", data=held_out)
    report = run_to_end(evaluate(real, model_source(model, n), extractor, EvalOptions(metrics, n=n)))
    values = {k: v for k, v in report.to_dict().items() if isinstance(v, float) and k != "seconds"}
    rounded = {k: round(v, 4) for k, v in values.items()}
    cmd = f"latentlab metrics {{name}} --data {held_out} --n {n} --metric {','.join(metrics)}"
    extra: dict[str, Any] = {}
    if ppl_n > 0:
        from engine.metrics.ppl import PPLOptions, classifier_distance, perceptual_path_length, run_ppl

        distance, distance_name = classifier_distance(zoo.feature_network(feature_network_for(held_out)))
        ppl = run_ppl(perceptual_path_length(model, distance, PPLOptions(n=ppl_n), distance_name=distance_name))
        extra = {"ppl": round(ppl.ppl, 4), "ppl_space": ppl.space, "ppl_n": ppl_n}
        cmd += f" ; latentlab metrics {{name}} --metric ppl --ppl-n {ppl_n}"
    return {"against": held_out, "n": n, "features": report.features, "command": cmd, **rounded, **extra}


def _hardware(provenance: dict[str, Any]) -> str:
    """What the run trained on: its recorded hardware, or (older runs) its device and this machine's architecture."""
    return provenance.get("hardware") or f"{provenance.get('device', '?')} ({platform.machine()})"


def bundle(
    run_dir: Path, name: str, description: str = "", default: bool = False, wall_time_s: float | None = None
) -> dict[str, Any]:
    """Copy ``run_dir/model.*`` to ``assets/models/NAME.*``, render its grid, update the manifest."""
    assets = zoo.assets_dir()
    src = run_dir / "model.safetensors"
    doc = read_description(src)
    run = json.loads((run_dir / "run.json").read_text())
    dst = assets / "models" / f"{name}.safetensors"
    dst.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))  # the output rule: temp name, then rename
    doc["name"] = name
    doc["description"] = description or doc.get("description", "")
    atomic_write_text(dst.with_suffix(".json"), json.dumps(doc, indent=2) + "\n")
    model = load_native(dst)
    extra: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    if model.capabilities.task in TRANSLATING:
        grid, quality, extra["sample_inputs"] = _translation_samples(model, run, assets, name)
    elif model.capabilities.encodes_into == "w+":  # an encoder over a bundled decoder: show and measure inversions
        data = open_dataset(run["data"], run["resolution"], run.get("channels", 3))
        x = data.images[:16].float() / 127.5 - 1
        with torch.no_grad():
            rec = model.decode(model.encode(x)).clamp(-1, 1).cpu()
        pairs = torch.stack([x, rec], dim=1).flatten(0, 1)  # input, reconstruction, input, ...
        grid = save_grid(pairs, assets / "samples" / f"{name}-grid.png", nrow=8)
        quality = {"reconstruction": encoder_reconstruction(model, data)}
    else:
        images, columns = sample_grid(model)
        grid = save_grid(images, assets / "samples" / f"{name}-grid.png", nrow=columns)
        data = open_dataset(run["data"], run["resolution"], run.get("channels", 3))
        quality = sample_quality(model, data)
        if model.capabilities.encodes_into == "z":
            test_spec = _held_out(run["data"])
            quality["reconstruction"] = reconstruction_error(
                model, open_dataset(test_spec, run["resolution"], run.get("channels", 3))
            )
            quality["reconstruction"]["data"] = test_spec
        measurable = run["data"].startswith(("fmnist", "demo:emoji"))
        ppl_n = EMOJI_PPL_N if run["data"] == "demo:emoji" else 0
        metrics = measure(model, run["data"], ppl_n=ppl_n) if measurable else {}
    prov = doc.get("provenance", {})
    cmd = (
        f"latentlab train --preset {run['preset']}"
        if run.get("preset")
        else "latentlab train "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in run.items() if k in ("family", "data", "resolution", "batch")
        )
    )
    entry = {
        "path": f"models/{name}.safetensors",
        "family": doc["family"],
        "description": doc["description"],
        "resolution": doc["capabilities"]["resolution"],
        "command": cmd + (f" --max-steps {prov.get('steps')}" if prov.get("steps") != run.get("max_steps") else ""),
        "steps": prov.get("steps"),
        "batch": prov.get("batch"),
        "images_seen": prov.get("images_seen"),
        "wall_time_s": wall_time_s if wall_time_s is not None else prov.get("train_seconds"),
        "trained_on": f"{_hardware(prov)}, torch {prov.get('torch', torch.__version__)}",
        "data": run["data"],
        "licence": licence_of(run["data"]),
        "sample_grid": str(grid.relative_to(assets)),
        **({"training_loss": run["hparams"]["loss"]} if run.get("hparams", {}).get("loss") else {}),
        "quality": quality,
        **extra,
    }
    if metrics:
        metrics["command"] = metrics["command"].format(name=name)
        entry["metrics"] = metrics
    manifest_path = assets / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"models": {}}
    manifest.setdefault("models", {})[name] = entry
    if default or "default" not in manifest:
        manifest["default"] = name
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return entry


def _translation_samples(model: Any, run: dict[str, Any], assets: Path, name: str) -> tuple[Path, dict, list[str]]:
    """Grid of fixed inputs and translations, quality numbers, and sample input PNGs for new users to try."""
    from PIL import Image

    from training.translation_data import open_translation_dataset
    from training.translation_eval import translation_quality, translation_rows

    kind = get_trainer(model.family).data_kind
    data = open_translation_dataset(run["data"], kind, run["resolution"], run.get("channels", 3))
    images, cols = translation_rows(model, data.fixed(4), data.exclusive)
    grid = save_grid(images, assets / "samples" / f"{name}-grid.png", nrow=cols)
    samples = data.fixed(8)
    inputs = [("", samples["image"] if kind == "multi-domain" else samples["A"])]
    if kind == "unpaired":
        inputs.append(("B", samples["B"]))
    written: list[str] = []
    for side, batch in inputs:
        for i, x in enumerate(((batch.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)):
            path = assets / "samples" / f"{name}-input{side}-{i}.png"
            a = x.permute(1, 2, 0).numpy()
            im = Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a)
            atomic_write(path, lambda tmp, im=im: im.save(tmp, format="PNG"))
            written.append(str(path.relative_to(assets)))
    quality = translation_quality(model, data)
    if str(run["data"]).startswith("fmnist:"):
        from training.translation_eval import fmnist_target_accuracy

        quality["target_class_accuracy"] = fmnist_target_accuracy(model, run["data"])
        quality["target_class_accuracy_note"] = (
            "fraction of held-out Fashion-MNIST test images translated toward each target that the bundled "
            "classifier assigns to that class"
        )
    return grid, quality, written


def remeasure(name: str) -> dict[str, Any]:
    """Measure an already bundled model again (:func:`measure`) and store the result in its manifest entry
    (used when a feature network for its data is added after the model was bundled)."""
    assets = zoo.assets_dir()
    manifest_path = assets / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text())
    entry = manifest.get("models", {}).get(name)
    if entry is None:
        raise LookupError(f"no bundled model '{name}'")
    ppl_n = EMOJI_PPL_N if entry["data"] == "demo:emoji" else 0
    metrics = measure(load_native(assets / entry["path"]), entry["data"], ppl_n=ppl_n)
    metrics["command"] = metrics["command"].format(name=name)
    entry["metrics"] = metrics
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return metrics


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run_dir", type=Path, nargs="?")
    ap.add_argument("--remeasure", metavar="NAME", help="measure the bundled model NAME again (no run_dir)")
    ap.add_argument("--name")
    ap.add_argument("--description", default="")
    ap.add_argument("--default", action="store_true")
    ap.add_argument("--wall-time-s", type=float, help="override the wall time (runs made before it was recorded)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.remeasure:
        log.info("%s", json.dumps(remeasure(args.remeasure), indent=2))
        return
    if args.run_dir is None or not args.name:
        ap.error("give RUN_DIR and --name (or --remeasure NAME)")
    entry = bundle(args.run_dir, args.name, args.description, args.default, args.wall_time_s)
    log.info("%s", json.dumps(entry, indent=2))


if __name__ == "__main__":
    main()
