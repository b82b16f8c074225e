"""``latentlab generate``: render seeds (or explicit z) into a PNG grid and/or a raw float32 .npy."""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.common import (
    CliError,
    NpyWriter,
    batch_for,
    check_free_space,
    class_index,
    device,
    device_arg,
    grid_shape,
    image_format,
    input_transform,
    load,
    model_arg,
    model_name,
    out,
    parse_seeds,
    progress_bar,
    read_npy,
    save_image,
    verbose_arg,
)
from engine.api import NOISE_MODES
from engine.errors import LimitError, shown
from engine.limits import MAX_RNG_SEED

if TYPE_CHECKING:
    import torch

    from engine.families import LoadedModel

log = logging.getLogger("latentlab.cli")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="render images from seeds or latents",
        description="Render images from seeds (or explicit z vectors) into a PNG grid and/or a float32 .npy.",
    )
    verbose_arg(p)
    model_arg(p)
    p.add_argument("--seeds", default=None, help="seeds: 0-7, 1,5,9 or 0-3,10 (default 0-7)")
    p.add_argument("--z-npy", metavar="FILE", help="N x z_dim float array of latents (overrides --seeds)")
    p.add_argument("--c-npy", metavar="FILE", help="N x c_dim label array for conditional models")
    p.add_argument("--class", dest="class_", metavar="K", help="one class (index or name) for every image")
    p.add_argument("--psi", type=float, default=None, help="truncation psi (default 1 = none)")
    p.add_argument("--cutoff", type=int, default=None, help="truncate only the first N style layers")
    p.add_argument("--noise-mode", choices=NOISE_MODES, default=None, help="synthesis noise (default const)")
    p.add_argument("--noise-seed", type=int, default=0, help="seed of the random noise (--noise-mode random)")
    p.add_argument(
        "--translate",
        metavar="X,Y",
        help="models with an input transform (StyleGAN3): move the image by X,Y image widths, as NVlabs' "
        "gen_images.py (write --translate=-0.1,0.2 when X is negative)",
    )
    p.add_argument("--rotate", type=float, metavar="DEG", help="models with an input transform: rotate by DEG degrees")
    p.add_argument("--out", metavar="GRID.png", help="write a grid image (PNG or another Pillow format)")
    p.add_argument("--cols", type=int, default=None, help="grid columns (default: ceil(sqrt(N)))")
    p.add_argument("--out-npy", metavar="FILE", help="write the raw float32 NCHW images, unclamped")
    p.add_argument("--batch", type=int, default=16, help="images per forward pass (default 16)")
    device_arg(p)
    p.set_defaults(run=cmd_generate)


def _labels(model: LoadedModel, args: argparse.Namespace, n: int) -> torch.Tensor | None:
    import torch

    classes = model.capabilities.classes
    if args.class_ is not None and args.c_npy:
        raise CliError("give --class or --c-npy, not both")
    if not classes:
        if args.class_ is not None or args.c_npy:
            raise CliError("this model is unconditional; --class and --c-npy need a conditional model")
        return None
    k = len(classes)
    if args.c_npy:
        c = read_npy(args.c_npy, "--c-npy")
        if c.ndim != 2 or c.shape != (n, k):
            raise CliError(f"--c-npy must be {n} x {k} (images x classes), got {'x'.join(map(str, c.shape))}")
        return torch.from_numpy(c).to(model.device)
    if args.class_ is None:
        log.info("conditional model: using class 0 (%s); pick one with --class", classes[0])
        idx = 0
    else:
        idx = class_index(str(args.class_), classes)
    return model.one_hot([idx], n)


def _options(model: LoadedModel, args: argparse.Namespace) -> dict[str, Any]:
    """The keyword options of the model's ``generate`` the arguments ask for: truncation and noise
    for models with a W space (refused or ignored, with a message, for the others), and the input
    transform for models that have one."""
    caps = model.capabilities
    transform = input_transform(caps, args.translate, args.rotate)
    if caps.w_space is None:
        if args.psi is not None or args.cutoff is not None:
            raise CliError(f"{caps.family} models have no W space; --psi and --cutoff do not apply")
        if args.noise_mode is not None:
            log.warning("%s models have no synthesis noise; ignoring --noise-mode", caps.family)
        return {}
    if args.cutoff is not None and not 0 <= args.cutoff <= caps.w_space.num_ws:
        raise CliError(f"--cutoff must be in 0..{caps.w_space.num_ws} (the model's style layers), got {args.cutoff}")
    options: dict[str, Any] = {
        "psi": 1.0 if args.psi is None else float(args.psi),
        "cutoff": args.cutoff,
        "noise_mode": args.noise_mode or "const",
    }
    if transform is not None:
        from engine.input_transform import InputTransform

        options["transform"] = InputTransform(transform.translate_x, transform.translate_y, transform.rotate)
    return options


def render_batch(
    model: LoadedModel, z: torch.Tensor, c: torch.Tensor | None, options: dict[str, Any], noise_seed: int
) -> torch.Tensor:
    """One forward pass: float32 NCHW images on the CPU, unclamped, the model's own
    ``generate(z, c, **options)``; with ``noise_mode="random"`` the pass uses ``noise_seed``."""
    import torch

    opts = dict(options)
    if opts.get("noise_mode") == "random":
        opts["noise_seed"] = noise_seed
    with torch.inference_mode():
        return model.generate(z, c, **opts).float().cpu()


