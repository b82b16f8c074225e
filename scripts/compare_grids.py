"""Side-by-side sample grids of several models (the README's equal-budget comparison figure).

Each model draws the bundled grid's 16 seeds (as ``training.bundle`` does), 4×4, under a caption.
Usage::

    PYTHONPATH=. python scripts/compare_grids.py OUT.png MODEL=CAPTION [MODEL=CAPTION ...] [--cell 64]

MODEL is a bundled name or a model file (a run's ``model.safetensors``).
"""

from __future__ import annotations

import argparse
import logging
import sys

from PIL import Image, ImageDraw

from engine.checkpoints.loader import load_model
from engine.errors import LatentLabError
from engine.fileio import atomic_output
from training.bundle import sample_grid
from training.loop import grid_image

log = logging.getLogger("compare_grids")
CAPTION_H = 22
GAP = 12


def model_grid(model_ref: str, cell: int) -> Image.Image:
    """A model's bundled-grid seeds (4×4), each image scaled to ``cell`` pixels."""
    images, columns = sample_grid(load_model(model_ref))
    im = grid_image(images, columns).convert("RGB")
    rows = (len(images) + columns - 1) // columns
    return im.resize((columns * cell, rows * cell), Image.Resampling.NEAREST)


def figure(entries: list[tuple[str, str]], cell: int) -> Image.Image:
    """The grids in a row, each under its caption."""
    grids = [(model_grid(ref, cell), caption) for ref, caption in entries]
    width = sum(g.width for g, _ in grids) + GAP * (len(grids) - 1)
    height = max(g.height for g, _ in grids) + CAPTION_H
    out = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(out)
    x = 0
    for g, caption in grids:
        draw.text((x + 4, 4), caption, fill="black")
        out.paste(g, (x, CAPTION_H))
        x += g.width + GAP
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("models", nargs="+", metavar="MODEL=CAPTION")
    p.add_argument("--cell", type=int, default=64, help="pixels per image in the figure")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    entries = []
    for item in args.models:
        ref, sep, caption = item.partition("=")
        entries.append((ref, caption if sep else ref))
    if args.cell < 1 or args.cell > 1024:
        p.error(f"--cell must be 1 to 1024 pixels, got {args.cell}")
    try:
        image = figure(entries, args.cell)
        with atomic_output(args.out) as tmp:
            image.save(tmp, format="PNG")
    except LatentLabError as e:  # an unreadable model, an unwritable output: one line, no traceback
        log.error("compare_grids: %s", e)
        return 2
    log.info("wrote %s (%dx%d)", args.out, image.width, image.height)
    return 0


if __name__ == "__main__":
    sys.exit(main())
