"""``latentlab models``: the bundled models and the registered model families."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from app.commands.common import out, out_json, verbose_arg

log = logging.getLogger("latentlab.cli")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models", help="list bundled models and model families", description="List bundled models and families."
    )
    verbose_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_models)


def _bundled_resolution(entry: Any) -> int | None:
    res = entry.info.get("resolution")
    if res is not None:
        return int(res)
    try:
        from engine.checkpoints.native import read_description

        return int(read_description(entry.path)["capabilities"]["resolution"])
    except Exception:
        return None


def cmd_models(args: argparse.Namespace) -> int:
    """List bundled models and registered families."""
    from engine import zoo
    from engine.families import family_names, get_family

    default = zoo.default_model()
    models = [
        {
            "name": e.name,
            "family": e.family,
            "resolution": _bundled_resolution(e),
            "description": e.description,
            "path": str(e.path),
            "default": default is not None and e.name == default.name,
        }
        for e in zoo.list_models()
    ]
    families = []
    for name in family_names():
        try:
            desc = get_family(name).description
        except Exception as e:  # a broken family module should not hide the others
            log.warning("family %s cannot be imported: %s", name, e)
            desc = ""
        families.append({"name": name, "description": desc})
    if args.json:
        out_json({"assets": str(zoo.assets_dir()), "models": models, "families": families})
        return 0
    out(f"Bundled models ({zoo.assets_dir()}):")
    if not models:
        out("  (none)")
    for m in models:
        res = f"{m['resolution']}x{m['resolution']}" if m["resolution"] else "?"
        star = " (default)" if m["default"] else ""
        out(f"  {m['name']:<24}{m['family']:<12}{res:<10}{m['description']}{star}")
    out("Model families:")
    for f in families:
        out(f"  {f['name']:<24}{f['description']}")
    return 0
