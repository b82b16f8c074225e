"""``latentlab convert``: any loadable checkpoint to the native format."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.common import out, verbose_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a checkpoint to the native format",
        description="Convert any loadable checkpoint to NAME.safetensors + NAME.json.",
    )
    verbose_arg(p)
    p.add_argument("src", metavar="FOREIGN", help="checkpoint file (NVlabs .pkl, rosinality .pt, native, ...)")
    p.add_argument("--out", required=True, metavar="NAME.safetensors", help="native checkpoint to write")
    p.set_defaults(run=cmd_convert)


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert a checkpoint to the native format; prints the written files."""
    from engine.checkpoints.convert import convert

    st_path = Path(convert(args.src, args.out))
    out(str(st_path))
    json_path = st_path.with_suffix(".json")
    if json_path.exists():
        out(str(json_path))
    return 0
