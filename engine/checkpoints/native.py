"""The native checkpoint format: ``NAME.safetensors`` (tensors) + ``NAME.json`` (description).

The JSON describes the model fully (format version, family, config, capabilities, class names,
provenance, metrics) and is also embedded in the safetensors metadata, so a lone
``.safetensors`` file still describes itself. Loading executes nothing from the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from engine.checkpoints.errors import CheckpointError
from engine.families import LoadedModel, UnknownFamilyError, get_family
from engine.fileio import atomic_write

FORMAT = "latentlab"
VERSION = 1


TRANSLATOR_META = ("domains", "exclusive_domains")
"""What a translator's metadata says about its domains (see ``ImageInput``)."""


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix == ".json":
        p = p.with_suffix(".safetensors")
    elif p.suffix != ".safetensors":
        p = p.with_name(p.name + ".safetensors")
    return p, p.with_suffix(".json")


def describe(
    model: LoadedModel, provenance: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None
) -> dict:
    """The JSON description of ``model``."""
    family = get_family(model.family)
    caps = model.capabilities
    meta = dict(model.meta)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "family": model.family,
        "config": family.config_to_dict(model.config),
        "capabilities": caps.to_dict(),
        "classes": list(caps.classes),
        "provenance": provenance if provenance is not None else meta.get("provenance", {}),
        "metrics": metrics if metrics is not None else meta.get("metrics", {}),
    }
    for key in ("name", "description", "source", *TRANSLATOR_META):
        if key in meta:
            doc[key] = meta[key]
    return doc


def save_native(
    model: LoadedModel,
    path: str | Path,
    provenance: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` as ``NAME.safetensors`` + ``NAME.json`` (atomically); returns the tensor path."""
    st_path, json_path = _paths(path)
    doc = describe(model, provenance, metrics)
    text = json.dumps(doc, indent=2, sort_keys=False)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.module.state_dict().items()}
    atomic_write(st_path, lambda tmp: save_file(tensors, tmp, metadata={FORMAT: text}))
    atomic_write(json_path, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    return st_path


def read_description(path: str | Path) -> dict[str, Any]:
    """The JSON description of a native checkpoint (sidecar JSON, else the embedded copy)."""
    st_path, json_path = _paths(path)
    try:
        if json_path.exists():
            doc = json.loads(json_path.read_text(encoding="utf-8"))
        else:
            with safe_open(str(st_path), framework="pt") as f:
                meta = f.metadata() or {}
            if FORMAT not in meta:
                raise CheckpointError(st_path, "safetensors file has no LatentLab description (no .json beside it)")
            doc = json.loads(meta[FORMAT])
    except CheckpointError:
        raise
    except FileNotFoundError as e:
        raise CheckpointError(st_path, "file not found") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(json_path, f"description is not valid JSON ({e})") from e
    except Exception as e:  # safetensors raises its own error types for corrupt headers
        raise CheckpointError(st_path, f"not a valid safetensors file ({e})") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(json_path, "not a LatentLab model description")
    if int(doc.get("version", 0)) > VERSION:
        raise CheckpointError(json_path, f"format version {doc['version']} is newer than this LatentLab ({VERSION})")
    return doc


def load_native(path: str | Path, device: torch.device | str = "cpu") -> LoadedModel:
    """Load a native checkpoint; raises :class:`CheckpointError` naming the file and the reason."""
    st_path, _ = _paths(path)
    if not st_path.exists():
        raise CheckpointError(st_path, "file not found")
    doc = read_description(st_path)
    try:
        family = get_family(doc["family"])
        config = family.config_from_dict(doc["config"])
    except (KeyError, UnknownFamilyError, TypeError, ValueError) as e:
        raise CheckpointError(st_path, f"bad model description: {e}") from e
    module = family.build(config)
    try:
        tensors: dict[str, torch.Tensor] = {}
        with safe_open(str(st_path), framework="pt", device="cpu") as f:
            for k in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                tensors[k] = f.get_tensor(k)
    except Exception as e:
        raise CheckpointError(st_path, f"not a valid safetensors file ({e})") from e
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise CheckpointError(st_path, f"tensors do not match the {doc['family']} config: {' '.join(first[:3])}") from e
    meta = {k: doc[k] for k in ("name", "description", "source", "provenance", "metrics", *TRANSLATOR_META) if k in doc}
    meta["classes"] = doc.get("classes") or []
    meta["path"] = str(st_path)
    model = family.wrap(module, config, meta)
    return model.to(device)