def _check_args(args: argparse.Namespace) -> None:
    """Everything that can be refused before a model is loaded."""
    if not args.out and not args.out_npy:
        raise CliError("nothing to write: give --out GRID.png and/or --out-npy FILE.npy")
    if args.batch < 1:
        raise CliError(f"--batch must be at least 1, got {args.batch}")
    if args.cols is not None and args.cols < 1:
        raise CliError(f"--cols must be at least 1, got {args.cols}")
    if not 0 <= args.noise_seed <= MAX_RNG_SEED:
        raise CliError(f"--noise-seed must be in 0..{MAX_RNG_SEED}, got {args.noise_seed}")
    if args.cutoff is not None and args.cutoff < 0:
        raise CliError(f"--cutoff must be 0 or more, got {args.cutoff}")


def cmd_generate(args: argparse.Namespace) -> int:
    """Render seeds (or explicit z) to a PNG grid and/or a raw float32 .npy, batch by batch: each batch
    is written (into the grid, or appended to the .npy) before the next is rendered, so memory stays
    bounded whatever the number of seeds; absurd sizes are refused before anything is rendered. The
    batch at image ``i`` uses noise seed ``--noise-seed + i`` (``--noise-mode random``)."""
    import numpy as np
    import torch

    from engine.finite import NONFINITE_WARNING, all_finite
    from engine.grid import GridCanvas
    from engine.render import to_uint8

    _check_args(args)
    fmt = image_format(args.out) if args.out else None
    z_arr = None
    if args.z_npy:
        if args.seeds is not None:
            log.warning("--z-npy given: ignoring --seeds")
        z_arr = read_npy(args.z_npy, "--z-npy")
        seeds = None
    else:
        seeds = parse_seeds(args.seeds if args.seeds is not None else "0-7")
    n = len(seeds) if seeds is not None else (int(z_arr.shape[0]) if z_arr is not None and z_arr.ndim == 2 else 0)
    if n and args.noise_seed > MAX_RNG_SEED - n:
        raise CliError(f"--noise-seed must be in 0..{MAX_RNG_SEED - n} for {n} images, got {args.noise_seed}")

    dev = device(args.device)
    model = load(args.model, dev)
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent (task: {caps.task})")
    if z_arr is not None and (z_arr.ndim != 2 or z_arr.shape[1] != caps.z_dim or z_arr.shape[0] == 0):
        raise CliError(f"--z-npy must be N x {caps.z_dim} (the model's z_dim), got {'x'.join(map(str, z_arr.shape))}")
    res, ch = caps.resolution, caps.channels
    grid = None
    if args.out:
        try:
            grid = GridCanvas(n, res, res, ch, args.cols)  # refuses a grid over the output limits
        except LimitError as e:
            raise CliError(f"--out {shown(args.out)}: {e}; write fewer images or use --out-npy") from None
    npy_shape = (n, ch, res, res)
    if args.out_npy:
        check_free_space(args.out_npy, math.prod(npy_shape) * 4, f"{n} images of {ch}×{res}×{res} float32")
    c = _labels(model, args, n)
    options = _options(model, args)
    batch = batch_for(res, ch, args.batch)
    if batch < args.batch:
        log.info("rendering %d images per pass (not %d) to stay within memory at %d px", batch, args.batch, res)

    z_all = None if z_arr is None else torch.from_numpy(np.ascontiguousarray(z_arr)).to(dev)
    t0 = time.perf_counter()
    finite = True
    with contextlib.ExitStack() as stack:
        npy = stack.enter_context(NpyWriter(args.out_npy, npy_shape)) if args.out_npy else None
        bar = stack.enter_context(progress_bar(n, "images"))
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            z = z_all[start:stop] if z_all is not None else model.sample_z(seeds[start:stop])
            cb = None if c is None else c[start:stop]
            images = render_batch(model, z, cb, options, args.noise_seed + start)
            if finite and not all_finite(images):
                finite = False
                log.warning("%s (from image %d on)", NONFINITE_WARNING, start)
            if npy is not None:
                npy.write(images.numpy())
            if grid is not None:
                grid.put(start, to_uint8(images))
            bar.update(stop - start)
    log.info("generated %d images in %.2f s", n, time.perf_counter() - t0)
    if npy is not None:
        out(str(npy.path))
    if grid is not None:
        if fmt == "PNG":  # how to reproduce the grid, in its text chunks
            from engine.image_info import save_png

            out(str(save_png(Path(args.out).expanduser(), grid.image, _info(model, args, seeds, n))))
        else:
            out(str(save_image(args.out, grid.image, fmt)))
    return 0


def _info(model: LoadedModel, args: argparse.Namespace, seeds: list[int] | None, n: int) -> dict[str, str]:
    """The PNG text chunks of the grid (:func:`engine.image_info.sampling_info`): model, seeds,
    truncation, noise, class."""
    from engine.image_info import sampling_info

    options = _options(model, args)
    classes = model.capabilities.classes
    label = None
    if classes and args.c_npy:
        label = f"per image, from {args.c_npy}"
    elif classes:
        k = class_index(str(args.class_), classes) if args.class_ is not None else 0
        label = f"{k} ({classes[k]})"
    name = model_name(model, args.model)
    return sampling_info(
        name,
        str(model.meta.get("path") or args.model or name),
        seeds,
        float(options.get("psi", 1.0)),
        options.get("cutoff"),
        str(options.get("noise_mode", "none")),
        int(args.noise_seed),
        label,
        grid_shape(n, args.cols)[1],
    )
