"""``latentlab gui`` (also ``latentlab`` alone, and ``latentlab MODEL``): open the desktop app."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.common import CliError, describe_error, device_arg, model_arg, verbose_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)", description="Open the desktop app.")
    verbose_arg(p)
    model_arg(p)
    device_arg(p)
    p.set_defaults(run=cmd_gui)


def gui_model_problem(model: str) -> str | None:
    """Why the app cannot open ``model`` (not a file, a folder, not a bundled name), or None when it is a
    file or a bundled model. Decided before the window opens, so a typo is one line, not a dialog."""
    from engine import zoo

    p = Path(model).expanduser()
    if p.is_file() or zoo.find(model) is not None:
        return None
    if p.is_dir():
        return f"{model} is a folder, not a model file"
    known = ", ".join(e.name for e in zoo.list_models()) or "none"
    return f"{model}: no such file or bundled model (bundled: {known})"


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the desktop app (``app.__main__.run_gui``) on ``args.model`` if given."""
    model = getattr(args, "model", None)
    if model:
        problem = gui_model_problem(model)
        if problem is not None:
            raise CliError(problem)
    try:
        from app.__main__ import run_gui
    except ImportError as e:
        raise CliError(f"the desktop app is not available ({describe_error(e)})") from e
    return int(run_gui(getattr(args, "model", None), getattr(args, "device", None)) or 0)
