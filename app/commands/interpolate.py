"""``latentlab interpolate``: frames between two seeds, written as a GIF, an MP4 or PNG frames."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterator

from app.cli import _class_index, _device, _device_arg, _load, _model_arg, _verbose_arg
from app.cli_util import MAX_SEED, CliError, out
from engine.api import INTERP_METHODS, LATENT_SPACES

log = logging.getLogger("latentlab.cli")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interpolate",
        help="render an interpolation between two seeds",
        description="Render N frames from seed A to seed B (slerp or lerp, in z or w) "
        "and write them as a GIF, an MP4 or a folder of PNG frames.",
    )
    _verbose_arg(p)
    _model_arg(p)
    p.add_argument("--seeds", nargs=2, type=int, required=True, metavar=("A", "B"), help="the two seeds")
    p.add_argument("--class", dest="class_", metavar="K", help="class (index or name) of a conditional model")
    p.add_argument("--frames", type=int, default=30, help="number of frames, both ends included (default 30)")
    p.add_argument("--method", choices=INTERP_METHODS, default="slerp", help="interpolation (default slerp)")
    p.add_argument("--space", choices=LATENT_SPACES, default="z", help="z, or w for models with a W space (default z)")
    p.add_argument("--psi", type=float, default=None, help="truncation psi (models with an average w)")
    p.add_argument("--fps", type=float, default=24.0, help="frames per second of a GIF/MP4 (default 24)")
    p.add_argument("--scale", type=int, default=1, help="integer nearest-neighbour upscaling (default 1)")
    p.add_argument("--out", required=True, metavar="OUT", help="file.gif, file.mp4 or a folder (dir/) for PNG frames")
    _device_arg(p)
    p.set_defaults(run=cmd_interpolate)


def cmd_interpolate(args: argparse.Namespace) -> int:
    """Render the frames through the same pure render function as the app, then write them."""
    from engine.api import Interpolation, RenderRequest
    from engine.render import LRUCache, render
    from engine.video import output_kind, upscale, write_frames

    a, b = args.seeds
    for s in (a, b):
        if not 0 <= s <= MAX_SEED:
            raise CliError(f"seeds must be in 0..{MAX_SEED}, got {s}")
    if args.frames < 2:
        raise CliError(f"--frames must be at least 2, got {args.frames}")
    if args.scale < 1:
        raise CliError(f"--scale must be at least 1, got {args.scale}")
    if args.fps <= 0:
        raise CliError(f"--fps must be positive, got {args.fps}")
    output_kind(args.out)  # a bad suffix fails before the model loads

    model = _load(args.model, _device(args.device))
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent (task: {caps.task})")
    if args.space == "w" and caps.w_space is None:
        raise CliError(f"--space w: {caps.family} models have no W space (use --space z)")
    if args.psi is not None and not (caps.w_space and caps.w_space.has_w_avg):
        raise CliError(f"--psi: {caps.family} models have no average w to truncate toward")
    if caps.classes:
        class_index = _class_index(str(args.class_), caps.classes) if args.class_ is not None else 0
    elif args.class_ is not None:
        raise CliError("this model is unconditional; --class needs a conditional model")
    else:
        class_index = None

    cache = LRUCache()
    n = args.frames

    def frames() -> Iterator:
        for i in range(n):
            req = RenderRequest(
                "cli",
                seed=a,
                class_index=class_index,
                psi=1.0 if args.psi is None else float(args.psi),
                interpolation=Interpolation(b, i / (n - 1), args.method, args.space),
            )
            yield upscale(render(model, req, cache), args.scale)

    t0 = time.perf_counter()
    written = write_frames(frames(), args.out, args.fps)
    log.info("wrote %d frames in %.2f s", n, time.perf_counter() - t0)
    out(str(written[0].parent if output_kind(args.out) == "dir" else written[0]))
    return 0
