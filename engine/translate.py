"""Translating image files with an image-to-image or multi-domain model: inputs, targets, outputs.

Used by ``latentlab translate`` and by the Translate panel's folder job. Any image mode and size is
accepted (see :func:`engine.images.fit_image`); a file that is not a readable image is reported by
name and the rest of the batch continues; outputs never overwrite an input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.families import LoadedModel
from engine.fileio import atomic_write
from engine.images import fit_image, read_image, resize_image, to_tensor

log = logging.getLogger(__name__)

TRANSLATING_TASKS = ("image-to-image", "multi-domain")


def can_translate(model: LoadedModel) -> bool:
    return model.capabilities.task in TRANSLATING_TASKS


def parse_target(text: str, classes: Sequence[str]) -> torch.Tensor:
    """Target domains as text → multi-hot [K].

    ``"Blond_Hair,Male"`` or ``"1,3"``: names (case-insensitive) or indices; ``none`` for no domain."""
    k = len(classes)
    t = torch.zeros(k)
    if text.strip().lower() in ("", "none"):
        return t
    lowered = [c.lower() for c in classes]
    for part in text.split(","):
        item = part.strip()
        if item.lower() in lowered:
            t[lowered.index(item.lower())] = 1
            continue
        try:
            idx = int(item)
        except ValueError:
            raise ValueError(f"unknown target domain '{item}' (domains: {', '.join(classes)})") from None
        if not 0 <= idx < k:
            raise ValueError(f"target domain {idx} out of range 0..{k - 1}")
        t[idx] = 1
    return t


def check_request(
    model: LoadedModel, direction: str | None, target: torch.Tensor | None
) -> tuple[str | None, torch.Tensor | None]:
    """Validate (and default) the direction / target for ``model``; raises ValueError naming the choices."""
    caps = model.capabilities
    if caps.task not in TRANSLATING_TASKS:
        raise ValueError(f"{caps.family} models do not translate images (task: {caps.task})")
    if caps.task == "image-to-image":
        if target is not None:
            raise ValueError(
                f"{caps.family} takes a direction ({', '.join(caps.image_input.directions)}), not a target"
            )
        direction = direction or caps.image_input.directions[0]
        if direction not in caps.image_input.directions:
            raise ValueError(
                f"direction {direction!r} not available (this model: {', '.join(caps.image_input.directions)})"
            )
        return direction, None
    if direction is not None:
        raise ValueError(f"{caps.family} takes target domains ({', '.join(caps.classes)}), not a direction")
    if target is None:
        raise ValueError(f"{caps.family} needs target domain(s): one or more of {', '.join(caps.classes)}")
    return None, target


def translate_tensor(
    model: LoadedModel, x: torch.Tensor, direction: str | None = None, target: torch.Tensor | None = None
) -> torch.Tensor:
    """x [N, C, S, S] in [-1, 1] → translated [N, C', S, S] (target [K] or [N, K] for multi-domain models)."""
    direction, target = check_request(model, direction, target)
    with torch.inference_mode():
        if target is not None:
            t = target if target.ndim == 2 else target[None].expand(x.shape[0], -1)
            return model.translate(x.to(model.device), target=t.to(model.device))
        return model.translate(x.to(model.device), direction)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] in [-1, 1] → uint8 NHWC (C = 1 or 3)."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


FITS = ("auto", "crop", "pad", "native")
"""How an image meets the model: ``crop``/``pad`` to the model's square input (keeping the aspect
ratio), ``native`` at the image's own size (fully convolutional models), ``auto`` = native when the
model is fully convolutional, else crop."""

MEMORY_LIMIT = 3 * 2**30
"""A native-size run whose estimated activations exceed this many bytes is scaled down to fit."""
MAX_SIDE = 8192
"""Nor does a native-size run exceed this many pixels on a side."""


