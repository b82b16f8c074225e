"""Bundle a finished classifier run into ``assets/``: weights + JSON and a ``feature_networks`` manifest entry.

``python -m training.bundle_classifier runs/fmnist-classifier`` (used to make the bundled feature network).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import shutil
from pathlib import Path
from typing import Any

from engine import zoo
from engine.fileio import atomic_write, atomic_write_text
from engine.metrics.classifier import load_classifier

log = logging.getLogger(__name__)


def bundle_classifier(
    run_dir: Path, name: str = "fmnist-classifier", wall_time_s: float | None = None
) -> dict[str, Any]:
    """Copy ``run_dir/classifier.*`` to ``assets/models/NAME.*`` and record it in the manifest."""
    assets = zoo.assets_dir()
    _, doc = load_classifier(run_dir / "classifier.safetensors")  # refuses a broken run before copying
    info = doc["info"]
    dst = assets / "models" / f"{name}.safetensors"
    dst.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(dst, lambda tmp: shutil.copyfile(run_dir / "classifier.safetensors", tmp))
    atomic_write(dst.with_suffix(".json"), lambda tmp: shutil.copyfile(run_dir / "classifier.json", tmp))
    cfg = doc["config"]
    emoji = str(info["data"]).startswith("demo:emoji")
    entry = {
        "path": f"models/{name}.safetensors",
        "kind": "classifier",
        "description": (
            f"{'Emoji' if emoji else 'Fashion-MNIST'} CNN classifier ({cfg['resolution']}x{cfg['resolution']}, "
            f"{cfg['channels']} channel{'s' if cfg['channels'] > 1 else ''}, {cfg['num_classes']} classes): "
            f"{cfg['feature_dim']}-d standardised penultimate features for FID/KID/precision-recall, logits for IS"
        ),
        "command": f"latentlab train --preset {info['preset']}" if info.get("preset") else "latentlab train",
        "epochs": info["epochs"],
        "steps": info["steps"],
        "batch": info["batch"],
        "wall_time_s": wall_time_s if wall_time_s is not None else info["train_seconds"],
        "trained_on": f"{info['device']} ({platform.machine()}), torch {info['torch']}",
        "data": info["data"],
        "test_accuracy": info["test_accuracy"],
        "eval_data": info["eval_data"],
        "features": info.get("features"),
        "licence": (
            "SIL OFL 1.1 (trained on Noto Color Emoji renderings); see LICENSES/README.md"
            if emoji
            else "MIT (trained on Fashion-MNIST, MIT licence, Zalando Research)"
        ),
    }
    manifest_path = assets / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"models": {}}
    manifest.setdefault("feature_networks", {})[name] = entry
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return entry


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--name", default="fmnist-classifier")
    ap.add_argument("--wall-time-s", type=float, help="override the recorded wall time")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("%s", json.dumps(bundle_classifier(args.run_dir, args.name, args.wall_time_s), indent=2))


if __name__ == "__main__":
    main()
