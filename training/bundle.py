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
from training.data import open_dataset
from training.loop import save_grid
from training.quality import sample_quality

log = logging.getLogger(__name__)
GRID_SEEDS = list(range(16))
TRANSLATING = ("image-to-image", "multi-domain")


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
    shutil.copyfile(src, dst)
    doc["name"] = name
    doc["description"] = description or doc.get("description", "")
    dst.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
    model = load_native(dst)
    extra: dict[str, Any] = {}
    if model.capabilities.task in TRANSLATING:
        grid, quality, extra["sample_inputs"] = _translation_samples(model, run, assets, name)
    else:
        with torch.no_grad():
            z = model.sample_z(GRID_SEEDS)
            c = model.one_hot([s % max(1, len(model.capabilities.classes)) for s in GRID_SEEDS], len(GRID_SEEDS))
            images = model.generate(z, c)
        grid = save_grid(images, assets / "samples" / f"{name}-grid.png")
        data = open_dataset(run["data"], run["resolution"], run.get("channels", 3))
        quality = sample_quality(model, data)
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
        "trained_on": f"{prov.get('device', '?')} ({platform.machine()}), torch {prov.get('torch', torch.__version__)}",
        "data": run["data"],
        "licence": "SIL OFL 1.1 (derived from Noto Color Emoji); see LICENSES/README.md",
        "sample_grid": str(grid.relative_to(assets)),
        "quality": quality,
        **extra,
    }
    manifest_path = assets / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"models": {}}
    manifest.setdefault("models", {})[name] = entry
    if default or "default" not in manifest:
        manifest["default"] = name
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return entry


def _translation_samples(model: Any, run: dict[str, Any], assets: Path, name: str) -> tuple[Path, dict, list[str]]:
    """Grid of fixed inputs and translations, quality numbers, and sample input PNGs for new users to try."""
    from PIL import Image

    from training.translation_data import open_translation_dataset
    from training.translation_eval import translation_quality, translation_rows

    kind = {"pix2pix": "paired", "cyclegan": "unpaired", "stargan": "multi-domain"}[model.family]
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
            Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a).save(path)
            written.append(str(path.relative_to(assets)))
    return grid, translation_quality(model, data), written


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--name", required=True)
    ap.add_argument("--description", default="")
    ap.add_argument("--default", action="store_true")
    ap.add_argument("--wall-time-s", type=float, help="override the wall time (runs made before it was recorded)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    entry = bundle(args.run_dir, args.name, args.description, args.default, args.wall_time_s)
    log.info("%s", json.dumps(entry, indent=2))


if __name__ == "__main__":
    main()
