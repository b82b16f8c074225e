"""``latentlab invert``: bring an image into a model's latent space (pSp/VAE encoder or projection)."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from app.commands.common import (
    CliError,
    device,
    device_arg,
    drive,
    image_format,
    load,
    make_grid,
    out,
    read_npy,
    save_image,
    verbose_arg,
)
from engine.fileio import atomic_open

log = logging.getLogger("latentlab.cli")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "invert",
        help="invert an image into a model's latent (encoder or optimiser projection)",
        description="Find the latent that reproduces IMAGE: --method encoder runs the model's encoder (pSp: W+; "
        "VAE: z), --method project optimises w (--space w) or per-layer w+ (--space wplus) from w_avg for "
        "--steps steps (models with a W space). The default is the encoder when the model has one. The image is "
        "fitted to the model's input (centre crop or white padding to a square, any mode). --out writes the "
        "latent as .npz (arrays + JSON header; 'latent' is [N, num_ws, w_dim] or [N, z_dim]); --out-image the "
        "reconstruction. For parity checks, --in-npy takes float32 NCHW images in [-1, 1] and --out-npy writes "
        "the latents as float32.",
    )
    verbose_arg(p)
    p.add_argument("model", metavar="MODEL", help="bundled model name or checkpoint file (native or foreign)")
    p.add_argument("image", nargs="?", metavar="IMAGE", help="image file to invert")
    p.add_argument("--method", choices=("project", "encoder"), help="encoder (pSp, VAE) or project (W models)")
    p.add_argument("--space", choices=("w", "wplus"), default="wplus", help="projection space (default wplus)")
    p.add_argument("--steps", type=int, default=300, metavar="N", help="projection steps (default 300)")
    p.add_argument("--lr", type=float, default=0.1, help="projection learning rate (default 0.1)")
    p.add_argument("--no-noise", action="store_true", help="projection: keep the model's noise maps fixed")
    p.add_argument("--seed", type=int, default=0, help="projection seed (w noise)")
    p.add_argument("--fit", choices=("crop", "pad"), default="crop", help="square by centre-crop or by white padding")
    p.add_argument("--out", metavar="LATENT.npz", help="write the latent here")
    p.add_argument("--out-image", metavar="REC.png", help="write the reconstruction here (a grid for several)")
    p.add_argument("--in-npy", metavar="FILE", help="input images, float32 [N, C, S, S] in [-1, 1]")
    p.add_argument("--out-npy", metavar="FILE", help="write the latents here (float32)")
    device_arg(p)
    p.set_defaults(run=cmd_invert)


def _check_args(args: argparse.Namespace) -> None:
    if (args.image is None) == (args.in_npy is None):
        raise CliError("give one IMAGE file or --in-npy FILE")
    if not (args.out or args.out_npy or args.out_image):
        raise CliError("nothing to write: give --out LATENT.npz, --out-npy FILE and/or --out-image REC.png")
    if args.out_npy and not args.in_npy:
        raise CliError("--out-npy needs --in-npy (use --out for an image file)")
    if args.steps < 1:
        raise CliError(f"--steps must be ≥ 1, got {args.steps}")
    if args.lr <= 0:
        raise CliError(f"--lr must be positive, got {args.lr}")
    if args.out_image:
        image_format(args.out_image)
    if args.image is not None and not Path(args.image).expanduser().is_file():
        raise CliError(f"no such image file: {args.image}")


def _images(args: argparse.Namespace, size: int, channels: int):
    import torch

    from engine.images import fit_image, read_image, to_tensor

    if args.in_npy is not None:
        x = read_npy(args.in_npy, "--in-npy")
        if x.ndim != 4 or x.shape[1] != channels:
            raise CliError(f"--in-npy must be float32 [N, {channels}, H, W], got {list(x.shape)}")
        return torch.from_numpy(x)
    try:
        fitted = fit_image(read_image(Path(args.image).expanduser()), size, channels, args.fit)
    except ValueError as e:
        raise CliError(str(e)) from None
    return to_tensor(fitted)


def cmd_invert(args: argparse.Namespace) -> int:
    _check_args(args)
    model = load(args.model, device(args.device))
    from engine.latent.invert import (
        default_method,
        encode_batch_steps,
        input_shape,
        project_batch_steps,
        save_latent,
    )
    from engine.latent.project import ProjectConfig

    method = args.method or default_method(model)
    try:
        size, channels = input_shape(model, method)
    except ValueError as e:
        raise CliError(str(e)) from None
    x = _images(args, size, channels)
    t0 = time.perf_counter()
    try:
        if method == "encoder":
            inv = drive(encode_batch_steps(model, x))
        else:
            cfg = ProjectConfig(
                steps=args.steps, space=args.space, lr=args.lr, optimize_noise=not args.no_noise, seed=args.seed
            )
            inv = drive(project_batch_steps(model, x, cfg))
    except ValueError as e:
        raise CliError(str(e)) from None
    log.info("inverted %d image(s) by %s in %.2f s", x.shape[0], method, time.perf_counter() - t0)
    source = str(args.image or args.in_npy)
    if args.out:
        out(str(save_latent(Path(args.out).expanduser(), inv, model, source)))
    if args.out_npy:
        import numpy as np

        dst = Path(args.out_npy).expanduser()
        if dst.exists() and dst.resolve() == Path(args.in_npy).expanduser().resolve():
            raise CliError("--out-npy would overwrite --in-npy")
        with atomic_open(dst) as f:
            np.save(f, inv.latent.numpy().astype(np.float32))
        out(str(dst))
    if args.out_image:
        out(str(save_image(args.out_image, make_grid(inv.reconstruction), image_format(args.out_image))))
    return 0