@dataclass(frozen=True)
class InputPlan:
    """How one image is run: ``mode`` (crop, pad or native), the image's size, the size the model sees
    (``width``×``height``), the estimated activation memory of a native run, and why it was scaled."""

    mode: str
    source: tuple[int, int]
    width: int
    height: int
    estimate_bytes: int = 0
    scaled_for: str = ""

    def describe(self) -> str:
        """One line for the user: what was done to the image."""
        w, h = self.source
        if self.mode == "native":
            what = f"ran at {self.width}×{self.height}"
            if (self.width, self.height) == (w, h):
                what += " (its own size"
            elif self.scaled_for:
                what += f" (scaled from {w}×{h} to stay under the {self.scaled_for}"
            else:
                what += f" ({w}×{h} rounded to the network's stride"
            return what + f"; fully convolutional, ≈{self.estimate_bytes / 2**20:,.0f} MB of activations)"
        how = "centre crop" if self.mode == "crop" else "padded with white"
        return f"resized {w}×{h} to {self.width}×{self.height} ({how}; the model takes {self.width}×{self.height} only)"


def plan_input(
    model: LoadedModel, width: int, height: int, fit: str = "auto", memory_limit: int = MEMORY_LIMIT
) -> InputPlan:
    """How a ``width``×``height`` image is run on ``model`` (see :data:`FITS`). A native run keeps the
    aspect ratio: each side is rounded to the network's stride and, when the estimated activations
    exceed ``memory_limit`` (or a side :data:`MAX_SIDE`), both are scaled down alike. ValueError for
    ``native`` on a model that is not fully convolutional."""
    ii = model.capabilities.image_input
    if ii is None:
        raise ValueError(f"{model.capabilities.family} models take no image")
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, got {width}×{height}")
    if fit == "auto":
        fit = "native" if ii.fully_convolutional else "crop"
    if fit != "native":
        return InputPlan(fit, (width, height), ii.size, ii.size)
    if not ii.fully_convolutional:
        raise ValueError(f"{model.capabilities.family} models take {ii.size}×{ii.size} only (not fully convolutional)")
    stride, bpp = ii.stride, max(ii.bytes_per_pixel, 1)

    def rounded(v: float) -> int:
        return max(stride, int(round(v / stride)) * stride)

    w, h = rounded(width), rounded(height)
    scaled_for = ""
    if bpp * w * h > memory_limit or max(w, h) > MAX_SIDE:
        scale = min((memory_limit / (bpp * width * height)) ** 0.5, MAX_SIDE / max(width, height))
        w, h = (max(stride, int(v * scale) // stride * stride) for v in (width, height))
        scaled_for = (
            f"{memory_limit / 2**30:g} GB memory limit"
            if bpp * rounded(width) * rounded(height) > memory_limit
            else f"{MAX_SIDE} px limit"
        )
    return InputPlan("native", (width, height), w, h, bpp * w * h, scaled_for)


def prepare_image(image: Image.Image, plan: InputPlan, channels: int) -> np.ndarray:
    """``image`` as the model sees it under ``plan`` (uint8 HWC)."""
    if plan.mode == "native":
        return resize_image(image, plan.width, plan.height, channels)
    return fit_image(image, plan.width, channels, plan.mode)


def fit_file(model: LoadedModel, path: str | Path, fit: str = "auto") -> tuple[np.ndarray, InputPlan]:
    """Read ``path`` and prepare it for the model (uint8 HWC) with its plan; ValueError names a bad file."""
    ii = model.capabilities.image_input
    assert ii is not None
    image = read_image(path)
    plan = plan_input(model, *image.size, fit)
    return prepare_image(image, plan, ii.channels), plan


def translate_planned(
    model: LoadedModel,
    image: np.ndarray | Image.Image,
    plan: InputPlan,
    direction: str | None = None,
    target: torch.Tensor | None = None,
) -> np.ndarray:
    """An image (uint8 HWC array or PIL image, any size) prepared by ``plan`` and translated (uint8 HWC)."""
    ii = model.capabilities.image_input
    assert ii is not None
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image[:, :, 0] if image.ndim == 3 and image.shape[2] == 1 else image)
    return translate_array(model, prepare_image(image, plan, ii.channels), direction, target)


def translate_array(
    model: LoadedModel, image: np.ndarray, direction: str | None = None, target: torch.Tensor | None = None
) -> np.ndarray:
    """One fitted uint8 HWC image → its translation, uint8 HWC."""
    return to_uint8(translate_tensor(model, to_tensor(image), direction, target))[0]


def collect_inputs(items: Sequence[str | Path]) -> list[Path]:
    """Files as given, and every non-hidden entry inside given folders that is not a folder (sorted,
    not recursive). FIFOs and devices are listed too, so that :func:`translate_files` reports them as
    skipped (the image reader refuses them without opening them)."""
    out: list[Path] = []
    for it in items:
        p = Path(it).expanduser()
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if not f.is_dir() and not f.name.startswith("."))
        else:
            out.append(p)
    return out


