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
from engine.images import fit_image, read_image, to_tensor

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


def fit_file(model: LoadedModel, path: str | Path, fit: str = "crop") -> np.ndarray:
    """Read ``path`` and fit it to the model's input (uint8 HWC); ValueError names a bad file."""
    ii = model.capabilities.image_input
    assert ii is not None
    return fit_image(read_image(path), ii.size, ii.channels, fit)


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


def translate_files(
    model: LoadedModel,
    inputs: Sequence[Path],
    out_dir: str | Path,
    direction: str | None = None,
    target: torch.Tensor | None = None,
    fit: str = "crop",
) -> Iterator[FileResult]:
    """Translate each file into ``out_dir`` (created); yields one :class:`FileResult` per input.

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
            fitted = fit_file(model, src, fit)
        except ValueError as e:
            log.info("skipping %s", e)
            yield FileResult(i, n, src, None, str(e))
            continue
        y = translate_array(model, fitted, direction, target)
        im = Image.fromarray(y[:, :, 0] if y.shape[2] == 1 else y)
        atomic_write(dst, lambda tmp, im=im: im.save(tmp, format="PNG"))
        yield FileResult(i, n, src, dst)


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
