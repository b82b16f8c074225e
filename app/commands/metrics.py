"""``latentlab metrics``: FID, KID, Inception Score and precision/recall of a model (or of one dataset
against another: the real-vs-real floor), with a bundled classifier's features or Inception-v3."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from app.commands.common import CliError, device_arg, load, out, out_json, verbose_arg
from app.commands.common import device as get_device

log = logging.getLogger(__name__)

DESCRIPTION = """Measure a generator against real data.

  latentlab metrics MODEL --data fmnist:test --metric fid,kid,is,pr --n 10000
  latentlab metrics --data fmnist:train --against fmnist:test      (real vs real: the floor)
  latentlab metrics emoji-stylegan2 --data demo:emoji --n 2308      (emoji features, picked by --data)
  latentlab metrics emoji-stylegan2 --metric ppl                     (perceptual path length in W)
  latentlab metrics MODEL --data photos/ --features inception --inception-weights pt_inception.pth

Features come from a bundled classifier (--features auto, the default, picks the one trained on
--data: fmnist-classifier for fmnist:*, emoji-classifier for demo:emoji; or name one) or from
Inception-v3 in the pytorch-fid layout (--features inception --inception-weights
pt_inception-2015-12-05-6726825d.pth; nothing is downloaded). Real-data features are cached in
$LATENTLAB_CACHE (default ~/.cache/latentlab).