def output_tag(direction: str | None, target: torch.Tensor | None, classes: Sequence[str]) -> str:
    if direction:
        return direction
    names = [c for c, on in zip(classes, (target if target is not None else [])) if float(on) > 0]
    tag = "+".join(names) if names else "none"
    return "".join(ch if ch.isalnum() or ch in "+-_" else "_" for ch in tag)[:80]


def plan_outputs(inputs: Sequence[Path], out_dir: Path, tag: str) -> list[Path]:
    """One ``STEM_TAG.png`` per input in ``out_dir``, made unique, never the path of an input."""
    taken = {p.resolve() for p in inputs if p.exists()}
    outs: list[Path] = []
    for src in inputs:
        base = f"{src.stem}_{tag}"
        cand = out_dir / f"{base}.png"
        n = 1
        while cand.resolve() in taken:
            cand = out_dir / f"{base}-{n}.png"
            n += 1
        taken.add(cand.resolve())
        outs.append(cand)
    return outs


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file: its output, or why it was skipped."""

    index: int
    total: int
    source: Path
    output: Path | None
    error: str | None = None
    note: str = ""


def translate_files(
    model: LoadedModel,
    inputs: Sequence[Path],
    out_dir: str | Path,
    direction: str | None = None,
    target: torch.Tensor | None = None,
    fit: str = "auto",
) -> Iterator[FileResult]:
    """Translate each file into ``out_dir`` (created); yields one :class:`FileResult` per input, whose
    ``note`` says what was done to the image (:meth:`InputPlan.describe`).

    Bad files (not images, unreadable, too many pixels, FIFOs, devices) yield a result with
    ``error`` (one line naming the file and the reason) and the batch continues; see
    :func:`summarize` for the count.
    """
    direction, target = check_request(model, direction, target)
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    outs = plan_outputs(inputs, out, output_tag(direction, target, model.capabilities.classes))
    n = len(inputs)
    for i, (src, dst) in enumerate(zip(inputs, outs)):
        try:
            fitted, plan = fit_file(model, src, fit)
        except ValueError as e:
            log.info("skipping %s", e)
            yield FileResult(i, n, src, None, str(e))
            continue
        y = translate_array(model, fitted, direction, target)
        im = Image.fromarray(y[:, :, 0] if y.shape[2] == 1 else y)
        atomic_write(dst, lambda tmp, im=im: im.save(tmp, format="PNG"))
        yield FileResult(i, n, src, dst, note=plan.describe())


@dataclass(frozen=True)
class FolderSummary:
    """The outcome of a folder job: files translated, and ``(file, reason)`` for each skipped one."""

    translated: int
    skipped: tuple[tuple[Path, str], ...]

    @property
    def total(self) -> int:
        return self.translated + len(self.skipped)

    def line(self) -> str:
        """One summary line, e.g. ``translated 17 of 20 files; skipped 3 (see above)``."""
        if not self.skipped:
            return f"translated {self.translated} of {self.total} files"
        return f"translated {self.translated} of {self.total} files; skipped {len(self.skipped)}"


def summarize(results: Sequence[FileResult]) -> FolderSummary:
    """Count the results of :func:`translate_files`."""
    done = sum(1 for r in results if r.output is not None)
    return FolderSummary(done, tuple((r.source, r.error or "") for r in results if r.output is None))
