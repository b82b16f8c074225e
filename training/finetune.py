"""Fine-tuning: start a run from existing weights (``latentlab train --init CHECKPOINT``).

``CHECKPOINT`` is either a training checkpoint of the same family (``ckpt-NNNNNNN.pt``: every network
the checkpoint holds — generator, discriminator(s), EMA copy — is loaded; the run's ``run.json``
beside it gives the architecture) or any model the loader reads — native ``.safetensors``, a bundled
model name, rosinality ``.pt``, NVlabs ``.pkl``, pytorch-CycleGAN-and-pix2pix ``latest_net_G*.pth``,
StarGAN ``*-G.ckpt``, GAN zoo ``.pth``, pSp ``.pt`` — whose weights go into the trainer's networks
laid out like its exported model (:meth:`~training.trainers.base.Trainer.generator_networks`: the
generator and its EMA copy, a VAE, a pSp network), while discriminators start fresh, since those
files carry none the loader converts. Optimisers, step count and EMA ramp start anew.

One mechanism serves every trainer: it declares its networks by their ``state_dict`` keys
(:meth:`~training.trainers.base.Trainer.networks`), which of them hold the exported model's module,
and which parts of that module a source may lack (a CycleGAN file with one direction: the other one
starts fresh). A family or architecture mismatch is refused with a message naming the first tensor
that differs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from engine.errors import CheckpointMismatchError
from training.data import DataError

if TYPE_CHECKING:
    from training.trainers.base import Trainer

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


def _run_settings(path: Path) -> dict[str, Any]:
    run_json = path.parent / "run.json"
    if not run_json.exists():
        raise DataError(f"--init: {run_json} (the run's settings) is missing next to the checkpoint")
    return json.loads(run_json.read_text())


def init_spec(source: str) -> dict[str, Any]:
    """Family, resolution, channels and model config of the weights in ``source`` (a file or a bundled
    model name; they fix the architecture of the run that starts from them)."""
    path = _resolve(source)
    if _training_checkpoint(path) is not None:
        run = _run_settings(path)
        return {k: run[k] for k in ("family", "resolution", "channels", "model")}
    from engine.checkpoints.loader import load_model
    from engine.families import get_family

    model = load_model(path)
    caps = model.capabilities
    cfg = get_family(caps.family).config_to_dict(model.config)
    cfg.pop("resolution", None)  # pSp keeps them in its decoder's config
    cfg.pop("img_channels", None)
    if caps.family == "cyclegan":
        from engine.models.cyclegan import DIRECTIONS

        # Training learns both directions; a one-direction file (latest_net_G_A.pth alone) starts the other fresh.
        cfg["directions"] = list(DIRECTIONS)
    return {"family": caps.family, "resolution": caps.resolution, "channels": caps.channels, "model": _plain(cfg)}


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) if isinstance(v, dict) else list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def copy_weights(
    source: Mapping[str, torch.Tensor], module: nn.Module, what: str, optional: tuple[str, ...] = ()
) -> list[str]:
    """Copy the tensors of ``source`` into ``module`` after checking that names and shapes agree.

    ``optional``: key prefixes of ``module`` that ``source`` may lack as a whole (they keep their
    fresh weights). Returns those prefixes that were left fresh. Raises CheckpointMismatchError naming
    the first tensor that is missing, unexpected or of another shape (``what`` names the source)."""
    own = module.state_dict()
    missing = sorted(set(own) - set(source))
    extra = sorted(set(source) - set(own))
    fresh = [p for p in optional if not any(k.startswith(p) for k in source)]
    missing = [k for k in missing if not any(k.startswith(p) for p in fresh)]
    if len(fresh) == len(optional) and optional:
        missing = sorted(set(own) - set(source))  # a source must bring at least one of the optional parts
    if missing or extra:
        detail = f"the run has {missing[0]}, which it lacks" if missing else f"it has {extra[0]}, which the run lacks"
        raise CheckpointMismatchError(f"--init: {what} does not match the run's architecture: {detail}")
    for k, t in source.items():
        if tuple(t.shape) != tuple(own[k].shape):
            raise CheckpointMismatchError(
                f"--init: {what} does not match the run's architecture: {k} is {tuple(t.shape)} there, "
                f"{tuple(own[k].shape)} in the run"
            )
    with torch.no_grad():
        for k, t in source.items():
            own[k].copy_(t.to(own[k].dtype))
    return fresh


def init_trainer(trainer: Trainer, source: str) -> dict[str, Any]:
    """Load ``source`` into ``trainer`` (see the module docstring); returns what was loaded (the ``init`` event)."""
    path = _resolve(source)
    nets = trainer.networks()
    gens = [k for k in trainer.generator_networks() if k in nets]
    discs = [k for k in nets if k not in gens]
    state = _training_checkpoint(path)
    if state is not None:
        family = _run_settings(path).get("family")
        if family != trainer.family:
            raise CheckpointMismatchError(
                f"--init: {path.name} is a checkpoint of a {family} run, not {trainer.family}"
            )
        saved = state["trainer"]
        loaded = []
        for name, net in nets.items():
            if name in saved:
                copy_weights(saved[name], net, f"{path.name} ({name})")
                loaded.append(name)
        for name in nets:
            if name not in saved:  # e.g. an EMA copy the source run did not keep: start it from the generator
                donor = next((g for g in gens if g in loaded), None)
                if name not in gens or donor is None:
                    raise CheckpointMismatchError(f"--init: {path.name} holds no {name} network for this run")
                nets[name].load_state_dict(nets[donor].state_dict())
                loaded.append(name)
        report: dict[str, Any] = {"kind": "training checkpoint", "from_step": int(state["step"]), "loaded": loaded}
        report["D"] = "loaded" if discs else "none"
        return {**report, "fresh": [], **trainer.after_init(source)}
    from engine.checkpoints.loader import load_model
    from engine.checkpoints.sniff import sniff

    model = load_model(path)
    family = model.capabilities.family
    if family != trainer.family:
        raise CheckpointMismatchError(f"--init: {path.name} is a {family} model, not {trainer.family}")
    weights = model.module.state_dict()
    fresh: list[str] = []
    for name in gens:
        left = copy_weights(weights, nets[name], path.name, trainer.init_optional)
        fresh += [f"{name}.{p.rstrip('.')}" for p in left]
    report = {"kind": sniff(path), "loaded": gens, "fresh": discs + fresh, "D": "fresh" if discs else "none"}
    if "source_family" in model.meta:
        report["format"] = model.meta["source_family"]
    return {**report, **trainer.after_init(source)}
