"""``latentlab gui`` (also ``latentlab`` alone): open the desktop app."""

from __future__ import annotations

import argparse

from app.commands.common import CliError, describe_error, device_arg, model_arg, verbose_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)", description="Open the desktop app.")
    verbose_arg(p)
    model_arg(p)
    device_arg(p)
    p.set_defaults(run=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the desktop app (``app.__main__.run_gui``)."""
    try:
        from app.__main__ import run_gui
    except ImportError as e:
        raise CliError(f"the desktop app is not available ({describe_error(e)})") from e
    return int(run_gui(getattr(args, "model", None), getattr(args, "device", None)) or 0)
