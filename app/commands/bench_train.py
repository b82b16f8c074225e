"""``latentlab bench train FAMILY``: images/s of a family's training step on synthetic data."""

from __future__ import annotations

import argparse
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
    b.add_argument("family", metavar="FAMILY", help="a family (stylegan2, dcgan, ...) or a preset name")
    b.add_argument("--batch", type=int, help="images per step (default: the preset's)")
    b.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    b.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps (default 3)")
    b.add_argument("--threads", type=int, help="CPU threads (default: $LATENTLAB_THREADS or all cores)")
    b.add_argument("--tiny", action="store_true", help="use the family's tiny- smoke-test preset")
    _device_arg(b)
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.set_defaults(run=cmd_bench_train)


def cmd_bench_train(args: argparse.Namespace) -> int:
    from training.bench import as_dict, bench_train

    try:
        r = bench_train(args.family, args.batch, args.steps, args.warmup, args.device, args.tiny, args.threads)
    except (ValueError, KeyError) as e:
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
        ("steps", f"{r.steps} (+{r.warmup} warm-up) in {r.seconds:.2f} s"),
        ("step", f"{r.ms_per_step:.1f} ms"),
        ("images/s", format_value(r.images_per_s)),
    ]
    for k, v in rows:
        out(f"  {k:<10}{v}")
    return 0
