"""``latentlab`` commands that live in their own modules.

Each module defines ``register(subparsers)``: it adds its parser with ``subparsers.add_parser``
(use ``app.cli`` helpers such as ``_verbose_arg``/``_device_arg``/``_model_arg`` for the common
options) and sets ``run`` as a default: ``p.set_defaults(run=cmd)`` with ``cmd(args) -> int``.
Errors for the user are raised as :class:`app.cli_util.CliError` (one line on stderr, exit 2).
List the module in ``app.cli.COMMAND_MODULES``.
"""
