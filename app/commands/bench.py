"""``latentlab bench render|gui|export|train``: interactive render latency through the engine thread,
control-to-painted-canvas latency in the real window (optionally with competing busy processes),
video export speed next to render speed, and images/s of a family's training step."""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any

from app.commands.common import (
    CliError,
    Parser,
    device_arg,
    drive,
    format_value,
    latency_stats,
    load,
    model_arg,
    out,
    out_json,
    progress_bar,
    verbose_arg,
)
from app.commands.common import device as get_device
from app.commands.common import model_name as model_id_name


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure performance", description="Measure performance.")
    bsub = p.add_subparsers(dest="what", metavar="{render,gui,export,train}", parser_class=Parser, required=True)
    b = bsub.add_parser(
        "render",
        help="interactive render latency through the engine thread",
        description="Submit one frame at a time to the engine thread (as the app does) and time submit→result.",
    )
    verbose_arg(b)
    model_arg(b)
    device_arg(b)
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
    b.add_argument(
        "--previews",
        default="auto",
        metavar="LIST",
        help="preview resolutions to time as well, e.g. 64,256 (default auto: every preview of 32 px and up; "
        "none: full frames only)",
    )
    b.add_argument(
        "--dtype",
        choices=("fp32", "bf16"),
        default=None,
        help="CPU compute dtype of frames (default $LATENTLAB_CPU_DTYPE or fp32); bf16 also reports its "
        "difference from fp32",
    )
    b.add_argument(
        "--size",
        metavar="WxH",
        help="translation models: the input image size (default: the model's input size); fully "
        "convolutional models run at it (rounded to their stride)",
    )
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.set_defaults(run=cmd_bench)
    g = bsub.add_parser(
        "gui",
        help="control → painted canvas latency in the real window (offscreen), optionally under load",
        description="Open the real main window offscreen, move a style slider and the seed in turn, and time "
        "each move to the painted frame on the canvas. --load N runs N busy processes meanwhile (started and "
        "stopped by the benchmark).",
    )
    verbose_arg(g)
    model_arg(g)
    device_arg(g)
    g.add_argument("--frames", type=int, default=60, help="timed frames (default 60)")
    g.add_argument("--warmup", type=int, default=5, help="untimed warm-up frames (default 5)")
    g.add_argument("--load", type=int, default=0, metavar="N", help="competing busy processes (default 0)")
    g.add_argument("--threads", type=int, default=None, help="CPU threads (default: the app's policy)")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one frame (default 60)")
    g.add_argument("--json", action="store_true", help="print one JSON object")
    g.set_defaults(run=cmd_bench_gui)
    e = bsub.add_parser(
        "export",
        help="video export frames/s next to raw render frames/s",
        description="Render an interpolation walk and encode it (writer thread overlapping rendering), "
        "and compare export frames/s with render-only frames/s on the same frames.",
    )
    verbose_arg(e)
    model_arg(e)
    device_arg(e)
    e.add_argument("--frames", type=int, default=120, help="frames (default 120)")
    e.add_argument("--format", choices=("mp4", "gif", "webm"), default="mp4", help="video format (default mp4)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(run=cmd_bench)
    t = bsub.add_parser(
        "train",
        help="images/s of the training step (synthetic data)",
        description="Time the training step of a family (its first preset's config, or a preset by name) on "
        "synthetic data; the step makes no host syncs, so the figure is the device's.",
    )
    verbose_arg(t)
    t.add_argument("family", metavar="FAMILY", nargs="?", help="a family (stylegan2, dcgan, ...) or a preset name")
    t.add_argument("--preset", help="a preset by name (its family, if FAMILY is given too, must match)")
    t.add_argument("--batch", type=int, help="images per step (default: the preset's)")
    t.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    t.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps (default 3)")
    t.add_argument("--threads", type=int, help="CPU threads (default: $LATENTLAB_THREADS or all cores)")
    t.add_argument("--tiny", action="store_true", help="use the family's tiny- smoke-test preset")
    t.add_argument("--hparams", metavar="JSON", help="hyper-parameters over the preset's, e.g. '{\"bf16\": false}'")
    t.add_argument("--breakdown", action="store_true", help="also time each part of the step (G, D, R1, ...)")
    device_arg(t)
    t.add_argument("--json", action="store_true", help="print one JSON object")
    t.set_defaults(run=cmd_bench_train)


def _timer(engine: Any, timeout: float) -> Any:
    """``frame(channel, request) -> (submit→result ms, render ms)`` through ``engine``, one at a time."""
    from engine.api import RenderRequest, RenderResult

    def frame(req: RenderRequest, channel: str = "bench") -> tuple[float, float]:
        done = threading.Event()
        box: dict[str, Any] = {}

        def on_result(res: RenderResult) -> None:
            box["t1"] = time.perf_counter()
            box["res"] = res
            done.set()

        t0 = time.perf_counter()
        engine.submit(channel, req, on_result)
        if not done.wait(timeout):
            raise CliError(f"no frame after {timeout:g} s (is the device busy?)")
        res: RenderResult = box["res"]
        if not res.ok or res.image is None:
            raise CliError(f"render failed: {res.error}")
        return (box["t1"] - t0) * 1000.0, res.render_ms

    return frame


def preview_levels(spec: str, previews: tuple[int, ...]) -> list[int]:
    """The preview resolutions ``--previews`` names: ``auto`` (every one of 32 px and up), ``none``, or a
    comma list of resolutions the model declares."""
    spec = (spec or "auto").strip().lower()
    if spec == "none":
        return []
    if spec == "auto":
        return [r for r in previews if r >= 32]
    try:
        levels = sorted({int(x) for x in spec.split(",") if x.strip()})
    except ValueError:
        raise CliError(f"--previews must be auto, none or resolutions like 64,256; got {spec!r}") from None
    bad = [r for r in levels if r not in previews]
    if bad:
        shown = ", ".join(map(str, previews)) or "none"
        raise CliError(f"no preview at {bad[0]} px (this model's previews: {shown})")
    return levels


def bench_render(
    model_name: str | None,
    device: str | None = None,
    frames: int = 200,
    warmup: int = 10,
    vary: str = "seed",
    timeout: float = 120.0,
    threads: int | None = None,
    previews: str = "auto",
    dtype: str | None = None,
    preloaded: Any = None,
) -> dict[str, Any]:
    """Time frames end to end through the engine thread (submit → result callback), one at a time.

    ``vary="seed"`` renders a new seed per frame (mapping + synthesis); ``vary="style"`` keeps two
    seeds and moves a style-mix slider (mapping cached, synthesis only) — the common GUI case.
    ``threads`` sets the CPU intra-op threads (default: ``$LATENTLAB_THREADS`` or all cores).
    Models with previews are also timed at each preview resolution ``previews`` names (what the
    explorer shows while a slider moves on a big model). ``dtype`` "bf16" renders in bfloat16 on the
    CPU and reports the difference of its frames from float32 ones.
    """
    import platform

    import numpy as np
    import torch

    from engine.api import RenderRequest
    from engine.runtime import Engine
    from engine.threads import wait_policy

    if frames < 1:
        raise CliError(f"--frames must be at least 1, got {frames}")
    if warmup < 0:
        raise CliError(f"--warmup must be 0 or more, got {warmup}")
    if threads is not None and threads < 1:
        raise CliError(f"--threads must be at least 1, got {threads}")
    if vary not in ("seed", "style"):
        raise CliError(f"--vary must be seed or style, got {vary!r}")
    dev = get_device(device)
    model = preloaded if preloaded is not None else load(model_name, None)
    caps = model.capabilities
    if not caps.renders_latent:
        raise CliError(f"{caps.family} models do not render from a latent")
    if vary == "style" and caps.w_space is None:
        raise CliError(f"--vary style needs a model with a W space ({caps.family} has none)")
    levels = preview_levels(previews, caps.preview_resolutions)
    name = model_id_name(model, model_name)

    engine = Engine(str(dev), threads=threads, cpu_dtype=dtype).start()
    try:
        engine.call(lambda ctx: ctx.add_model("bench", model.to(ctx.device)), timeout=timeout)
        num_ws = caps.w_space.num_ws if caps.w_space is not None else 0
        frame = _timer(engine, timeout)

        def request(i: int, warm: bool, preview: int | None = None) -> RenderRequest:
            if vary == "style":
                t = ((i % 64) + 1) / 65.0
                return RenderRequest(
                    "bench", seed=0, mix_seed=1, style_mix=(t,) * num_ws, mix_space="w", preview=preview
                )
            return RenderRequest("bench", seed=(1_000_000 + i) if warm else i, preview=preview)

        def series(preview: int | None) -> tuple[list[float], list[float]]:
            for i in range(warmup):
                frame(request(i, True, preview))
            lat, ren = [], []
            for i in range(frames):
                total_ms, render_ms = frame(request(i, False, preview))
                lat.append(total_ms)
                ren.append(render_ms)
            return lat, ren

        lat, ren = series(None)
        preview_rows = []
        for r in levels:
            p_lat, p_ren = series(r)
            preview_rows.append({"resolution": r, **latency_stats(p_lat), "render_median_ms": float(np.median(p_ren))})
        dtype_name = str(engine.compute_dtype or engine.policy.dtype).replace("torch.", "")
        difference = None
        if engine.compute_dtype is not None:
            difference = _dtype_difference(engine, model)
        threads_used = engine.call(lambda ctx: torch.get_num_threads(), timeout=timeout)
        thread_policy = engine.thread_policy()
    finally:
        engine.shutdown()

    if dev.type == "cuda":
        device_name = torch.cuda.get_device_name(dev)
    else:
        device_name = platform.processor() or platform.machine()
    stats = latency_stats(lat)
    out = {
        "benchmark": "render",
        "device": str(dev),
        "device_name": device_name,
        "dtype": dtype_name,
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
        "previews": preview_rows,
        "torch_threads": threads_used,
        "thread_policy": thread_policy,
        "wait_policy": wait_policy(),
        "torch_version": torch.__version__,
        "python": platform.python_version(),
    }
    if difference is not None:
        out["difference_from_fp32"] = difference
    return out


def _dtype_difference(engine: Any, model: Any, seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, float]:
    """How far the engine's reduced-precision frames are from float32 ones (8-bit levels, and the
    largest difference of the [-1, 1] images)."""
    import numpy as np
    import torch

    from engine.api import RenderRequest
    from engine.nn.fused import compute_dtype
    from engine.render import render_tensor

    def both(ctx: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        m = ctx.model("bench")
        out = []
        with torch.inference_mode():
            for s in seeds:
                req = RenderRequest("bench", seed=s)
                with compute_dtype(engine.compute_dtype):
                    low = render_tensor(m, req).float().cpu().numpy()
                out.append((render_tensor(m, req).float().cpu().numpy(), low))
        return out

    pairs = engine.call(both)
    raw = max(float(np.abs(a - b).max()) for a, b in pairs)

    def u8(a: np.ndarray) -> np.ndarray:
        return np.clip(a * 127.5 + 128, 0, 255).astype(np.uint8).astype(np.int16)

    levels = np.concatenate([np.abs(u8(a) - u8(b)).ravel() for a, b in pairs])
    return {
        "max_abs": round(raw, 5),
        "levels_mean": round(float(levels.mean()), 4),
        "levels_p99": float(np.percentile(levels, 99)),
        "levels_max": int(levels.max()),
    }


def bench_translate(
    model_name: str | None,
    device: str | None = None,
    frames: int = 20,
    warmup: int = 2,
    timeout: float = 120.0,
    threads: int | None = None,
    size: str | None = None,
    preloaded: Any = None,
) -> dict[str, Any]:
    """Per-image time of a translation model (an image in, its translation out) through the engine
    thread: a random image of the model's input size, or ``size`` ("WxH": a large photo, run as the
    Translate panel runs it — see :func:`engine.translate.plan_input`)."""
    import platform

    import numpy as np
    import torch

    from engine.runtime import Engine
    from engine.translate import check_request, plan_input, translate_planned

    if frames < 1:
        raise CliError(f"--frames must be at least 1, got {frames}")
    dev = get_device(device)
    model = preloaded if preloaded is not None else load(model_name, None)
    caps = model.capabilities
    ii = caps.image_input
    w, h = (ii.size, ii.size) if ii is not None else (0, 0)
    if size:
        try:
            w, h = (int(v) for v in size.lower().split("x"))
        except ValueError:
            raise CliError(f"--size must look like 1920x1080, got {size!r}") from None
        if w < 1 or h < 1:
            raise CliError(f"--size must be positive, got {size!r}")
    target = None
    if caps.task == "multi-domain":
        target = torch.zeros(len(caps.classes))
        target[0] = 1
    try:
        direction, target = check_request(model, None, target)
    except ValueError as e:
        raise CliError(str(e)) from e
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(h, w, caps.channels if ii is None else ii.channels), dtype=np.uint8)
    plan = plan_input(model, w, h)
    engine = Engine(str(dev), threads=threads).start()
    try:
        engine.call(lambda ctx: ctx.add_model("bench", model.to(ctx.device)), timeout=timeout)

        def one() -> float:
            t0 = time.perf_counter()
            engine.call(lambda ctx: translate_planned(ctx.model("bench"), image, plan, direction, target), timeout)
            return (time.perf_counter() - t0) * 1000.0

        for _ in range(warmup):
            one()
        ms = [one() for _ in range(frames)]
    finally:
        engine.shutdown()
    return {
        "benchmark": "translate",
        "device": str(dev),
        "device_name": platform.processor() or platform.machine(),
        "model": model_id_name(model, model_name),
        "family": caps.family,
        "input": f"{w}x{h}",
        "ran_at": f"{plan.width}x{plan.height}",
        "plan": plan.describe(),
        "frames": frames,
        "warmup": warmup,
        **latency_stats(ms),
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
    }


def bench_export(model_name: str | None, device: str | None, frames: int, fmt: str) -> dict[str, Any]:
    """Frames/s of rendering a walk alone, and of rendering + encoding it with :func:`engine.video.export_job`."""
    import tempfile

    from engine.api import RenderRequest
    from engine.latent.keyframes import iter_walk
    from engine.limits import MAX_FRAMES, check_int
    from engine.render import LRUCache, render
    from engine.video import export_job

    try:
        check_int(frames, "--frames", 2, MAX_FRAMES)
    except ValueError as e:
        raise CliError(str(e)) from None
    model = load(model_name, get_device(device))
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise CliError(f"{caps.family} models do not generate from a latent")

    def requests():  # made one at a time: a long benchmark never holds every request
        return iter_walk(RenderRequest("bench"), [0, 1, 2], frames, loop=True)

    render(model, next(requests()), LRUCache())  # warm-up
    t0 = time.perf_counter()
    cache = LRUCache()
    with progress_bar(frames, "frames (render)") as bar:
        for r in requests():
            render(model, r, cache)
            bar.update(1)
    render_s = time.perf_counter() - t0
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.{fmt}"
        cache = LRUCache()
        t0 = time.perf_counter()
        drive(export_job((render(model, r, cache) for r in requests()), frames, path, 30.0), "frames (export)")
        export_s = time.perf_counter() - t0
    return {
        "benchmark": "export",
        "model": model_id_name(model, model_name),
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
    from engine.translate import can_translate

    model = load(args.model, None)
    if can_translate(model):
        r = bench_translate(
            args.model, args.device, args.frames, args.warmup, args.timeout, args.threads, args.size, model
        )
        if args.json:
            out_json(r)
            return 0
        out("LatentLab translation benchmark (an image in, its translation out, through the engine thread)")
        rows = [
            ("model", f"{r['model']} ({r['family']})"),
            ("device", f"{r['device']} ({r['device_name']}, {r['torch_threads']} threads)"),
            ("input", f"{r['input']} → {r['plan']}"),
            ("images", f"{r['frames']} (+{r['warmup']} warm-up)"),
            ("median", f"{r['median_ms']:.2f} ms per image"),
            ("p95", f"{r['p95_ms']:.2f} ms"),
            ("min / max", f"{r['min_ms']:.2f} / {r['max_ms']:.2f} ms"),
        ]
        for k, v in rows:
            out(f"  {k:<12}{v}")
        return 0
    r = bench_render(
        args.model,
        args.device,
        args.frames,
        args.warmup,
        args.vary,
        args.timeout,
        args.threads,
        args.previews,
        args.dtype,
        model,
    )
    if args.json:
        out_json(r)
        return 0
    out("LatentLab render benchmark (submit → frame through the engine thread, batch 1)")
    rows = [
        ("model", f"{r['model']} ({r['family']}, {r['resolution']}x{r['resolution']}, {r['channels']} ch)"),
        ("device", f"{r['device']} ({r['device_name']}, {r['dtype']}, {r['torch_threads']} threads)"),
        ("threads", f"{r['thread_policy']}, wait policy {r['wait_policy']}"),
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
    for p in r["previews"]:
        rows.append((f"preview {p['resolution']}", f"{p['median_ms']:.2f} ms median, p95 {p['p95_ms']:.2f} ms"))
    diff = r.get("difference_from_fp32")
    if diff:
        rows.append(
            (
                "vs fp32",
                f"{diff['levels_mean']:.3f} 8-bit levels mean, p99 {diff['levels_p99']:g}, max {diff['levels_max']} "
                f"(max |Δ| {diff['max_abs']:g} in [-1, 1] units)",
            )
        )
    for k, v in rows:
        out(f"  {k:<12}{v}")
    return 0


def _train_target(args: argparse.Namespace) -> str:
    """The preset name or family to benchmark, from FAMILY and --preset."""
    if args.preset is None:
        if args.family is None:
            raise CliError("give a FAMILY or --preset NAME")
        return args.family
    from training.presets import PRESETS

    preset = PRESETS.get(args.preset)
    if preset is None:
        raise CliError(f"unknown preset '{args.preset}' (known: {', '.join(sorted(PRESETS))})")
    if args.family is not None and args.family not in (preset.family, preset.name):
        raise CliError(f"preset '{args.preset}' is a {preset.family} preset, not {args.family}")
    return args.preset


def _train_hparams(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise CliError(f"--hparams is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise CliError("--hparams must be a JSON object, e.g. '{\"bf16\": false}'")
    return value


def cmd_bench_gui(args: argparse.Namespace) -> int:
    """``latentlab bench gui``: control → painted canvas latency in the real window."""
    try:
        from app.bench_gui import BenchError, run_gui_bench
    except ImportError as e:
        raise CliError(f"the desktop app is not available ({e})") from e
    try:
        r = run_gui_bench(args.model, args.frames, args.warmup, args.load, args.threads, args.device, args.timeout)
    except (BenchError, ValueError) as e:
        raise CliError(str(e)) from e
    if args.json:
        out_json(r)
        return 0
    out("LatentLab GUI benchmark (control moved → frame painted on the canvas, real window offscreen)")
    rows = [
        ("model", f"{r['model']} ({r['family']}, {r['resolution']}x{r['resolution']})"),
        ("device", f"{r['device']} ({r['threads']} threads at the end, {r['thread_policy']}, {r['wait_policy']} wait)"),
        ("load", f"{r['load']} busy process(es)"),
        ("frames", f"{r['frames']} (+{r['warmup']} warm-up)"),
        ("median", f"{r['median_ms']:.2f} ms"),
        ("p95", f"{r['p95_ms']:.2f} ms"),
        ("max", f"{r['max_ms']:.2f} ms"),
        ("fps", f"{format_value(r['fps'])} (timed frames / their time)"),
    ]
    for k, v in rows:
        out(f"  {k:<8}{v}")
    return 0


def cmd_bench_train(args: argparse.Namespace) -> int:
    from training.bench import as_dict, bench_train

    name, hparams = _train_target(args), _train_hparams(args.hparams)
    try:
        r = bench_train(
            name, args.batch, args.steps, args.warmup, args.device, args.tiny, args.threads, hparams, args.breakdown
        )
    except (ValueError, KeyError, TypeError) as e:
        raise CliError(str(e.args[0] if e.args else e)) from e
    if args.json:
        out_json(as_dict(r))
        return 0
    out("LatentLab training benchmark (synthetic data, no host sync in the step)")
    rows = [
        ("preset", f"{r.preset} ({r.family}, {r.resolution}x{r.resolution})"),
        ("device", f"{r.device} ({r.device_name}, {r.torch_threads} threads)"),
        ("torch", r.torch_version),
        ("batch", str(r.batch)),
        ("steps", f"{r.steps} (+{r.warmup} warm-up in {r.warmup_seconds:.1f} s) in {r.seconds:.2f} s"),
        ("step", f"{r.ms_per_step:.1f} ms"),
        ("images/s", format_value(r.images_per_s)),
    ]
    for k, v in rows:
        out(f"  {k:<10}{v}")
    if r.breakdown:
        out("  part        ms/step   calls   ms/call")
        for k, v in r.breakdown.items():
            out(f"  {k:<10}{v['ms_per_step']:>9.1f} {v['calls']:>7} {v['ms_per_call']:>9.1f}")
    return 0
