"""The ``latentlab`` command line: the desktop app, and scriptable access to the engine.

``latentlab`` with no command opens the desktop app. Commands::

    latentlab gui [MODEL] [--device D]          open the desktop app
    latentlab models [--json]                   bundled models and model families
    latentlab info CKPT [--json]                what a checkpoint is and can do
    latentlab generate [MODEL] --seeds 0-7 --out grid.png [--out-npy x.npy] ...
    latentlab translate MODEL IMAGES_OR_FOLDER... --out DIR [--direction D | --target LABELS]
    latentlab invert MODEL IMAGE [--method project|encoder] [--space w|wplus] --out latent.npz
    latentlab convert FOREIGN --out NAME.safetensors
    latentlab bench render [MODEL] [--frames N] [--vary seed|style] [--json]
    latentlab bench train FAMILY [--batch B] [--steps N] [--device D] [--json]
    latentlab train --preset NAME --out runs/x  (JSON-lines events on stdout)
    latentlab metrics MODEL --data D [--metric fid,kid,is,pr] [--n N] [--json]

User errors (missing files, unreadable checkpoints, bad arguments) end the command with one
``latentlab: error: ...`` line on stderr and exit code 2; diagnostics go through :mod:`logging`
to stderr (WARNING, or INFO with ``-v``, DEBUG with ``-vv``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli_util import CliError, format_mapping, format_value, latency_stats, make_grid, out, out_json, parse_seeds
from engine.api import NOISE_MODES

if TYPE_CHECKING:
    import numpy as np
    import torch

    from engine.families import LoadedModel

PROG = "latentlab"
# Commands that live in their own modules: each defines ``register(subparsers)``, which adds its
# parser and sets ``run=FUNCTION(args) -> int`` as a default (see app/commands/__init__.py).
COMMAND_MODULES: tuple[str, ...] = (
    "app.commands.interpolate",
    "app.commands.metrics",
    "app.commands.directions",
    "app.commands.translate",
    "app.commands.invert",
)
EXIT_USAGE = 2

log = logging.getLogger("latentlab.cli")


# --- argument parsing ---------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one ``latentlab: error: ...`` line (exit code 2)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        hint = f" (see '{self.prog} --help')"
        sys.stderr.write(f"{PROG}: error: {_one_line(message)}{hint}\n")
        self.exit(EXIT_USAGE)


def _verbose_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more logging on stderr (-vv: debug)"
    )


def _device_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        metavar="D",
        help="auto, cpu, cuda[:N] or mps (default: $LATENTLAB_DEVICE, else cuda > mps > cpu)",
    )


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "model",
        nargs="?",
        metavar="MODEL",
        help="bundled model name or checkpoint file (native .safetensors or a supported foreign format); "
        "default: the default bundled model",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``latentlab`` parser (``train`` is a placeholder: its arguments belong to training.run)."""
    parser = _Parser(
        prog=PROG,
        description="Explore, edit and train generative image models. With no command, opens the desktop app.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("gui", help="open the desktop app (the default)", description="Open the desktop app.")
    _verbose_arg(p)
    _model_arg(p)
    _device_arg(p)

    p = sub.add_parser(
        "models", help="list bundled models and model families", description="List bundled models and families."
    )
    _verbose_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "info",
        help="describe a checkpoint",
        description="Load a checkpoint (bundled name or file, any supported format) and describe it.",
    )
    _verbose_arg(p)
    p.add_argument("ckpt", metavar="CKPT", help="bundled model name or checkpoint file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _device_arg(p)

    p = sub.add_parser(
        "generate",
        help="render images from seeds or latents",
        description="Render images from seeds (or explicit z vectors) into a PNG grid and/or a float32 .npy.",
    )
    _verbose_arg(p)
    _model_arg(p)
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
    _device_arg(p)

    p = sub.add_parser(
        "convert",
        help="convert a checkpoint to the native format",
        description="Convert any loadable checkpoint to NAME.safetensors + NAME.json.",
    )
    _verbose_arg(p)
    p.add_argument("src", metavar="FOREIGN", help="checkpoint file (NVlabs .pkl, rosinality .pt, native, ...)")
    p.add_argument("--out", required=True, metavar="NAME.safetensors", help="native checkpoint to write")

    p = sub.add_parser("bench", help="measure performance", description="Measure performance.")
    bsub = p.add_subparsers(dest="what", metavar="{render,export,train}", parser_class=_Parser, required=True)
    b = bsub.add_parser(
        "render",
        help="interactive render latency through the engine thread",
        description="Submit one frame at a time to the engine thread (as the app does) and time submit→result.",
    )
    _verbose_arg(b)
    _model_arg(b)
    _device_arg(b)
    b.add_argument("--frames", type=int, default=200, help="timed frames (default 200)")
    b.add_argument("--warmup", type=int, default=10, help="untimed warm-up frames (default 10)")
    b.add_argument(
        "--vary",
        choices=("seed", "style"),
        default="seed",
        help="seed: a new seed per frame (no mapping cache hit); style: move a style-mix slider (cached mapping)",
    )
    b.add_argument("--threads", type=int, default=None, help="CPU threads (default: $LATENTLAB_THREADS or all cores)")
    b.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one frame (default 120)")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    e = bsub.add_parser(
        "export",
        help="video export frames/s next to raw render frames/s",
        description="Render an interpolation walk and encode it (writer thread overlapping rendering), "
        "and compare export frames/s with render-only frames/s on the same frames.",
    )
    _verbose_arg(e)
    _model_arg(e)
    _device_arg(e)
    e.add_argument("--frames", type=int, default=120, help="frames (default 120)")
    e.add_argument("--format", choices=("mp4", "gif", "webm"), default="mp4", help="video format (default mp4)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    importlib.import_module("app.commands.bench_train").register(bsub)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)

    sub.add_parser(
        "train",
        help="train a model (see 'latentlab train --help')",
        add_help=False,
        description="Train a model; see 'latentlab train --help'.",
    )
    return parser


# --- helpers ----------------------------------------------------------------------------------------
def _one_line(msg: object) -> str:
    lines = [s.strip() for s in str(msg).strip().splitlines() if s.strip()]
    text = " ".join(lines) if lines else ""
    return text if len(text) <= 800 else text[:797] + "..."


def _describe_error(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    if isinstance(e, KeyError) and e.args:
        return str(e.args[0])
    return _one_line(e) or type(e).__name__


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def _device(name: str | None) -> torch.device:
    from engine.device import choose_device

    return choose_device(name)


def _load(name_or_path: str | None, device: torch.device | None = None) -> LoadedModel:
    """Load a bundled model or checkpoint on the CPU, then move it to ``device``."""
    from engine.checkpoints.loader import load_model

    t0 = time.perf_counter()
    model = load_model(name_or_path, "cpu")
    if device is not None:
        model.to(device)
    log.info("loaded %s (%s) in %.2f s", model.meta.get("path", name_or_path), model.family, time.perf_counter() - t0)
    return model


def _model_name(model: LoadedModel, fallback: str | None) -> str:
    return str(model.meta.get("name") or (Path(fallback).stem if fallback else "model"))


def _read_npy(path: str, what: str) -> np.ndarray:
    import numpy as np

    p = Path(path).expanduser()
    if not p.is_file():
        raise CliError(f"{what} file '{path}' not found")
    try:
        arr = np.load(p, allow_pickle=False)
    except Exception as e:
        reason = _describe_error(e)
        if "pickle" in reason:  # numpy's guess for anything without the .npy magic
            reason = "not a .npy file (expected numpy.save output)"
        raise CliError(f"cannot read {what} file '{path}': {reason}") from e
    if not isinstance(arr, np.ndarray):
        arr.close()  # an .npz archive
        raise CliError(f"{what} file '{path}' is an .npz archive; give a .npy array")
    if not np.issubdtype(arr.dtype, np.number):
        raise CliError(f"{what} file '{path}' does not hold a numeric array")
    return arr.astype(np.float32)


def _class_index(text: str, classes: Sequence[str]) -> int:
    k = len(classes)
    try:
        idx = int(text)
    except ValueError:
        lowered = [c.lower() for c in classes]
        if text.lower() in lowered:
            return lowered.index(text.lower())
        shown = ", ".join(classes[:8]) + (", ..." if k > 8 else "")
        raise CliError(f"unknown class '{text}' (give an index 0..{k - 1} or a name: {shown})") from None
    if not 0 <= idx < k:
        raise CliError(f"class {idx} out of range 0..{k - 1}")
    return idx


def _image_format(path: str) -> str:
    from PIL import Image

    suffix = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    if fmt is None:
        raise CliError(f"--out '{path}': unknown image type '{suffix or '(no extension)'}' (use .png)")
    return fmt


# --- commands ------------------------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    """Open the desktop app (``app.__main__.run_gui``)."""
    try:
        from app.__main__ import run_gui
    except ImportError as e:
        raise CliError(f"the desktop app is not available ({_describe_error(e)})") from e
    return int(run_gui(getattr(args, "model", None), getattr(args, "device", None)) or 0)


def _bundled_resolution(entry: Any) -> int | None:
    res = entry.info.get("resolution")
    if res is not None:
        return int(res)
    try:
        from engine.checkpoints.native import read_description

        return int(read_description(entry.path)["capabilities"]["resolution"])
    except Exception:
        return None


def cmd_models(args: argparse.Namespace) -> int:
    """List bundled models and registered families."""
    from engine import zoo
    from engine.families import family_names, get_family

    default = zoo.default_model()
    models = [
        {
            "name": e.name,
            "family": e.family,
            "resolution": _bundled_resolution(e),
            "description": e.description,
            "path": str(e.path),
            "default": default is not None and e.name == default.name,
        }
        for e in zoo.list_models()
    ]
    families = []
    for name in family_names():
        try:
            desc = get_family(name).description
        except Exception as e:  # a broken family module should not hide the others
            log.warning("family %s cannot be imported: %s", name, e)
            desc = ""
        families.append({"name": name, "description": desc})
    if args.json:
        out_json({"assets": str(zoo.assets_dir()), "models": models, "families": families})
        return 0
    out(f"Bundled models ({zoo.assets_dir()}):")
    if not models:
        out("  (none)")
    for m in models:
        res = f"{m['resolution']}x{m['resolution']}" if m["resolution"] else "?"
        star = " (default)" if m["default"] else ""
        out(f"  {m['name']:<24}{m['family']:<12}{res:<10}{m['description']}{star}")
    out("Model families:")
    for f in families:
        out(f"  {f['name']:<24}{f['description']}")
    return 0


def describe_model(model: LoadedModel, device: torch.device | None = None) -> dict[str, Any]:
    """A JSON-ready description: capabilities, config, provenance, metrics and parameter count."""
    from engine.families import get_family

    try:
        config = get_family(model.family).config_to_dict(model.config)
    except Exception:
        config = {"repr": repr(model.config)}
    meta = dict(model.meta)
    params = sum(p.numel() for p in model.module.parameters())
    buffers = sum(b.numel() for b in model.module.buffers())
    doc: dict[str, Any] = {
        "name": meta.pop("name", None),
        "path": meta.pop("path", None),
        "family": model.family,
        "architecture": getattr(model, "architecture", None),  # e.g. StyleGAN3's config T / R
        "description": meta.pop("description", None),
        "source": meta.pop("source", None),
        "device": str(device or model.device),
        "parameters": int(params),
        "buffers": int(buffers),
        "capabilities": model.capabilities.to_dict(),
        "config": config,
        "provenance": meta.pop("provenance", {}) or {},
        "metrics": meta.pop("metrics", {}) or {},
    }
    meta.pop("classes", None)
    doc["meta"] = {k: v for k, v in meta.items()}
    return doc


def cmd_info(args: argparse.Namespace) -> int:
    """Describe a checkpoint."""
    device = _device(args.device)
    model = _load(args.ckpt, device)
    doc = describe_model(model, device)
    if args.json:
        out_json(doc)
        return 0
    caps = dict(doc["capabilities"])
    classes = caps.pop("classes", ())
    keys = ("name", "path", "family", "architecture", "description", "source", "device")
    head = {k: doc[k] for k in keys if doc.get(k) is not None}
    head["parameters"] = f"{doc['parameters']:,}"
    for line in format_mapping(head, indent=0):
        out(line)
    out("capabilities:")
    caps = {k: v for k, v in caps.items() if v is not None}
    if classes:
        shown = list(classes[:10]) + ([f"... ({len(classes)} in all)"] if len(classes) > 10 else [])
        caps["classes"] = shown
    for line in format_mapping(caps):
        out(line)
    for section in ("config", "provenance", "metrics", "meta"):
        if doc[section]:
            out(f"{section}:")
            for line in format_mapping(doc[section]):
                out(line)
        elif section != "meta":
            out(f"{section:<18}(none)")
    return 0


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
        c = _read_npy(args.c_npy, "--c-npy")
        if c.ndim != 2 or c.shape != (n, k):
            raise CliError(f"--c-npy must be {n} x {k} (images x classes), got {'x'.join(map(str, c.shape))}")
        return torch.from_numpy(c).to(model.device)
    if args.class_ is None:
        log.info("conditional model: using class 0 (%s); pick one with --class", classes[0])
        idx = 0
    else:
        idx = _class_index(str(args.class_), classes)
    return model.one_hot([idx], n)


def generate_images(
    model: LoadedModel,
    z: torch.Tensor,
    c: torch.Tensor | None = None,
    psi: float = 1.0,
    cutoff: int | None = None,
    noise_mode: str = "const",
    noise_seed: int = 0,
    batch: int = 16,
    transform: Any = None,
) -> torch.Tensor:
    """float32 NCHW images on the CPU, unclamped: ``synthesize(map(z, c, psi, cutoff), noise_mode)``
    for W-space models, ``generate(z, c)`` otherwise; ``batch`` images per forward pass.
    ``transform`` (an ``engine.input_transform.InputTransform``) goes to models with an input transform.

    With ``noise_mode="random"`` the batch starting at image ``i`` uses noise seed ``noise_seed + i``.
    """
    import torch

    w_space = model.capabilities.w_space is not None
    chunks = []
    with torch.inference_mode():
        for s in range(0, z.shape[0], batch):
            zb = z[s : s + batch]
            cb = c[s : s + batch] if c is not None else None
            if w_space:
                ws = model.map(zb, cb, psi=psi, cutoff=cutoff)
                extra = {"transform": transform} if transform is not None else {}
                img = model.synthesize(
                    ws, noise_mode=noise_mode, noise_seed=noise_seed + s if noise_mode == "random" else None, **extra
                )
            else:
                img = model.generate(zb, cb)
            chunks.append(img.float().cpu())
    return torch.cat(chunks)


def _input_transform(args: argparse.Namespace, caps: Any) -> Any:
    """``--translate X,Y`` / ``--rotate DEG`` as an InputTransform (None when neither is given)."""
    if args.translate is None and args.rotate is None:
        return None
    if not caps.input_transform:
        raise CliError(f"{caps.family} models have no input transform; --translate and --rotate need one (StyleGAN3)")
    from engine.input_transform import InputTransform

    x = y = 0.0
    if args.translate is not None:
        try:
            x, y = (float(v) for v in args.translate.split(","))
        except ValueError:
            raise CliError(f"--translate must be X,Y (two numbers), got {args.translate!r}") from None
    try:
        return InputTransform(x, y, float(args.rotate or 0.0))
    except ValueError as e:
        raise CliError(f"--translate/--rotate: {e}") from None


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
    fmt = _image_format(args.out) if args.out else None
    z_arr = None
    if args.z_npy:
        if args.seeds is not None:
            log.warning("--z-npy given: ignoring --seeds")
        z_arr = _read_npy(args.z_npy, "--z-npy")
        seeds = None
    else:
        seeds = parse_seeds(args.seeds if args.seeds is not None else "0-7")

    device = _device(args.device)
    model = _load(args.model, device)
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent (task: {caps.task})")

    if z_arr is not None:
        if z_arr.ndim != 2 or z_arr.shape[1] != caps.z_dim or z_arr.shape[0] == 0:
            raise CliError(
                f"--z-npy must be N x {caps.z_dim} (the model's z_dim), got {'x'.join(map(str, z_arr.shape))}"
            )
        z = torch.from_numpy(np.ascontiguousarray(z_arr)).to(device)
    else:
        z = model.sample_z(seeds)
    n = int(z.shape[0])
    c = _labels(model, args, n)

    psi = 1.0 if args.psi is None else float(args.psi)
    noise_mode = args.noise_mode or "const"
    if caps.w_space is None:
        if args.psi is not None or args.cutoff is not None:
            raise CliError(f"{caps.family} models have no W space; --psi and --cutoff do not apply")
        if args.noise_mode is not None:
            log.warning("%s models have no synthesis noise; ignoring --noise-mode", caps.family)
    elif args.cutoff is not None and not 0 <= args.cutoff <= caps.w_space.num_ws:
        raise CliError(f"--cutoff must be in 0..{caps.w_space.num_ws} (the model's style layers), got {args.cutoff}")

    transform = _input_transform(args, caps)
    t0 = time.perf_counter()
    images = generate_images(model, z, c, psi, args.cutoff, noise_mode, args.noise_seed, args.batch, transform)
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


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert a checkpoint to the native format; prints the written files."""
    from engine.checkpoints.convert import convert

    st_path = Path(convert(args.src, args.out))
    out(str(st_path))
    json_path = st_path.with_suffix(".json")
    if json_path.exists():
        out(str(json_path))
    return 0


def bench_render(
    model_name: str | None,
    device: str | None = None,
    frames: int = 200,
    warmup: int = 10,
    vary: str = "seed",
    timeout: float = 120.0,
    threads: int | None = None,
) -> dict[str, Any]:
    """Time frames end to end through the engine thread (submit → result callback), one at a time.

    ``vary="seed"`` renders a new seed per frame (mapping + synthesis); ``vary="style"`` keeps two
    seeds and moves a style-mix slider (mapping cached, synthesis only) — the common GUI case.
    ``threads`` sets the CPU intra-op threads (default: ``$LATENTLAB_THREADS`` or all cores).
    """
    import os
    import platform

    import numpy as np
    import torch

    from engine.api import RenderRequest, RenderResult
    from engine.runtime import Engine

    if frames < 1:
        raise CliError(f"--frames must be at least 1, got {frames}")
    if warmup < 0:
        raise CliError(f"--warmup must be 0 or more, got {warmup}")
    if threads is not None and threads < 1:
        raise CliError(f"--threads must be at least 1, got {threads}")
    if vary not in ("seed", "style"):
        raise CliError(f"--vary must be seed or style, got {vary!r}")
    dev = _device(device)
    model = _load(model_name, None)
    caps = model.capabilities
    if caps.w_space is None and caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not render from a latent")
    if vary == "style" and caps.w_space is None:
        raise CliError(f"--vary style needs a model with a W space ({caps.family} has none)")
    name = _model_name(model, model_name)

    saved = os.environ.get("LATENTLAB_THREADS")
    if threads is not None:
        os.environ["LATENTLAB_THREADS"] = str(threads)
    try:
        engine = Engine(str(dev))  # configures the CPU threads from $LATENTLAB_THREADS
    finally:
        if threads is not None:
            if saved is None:
                os.environ.pop("LATENTLAB_THREADS", None)
            else:
                os.environ["LATENTLAB_THREADS"] = saved
    engine.start()
    try:
        engine.call(lambda ctx: ctx.add_model("bench", model.to(ctx.device)), timeout=timeout)
        num_ws = caps.w_space.num_ws if caps.w_space is not None else 0

        def request(i: int, warm: bool) -> RenderRequest:
            if vary == "style":
                t = ((i % 64) + 1) / 65.0
                return RenderRequest("bench", seed=0, mix_seed=1, style_mix=(t,) * num_ws, mix_space="w")
            return RenderRequest("bench", seed=(1_000_000 + i) if warm else i)

        def frame(req: RenderRequest) -> tuple[float, float]:
            done = threading.Event()
            box: dict[str, Any] = {}

            def on_result(res: RenderResult) -> None:
                box["t1"] = time.perf_counter()
                box["res"] = res
                done.set()

            t0 = time.perf_counter()
            engine.submit("bench", req, on_result)
            if not done.wait(timeout):
                raise CliError(f"no frame after {timeout:g} s (is the device busy?)")
            res: RenderResult = box["res"]
            if not res.ok or res.image is None:
                raise CliError(f"render failed: {res.error}")
            return (box["t1"] - t0) * 1000.0, res.render_ms

        for i in range(warmup):
            frame(request(i, warm=True))
        lat, ren = [], []
        for i in range(frames):
            total_ms, render_ms = frame(request(i, warm=False))
            lat.append(total_ms)
            ren.append(render_ms)
        dtype = str(engine.policy.dtype).replace("torch.", "")
    finally:
        engine.shutdown()

    if dev.type == "cuda":
        device_name = torch.cuda.get_device_name(dev)
    else:
        device_name = platform.processor() or platform.machine()
    stats = latency_stats(lat)
    return {
        "benchmark": "render",
        "device": str(dev),
        "device_name": device_name,
        "dtype": dtype,
        "model": name,
        "family": caps.family,
        "resolution": caps.resolution,
        "channels": caps.channels,
        "batch": 1,
        "frames": frames,
        "warmup": warmup,
        "vary": vary,
        **stats,
        "render_median_ms": round(float(np.median(ren)), 4),
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "python": platform.python_version(),
    }


def bench_export(model_name: str | None, device: str | None, frames: int, fmt: str) -> dict[str, Any]:
    """Frames/s of rendering a walk alone, and of rendering + encoding it with :func:`engine.video.export_job`."""
    import tempfile

    from engine.api import RenderRequest
    from engine.latent.keyframes import walk
    from engine.render import LRUCache, render
    from engine.video import export_job

    if frames < 2:
        raise CliError(f"--frames must be at least 2, got {frames}")
    model = _load(model_name, _device(device))
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent")
    reqs = walk(RenderRequest("bench"), [0, 1, 2], frames, loop=True)
    render(model, reqs[0], LRUCache())  # warm-up
    t0 = time.perf_counter()
    cache = LRUCache()
    for r in reqs:
        render(model, r, cache)
    render_s = time.perf_counter() - t0
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.{fmt}"
        cache = LRUCache()
        t0 = time.perf_counter()
        job = export_job((render(model, r, cache) for r in reqs), len(reqs), path, 30.0)
        for _ in job:
            pass
        export_s = time.perf_counter() - t0
    return {
        "benchmark": "export",
        "model": _model_name(model, model_name),
        "family": caps.family,
        "resolution": caps.resolution,
        "device": str(model.device),
        "format": fmt,
        "frames": frames,
        "render_fps": round(frames / render_s, 2),
        "export_fps": round(frames / export_s, 2),
        "export_vs_render": round(render_s / export_s, 3),
        "torch_threads": torch.get_num_threads(),
    }


def cmd_bench(args: argparse.Namespace) -> int:
    """``latentlab bench render|export``: interactive latency through the engine thread, or export speed."""
    if args.what == "export":
        r = bench_export(args.model, args.device, args.frames, args.format)
        if args.json:
            out_json(r)
        else:
            out(f"LatentLab export benchmark: {r['model']} ({r['family']}, {r['resolution']}px) on {r['device']}")
            out(f"  frames      {r['frames']} ({r['format']})")
            out(f"  render      {r['render_fps']} frames/s (render only)")
            out(f"  export      {r['export_fps']} frames/s (render + encode, overlapped)")
            out(f"  ratio       {r['export_vs_render']} of render speed")
        return 0
    r = bench_render(args.model, args.device, args.frames, args.warmup, args.vary, args.timeout, args.threads)
    if args.json:
        out_json(r)
        return 0
    out("LatentLab render benchmark (submit → frame through the engine thread, batch 1)")
    rows = [
        ("model", f"{r['model']} ({r['family']}, {r['resolution']}x{r['resolution']}, {r['channels']} ch)"),
        ("device", f"{r['device']} ({r['device_name']}, {r['dtype']}, {r['torch_threads']} threads)"),
        ("torch", r["torch_version"]),
        (
            "vary",
            r["vary"] + (" (new seed per frame)" if r["vary"] == "seed" else " (style-mix slider, cached mapping)"),
        ),
        ("frames", f"{r['frames']} (+{r['warmup']} warm-up)"),
        ("median", f"{r['median_ms']:.2f} ms"),
        ("p95", f"{r['p95_ms']:.2f} ms"),
        ("mean", f"{r['mean_ms']:.2f} ms"),
        ("min / max", f"{r['min_ms']:.2f} / {r['max_ms']:.2f} ms"),
        ("render only", f"{r['render_median_ms']:.2f} ms (median, inside the engine)"),
        ("fps", f"{format_value(r['fps'])} (1000 / median)"),
    ]
    for k, v in rows:
        out(f"  {k:<12}{v}")
    return 0


def run_train(argv: list[str]) -> int:
    """``latentlab train``: delegate to :func:`training.run.main` with a ``latentlab train`` parser."""
    from training.run import main as train_main

    return int(train_main(argv, _Parser(prog=f"{PROG} train")) or 0)


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_gui,
    "gui": cmd_gui,
    "models": cmd_models,
    "info": cmd_info,
    "generate": cmd_generate,
    "convert": cmd_convert,
    "bench": cmd_bench,
}


# --- entry point --------------------------------------------------------------------------------------
def _fail(message: str, code: int = EXIT_USAGE) -> int:
    sys.stderr.write(f"{PROG}: error: {_one_line(message)}\n")
    sys.stderr.flush()
    return code


def _guarded(fn: Callable[[], int]) -> int:
    from engine.checkpoints.errors import CheckpointError

    try:
        return fn()
    except SystemExit as e:
        return _exit_code(e)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except (CliError, CheckpointError, ValueError, OSError, LookupError) as e:
        log.debug("user error:\n%s", traceback.format_exc())
        return _fail(_describe_error(e))
    except Exception as e:
        from engine.api import EngineError

        if isinstance(e, EngineError):
            log.debug("engine error:\n%s", traceback.format_exc())
            return _fail(_describe_error(e))
        log.info("unexpected error:\n%s", traceback.format_exc())
        return _fail(f"{type(e).__name__}: {_describe_error(e)} (run with -v for the traceback)", 1)


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    sys.stderr.write(f"{e.code}\n")
    return 1


def _command_index(argv: Sequence[str]) -> int | None:
    """Index of the command word (the first argument that is not a global option)."""
    for i, a in enumerate(argv):
        if a == "--":
            return i + 1 if i + 1 < len(argv) else None
        if not a.startswith("-"):
            return i
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``latentlab`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    idx = _command_index(argv)
    try:
        if idx is not None and argv[idx] == "train":
            gargs = parser.parse_args([a for a in argv[:idx] if a != "--"])
            _configure_logging(gargs.verbose)
            return _guarded(lambda: run_train(argv[idx + 1 :]))
        args = parser.parse_args(argv)
    except SystemExit as e:
        return _exit_code(e)
    _configure_logging(args.verbose)
    fn = getattr(args, "run", None) or COMMANDS[args.command]
    return _guarded(lambda: fn(args))


if __name__ == "__main__":
    sys.exit(main())
