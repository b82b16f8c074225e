"""``latentlab generate``: render seeds (or explicit z) into a PNG grid and/or a raw float32 .npy."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.common import (
    CliError,
    class_index,
    device,
    device_arg,
    image_format,
    input_transform,
    load,
    make_grid,
    model_arg,
    out,
    parse_seeds,
    read_npy,
    verbose_arg,
)
from engine.api import NOISE_MODES

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


def generate_batches(
    model: LoadedModel, z: torch.Tensor, c: torch.Tensor | None, options: dict[str, Any], noise_seed: int, batch: int
) -> torch.Tensor:
    """float32 NCHW images on the CPU, unclamped: the model's own ``generate(z, c, **options)``,
    ``batch`` images per forward pass. With ``noise_mode="random"`` the batch starting at image ``i``
    uses noise seed ``noise_seed + i``."""
    import torch

    chunks = []
    with torch.inference_mode():
        for s in range(0, z.shape[0], batch):
            opts = dict(options)
            if opts.get("noise_mode") == "random":
                opts["noise_seed"] = noise_seed + s
            chunks.append(
                model.generate(z[s : s + batch], None if c is None else c[s : s + batch], **opts).float().cpu()
            )
    return torch.cat(chunks)


def cmd_generate(args: argparse.Namespace) -> int:
    """Render seeds (or explicit z) to a PNG grid and/or a raw float32 .npy."""
    import numpy as np
    import torch

    if not args.out and not args.out_npy:
        raise CliError("nothing to write: give --out GRID.png and/or --out-npy FILE.npy")
    if args.batch < 1:
        raise CliError(f"--batch must be at least 1, got {args.batch}")
    if args.cols is not None and args.cols < 1:
        raise CliError(f"--cols must be at least 1, got {args.cols}")
    fmt = image_format(args.out) if args.out else None
    z_arr = None
    if args.z_npy:
        if args.seeds is not None:
            log.warning("--z-npy given: ignoring --seeds")
        z_arr = read_npy(args.z_npy, "--z-npy")
        seeds = None
    else:
        seeds = parse_seeds(args.seeds if args.seeds is not None else "0-7")

    dev = device(args.device)
    model = load(args.model, dev)
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent (task: {caps.task})")
    if z_arr is not None:
        if z_arr.ndim != 2 or z_arr.shape[1] != caps.z_dim or z_arr.shape[0] == 0:
            raise CliError(
                f"--z-npy must be N x {caps.z_dim} (the model's z_dim), got {'x'.join(map(str, z_arr.shape))}"
            )
        z = torch.from_numpy(np.ascontiguousarray(z_arr)).to(dev)
    else:
        z = model.sample_z(seeds)
    n = int(z.shape[0])
    c = _labels(model, args, n)
    options = _options(model, args)

    t0 = time.perf_counter()
    images = generate_batches(model, z, c, options, args.noise_seed, args.batch)
    log.info("generated %d images in %.2f s", n, time.perf_counter() - t0)

    if args.out_npy:
        p = Path(args.out_npy).expanduser()
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as f:
            np.save(f, images.numpy().astype(np.float32, copy=False))
        out(str(p))
    if args.out:
        from PIL import Image

        from engine.render import to_uint8

        grid = make_grid(to_uint8(images), args.cols)
        p = Path(args.out).expanduser()
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(p, format=fmt)
        out(str(p))
    return 0
