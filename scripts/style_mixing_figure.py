"""A style-mixing figure like Figure 3 of the StyleGAN paper, for the README.

The top row holds the source B images and the left column the source A images; each cell is A with
the styles of one layer range taken from B: the first two rows take B's *coarse* styles (4–8 px
layers: pose, shape), the third B's *middle* styles (16–32 px), the fourth B's *fine* styles (64 px
and up: colour, small details). Usage::

    PYTHONPATH=. python scripts/style_mixing_figure.py MODEL OUT.png [--a 1,2,3,4] [--b 5,6,7,8] [--psi 0.8] [--cell 96]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from engine.checkpoints.loader import load_model
from engine.fileio import atomic_output
from engine.render import to_uint8

log = logging.getLogger("style_mixing_figure")
ROWS = ("coarse", "coarse", "middle", "fine")


def layer_ranges(model) -> dict[str, list[int]]:
    """The style layers of each range, by the resolution each layer acts at."""
    caps = model.capabilities
    n = caps.w_space.num_ws
    res = [caps.layer_resolution(i) or caps.resolution for i in range(n)]
    return {
        "coarse": [i for i in range(n) if res[i] <= 8],
        "middle": [i for i in range(n) if 8 < res[i] <= 32],
        "fine": [i for i in range(n) if res[i] > 32],
    }


def figure(model, seeds_a: list[int], seeds_b: list[int], psi: float, cell: int) -> np.ndarray:
    """The figure as a uint8 HWC image: (1 + len(a)) × (1 + len(b)) cells of ``cell`` pixels."""
    if len(seeds_a) != len(ROWS):
        raise ValueError(f"give {len(ROWS)} A seeds (rows: {', '.join(ROWS)})")
    ranges = layer_ranges(model)
    with torch.inference_mode():
        wa = model.map(model.sample_z(seeds_a), psi=psi)
        wb = model.map(model.sample_z(seeds_b), psi=psi)
        a_img = to_uint8(model.synthesize(wa, noise_mode="const"))
        b_img = to_uint8(model.synthesize(wb, noise_mode="const"))
        rows = []
        for i, kind in enumerate(ROWS):
            ws = wa[i : i + 1].repeat(len(seeds_b), 1, 1)
            ws[:, ranges[kind]] = wb[:, ranges[kind]]
            rows.append(to_uint8(model.synthesize(ws, noise_mode="const")))

    def tile(img: np.ndarray) -> Image.Image:
        im = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).convert("RGB")
        return im.resize((cell, cell), Image.Resampling.NEAREST)

    label = 18
    canvas = Image.new("RGB", (label + cell * (1 + len(seeds_b)), cell * (1 + len(seeds_a))), "white")
    draw = ImageDraw.Draw(canvas)
    for j in range(len(seeds_b)):
        canvas.paste(tile(b_img[j]), (label + cell * (1 + j), 0))
    draw.text((2, cell // 2 - 6), "B", fill="black")
    for i, kind in enumerate(ROWS):
        y = cell * (1 + i)
        canvas.paste(tile(a_img[i]), (label, y))
        draw.text((2, y + cell // 2 - 6), kind[0].upper(), fill="black")  # C / M / F
        for j in range(len(seeds_b)):
            canvas.paste(tile(rows[i][j]), (label + cell * (1 + j), y))
    return np.asarray(canvas)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("out", type=Path)
    ap.add_argument("--a", default="1,2,3,4", help="source A seeds (rows)")
    ap.add_argument("--b", default="5,6,7,8", help="source B seeds (columns)")
    ap.add_argument("--psi", type=float, default=0.8)
    ap.add_argument("--cell", type=int, default=96)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = load_model(args.model)
    img = figure(model, [int(s) for s in args.a.split(",")], [int(s) for s in args.b.split(",")], args.psi, args.cell)
    with atomic_output(args.out) as tmp:
        Image.fromarray(img).save(tmp, format="PNG")
    log.info("wrote %s (%s)", args.out, ", ".join(f"{k}: layers {v}" for k, v in layer_ranges(model).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