Inception features follow a published protocol (--protocol), so the numbers compare with papers:
  pytorch-fid (default)  each image read with convert("RGB") (alpha dropped), at its own size,
                         stretched to 299x299 with plain bilinear (no antialias,
                         align_corners=False), scaled to [-1, 1] - as pytorch-fid 0.3
  clean-fid              the same files, each channel resized to 299x299 with PIL bicubic in
                         float (clean-fid's "clean" mode), on the same pytorch-fid network
Generated images are quantised to 8 bits first, as `latentlab generate` saves them. Real images are
not cropped or resized beforehand unless --resolution R asks for it (then they are prepared as for
training: short side to R, centre crop, transparency on white). The Inception Score uses the
bias-free logits (pool3 x fc weight, no bias: the original IS code, torch-fidelity's
logits_unbiased) in 10 splits of consecutive samples.

FID needs more images than feature dimensions: at least 2049 per side with Inception (2048-d pool3),
129 with the bundled classifiers (128-d). With fewer the covariances are singular and FID is not
defined; such a request is refused before any feature is computed (KID, IS and precision/recall
have no such limit)."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "metrics",
        help="FID / KID / IS / precision-recall of a model",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbose_arg(p)
    p.add_argument("model", nargs="?", metavar="MODEL", help="bundled model name or checkpoint file")
    p.add_argument(
        "--data", metavar="D", help="real data: fmnist:train|test, demo:emoji, a folder or an .npz (not for ppl alone)"
    )
    p.add_argument("--against", metavar="D2", help="measure dataset D2 against --data instead of a model")
    p.add_argument(
        "--metric",
        default="fid,kid,is,pr",
        help="comma list of fid, kid, is, pr, acc (class accuracy, conditional models), ppl (perceptual path "
        "length); default: fid,kid,is,pr",
    )
    p.add_argument("--ppl-n", type=int, default=2000, help="PPL: latent pairs (default 2000)")
    p.add_argument("--ppl-sampling", choices=("full", "end"), default="full", help="PPL: t ~ U(0,1) or t = 0")
    p.add_argument("--ppl-space", choices=("auto", "w", "z"), default="auto", help="PPL: w when the model has W")
    p.add_argument("--epsilon", type=float, default=1e-4, help="PPL: path step (default 1e-4)")
    p.add_argument("--n", type=int, default=10000, help="images per side (default 10000)")
    p.add_argument(
        "--features",
        default="auto",
        help="auto (default: the bundled network for --data), fmnist-classifier, emoji-classifier or inception",
    )
    p.add_argument("--inception-weights", metavar="PATH", help="pytorch-fid Inception weights (.pth or .safetensors)")
    p.add_argument(
        "--protocol",
        choices=("pytorch-fid", "clean-fid"),
        help="how images reach Inception: pytorch-fid (default: plain bilinear stretch to 299) or clean-fid "
        "(PIL bicubic per channel); --features inception only",
    )
    p.add_argument("--batch", type=int, default=100, help="images per forward pass (default 100)")
    p.add_argument("--seed", type=int, default=0, help="first generator seed; also seeds subsets (default 0)")
    p.add_argument(
        "--resolution",
        type=int,
        help="first bring real images to RxR as for training (short side, centre crop). Default: with "
        "Inception none (images at their own size); with a classifier the model's resolution, or the "
        "network's input (at most 128) without a model",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write cached real-data features")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    device_arg(p)
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


def _ppl_features(args: argparse.Namespace, model: Any) -> str:
    """The feature network whose conv stages measure PPL distances: --features, else by --data, else by
    the data the model was trained on (its provenance), else by its channel count."""
    from engine.metrics.features import feature_network_for

    if args.features not in ("auto", "inception"):
        return "fmnist-classifier" if args.features == "classifier" else args.features
    if args.features == "inception":
        raise CliError("PPL uses a bundled classifier's conv stages; --features inception does not apply")
    data = args.data or str(model.meta.get("provenance", {}).get("data") or "")
    if data:
        return feature_network_for(data)
    return "emoji-classifier" if model.capabilities.channels == 3 else "fmnist-classifier"


def cmd_ppl(args: argparse.Namespace, model: Any) -> dict[str, Any]:
    """Measure PPL of ``model``; prints a table row (or returns the report for --json)."""
    from engine import zoo
    from engine.metrics.errors import MetricError
    from engine.metrics.ppl import PPLOptions, classifier_distance, perceptual_path_length, run_ppl

    name = _ppl_features(args, model)
    try:
        distance, distance_name = classifier_distance(zoo.feature_network(name))
        opts = PPLOptions(args.ppl_n, args.epsilon, args.ppl_sampling, args.ppl_space, min(args.batch, 50), args.seed)
    except (LookupError, MetricError) as e:
        raise CliError(str(e)) from e
    bar = _Bar()
    try:
        report = run_ppl(
            perceptual_path_length(model, distance, opts, label=args.model, distance_name=distance_name), bar
        )
    finally:
        bar.close()
    if not args.json:
        out(
            f"PPL         {report.ppl:.6g} ({report.space}, {report.sampling} paths, {report.n} pairs, "
            f"ε {report.epsilon:g}, {report.distance}; {report.seconds:.1f} s)"
        )
    return report.to_dict()


def _classifier_sources(args: argparse.Namespace, model: Any, extractor: Any) -> tuple[Any, Any]:
    """Real (and --against) images prepared at one resolution, as the bundled classifiers take them."""
    from engine.metrics.evaluate import dataset_source, model_source

    if model is not None:
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
    return real, generated


NATIVE_PIXEL_BUDGET = 1 << 25
"""Pixels of real images decoded at once at their own size (32 Mpx: ~100 MB as uint8, ~400 MB as float
during the resize): --batch is lowered for folders of large photos so a batch stays within it."""


def _native(spec: str, n: int, seed: int) -> tuple[Any, Any]:
    """A real-image source at the images' own size (pytorch-fid's reading) and the opened images."""
    from engine.metrics.evaluate import native_source
    from training.data import DataError
    from training.native_images import open_native

    try:
        images = open_native(spec)
    except DataError as e:
        raise CliError(str(e)) from e
    return native_source(spec, images.count, images.read, n, seed), images


def _inception_sources(args: argparse.Namespace, model: Any) -> tuple[Any, Any, int]:
    """Real images at their own size (or at --resolution when given), generated ones as the model makes
    them, and the batch size (--batch, lowered for large photos: :data:`NATIVE_PIXEL_BUDGET`)."""
    from engine.metrics.evaluate import dataset_source, model_source

    largest = [0]

    def real_side(spec: str, seed: int) -> tuple[Any, str]:
        if args.resolution is None:
            source, images = _native(spec, args.n, seed)
            largest[0] = max(largest[0], max(w * h for w, h in images.sizes))
            return source, images.size_summary()
        if args.resolution < 2:
            raise CliError(f"--resolution must be at least 2, got {args.resolution}")
        r = args.resolution
        return dataset_source(spec, _open(spec, r, 3), args.n, seed), f"{r}×{r}"

    real, real_size = real_side(args.data, args.seed)
    if model is None:
        generated, _ = real_side(args.against, args.seed + 1)
    else:
        r = model.capabilities.resolution
        if real_size != f"{r}×{r}":
            log.warning(
                "the real images are %s, %s makes %d×%d: FID also measures that difference "
                "(--resolution %d prepares the real images at the model's size first)",
                real_size,
                args.model,
                r,
                r,
                r,
            )
        generated = model_source(model, args.n, args.seed, label=args.model)
    batch = args.batch
    if largest[0] and batch * largest[0] > NATIVE_PIXEL_BUDGET:
        batch = max(1, NATIVE_PIXEL_BUDGET // largest[0])
        log.info("batches of %d images (the largest real image has %d pixels)", batch, largest[0])
    return real, generated, batch


def cmd_metrics(args: argparse.Namespace) -> int:
    """Run the evaluation job in this thread, with a progress bar on stderr."""
    from engine.metrics.evaluate import EvalOptions, evaluate, run_to_end
    from engine.metrics.features import InceptionExtractor, make_extractor
    from engine.metrics.fid import check_fid_samples
    from engine.metrics.inception import FEATURE_DIM

    if args.model and args.against:
        raise CliError("give a MODEL or --against D2, not both")
    if not args.model and not args.against:
        raise CliError("nothing to measure: give a MODEL, or --against D2 for real-vs-real")
    if args.n < 2:
        raise CliError(f"--n must be at least 2, got {args.n}")
    if args.batch < 1:
        raise CliError(f"--batch must be at least 1, got {args.batch}")
    if args.protocol and args.features != "inception":
        raise CliError(f"--protocol {args.protocol} applies to --features inception only")
    metrics = tuple(m.strip().lower() for m in args.metric.split(",") if m.strip())
    from engine.metrics.evaluate import METRICS

    unknown = [m for m in metrics if m not in (*METRICS, "ppl")]
    if unknown or not metrics:
        raise CliError(f"unknown metric(s) {', '.join(unknown) or '(none)'} (known: {', '.join((*METRICS, 'ppl'))})")
    ppl = "ppl" in metrics
    metrics = tuple(m for m in metrics if m != "ppl")
    if ppl and not args.model:
        raise CliError("ppl measures a model: give a MODEL")
    if metrics and not args.data:
        raise CliError(f"{','.join(metrics)} compare with real data: give --data D")
    device = get_device(args.device)
    extractor = None
    if metrics:
        if "fid" in metrics and args.features == "inception":  # refused before the 95 MB of weights are read
            check_fid_samples(args.n, args.n, FEATURE_DIM, "Inception pool3", got=f"--n is {args.n}")
        extractor = make_extractor(
            args.features, device, args.inception_weights, data=args.data, protocol=args.protocol
        )
        if "fid" in metrics:
            check_fid_samples(args.n, args.n, extractor.feature_dim, extractor.name, got=f"--n is {args.n}")
    model = load(args.model, device) if args.model else None
    result: dict[str, Any] = {}
    if extractor is not None:
        batch = args.batch
        if isinstance(extractor, InceptionExtractor):
            real, generated, batch = _inception_sources(args, model)
        else:
            real, generated = _classifier_sources(args, model, extractor)
        opts = EvalOptions(metrics=metrics, n=args.n, batch=batch, seed=args.seed, use_cache=not args.no_cache)
        bar = _Bar()
        try:
            report = run_to_end(evaluate(real, generated, extractor, opts), bar)
        finally:
            bar.close()
        result = report.to_dict()
        if not args.json:
            print_table(report)
    if ppl:
        result["ppl"] = cmd_ppl(args, model)
    if args.json:
        out_json(result)
    return 0
