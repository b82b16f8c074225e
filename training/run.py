"""``latentlab train``: parse options (from a preset, flags or a run to resume) and run the loop."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from engine.errors import CheckpointMismatchError
from training.control import RunControl, fd_lines
from training.data import DataError
from training.events import EventWriter
from training.loop import TrainingError, TrainOptions, run
from training.presets import PRESETS, get_preset
from training.trainers import get_trainer


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(prog="latentlab train")
    p.description = "Train a model in this process, printing JSON-lines events on stdout."
    p.add_argument("--preset", help=f"named preset ({', '.join(sorted(PRESETS))})")
    p.add_argument("--family", help="model family (e.g. stylegan2)")
    p.add_argument("--data", help="folder of images (sub-folders = classes), an .npz, fmnist:train or demo:emoji")
    p.add_argument("--resolution", type=int)
    p.add_argument("--channels", type=int, choices=(1, 3), help="image channels (1 = grey, 3 = RGB)")
    p.add_argument("--out", help="run folder (checkpoints, samples, model.safetensors)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR exactly")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--sample-every", type=int)
    p.add_argument("--log-every", type=int)
    p.add_argument(
        "--metrics-n",
        type=int,
        help="FID/KID with N images at each checkpoint (fmnist:train or demo:emoji data; FID needs N >= 129)",
    )
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto, cpu, cuda, mps")
    p.add_argument("--xflip", action=argparse.BooleanOptionalAction, help="random horizontal flips of the data")
    p.add_argument("--hparams", metavar="JSON", help="hyper-parameters over the preset's, e.g. '{\"lr\": 0.001}'")
    p.add_argument(
        "--init",
        metavar="CHECKPOINT",
        help="fine-tune: start from these weights (a run's ckpt-*.pt, or any model file the explorer opens); "
        "the architecture comes from them",
    )
    p.add_argument("--lr", type=float, help="learning rate (lower it for fine-tuning)")
    p.add_argument("--freeze-d", type=int, metavar="N", help="keep the first N discriminator blocks fixed (FreezeD)")
    p.add_argument(
        "--diffaugment", metavar="POLICY", help="DiffAugment for D, e.g. color,translation,cutout (small datasets)"
    )
    p.add_argument(
        "--control",
        choices=("stdin",),
        help="read pause / continue / checkpoint / stop commands, one per line, on standard input "
        "(the Train window uses it; see training.control)",
    )
    p.add_argument(
        "--check-data",
        action="store_true",
        help="only open the data and print a 'data' event (count, skipped files, classes); train nothing",
    )
    return p


def options_from_args(args: argparse.Namespace) -> tuple[TrainOptions, bool]:
    """Merge preset < saved run < explicit flags into TrainOptions; returns (options, resume)."""
    base: dict = {}
    resume = bool(args.resume)
    if args.resume:
        run_json = Path(args.resume) / "run.json"
        if not run_json.exists():
            raise DataError(f"cannot resume: {run_json} not found")
        base = json.loads(run_json.read_text())
        base["out"] = args.resume
    elif args.preset:
        pr = get_preset(args.preset)
        base = {
            "family": pr.family,
            "data": pr.data,
            "resolution": pr.resolution,
            "batch": pr.batch,
            "max_steps": pr.max_steps,
            "checkpoint_every": pr.checkpoint_every,
            "sample_every": pr.sample_every,
            "seed": pr.seed,
            "xflip": pr.xflip,
            "channels": pr.channels,
            "preset": pr.name,
            "model": dict(pr.model),
            "hparams": dict(pr.hparams),
            "out": f"runs/{pr.name}",
        }
    flags = {
        "family": args.family,
        "data": args.data,
        "resolution": args.resolution,
        "channels": args.channels,
        "out": args.out,
        "max_steps": args.max_steps,
        "batch": args.batch,
        "checkpoint_every": args.checkpoint_every,
        "sample_every": args.sample_every,
        "log_every": args.log_every,
        "metrics_n": args.metrics_n,
        "seed": args.seed,
        "device": args.device,
        "xflip": args.xflip,
    }
    if args.init and not args.resume:
        from training.finetune import init_spec

        spec = init_spec(args.init)
        wanted = args.family or base.get("family") or spec["family"]
        if wanted != spec["family"]:
            raise CheckpointMismatchError(f"--init holds a {spec['family']} model; it cannot start a {wanted} run")
        init_path = Path(args.init).expanduser()
        base.update(spec, init=str(init_path.resolve()) if init_path.exists() else args.init)  # or a bundled name
        base.setdefault("out", f"runs/finetune-{Path(args.init).stem}")
    base.update({k: v for k, v in flags.items() if v is not None})
    tuned = {"lr": args.lr, "freeze_d": args.freeze_d, "diffaugment": args.diffaugment}
    if any(v is not None for v in tuned.values()):
        base["hparams"] = {**base.get("hparams", {}), **{k: v for k, v in tuned.items() if v is not None}}
    if args.hparams:
        try:
            extra = json.loads(args.hparams)
        except json.JSONDecodeError as e:
            raise DataError(f"--hparams is not JSON: {e}") from e
        if not isinstance(extra, dict):
            raise DataError('--hparams must be a JSON object, e.g. {"lr": 0.001}')
        base["hparams"] = {**base.get("hparams", {}), **extra}
    missing = [k for k in ("family", "data", "resolution", "out") if k not in base]
    if missing:
        raise DataError("missing " + ", ".join("--" + m.replace("_", "-") for m in missing) + " (or use --preset)")
    known = {f.name for f in dataclasses.fields(TrainOptions)}
    return TrainOptions(**{k: v for k, v in base.items() if k in known}), resume


def check_data(opts: TrainOptions, ev: EventWriter) -> None:
    """Open the run's data as training would and report it as a ``data`` event (raises DataError)."""
    from training.data import open_dataset
    from training.translation_data import KINDS, open_translation_dataset

    model_cfg = {"resolution": opts.resolution, "img_channels": opts.channels, **opts.model}
    kind = get_trainer(opts.family).data_kind_for(model_cfg)
    if kind in KINDS:
        ds = open_translation_dataset(opts.data, kind, opts.resolution, opts.channels)
    else:
        ds = open_dataset(opts.data, opts.resolution, opts.channels, labelled=kind == "labelled")
    s = ds.summary
    ev.emit(
        "data",
        source=s.source,
        images=len(ds),
        skipped=s.skipped,
        skipped_files=list(getattr(s, "skipped_files", ())),
        kind=kind,
        resolution=s.resolution,
        channels=s.channels,
        classes=list(ds.class_names),
    )


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    args = build_parser(parser).parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    ev = EventWriter()
    try:
        opts, resume = options_from_args(args)
        spec = get_trainer(opts.family)
        if args.check_data:
            check_data(opts, ev)
        elif spec.run is not None:  # its own loop: no checkpoints to resume from, no control between steps
            if args.control:
                raise DataError(f"--control is not available for the {spec.name} trainer")
            if resume:
                raise DataError(f"the {spec.name} trainer does not resume; start it again")
            spec.run(opts, ev)
        else:
            control = RunControl()
            if args.control == "stdin":
                control.listen(fd_lines(sys.stdin.fileno()), "stdin")
            run(opts, ev, resume=resume, control=control)
    except (DataError, ValueError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        ev.emit("error", message=str(msg))
        print(f"latentlab train: error: {msg}", file=sys.stderr)  # noqa: T201 - CLI contract
        return 2
    except TrainingError as e:  # already reported as an "error" event by the loop
        print(f"latentlab train: error: {e}", file=sys.stderr)  # noqa: T201 - CLI contract
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
