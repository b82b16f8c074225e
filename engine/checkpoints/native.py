"""The native checkpoint format: ``NAME.safetensors`` (tensors) + ``NAME.json`` (description).

The JSON describes the model fully (format version, family, config, capabilities, class names,
provenance, metrics) and is also embedded in the safetensors metadata, so a lone
``.safetensors`` file still describes itself. Loading executes nothing from the files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save

from engine.alloc_budget import AllocationBudget
from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.fill import assign, build_empty
from engine.checkpoints.safetensors_header import SafetensorsHeader, read_header
from engine.errors import FileError, LimitError
from engine.families import LoadedModel, UnknownFamilyError, get_family
from engine.fileio import atomic_write_bytes, atomic_write_text, read_json_file
from engine.limits import MAX_SIDECAR_BYTES

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
    # Serialised in memory, then written by Python: a full disk is an OSError naming the file.
    atomic_write_bytes(st_path, save(tensors, metadata={FORMAT: text}))
    atomic_write_text(json_path, text + "\n")
    return st_path


def read_description(path: str | Path) -> dict[str, Any]:
    """The JSON description of a native checkpoint (sidecar JSON, else the embedded copy).

    Sizes are checked before anything is read (a sidecar of at most
    :data:`engine.limits.MAX_SIDECAR_BYTES`; FIFOs and devices refused), then the description's
    own fields: ``format``, an integer ``version`` this LatentLab reads, a ``family`` name and a
    ``config`` object."""
    st_path, json_path = _paths(path)
    if os.path.lexists(json_path):
        try:
            doc = read_json_file(json_path, MAX_SIDECAR_BYTES, "model description")
        except FileError as e:
            raise CheckpointError(json_path, e.reason) from None
        where = json_path
    else:
        header = read_header(st_path)
        text = header.metadata.get(FORMAT)
        if text is None:
            raise CheckpointError(st_path, "safetensors file has no LatentLab description (no .json beside it)")
        if len(text) > MAX_SIDECAR_BYTES:
            raise CheckpointError(st_path, "embedded description is larger than the limit")
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            raise CheckpointError(st_path, f"embedded description is not valid JSON ({e})") from e
        where = st_path
    check_description(where, doc)
    return doc


def check_description(path: str | Path, doc: Any) -> None:
    """Refuse a description whose top-level fields have the wrong types (before any use of them)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(path, "not a LatentLab model description")
    version = doc.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(path, f"format version must be a positive integer, got {str(version)[:40]!r}")
    if version > VERSION:
        raise CheckpointError(path, f"format version {version} is newer than this LatentLab ({VERSION})")
    if not isinstance(doc.get("family"), str):
        raise CheckpointError(path, "bad model description: 'family' must be a family name")
    if not isinstance(doc.get("config"), dict):
        raise CheckpointError(path, "bad model description: 'config' must be an object")
    classes = doc.get("classes")
    if classes is not None and not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
        raise CheckpointError(path, "bad model description: 'classes' must be a list of names")


BUILD_SLACK_BYTES = 64 << 20
"""Memory a module may take beyond twice its file's tensor bytes while it is built (buffers, temporaries)."""


def _build_within(st_path: Path, family: Any, config: Any, header: SafetensorsHeader, name: str) -> Any:
    """Build the module under a memory budget derived from the file (a description that promises far
    more than the file holds stops at the budget), then compare its tensors with the file's."""
    budget = AllocationBudget(2 * header.data_bytes + BUILD_SLACK_BYTES, f"the {name} model its description describes")
    try:
        with budget:
            module = build_empty(family, config)  # uninitialised weights: the file's tensors go in their place
    except LimitError as e:
        raise CheckpointError(st_path, f"bad model description: {e}") from None
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    stored = {k: t.shape for k, t in header.tensors.items()}
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    wrong = sorted(k for k in set(expected) & set(stored) if expected[k] != stored[k])
    if missing or extra or wrong:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} (e.g. {missing[0]})")
        if extra:
            parts.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
        if wrong:
            k = wrong[0]
            parts.append(f"{len(wrong)} of another shape (e.g. {k}: {stored[k]} vs {expected[k]})")
        raise CheckpointError(st_path, f"tensors do not match the {name} config: {'; '.join(parts)}")
    return module


def fill(module: Any, family: Any, config: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """``tensors`` assigned as the parameters and buffers of ``module`` (built by :func:`build_empty`), or,
    for a module that keeps tensors outside its state dict, a normally built module loaded with them."""
    try:
        return assign(module, tensors)
    except ValueError:
        module = family.build(config)
        module.load_state_dict(tensors, strict=True)
        return module


def load_native(path: str | Path, device: torch.device | str = "cpu") -> LoadedModel:
    """Load a native checkpoint; raises :class:`CheckpointError` naming the file and the reason.

    Everything is checked before memory is allocated for the model: the safetensors header (see
    :mod:`engine.checkpoints.safetensors_header`), the description and the config's schema; the
    module is then built within a memory budget derived from the file's size, and its tensor
    shapes are compared with the stored ones before any tensor is read."""
    st_path, _ = _paths(path)
    if not os.path.lexists(st_path):
        raise CheckpointError(st_path, "file not found")
    header = read_header(st_path)
    doc = read_description(st_path)
    try:
        family = get_family(doc["family"])
        config = family.config_from_dict(doc["config"])
    except (KeyError, UnknownFamilyError, TypeError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        raise CheckpointError(st_path, f"bad model description: {msg}") from e
    module = _build_within(st_path, family, config, header, doc["family"])
    try:
        tensors: dict[str, torch.Tensor] = {}
        with safe_open(str(st_path), framework="pt", device="cpu") as f:
            for k in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                tensors[k] = f.get_tensor(k)
    except Exception as e:
        raise CheckpointError(st_path, f"not a valid safetensors file ({e})") from e
    try:
        module = fill(module, family, config, tensors)  # the tensors read are the weights (no copy)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise CheckpointError(st_path, f"tensors do not match the {doc['family']} config: {' '.join(first[:3])}") from e
    meta = {k: doc[k] for k in ("name", "description", "source", "provenance", "metrics", *TRANSLATOR_META) if k in doc}
    meta["classes"] = doc.get("classes") or []
    meta["path"] = str(st_path)
    model = family.wrap(module, config, meta)
    return model.to(device)
