"""The ``latentlab`` commands, one module each.

Each module defines ``register(subparsers)``: it adds its parser (with the shared helpers of
:mod:`app.commands.common` for the common options) and sets ``run`` as a default,
``p.set_defaults(run=cmd)`` with ``cmd(args) -> int``. A command that parses its own arguments
(``train``) defines ``run_argv(argv) -> int`` instead and gets everything after its name.
Errors for the user are raised as :class:`app.commands.common.CliError` (or another
:class:`engine.errors.LatentLabError`): one line on stderr, exit code 2.

To add a command, write ``app/commands/NAME.py`` and list it in :data:`COMMANDS`.
"""

from __future__ import annotations

from types import ModuleType

from app.commands import (
    bench,
    convert,
    directions,
    generate,
    gui,
    info,
    interpolate,
    invert,
    metrics,
    models,
    train,
    translate,
)

COMMANDS: tuple[ModuleType, ...] = (
    gui,
    models,
    info,
    generate,
    convert,
    bench,
    interpolate,
    metrics,
    directions,
    translate,
    invert,
    train,
)
"""Every command module, in the order ``latentlab --help`` lists them."""

PASSTHROUGH = {"train": train.run_argv}
"""Commands that parse their own arguments: name → ``run_argv(argv)``."""
