"""``latentlab translate``: translate image files (or a float32 .npy batch) with an image-to-image model."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.commands.common import (
    PROG,
    CliError,
    device,
    device_arg,
    load,
    one_line,
    out,
    progress_bar,
    read_npy,
    verbose_arg,
)
from engine.errors import shown
from engine.fileio import atomic_open

log = logging.getLogger("latentlab.cli")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "translate",
        help="translate images with a pix2pix, CycleGAN or StarGAN model",
        description="Translate image files and folders (any image mode and size) into --out as STEM_TAG.png. "
        "A fully convolutional model (CycleGAN's ResNet, pix2pix's U-Net, StarGAN) runs at each image's own "
        "size, rounded to its stride and scaled down when the estimated memory would pass 3 GB; other models "
        "take their square input, by centre-crop or white padding (--fit), keeping the aspect ratio. "
        "What was done to each image is logged (--verbose). "
        "Inputs are never overwritten. A file that cannot be translated (not an image, unreadable, over the "
        "pixel limit, a FIFO or device) is skipped and named on stderr with its reason, the others are still "
        "translated, and a summary line follows; the exit code is 0 when at least one file was translated, "
        "2 when none could be. "
        "For scripts and parity checks, --in-npy/--out-npy take float32 NCHW arrays in [-1, 1].",
    )
    verbose_arg(p)
    p.add_argument("model", metavar="MODEL", help="bundled model name or checkpoint file (native or foreign)")
    p.add_argument("inputs", nargs="*", metavar="IMAGES_OR_FOLDER", help="image files and/or folders of images")
    p.add_argument("--out", metavar="DIR", help="output folder for translated PNGs (created if needed)")
    p.add_argument("--direction", metavar="D", help="AtoB or BtoA (image-to-image models; default: the first)")
    p.add_argument(
        "--target", metavar="LABELS", help="target domain(s) of a multi-domain model: names or indices, comma-separated"
    )
    p.add_argument(
        "--fit",
        choices=("auto", "crop", "pad", "native"),
        default="auto",
        help="native: the image's own size (fully convolutional models); crop/pad: the model's square input by "
        "centre-crop or white padding; auto (default): native when the model allows it, else crop",
    )
    p.add_argument("--in-npy", metavar="FILE", help="input images, float32 [N, C, S, S] in [-1, 1]")
    p.add_argument("--target-npy", metavar="FILE", help="target labels [N, K] or [K] for --in-npy (multi-domain)")
    p.add_argument("--out-npy", metavar="FILE", help="write the translated --in-npy batch here (float32 NCHW)")
    device_arg(p)
    p.set_defaults(run=cmd_translate)


def _target(model, args: argparse.Namespace):
    from engine.translate import parse_target

    if args.target is None:
        return None
    if model.capabilities.task != "multi-domain":
        raise CliError(f"--target: {model.family} models take --direction, not target domains")
    try:
        return parse_target(args.target, model.capabilities.classes)
    except ValueError as e:
        raise CliError(f"--target: {e}") from None


def cmd_translate(args: argparse.Namespace) -> int:
    npy_mode = args.in_npy is not None
    if npy_mode and args.out_npy is None:
        raise CliError("--in-npy needs --out-npy")
    if not npy_mode and (args.out_npy or args.target_npy):
        raise CliError("--out-npy and --target-npy need --in-npy")
    if not npy_mode and not args.inputs:
        raise CliError("give image files or folders to translate (or --in-npy)")
    if args.inputs and args.out is None:
        raise CliError("--out DIR is required to translate image files")
    if args.inputs:
        missing = [p for p in args.inputs if not Path(p).expanduser().exists()]
        if missing:
            raise CliError(f"{shown(missing[0])}: no such file or folder")
    model = load(args.model, device(args.device))
    from engine.translate import check_request, collect_inputs, summarize, translate_files

    caps = model.capabilities
    if caps.task not in ("image-to-image", "multi-domain"):
        raise CliError(f"{caps.family} models do not translate images (task: {caps.task})")
    target = _target(model, args)
    if args.direction is not None and caps.task != "image-to-image":
        raise CliError(f"--direction: {caps.family} models take --target domains ({', '.join(caps.classes)})")
    if npy_mode:
        _translate_npy(model, args, target)
    if not args.inputs:
        return 0
    try:
        direction, target = check_request(model, args.direction, target)
    except ValueError as e:
        raise CliError(str(e)) from None
    files = collect_inputs(args.inputs)
    if not files:
        raise CliError("the given folders hold no files")
    ii = model.capabilities.image_input
    if args.fit == "native" and (ii is None or not ii.fully_convolutional):
        raise CliError(f"--fit native: {model.capabilities.family} models take {ii.size}×{ii.size} only")
    results = []
    with progress_bar(len(files), "files") as bar:
        for r in translate_files(model, files, args.out, direction, target, args.fit):
            results.append(r)
            bar.update(1)
            if r.error is not None:
                bar.clear()
                sys.stderr.write(f"{PROG}: skipped: {one_line(r.error)}\n")
            else:
                out(str(r.output))
                log.info("%s: %s", r.source.name, r.note)
    summary = summarize(results)
    if summary.translated == 0:
        raise CliError(f"none of the {summary.total} file(s) could be translated (each is listed above)")
    if summary.skipped:
        sys.stderr.write(f"{PROG}: {summary.line()}\n")
    log.info("%s", summary.line())
    return 0


def _translate_npy(model, args: argparse.Namespace, target) -> None:
    import numpy as np
    import torch

    from engine.translate import translate_tensor

    x = read_npy(args.in_npy, "--in-npy")
    ii = model.capabilities.image_input
    if x.ndim != 4 or x.shape[1] != ii.channels:
        raise CliError(f"--in-npy must be float32 [N, {ii.channels}, H, W], got {list(x.shape)}")
    if args.target_npy is not None:
        if target is not None:
            raise CliError("give --target or --target-npy, not both")
        t = read_npy(args.target_npy, "--target-npy")
        k = len(model.capabilities.classes)
        if t.shape not in ((k,), (x.shape[0], k)):
            raise CliError(f"--target-npy must be [{x.shape[0]}, {k}] or [{k}], got {list(t.shape)}")
        target = torch.from_numpy(t)
    try:
        y = translate_tensor(model, torch.from_numpy(x), args.direction, target)
    except ValueError as e:
        raise CliError(str(e)) from None
    dst = Path(args.out_npy).expanduser()
    if dst.exists() and dst.resolve() == Path(args.in_npy).expanduser().resolve():
        raise CliError("--out-npy would overwrite --in-npy")
    with atomic_open(dst) as f:
        np.save(f, y.detach().cpu().numpy().astype(np.float32))
    out(str(dst))
