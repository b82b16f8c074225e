"""``latentlab interpolate``: a walk through seeds and saved latents written as a GIF, an MP4, a WebM or
PNG frames."""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.commands.common import (
    MAX_SEED,
    CliError,
    class_index,
    device,
    device_arg,
    drive,
    input_transform,
    load,
    model_arg,
    out,
    verbose_arg,
)
from engine.api import INTERP_METHODS, INTERP_SPACES, Transform, allowed_spaces
from engine.errors import LimitError
from engine.latent.keyframes import EASINGS, Keyframe
from engine.limits import MAX_FPS, MAX_FRAMES, MAX_OUTPUT_SIDE, MIN_FPS, check_float, check_int, check_output_frame

log = logging.getLogger("latentlab.cli")


def _seeds(values: list[str]) -> list[int]:
    """``--seeds 3 7`` or ``--seeds 1,5,9`` (or both mixed) → keyframe seeds."""
    seeds = []
    for v in values:
        for part in v.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                s = int(part)
            except ValueError:
                raise CliError(f"--seeds: '{part}' is not an integer (examples: 3 7, or 1,5,9)") from None
            if not 0 <= s <= MAX_SEED:
                raise CliError(f"seeds must be in 0..{MAX_SEED}, got {s}")
            seeds.append(s)
    if len(seeds) < 2:
        raise CliError("--seeds needs at least two keyframes (e.g. 3 7, or 1,5,9)")
    return seeds


def _seed(part: str) -> int | None:
    try:
        s = int(part)
    except ValueError:
        return None
    if not 0 <= s <= MAX_SEED:
        raise CliError(f"seeds must be in 0..{MAX_SEED}, got {s}")
    return s


def _file_keys(spec: str) -> list[Keyframe]:
    """``FILE`` (every latent or bookmark in it) or ``FILE#N`` (entry N, 0-based)."""
    from engine.latent.keyframe_files import load_keyframes

    path, index = spec, None
    m = re.fullmatch(r"(.+)#(\d+)", spec)
    if m and not Path(spec).expanduser().exists():
        path, index = m.group(1), int(m.group(2))
    p = Path(path).expanduser()
    if not p.is_file():
        raise CliError(f"--keyframes: '{spec}' is neither a seed nor an existing latent/project file")
    try:
        return load_keyframes(p, index)
    except ValueError as e:
        raise CliError(f"--keyframes: {e}") from None


def _keyframes(values: list[str]) -> list[Keyframe]:
    """``--keyframes 3 inv.npz 9`` or ``3,inv.npz,9``: seeds and latent/project files, in order."""
    keys: list[Keyframe] = []
    for v in values:
        parts = [v] if Path(v).expanduser().is_file() else [p.strip() for p in v.split(",")]
        for part in parts:
            if not part:
                continue
            seed = _seed(part)
            keys.extend([Keyframe(seed=seed)] if seed is not None else _file_keys(part))
    if len(keys) < 2:
        raise CliError("--keyframes needs at least two keyframes (e.g. 3,inverted.npz,9)")
    return keys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interpolate",
        help="render a walk through seeds and saved latents as a video",
        description="Render a walk through two or more keyframes (slerp or lerp, in z, w or w+; optionally "
        "looping back, with easing) and write it as a GIF, an MP4, a WebM or a folder of PNG frames. "
        "Keyframes are seeds (--seeds) or, with --keyframes, any mix of seeds, latent files written by "
        "'latentlab invert --out' (.npz) and gallery projects (.latentlab.json), in the order given; a file "
        "adds every latent/bookmark it holds, FILE#N only entry N. In w+ (--space wplus) each style layer is "
        "blended on its own: seeds and z latents map to one w (after truncation) on every layer, W+ latents "
        "keep their per-layer codes. A W+ latent with distinct layers is refused in z and w (use wplus). "
        "Models with an input transform (StyleGAN3) also move and turn the frames (--translate, --rotate), "
        "animated along the walk with --translate-to / --rotate-to. Rendering and encoding overlap.",
    )
    verbose_arg(p)
    model_arg(p)
    keys = p.add_mutually_exclusive_group(required=True)
    keys.add_argument("--seeds", nargs="+", metavar="S", help="keyframe seeds: 3 7, or 1,5,9")
    keys.add_argument(
        "--keyframes",
        nargs="+",
        metavar="K",
        help="keyframes in order: seeds, latent .npz files, project .json files (FILE#N: entry N): 3 inv.npz 9, "
        "or 3,inv.npz,9",
    )
    p.add_argument("--class", dest="class_", metavar="K", help="class (index or name) of a conditional model")
    p.add_argument("--frames", type=int, default=30, help="number of frames in all (default 30)")
    p.add_argument("--method", choices=INTERP_METHODS, default="slerp", help="interpolation (default slerp)")
    p.add_argument(
        "--space",
        choices=INTERP_SPACES,
        default="z",
        help="z, or w / wplus (per-layer w) for models with a W space (default z)",
    )
    p.add_argument("--loop", action="store_true", help="walk back to the first keyframe (a seamless loop)")
    p.add_argument("--easing", choices=EASINGS, default="linear", help="linear or smooth (slow at keyframes)")
    p.add_argument("--psi", type=float, default=None, help="truncation psi (models with an average w)")
    p.add_argument(
        "--translate",
        metavar="X,Y",
        help="models with an input transform (StyleGAN3): move every frame by X,Y image widths "
        "(write --translate=-0.1,0.2 when X is negative)",
    )
    p.add_argument("--rotate", type=float, metavar="DEG", help="models with an input transform: rotate by DEG degrees")
    p.add_argument(
        "--translate-to",
        metavar="X,Y",
        help="animate the translation from --translate (first frame) to X,Y (last frame)",
    )
    p.add_argument(
        "--rotate-to",
        type=float,
        metavar="DEG",
        help="animate the rotation from --rotate to DEG (with --loop, --rotate-to 360 turns once, seamlessly); "
        "--seeds 3 3 keeps the latent and only turns the image",
    )
    p.add_argument("--fps", type=float, default=24.0, help="frames per second of a GIF/MP4/WebM (default 24)")
    p.add_argument("--scale", type=int, default=1, help="integer nearest-neighbour upscaling (default 1)")
    p.add_argument("--size", type=int, help="upscale (nearest, integer factor) to at least this many pixels")
    p.add_argument("--out", required=True, metavar="OUT", help="file.gif|.mp4|.webm, or a folder (dir/) for PNGs")
    device_arg(p)
    p.set_defaults(run=cmd_interpolate)


