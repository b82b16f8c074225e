"""The training loop shared by every family: data, events, sample grids, atomic checkpoints, exact resume."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from engine import limits
from engine.checkpoints.native import save_native
from engine.device import choose_device, configure_cpu_threads, describe_hardware
from engine.errors import DataError, LatentLabError, LimitError
from engine.fileio import atomic_open, atomic_write, atomic_write_text
from training import distributed
from training.control import RunControl, Stopwatch
from training.data import DEMO_DATASETS, open_dataset
from training.events import EventWriter, NullEvents
from training.resume import load_newest_readable, tidy_run_folder
from training.run_lock import RunLock
from training.trainers import make_trainer
from training.translation_data import KINDS as TRANSLATION_KINDS
from training.translation_data import open_translation_dataset

log = logging.getLogger(__name__)


class TrainingError(LatentLabError, RuntimeError):
    """The run stopped on a failure it has already reported as an ``error`` event (a non-finite loss,
    a checkpoint that could not be written); the last good checkpoint is kept."""


CKPT_RE = re.compile(r"ckpt-(\d+)\.pt$")
SAMPLE_SEEDS = list(range(16))


@dataclass(frozen=True)
class TrainOptions:
    """A complete description of a run (saved as ``run.json`` so ``--resume`` needs nothing else)."""

    family: str
    data: str
    resolution: int
    out: str
    batch: int = 16
    max_steps: int = 1000
    checkpoint_every: int = 500
    sample_every: int = 250
    log_every: int = 10
    keep: int = 3
    seed: int = 0
    device: str = "auto"
    channels: int = 3
    xflip: bool = False
    preset: str | None = None
    init: str | None = None
    """Weights to start from (fine-tuning; see :mod:`training.finetune`)."""
    metrics_n: int = 0
    """FID/KID with this many images per side at every checkpoint, when a bundled feature network
    fits the data (Fashion-MNIST, against its test split) and the model generates from a latent; 0 = off."""
    model: dict[str, Any] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_train_options(self)


def check_train_options(opts: TrainOptions) -> None:
    """Refuse option values that cannot make a run, before anything is built or written (one line
    each: ``--batch 0``, ``--max-steps -1``, ``--resolution 1048576`` …)."""
    try:
        limits.check_resolution(opts.resolution, "--resolution")
        limits.check_int(opts.channels, "--channels", 1, limits.MAX_IMAGE_CHANNELS)
        limits.check_int(opts.batch, "--batch", 1, MAX_BATCH)
        limits.check_int(opts.max_steps, "--max-steps", 0, MAX_STEPS)
        limits.check_int(opts.checkpoint_every, "--checkpoint-every", 0, MAX_STEPS)
        limits.check_int(opts.sample_every, "--sample-every", 0, MAX_STEPS)
        limits.check_int(opts.log_every, "--log-every", 1, MAX_STEPS)
        limits.check_int(opts.keep, "keep", 1, 1_000_000)
        limits.check_int(opts.seed, "--seed", 0, limits.MAX_RNG_SEED)
        limits.check_int(opts.metrics_n, "--metrics-n", 0, 10_000_000)
    except LimitError as e:
        raise DataError(str(e)) from None
    for name in ("model", "hparams"):
        if not isinstance(getattr(opts, name), dict):
            raise DataError(f"{name} must be a JSON object")
    if not isinstance(opts.out, str) or not opts.out.strip():
        raise DataError("--out must name a run folder")


MAX_BATCH = 1 << 16
MAX_STEPS = 10**12


def checkpoint_metrics(model_path: Path, data: str, n: int) -> dict[str, Any] | None:
    """FID and KID of the exported model with the bundled feature network for its data (KID alone, FID
    None, when fewer images than the 129 that FID needs with its 128-d features are available): against
    Fashion-MNIST's test split for ``fmnist:train``, against the whole demo set for ``demo:emoji`` and its subsets
    (None when they do not apply: other data, no latent, or the feature network is missing)."""
    data = str(data)
    if data.startswith("fmnist:train") or data == "fmnist":
        against = "fmnist:test"
    elif data.startswith("demo:") and data[5:] in DEMO_DATASETS:
        against = data
    else:
        return None
    from engine.checkpoints.native import load_native
    from engine.metrics.errors import MetricError
    from engine.metrics.evaluate import EvalOptions, dataset_source, evaluate, model_source, run_to_end
    from engine.metrics.features import make_extractor
    from engine.metrics.fid import fid_min_samples

    model = load_native(model_path)
    caps = model.capabilities
    if caps.z_dim <= 0:
        return None
    try:
        extractor = make_extractor("auto", data=against)
        real = open_dataset(against, caps.resolution, caps.channels)
        n = min(n, len(real))
        # FID is undefined with fewer images than feature dimensions: KID alone then
        metrics = ("fid", "kid") if n >= fid_min_samples(extractor.feature_dim) else ("kid",)
        job = evaluate(
            dataset_source(against, real, n),
            model_source(model, n),
            extractor,
            EvalOptions(metrics, n=n, kid_subset_size=min(1000, n)),
        )
        report = run_to_end(job)
    except (LookupError, MetricError, ValueError) as e:
        log.warning("checkpoint metrics skipped: %s", e)
        return None
    return {"n": n, "against": against, "fid": report.fid, "kid_mean": report.kid_mean, "kid_std": report.kid_std}


class LossMeter:
    """Sums each loss over the steps between two log lines without a host sync per step.

    Trainers return 0-dim tensors (or floats); they are added on the device and turned into Python
    floats once, in :meth:`pop`, which returns the mean of each loss over the steps that reported it.
    """

    def __init__(self) -> None:
        self._sum: dict[str, Any] = {}
        self._n: dict[str, int] = {}

    def add(self, losses: dict[str, Any]) -> None:
        for k, v in losses.items():
            v = v.detach() if isinstance(v, torch.Tensor) else float(v)
            self._sum[k] = v if k not in self._sum else self._sum[k] + v
            self._n[k] = self._n.get(k, 0) + 1

    def pop(self) -> dict[str, float]:
        out = {k: float(v) / self._n[k] for k, v in self._sum.items()}
        self._sum.clear()
        self._n.clear()
        return out

    def all_finite(self) -> bool:
        """Whether every loss added since the last :meth:`pop` was finite (one host sync).

        A sum is non-finite as soon as one of its terms is (NaN and ±Inf propagate), so the sums
        answer for every step without checking the steps one by one."""
        tensors = [v.float().reshape(1) for v in self._sum.values() if isinstance(v, torch.Tensor)]
        floats = [v for v in self._sum.values() if not isinstance(v, torch.Tensor)]
        if not all(math.isfinite(v) for v in floats):
            return False
        return not tensors or bool(torch.isfinite(torch.cat([t.cpu() for t in tensors])).all())


def checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, path) of the run's checkpoints, oldest first."""
    out = []
    for p in run_dir.glob("ckpt-*.pt"):
        m = CKPT_RE.search(p.name)
        if m:
            out.append((int(m.group(1)), p))
    return sorted(out)


