"""The ``latentlab`` command line: the desktop app, and scriptable access to the engine.

``latentlab`` with no command opens the desktop app. Commands (one module each in
:mod:`app.commands`)::

    latentlab gui [MODEL] [--device D]          open the desktop app
    latentlab models [--json]                   bundled models and model families
    latentlab info CKPT [--json]                what a checkpoint is and can do
    latentlab generate [MODEL] --seeds 0-7 --out grid.png [--out-npy x.npy] ...
    latentlab translate MODEL IMAGES_OR_FOLDER... --out DIR [--direction D | --target LABELS]
    latentlab invert MODEL IMAGE [--method project|encoder] [--space w|wplus] --out latent.npz
    latentlab interpolate [MODEL] --seeds 3 7 --out walk.gif
    latentlab directions [MODEL] --method sefa --out dirs.npz
    latentlab convert FOREIGN --out NAME.safetensors
    latentlab bench render [MODEL] [--frames N] [--vary seed|style] [--json]
    latentlab bench train FAMILY [--batch B] [--steps N] [--device D] [--json]
    latentlab train --preset NAME --out runs/x  (JSON-lines events on stdout)
    latentlab metrics MODEL --data D [--metric fid,kid,is,pr] [--n N] [--json]

Expected errors (:class:`engine.errors.LatentLabError`: missing or unreadable files, bad
arguments, checkpoints that do not fit) and operating-system errors end the command with one
``latentlab: error: ...`` line on stderr and exit code 2. Anything else is a bug: one line naming
it and "run with --verbose for the traceback", exit code 1; ``--verbose`` prints the traceback.
Diagnostics go through :mod:`logging` to stderr (WARNING, or INFO with ``-v``, DEBUG with ``-vv``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Sequence

from app.commands import COMMANDS, PASSTHROUGH
from app.commands.common import EXIT_USAGE, PROG, Parser, describe_error, one_line
from app.commands.gui import cmd_gui
from engine.errors import LatentLabError

log = logging.getLogger("latentlab.cli")


def build_parser() -> argparse.ArgumentParser:
    """The ``latentlab`` parser: every command of :data:`app.commands.COMMANDS` registers itself."""
    parser = Parser(
        prog=PROG,
        description="Explore, edit and train generative image models. With no command, opens the desktop app.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    sys.stderr.write(f"{PROG}: error: {one_line(message)}\n")
    sys.stderr.flush()
    return code


def _guarded(fn: Callable[[], int], verbose: int) -> int:
    """Run a command: expected errors become one line (exit 2), bugs one line with a hint (exit 1)."""
    try:
        return fn()
    except SystemExit as e:
        return _exit_code(e)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except (LatentLabError, OSError) as e:
        log.debug("user error:\n%s", traceback.format_exc())
        return _fail(describe_error(e))
    except Exception as e:
        if verbose > 0:
            sys.stderr.write(traceback.format_exc())
            return _fail(f"{type(e).__name__}: {describe_error(e)}", 1)
        return _fail(f"{type(e).__name__}: {describe_error(e)} (run with --verbose for the traceback)", 1)


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    sys.stderr.write(f"{e.code}\n")
    return 1


def _command_index(argv: Sequence[str]) -> int | None:
    """Index of the command word (the first argument that is not a global option)."""
    for i, a in enumerate(argv):
        if a == "--":
            return i + 1 if i + 1 < len(argv) else None
        if not a.startswith("-"):
            return i
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``latentlab`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    idx = _command_index(argv)
    try:
        if idx is not None and argv[idx] in PASSTHROUGH:
            gargs = parser.parse_args([a for a in argv[:idx] if a != "--"])
            _configure_logging(gargs.verbose)
            run_argv = PASSTHROUGH[argv[idx]]
            return _guarded(lambda: run_argv(argv[idx + 1 :]), gargs.verbose)
        args = parser.parse_args(argv)
    except SystemExit as e:
        return _exit_code(e)
    _configure_logging(args.verbose)
    run = getattr(args, "run", cmd_gui)
    return _guarded(lambda: run(args), args.verbose)


if __name__ == "__main__":
    sys.exit(main())
