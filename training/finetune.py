"""Fine-tuning: start a run from existing weights (``latentlab train --init CHECKPOINT``).

``CHECKPOINT`` is either a training checkpoint of this trainer (``ckpt-NNNNNNN.pt``: G, D and the
EMA generator are loaded; the run's ``run.json`` beside it gives the architecture) or any model the
loader reads — native ``.safetensors``, rosinality ``.pt``, NVlabs ``.pkl`` — whose generator (and
its EMA copy) are loaded while the discriminator starts fresh, since those files either carry no
discriminator or one the loader does not convert. Optimisers, step count and EMA ramp start anew.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch

from training.data import DataError

log = logging.getLogger(__name__)


def _training_checkpoint(path: Path) -> dict[str, Any] | None:
    if path.suffix != ".pt":
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - not ours (a foreign pickle); the model loader decides
        return None
    return state if isinstance(state, dict) and "trainer" in state and "step" in state else None


def _resolve(source: str) -> Path:
    """A bundled model name or a file path → the file (DataError naming both when neither exists)."""
    from engine import zoo

    entry = zoo.find(str(source))
    if entry is not None:
        return entry.path
    path = Path(source).expanduser()
    if not path.exists():
        known = ", ".join(e.name for e in zoo.list_models()) or "none"
        raise DataError(f"--init: '{path}' does not exist and is not a bundled model (bundled: {known})")
    return path


def init_spec(source: str) -> dict[str, Any]:
    """Family, resolution, channels and model config of the weights in ``source`` (a file or a bundled
    model name; they fix the architecture of the run that starts from them)."""
    path = _resolve(source)
    if _training_checkpoint(path) is not None:
        run_json = path.parent / "run.json"
        if not run_json.exists():
            raise DataError(f"--init: {run_json} (the run's settings) is missing next to the checkpoint")
        run = json.loads(run_json.read_text())
        return {k: run[k] for k in ("family", "resolution", "channels", "model")}
    from engine.checkpoints.loader import load_model
    from engine.families import get_family

    model = load_model(path)
    family = model.capabilities.family
    cfg = get_family(family).config_to_dict(model.config)
    resolution, channels = int(cfg.pop("resolution")), int(cfg.pop("img_channels"))
    return {"family": family, "resolution": resolution, "channels": channels, "model": _plain(cfg)}


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def load_stylegan2_init(trainer: Any, source: str) -> dict[str, Any]:
    """Load ``source`` into a StyleGAN2 (or StyleGAN v1, its subclass) trainer; returns what was loaded."""
    path = _resolve(source)
    state = _training_checkpoint(path)
    try:
        if state is not None:
            t = state["trainer"]
            trainer.G.load_state_dict(t["G"])
            trainer.D.load_state_dict(t["D"])
            trainer.G_ema.load_state_dict(t["G_ema"])
            return {"kind": "training checkpoint", "from_step": int(state["step"]), "D": "loaded"}
        from engine.checkpoints.loader import load_model

        model = load_model(path)
        if model.capabilities.family != trainer.family:
            raise DataError(f"--init: {path.name} is a {model.capabilities.family} model, not {trainer.family}")
        weights = model.module.state_dict()
        trainer.G.load_state_dict(weights)
        trainer.G_ema.load_state_dict(weights)
    except RuntimeError as e:  # load_state_dict: shapes or names differ
        raise DataError(f"--init: {path.name} does not match the run's architecture: {str(e).splitlines()[0]}") from e
    from engine.checkpoints.sniff import sniff

    return {"kind": sniff(path), "D": "fresh"}
