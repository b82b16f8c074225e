"""``latentlab train``: its arguments belong to :mod:`training.run`, so the command line hands them over
unparsed (``run_argv``)."""

from __future__ import annotations

import argparse

from app.commands.common import PROG, Parser


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser(
        "train",
        help="train a model (see 'latentlab train --help')",
        add_help=False,
        description="Train a model; see 'latentlab train --help'.",
    )


def run_argv(argv: list[str]) -> int:
    """Run :func:`training.run.main` on the arguments after ``train``, with a ``latentlab train`` parser."""
    from training.run import main as train_main

    return int(train_main(argv, Parser(prog=f"{PROG} train")) or 0)
