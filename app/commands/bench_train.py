"""``latentlab bench train FAMILY``: images/s of a family's training step on synthetic data."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli_util import CliError, format_value, out, out_json


def register(bench_sub: Any) -> None:
    """Add ``train`` to the ``latentlab bench`` sub-commands."""
    from app.cli import _device_arg, _verbose_arg

    b = bench_sub.add_parser(
        "train",
        help="images/s of the training step (synthetic data)",
        description="Time the training step of a family (its first preset's config, or a preset by name) on "
        "synthetic data; the step makes no host syncs, so the figure is the device's.",
    )
    _verbose_arg(b)
    b.add_argument("family", metavar="FAMILY", nargs="?", help="a family (stylegan2, dcgan, ...) or a preset name")
    b.add_argument("--preset", help="a preset by name (its family, if FAMILY is given too, must match)")
    b.add_argument("--batch", type=int, help="images per step (default: the preset's)")
    b.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    b.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps (default 3)")
    b.add_argument("--threads", type=int, help="CPU threads (default: $LATENTLAB_THREADS or all cores)")
    b.add_argument("--tiny", action="store_true", help="use the family's tiny- smoke-test preset")
    b.add_argument("--hparams", metavar="JSON", help="hyper-parameters over the preset's, e.g. '{\"bf16\": false}'")
    b.add_argument("--breakdown", action="store_true", help="also time each part of the step (G, D, R1, ...)")
    _device_arg(b)
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.set_defaults(run=cmd_bench_train)


def _target(args: argparse.Namespace) -> str:
    """The preset name or family to benchmark, from FAMILY and --preset."""
    if args.preset is None:
        if args.family is None:
            raise CliError("give a FAMILY or --preset NAME")
        return args.family
    from training.presets import PRESETS

    preset = PRESETS.get(args.preset)
    if preset is None:
        raise CliError(f"unknown preset '{args.preset}' (known: {', '.join(sorted(PRESETS))})")
    if args.family is not None and args.family not in (preset.family, preset.name):
        raise CliError(f"preset '{args.preset}' is a {preset.family} preset, not {args.family}")
    return args.preset


def _hparams(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise CliError(f"--hparams is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise CliError("--hparams must be a JSON object, e.g. '{\"bf16\": false}'")
    return value


def cmd_bench_train(args: argparse.Namespace) -> int:
    from training.bench import as_dict, bench_train

    name, hparams = _target(args), _hparams(args.hparams)
    try:
        r = bench_train(
            name, args.batch, args.steps, args.warmup, args.device, args.tiny, args.threads, hparams, args.breakdown
        )
    except (ValueError, KeyError, TypeError) as e:
        raise CliError(str(e.args[0] if e.args else e)) from e
    if args.json:
        out_json(as_dict(r))
        return 0
    out("LatentLab training benchmark (synthetic data, no host sync in the step)")
    rows = [
        ("preset", f"{r.preset} ({r.family}, {r.resolution}x{r.resolution})"),
        ("device", f"{r.device} ({r.device_name}, {r.torch_threads} threads)"),
        ("torch", r.torch_version),
        ("batch", str(r.batch)),
        ("steps", f"{r.steps} (+{r.warmup} warm-up in {r.warmup_seconds:.1f} s) in {r.seconds:.2f} s"),
        ("step", f"{r.ms_per_step:.1f} ms"),
        ("images/s", format_value(r.images_per_s)),
    ]
    for k, v in rows:
        out(f"  {k:<10}{v}")
    if r.breakdown:
        out("  part        ms/step   calls   ms/call")
        for k, v in r.breakdown.items():
            out(f"  {k:<10}{v['ms_per_step']:>9.1f} {v['calls']:>7} {v['ms_per_call']:>9.1f}")
    return 0
