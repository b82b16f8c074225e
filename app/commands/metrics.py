"""``latentlab metrics``: FID, KID, Inception Score and precision/recall of a model (or of one dataset
against another: the real-vs-real floor), with a bundled classifier's features or Inception-v3."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli_util import CliError, out, out_json

DESCRIPTION = """Measure a generator against real data.

  latentlab metrics MODEL --data fmnist:test --metric fid,kid,is,pr --n 10000
  latentlab metrics --data fmnist:train --against fmnist:test      (real vs real: the floor)
  latentlab metrics emoji-stylegan2 --data demo:emoji --n 2308      (emoji features, picked by --data)

Features come from a bundled classifier (--features auto, the default, picks the one trained on
--data: fmnist-classifier for fmnist:*, emoji-classifier for demo:emoji; or name one) or from
Inception-v3 in the pytorch-fid layout (--features inception --inception-weights
pt_inception-2015-12-05-6726825d.pth; nothing is downloaded). Real-data features are cached in
$LATENTLAB_CACHE (default ~/.cache/latentlab)."""


def register(sub: Any) -> None:
    from app.cli import _device_arg, _verbose_arg

    p = sub.add_parser(
        "metrics",
        help="FID / KID / IS / precision-recall of a model",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _verbose_arg(p)
    p.add_argument("model", nargs="?", metavar="MODEL", help="bundled model name or checkpoint file")
    p.add_argument("--data", required=True, metavar="D", help="real data: fmnist:train|test, a folder or an .npz")
    p.add_argument("--against", metavar="D2", help="measure dataset D2 against --data instead of a model")
    p.add_argument(
        "--metric",
        default="fid,kid,is,pr",
        help="comma list of fid, kid, is, pr, acc (class accuracy, conditional models); default: fid,kid,is,pr",
    )
    p.add_argument("--n", type=int, default=10000, help="images per side (default 10000)")
    p.add_argument(
        "--features",
        default="auto",
        help="auto (default: the bundled network for --data), fmnist-classifier, emoji-classifier or inception",
    )
    p.add_argument("--inception-weights", metavar="PATH", help="pytorch-fid Inception weights (.pth or .safetensors)")
    p.add_argument("--batch", type=int, default=100, help="images per forward pass (default 100)")
    p.add_argument("--seed", type=int, default=0, help="first generator seed; also seeds subsets (default 0)")
    p.add_argument("--resolution", type=int, help="data resolution without a model (default: the feature input)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write cached real-data features")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    _device_arg(p)
    p.set_defaults(run=cmd_metrics)


class _Bar:
    """A one-line progress bar on stderr (only when stderr is a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, progress: tuple[int, int, str]) -> None:
        if not self.tty:
            return
        done, total, msg = progress
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {msg[:60]:<60}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _open(spec: str, resolution: int, channels: int) -> Any:
    from training.data import DataError, open_dataset

    try:
        return open_dataset(spec, resolution, channels)
    except DataError as e:
        raise CliError(str(e)) from e


def _fmt(v: float | None, std: float | None = None) -> str:
    if v is None:
        return "-"
    return f"{v:.6g}" if std is None else f"{v:.6g} ± {std:.2g}"


def print_table(report: Any) -> None:
    out(f"real        {report.real} ({report.n_real} images)")
    out(f"generated   {report.generated} ({report.n_generated} images)")
    out(f"features    {report.features}")
    metrics = report.settings.get("metrics", [])
    rows = [
        ("fid", "FID", _fmt(report.fid)),
        ("kid", "KID", _fmt(report.kid_mean, report.kid_std)),
        ("is", "IS", _fmt(report.is_mean, report.is_std)),
        ("pr", "precision", _fmt(report.precision)),
        ("pr", "recall", _fmt(report.recall)),
        ("acc", "class acc.", _fmt(report.class_accuracy)),
    ]
    for key, name, value in rows:
        if key in metrics:
            out(f"{name:<12}{value}")
    out(f"time        {report.seconds:.1f} s")


def cmd_metrics(args: argparse.Namespace) -> int:
    """Run the evaluation job in this thread, with a progress bar on stderr."""
    from app.cli import _device, _load
    from engine.metrics.evaluate import EvalOptions, dataset_source, evaluate, model_source, run_to_end
    from engine.metrics.features import make_extractor

    if args.model and args.against:
        raise CliError("give a MODEL or --against D2, not both")
    if not args.model and not args.against:
        raise CliError("nothing to measure: give a MODEL, or --against D2 for real-vs-real")
    if args.n < 2:
        raise CliError(f"--n must be at least 2, got {args.n}")
    if args.batch < 1:
        raise CliError(f"--batch must be at least 1, got {args.batch}")
    metrics = tuple(m.strip().lower() for m in args.metric.split(",") if m.strip())
    opts = EvalOptions(metrics=metrics, n=args.n, batch=args.batch, seed=args.seed, use_cache=not args.no_cache)
    device = _device(args.device)
    extractor = make_extractor(args.features, device, args.inception_weights, data=args.data)
    if args.model:
        model = _load(args.model, device)
        caps = model.capabilities
        resolution, channels = caps.resolution, caps.channels
        generated = model_source(model, args.n, args.seed, label=args.model)
    else:
        resolution = args.resolution or min(extractor.resolution, 128)
        channels = extractor.channels
        if resolution < 2:
            raise CliError(f"--resolution must be at least 2, got {resolution}")
        generated = dataset_source(args.against, _open(args.against, resolution, channels), args.n, args.seed + 1)
    real = dataset_source(args.data, _open(args.data, resolution, channels), args.n, args.seed)
    bar = _Bar()
    try:
        report = run_to_end(evaluate(real, generated, extractor, opts), bar)
    finally:
        bar.close()
    if args.json:
        out_json(report.to_dict())
    else:
        print_table(report)
    return 0
