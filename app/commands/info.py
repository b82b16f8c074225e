"""``latentlab info``: what a checkpoint is and can do."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from app.commands.common import device, device_arg, format_mapping, load, out, out_json, verbose_arg

if TYPE_CHECKING:
    import torch

    from engine.families import LoadedModel


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="describe a checkpoint",
        description="Load a checkpoint (bundled name or file, any supported format) and describe it.",
    )
    verbose_arg(p)
    p.add_argument("ckpt", metavar="CKPT", help="bundled model name or checkpoint file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    device_arg(p)
    p.set_defaults(run=cmd_info)


def truthful_config(config: Any, keep_discriminator: bool = True) -> dict[str, Any]:
    """The fields of a config dataclass that say something true about the model, as a plain dict:

    - the discriminator's fields only when ``keep_discriminator`` (a foreign file's D was not read);
    - ``channel_base``/``channel_max`` only when they produce the ``channels`` listed (a generator with
      explicit channels was not built from them);
    - a field whose 0 means "as another field" (its ``zero_means`` metadata) shows that value.

    Nested configs (pSp's ``decoder``) are cleaned the same way."""
    from engine.families.base import DISCRIMINATOR_FIELDS

    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.name in DISCRIMINATOR_FIELDS and not keep_discriminator:
            continue
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            value = truthful_config(value, keep_discriminator)
        elif f.metadata.get("zero_means") and value == 0:
            value = getattr(config, f.metadata["zero_means"])
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    if {"channels", "channel_base", "channel_max", "resolution"} <= set(out):
        from engine.models.stylegan2 import default_channels

        try:
            derived = default_channels(out["resolution"], out["channel_base"], out["channel_max"])
        except (ValueError, ZeroDivisionError, TypeError):
            derived = None
        if derived is None or list(derived) != list(out["channels"]):
            del out["channel_base"], out["channel_max"]
    return out


def describe_model(model: LoadedModel, on: torch.device | None = None) -> dict[str, Any]:
    """A JSON-ready description: capabilities, config (what is true of this file: see
    :func:`truthful_config`), provenance, metrics and parameter count."""
    keep_d = not str(model.meta.get("discriminator", "read")).startswith("not")
    try:
        config = truthful_config(model.config, keep_d)
    except Exception:
        config = {"repr": repr(model.config)}
    meta = dict(model.meta)
    params = sum(p.numel() for p in model.module.parameters())
    buffers = sum(b.numel() for b in model.module.buffers())
    doc: dict[str, Any] = {
        "name": meta.pop("name", None),
        "path": meta.pop("path", None),
        "family": model.family,
        "architecture": getattr(model, "architecture", None),  # e.g. StyleGAN3's config T / R
        "description": meta.pop("description", None),
        "source": meta.pop("source", None),
        "device": str(on or model.device),
        "parameters": int(params),
        "buffers": int(buffers),
        "capabilities": model.capabilities.to_dict(),
        "config": config,
        "provenance": meta.pop("provenance", {}) or {},
        "metrics": meta.pop("metrics", {}) or {},
    }
    meta.pop("classes", None)
    doc["meta"] = {k: v for k, v in meta.items()}
    return doc


def cmd_info(args: argparse.Namespace) -> int:
    """Describe a checkpoint."""
    dev = device(args.device)
    model = load(args.ckpt, dev)
    doc = describe_model(model, dev)
    if args.json:
        out_json(doc)
        return 0
    caps = dict(doc["capabilities"])
    classes = caps.pop("classes", ())
    keys = ("name", "path", "family", "architecture", "description", "source", "device")
    head = {k: doc[k] for k in keys if doc.get(k) is not None}
    head["parameters"] = f"{doc['parameters']:,}"
    for line in format_mapping(head, indent=0):
        out(line)
    out("capabilities:")
    caps = {k: v for k, v in caps.items() if v is not None}
    if classes:
        shown = list(classes[:10]) + ([f"... ({len(classes)} in all)"] if len(classes) > 10 else [])
        caps["classes"] = shown
    for line in format_mapping(caps):
        out(line)
    for section in ("config", "provenance", "metrics", "meta"):
        if doc[section]:
            out(f"{section}:")
            for line in format_mapping(doc[section]):
                out(line)
        elif section != "meta":
            out(f"{section:<18}(none)")
    return 0