def cmd_interpolate(args: argparse.Namespace) -> int:
    """Render the frames through the same pure render function as the app while a writer thread encodes.

    Frames are made one at a time as the writer takes them (no list of all frames), absurd sizes are
    refused before the model loads, and a file already at ``--out`` is replaced only once the new one
    is complete."""
    from engine.api import RenderRequest
    from engine.finite import NONFINITE_WARNING
    from engine.latent.keyframes import animate_transform, check_keyframes, iter_walk
    from engine.render import LRUCache, render_frame_checked
    from engine.video import export_job, output_kind

    keys: list[int] | list[Keyframe] = _seeds(args.seeds) if args.seeds is not None else _keyframes(args.keyframes)
    try:
        check_int(args.frames, "--frames", 2, MAX_FRAMES)
        check_int(args.scale, "--scale", 1, MAX_OUTPUT_SIDE)
        if args.size is not None:
            check_int(args.size, "--size", 1, MAX_OUTPUT_SIDE)
        check_float(args.fps, "--fps", MIN_FPS, MAX_FPS)
        output_kind(args.out)  # a bad suffix fails before the model loads
    except ValueError as e:
        raise CliError(str(e)) from e

    model = load(args.model, device(args.device))
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent (task: {caps.task})")
    if args.space not in allowed_spaces(caps, "interpolation"):
        raise CliError(f"--space {args.space}: {caps.family} models have no W space (use --space z)")
    try:
        check_keyframes(keys, args.space, caps)
    except ValueError as e:
        raise CliError(f"--space {args.space}: {e}" if "wplus" in str(e) else str(e)) from None
    if args.psi is not None and not (caps.w_space and caps.w_space.has_w_avg):
        raise CliError(f"--psi: {caps.family} models have no average w to truncate toward")
    if caps.classes:
        cls = class_index(str(args.class_), caps.classes) if args.class_ is not None else 0
    elif args.class_ is not None:
        raise CliError("this model is unconditional; --class needs a conditional model")
    else:
        cls = None
    scale = args.scale
    if args.size is not None:
        scale = max(scale, -(-args.size // caps.resolution))
    side = caps.resolution * scale
    try:
        check_output_frame(side, side, 3, what=f"a frame of {caps.resolution} px × {scale}")
    except LimitError as e:
        raise CliError(f"{'--size' if args.size is not None else '--scale'}: {e}") from None

    start = input_transform(caps, args.translate, args.rotate) or Transform()
    end = input_transform(caps, args.translate_to, args.rotate_to, "--translate-to and --rotate-to")
    base = RenderRequest("cli", class_index=cls, psi=1.0 if args.psi is None else float(args.psi), transform=start)
    requests = iter_walk(base, keys, args.frames, args.method, args.space, args.loop, args.easing)
    if end is not None:
        end = Transform(
            end.translate_x if args.translate_to is not None else start.translate_x,
            end.translate_y if args.translate_to is not None else start.translate_y,
            end.rotate if args.rotate_to is not None else start.rotate,
        )
        requests = animate_transform(requests, start, end, args.loop, count=args.frames)
    cache = LRUCache()
    warned = []

    def frames() -> Iterator[np.ndarray]:
        for i, req in enumerate(requests):
            image, _features, finite = render_frame_checked(model, req, cache)
            if not finite and not warned:
                warned.append(i)
                log.warning("%s (from frame %d on)", NONFINITE_WARNING, i)
            yield image

    t0 = time.perf_counter()
    written = drive(export_job(frames(), args.frames, args.out, args.fps, scale), "frames")
    log.info("wrote %d frames in %.2f s", args.frames, time.perf_counter() - t0)
    out(str(written[0].parent if output_kind(args.out) == "dir" else written[0]))
    return 0
