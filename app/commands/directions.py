"""``latentlab directions``: discover latent directions (SeFa or PCA) and save them as ``.npz``."""

from __future__ import annotations

import argparse
import dataclasses
import logging

from app.commands.common import (
    CliError,
    device,
    device_arg,
    drive,
    image_format,
    load,
    make_grid,
    model_arg,
    out,
    save_image,
    verbose_arg,
)

log = logging.getLogger("latentlab.cli")
PREVIEW_STEPS = (-3.0, -1.5, 0.0, 1.5, 3.0)


def _layer_range(text: str | None) -> tuple[int, int] | None:
    """``"2-5"`` → (2, 6): style layers 2..5 inclusive, as a (start, stop) range."""
    if text is None:
        return None
    try:
        a, b = (int(p) for p in text.split("-"))
    except ValueError:
        raise CliError(f"--layers must look like 0-3 (first-last style layer), got {text!r}") from None
    if b < a or a < 0:
        raise CliError(f"--layers {text}: need 0 <= first <= last")
    return (a, b + 1)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "directions",
        help="discover latent directions (SeFa, PCA) and save them",
        description="Discover interpretable latent directions: SeFa (closed-form factorisation of the "
        "weights that read the latent; every generator) or PCA of sampled w (GANSpace; models with W). "
        "Writes an .npz the explorer and this CLI can load; --preview renders each direction at "
        "-3 … +3 standard deviations.",
    )
    verbose_arg(p)
    model_arg(p)
    p.add_argument("--method", choices=("sefa", "pca"), default="sefa", help="sefa (default) or pca")
    p.add_argument("--k", type=int, default=10, help="number of directions (default 10)")
    p.add_argument("--layers", metavar="FIRST-LAST", help="style layers to factorise / apply to (models with W)")
    p.add_argument("--n", type=int, default=10000, help="samples for PCA (default 10000)")
    p.add_argument("--out", required=True, metavar="DIRS.npz", help="output file")
    p.add_argument("--preview", metavar="GRID.png", help="also render a grid: a row per direction, -3 … +3 std")
    p.add_argument("--seed", type=int, default=0, help="seed of the preview (default 0)")
    p.add_argument(
        "--preview-size",
        type=int,
        default=256,
        metavar="PX",
        help="cell size of the preview grid (default 256): bigger models render their preview of at least "
        "that size (or are scaled down), never a grid of full frames",
    )
    device_arg(p)
    p.set_defaults(run=cmd_directions)


def cmd_directions(args: argparse.Namespace) -> int:
    from engine.latent.directions import DirectionsError, compute

    if args.k < 1:
        raise CliError(f"--k must be at least 1, got {args.k}")
    if args.preview:
        image_format(args.preview)  # a bad suffix fails before any work
    if not args.out.endswith(".npz"):
        raise CliError(f"--out must end in .npz, got {args.out}")
    layers = _layer_range(args.layers)
    model = load(args.model, device(args.device))
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent (task: {caps.task})")
    if layers is not None and caps.w_space is not None and layers[1] > caps.w_space.num_ws:
        raise CliError(
            f"--layers {args.layers}: this model's style layers are 0-{caps.w_space.num_ws - 1} (first-last)"
        )
    kwargs: dict = {"k": args.k, "layers": layers}
    if args.method == "pca":
        kwargs["n"] = args.n
    try:
        dirs = drive(compute(model, args.method, **kwargs))
    except DirectionsError as e:
        raise CliError(str(e)) from e
    dirs.save(args.out)
    out(f"wrote {len(dirs)} {dirs.method} directions in {dirs.space} to {args.out}")
    if args.preview:
        if args.preview_size < 8:
            raise CliError(f"--preview-size must be at least 8, got {args.preview_size}")
        _preview(model, dirs, args.seed, args.preview, args.preview_size)
        out(f"wrote preview {args.preview}")
    return 0


def _preview(model, dirs, seed: int, path: str, size: int = 256) -> None:
    """A grid with one row per direction and one column per offset in PREVIEW_STEPS, cells at most
    about ``size`` pixels (the model's preview of at least that size when it has one, else its frames
    scaled down)."""
    from engine.api import RenderRequest
    from engine.render import LRUCache, render

    cache = LRUCache()
    caps = model.capabilities
    preview = caps.preview_for(size) if caps.resolution > size else None
    frames = []
    for i in range(len(dirs)):
        for amount in PREVIEW_STEPS:
            offset = tuple(float(v) for v in dirs.offset([0.0] * i + [amount]))
            if dirs.space == "w":
                req = RenderRequest(
                    "cli",
                    seed=seed,
                    class_index=0 if model.capabilities.classes else None,
                    w_offset=offset,
                    w_offset_layers=dirs.layers,
                )
            else:
                req = RenderRequest(
                    "cli", seed=seed, class_index=0 if model.capabilities.classes else None, z_offset=offset
                )
            if preview is not None:
                req = dataclasses.replace(req, view=dataclasses.replace(req.view, preview=preview))
            frame = render(model, req, cache)
            if max(frame.shape[:2]) > size:
                frame = _shrink(frame, size)
            frames.append(frame)
    import numpy as np

    save_image(path, make_grid(np.stack(frames), cols=len(PREVIEW_STEPS)))


def _shrink(frame, size: int):
    """A uint8 HWC frame scaled down (area filter) so that its longer side is ``size``."""
    import numpy as np
    from PIL import Image

    im = Image.fromarray(frame[..., 0] if frame.shape[-1] == 1 else frame)
    im.thumbnail((size, size), Image.Resampling.BOX)
    a = np.asarray(im)
    return a[..., None] if a.ndim == 2 else a