def prune_checkpoints(run_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` checkpoints (``ckpt-*.pt``) of a run; returns those removed."""
    removed = [p for _, p in checkpoints(run_dir)[: -max(keep, 1)]]
    for p in removed:
        p.unlink(missing_ok=True)
    return removed


def grid_image(images: torch.Tensor, nrow: int = 4) -> Image.Image:
    """Images in [-1, 1] (NCHW) as one picture, ``nrow`` per row on white (grey for one channel)."""
    if images.ndim != 4:
        raise ValueError(f"grid_image wants NCHW images, got shape {tuple(images.shape)}")
    x = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()
    n, c, h, w = x.shape
    rows = (n + nrow - 1) // nrow
    grid = np.full((rows * h, nrow * w, c), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, nrow)
        grid[r * h : (r + 1) * h, q * w : (q + 1) * w] = x[i].transpose(1, 2, 0)
    return Image.fromarray(grid[:, :, 0] if c == 1 else grid)


def save_grid(images: torch.Tensor, path: Path, nrow: int = 4) -> Path:
    """Save images in [-1, 1] (NCHW) as one PNG grid."""
    image = grid_image(images, nrow)
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def run(
    opts: TrainOptions, events: EventWriter | None = None, resume: bool = False, control: RunControl | None = None
) -> Path:
    """Train until ``opts.max_steps``; returns the exported native model path.

    ``control`` (see :mod:`training.control`) pauses, continues, checkpoints or stops the run between
    two steps; SIGTERM stops it through the same object. Under ``torchrun`` (``WORLD_SIZE`` > 1) every
    rank runs this function; see :mod:`training.distributed` (``opts.batch`` is the global batch, rank 0
    writes all files; a command channel is refused there, since one rank alone cannot pause the others)."""
    dinfo = distributed.from_env()
    if dinfo.enabled and control is not None and control.channel is not None:
        raise ValueError("--control works in a single-process run only (not under torchrun)")
    # One process owns the run folder (rank 0 writes every file): a second run with the same --out
    # is refused at once, naming the holder; a lock left by a dead process is taken over.
    lock = RunLock(opts.out).acquire() if dinfo.is_main else None
    try:
        return _run(opts, events, resume, dinfo, control or RunControl())
    except BaseException:
        if lock is not None:
            lock.discard()  # e.g. unusable data: the folder goes only if this run created it and it is empty
            lock = None
        raise
    finally:
        if lock is not None:
            lock.release()
        distributed.shutdown(dinfo)


def _run(
    opts: TrainOptions, events: EventWriter | None, resume: bool, dinfo: distributed.DistInfo, control: RunControl
) -> Path:
    main = dinfo.is_main
    ev = (events or EventWriter()) if main else NullEvents()
    run_dir = Path(opts.out)
    device = choose_device(None if opts.device == "auto" else opts.device)
    if device.type == "cpu":
        configure_cpu_threads()
    device = distributed.init(dinfo, device)
    batch_size = distributed.per_rank_batch(opts.batch, dinfo)
    # Rank 0 draws what a single-process run draws; other ranks are offset (weights come from rank 0).
    torch.manual_seed(opts.seed + dinfo.rank)
    data_gen = torch.Generator().manual_seed(opts.seed + 1 + 7919 * dinfo.rank)

    model_cfg = {"resolution": opts.resolution, "img_channels": opts.channels, **opts.model}
    trainer = make_trainer(opts.family, model_cfg, opts.hparams, device)
    if trainer.data_kind in TRANSLATION_KINDS:
        dataset = open_translation_dataset(opts.data, trainer.data_kind, opts.resolution, opts.channels, opts.xflip)
    else:
        labelled = trainer.data_kind == "labelled"
        dataset = open_dataset(opts.data, opts.resolution, opts.channels, xflip=opts.xflip, labelled=labelled)
    trainer.attach_data(dataset)
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)  # only once the data is known to be usable
        if hasattr(ev, "also_to"):
            ev.also_to(str(run_dir / "events.jsonl"))
        atomic_write_text(run_dir / "run.json", json.dumps(dataclasses.asdict(opts), indent=2) + "\n")

    step = 0
    seconds_before = 0.0
    if main:
        tidy_run_folder(run_dir)  # temporary files of writes a kill interrupted
    ckpts = checkpoints(run_dir)
    if resume and ckpts:
        # Newest first; unreadable ones (truncated, corrupt) are set aside with a warning naming each.
        found = load_newest_readable(ckpts, lambda st: trainer.load_state_dict(st["trainer"]), set_aside=main)
        state = found.state
        rng = state.get("rng_ranks") or [(state["rng_torch"], state["rng_data"])]
        if len(rng) == dinfo.world_size:  # else (a different process count) keep the rank-offset seeds
            torch.set_rng_state(rng[dinfo.rank][0])
            data_gen.set_state(rng[dinfo.rank][1])
        step = found.step
        seconds_before = float(state.get("train_seconds", 0.0))
        skipped = [{"checkpoint": n, "reason": r} for n, r in found.skipped]
        ev.emit("resumed", step=step, checkpoint=str(found.path), skipped=skipped)
        if main:
            prune_checkpoints(run_dir, opts.keep)  # a kill between writing and pruning left more than keep
    elif opts.init:
        ev.emit("init", source=opts.init, **trainer.init_from(opts.init))
    last_ckpt = {"step": step if resume and ckpts else -1}
    if dinfo.enabled:
        distributed.broadcast_modules(distributed.modules_of(trainer))
        trainer.wrap_ddp()
    ev.emit(
        "start",
        family=opts.family,
        run_dir=str(run_dir),
        device=str(device),
        data=dataset.summary.source,
        images=len(dataset),
        skipped=dataset.summary.skipped,
        step=step,
        max_steps=opts.max_steps,
        batch=opts.batch,
        processes=dinfo.world_size,
    )

    # control.stop_requested is set by SIGTERM or a "stop" command; a distributed run acts on it when all
    # ranks agree (at log steps).
    stopping = {"now": False}

    def _on_term(signum: int, frame: Any) -> None:  # stop cleanly with a checkpoint (wakes a paused run)
        control.request_stop()

    old = signal.signal(signal.SIGTERM, _on_term)

    def fail(message: str, **fields: Any) -> TrainingError:
        kept = checkpoints(run_dir)
        ev.emit("error", message=message, step=step, last_checkpoint=str(kept[-1][1]) if kept else None, **fields)
        return TrainingError(message)

    def agree(flag: bool) -> bool:
        return distributed.any_rank(flag, device) if dinfo.enabled else flag

    def checkpoint(measure: bool = True) -> None:
        """Save; ``measure``: also FID/KID (``--metrics-n``), skipped for the checkpoints a pause, a
        ``checkpoint`` command or a stop asks for, so that they answer at once."""
        # Never save a diverged state: losses since the last log line are checked here (one sync).
        if agree(not losses.all_finite()):
            raise diverged(losses.pop())
        last_ckpt["step"] = step
        if dinfo.enabled:  # forward passes after the last optimiser step moved the local statistics
            distributed.broadcast_buffers(distributed.modules_of(trainer))
        rng = (torch.get_rng_state(), data_gen.get_state())
        rng_ranks = distributed.gather_objects(rng, dinfo) if dinfo.enabled else [rng]
        error: OSError | None = None
        path = run_dir / f"ckpt-{step:07d}.pt"
        if main:
            state = {
                "step": step,
                "trainer": trainer.state_dict(),
                "rng_torch": rng[0],
                "rng_data": rng[1],
                "rng_ranks": rng_ranks,
                "train_seconds": seconds_before + clock.elapsed,
            }
            try:
                with atomic_open(path) as f:  # a full disk is an OSError here, not torch's RuntimeError
                    torch.save(state, f)
                model_path = export()
            except OSError as e:  # a full disk, a lost mount: the previous checkpoint is left as it was
                error = e
        if agree(error is not None):
            reason = getattr(error, "reason", None) or error or "failed on rank 0"
            message = f"could not write checkpoint {path.name} at step {step}: {reason}"
            raise fail(message, path=str(path)) from error
        if main:
            prune_checkpoints(run_dir, opts.keep)
            ev.emit("checkpoint", step=step, path=str(path), model=str(model_path))
            if opts.metrics_n > 0 and measure:
                measured = checkpoint_metrics(model_path, opts.data, opts.metrics_n)
                if measured:
                    ev.emit("metrics", step=step, **measured)

    def diverged(values: dict[str, float]) -> TrainingError:
        bad = ", ".join(f"{k}={v}" for k, v in values.items() if not math.isfinite(v)) or "a loss"
        if checkpoints(run_dir):
            kept = (
                "the run stopped and kept its last good checkpoint (try a lower learning rate, or resume from "
                "that checkpoint)"
            )
        else:
            kept = (
                "the run stopped before its first checkpoint, so there is nothing to resume (try a lower learning rate)"
            )
        return fail(f"training diverged: non-finite loss ({bad}) by step {step}; {kept}", losses=values)

    def export() -> Path:
        provenance = {
            "family": opts.family,
            "preset": opts.preset,
            "data": opts.data,
            "steps": step,
            "batch": opts.batch,
            "images_seen": step * opts.batch,
            "train_seconds": round(seconds_before + clock.elapsed, 1),
            "device": str(device),
            "hardware": describe_hardware(device),
            "torch": torch.__version__,
            "hparams": dict(opts.hparams),
        }
        return save_native(trainer.export_model(), run_dir / "model.safetensors", provenance=provenance)

    last_sample = {"step": -1}
    losses = LossMeter()

    def sample() -> None:
        last_sample["step"] = step
        if main:
            grid = trainer.sample(SAMPLE_SEEDS)
            cols = int(getattr(trainer, "sample_columns", 4))
            target = run_dir / "samples" / f"step-{step:07d}.png"
            try:
                path = save_grid(grid, target, nrow=cols)
            except OSError as e:  # a full disk: one error event and line, like a checkpoint
                raise fail(f"could not write sample {target.name} at step {step}: {getattr(e, 'reason', e)}") from e
            ev.emit("sample", step=step, path=str(path))

    def between_steps() -> None:
        """Serve the control requests: a checkpoint; a pause, which blocks until continue or stop; a stop."""
        if control.take_checkpoint_request() and last_ckpt["step"] != step:
            checkpoint(measure=False)
        if control.paused and not control.stop_requested:
            clock.pause()
            ev.emit("paused", step=step)
            while control.paused and not control.stop_requested:
                control.wait_for_command()
                if control.take_checkpoint_request() and last_ckpt["step"] != step:
                    checkpoint(measure=False)
            paused_s = clock.resume()
            if not control.stop_requested:
                ev.emit("continued", step=step, paused_s=paused_s)
        stopping["now"] = control.stop_requested

    clock = Stopwatch()  # training time: paused time is left out of images/s, ETA and train_seconds
    start_step = step
    try:
        while step < opts.max_steps and not stopping["now"]:
            if not dinfo.enabled:
                between_steps()
                if stopping["now"]:
                    break
            batch = dataset.sample(batch_size, data_gen)
            losses.add(trainer.step(batch, step))
            step += 1
            if not dinfo.enabled:
                stopping["now"] = control.stop_requested
            if step % opts.log_every == 0 or step == opts.max_steps:
                # The losses become Python floats only here (no host sync per step), so a NaN/Inf is
                # noticed at the next log line, or at the next checkpoint if that comes first.
                values = losses.pop()
                if dinfo.enabled:  # every rank sees the same means, so all stop together on a NaN
                    values = distributed.mean_over_ranks(values, device)
                    stopping["now"] = agree(control.stop_requested)
                if not all(math.isfinite(v) for v in values.values()):
                    raise diverged(values)
                elapsed = clock.elapsed
                ips = (step - start_step) * opts.batch / max(elapsed, 1e-9)
                eta = (opts.max_steps - step) * opts.batch / max(ips, 1e-9)
                ev.emit("step", step=step, losses=values, images_per_s=ips, eta_s=eta, elapsed_s=elapsed)
            if opts.sample_every and step % opts.sample_every == 0:
                sample()
            if opts.checkpoint_every and step % opts.checkpoint_every == 0:
                checkpoint()
    finally:
        signal.signal(signal.SIGTERM, old)
    if last_ckpt["step"] != step:
        checkpoint(measure=not stopping["now"])
    if last_sample["step"] != step:
        sample()
    out = run_dir / "model.safetensors"
    ev.emit("done", step=step, model=str(out), stopped=stopping["now"])
    return out
