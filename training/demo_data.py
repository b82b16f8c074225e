"""Build the bundled demo dataset: colour emoji rendered from Noto Color Emoji (SIL OFL 1.1).

``python -m training.demo_data --out assets/data/emoji64.npz`` needs Debian's
``fonts-noto-color-emoji``; the result is bundled so that training needs no font.
``python -m training.demo_data --subset`` selects the default model's data from it
(``assets/data/emoji-fhh64.npz``, ``demo:emoji-faces-hands-hearts``: faces, hands, hearts).
"""

from __future__ import annotations

import argparse
import logging
import re
import unicodedata
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.fileio import atomic_open

log = logging.getLogger(__name__)

NOTO_EMOJI = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
RANGES = ((0x231A, 0x2B55), (0x1F000, 0x1FAFF))
SKIN_TONES = tuple(chr(c) for c in range(0x1F3FB, 0x1F400))
REGIONAL = [chr(c) for c in range(0x1F1E6, 0x1F200)]


def _render(font: ImageFont.FreeTypeFont, text: str) -> Image.Image:
    im = Image.new("RGBA", (200, 160), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((10, 10), text, font=font, embedded_color=True)
    return im


def _single_glyph(im: Image.Image) -> bool:
    box = im.getbbox()
    return box is not None and box[2] - box[0] < 150


def emoji_sequences(font: ImageFont.FreeTypeFont) -> list[str]:
    """Single code points with a colour glyph, their skin-tone variants, and flag pairs."""
    out: list[str] = []
    for a, b in RANGES:
        for cp in range(a, b + 1):
            s = chr(cp)
            if 0x1F1E6 <= cp <= 0x1F1FF or chr(cp) in SKIN_TONES:
                continue
            im = _render(font, s)
            if not _single_glyph(im):
                continue
            out.append(s)
            base = np.asarray(im)
            for tone in SKIN_TONES:
                t = _render(font, s + tone)
                if _single_glyph(t) and not np.array_equal(np.asarray(t), base):
                    out.append(s + tone)
    unknown_flag = np.asarray(_render(font, REGIONAL[-1] * 2))  # an invalid pair renders as a "?" flag
    for a in REGIONAL:
        for b in REGIONAL:
            im = _render(font, a + b)
            if _single_glyph(im) and not np.array_equal(np.asarray(im), unknown_flag):
                out.append(a + b)
    return out


EMOJI_CATEGORIES = (
    "symbol",
    "pictograph",
    "emoticon",
    "transport",
    "supplemental",
    "ext-a",
    "skin-tone",
    "flag",
)
"""Coarse emoji classes from the Unicode blocks (plus skin-tone variants and flags): the labels the
``emoji-classifier`` feature network learns, so that FID on the emoji set has emoji-aware features."""


def emoji_category(name: str) -> str:
    """Category of one dataset entry named by its code points (``"1F600"``, ``"1F44B-1F3FD"``, ``"1F1EB-1F1F7"``)."""
    try:
        cps = [int(part, 16) for part in name.split("-")]
    except ValueError as e:
        raise ValueError(f"not an emoji code-point name: {name!r}") from e
    if len(cps) == 2 and all(0x1F1E6 <= c <= 0x1F1FF for c in cps):
        return "flag"
    if any(0x1F3FB <= c <= 0x1F3FF for c in cps):
        return "skin-tone"
    c = cps[0]
    for lo, hi, cat in (
        (0x1F600, 0x1F64F, "emoticon"),
        (0x1F680, 0x1F6FF, "transport"),
        (0x1F900, 0x1F9FF, "supplemental"),
        (0x1FA70, 0x1FAFF, "ext-a"),
        (0x1F300, 0x1F5FF, "pictograph"),
    ):
        if lo <= c <= hi:
            return cat
    return "symbol"


def emoji_labels(names: np.ndarray) -> np.ndarray:
    """int64 class index (into :data:`EMOJI_CATEGORIES`) for each code-point name."""
    index = {c: i for i, c in enumerate(EMOJI_CATEGORIES)}
    return np.array([index[emoji_category(str(n))] for n in names], dtype=np.int64)


def to_square(im: Image.Image, size: int, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Crop an RGBA glyph to its ink, centre it on a square canvas, composite on ``background``, resize."""
    box = im.getbbox()
    im = im.crop(box)
    side = int(max(im.size) * 1.08) + 2
    canvas = Image.new("RGBA", (side, side), (*background, 255))
    canvas.alpha_composite(im, ((side - im.size[0]) // 2, (side - im.size[1]) // 2))
    return np.asarray(canvas.convert("RGB").resize((size, size), Image.Resampling.LANCZOS))


def build_emoji_dataset(out: Path, size: int = 64, font_path: Path = NOTO_EMOJI) -> int:
    """Render every emoji to ``size``×``size`` RGB and save ``images`` (uint8 NHWC) and ``names`` to ``out``."""
    if not font_path.exists():
        raise FileNotFoundError(f"{font_path} not found: install it with 'apt-get install fonts-noto-color-emoji'")
    font = ImageFont.truetype(str(font_path), 109, layout_engine=ImageFont.Layout.RAQM)
    seqs = emoji_sequences(font)
    images, kept, seen = [], [], set()
    for s in seqs:
        img = to_square(_render(font, s), size)
        key = img.tobytes()
        if key not in seen:  # drop exact duplicates (e.g. glyphs shared by several code points)
            seen.add(key)
            images.append(img)
            kept.append(s)
    seqs = kept
    images = np.stack(images)
    names = np.array(["-".join(f"{ord(ch):04X}" for ch in s) for s in seqs])
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out) as f:
        np.savez_compressed(f, images=images, names=names)
    log.info("wrote %d emoji at %dx%d to %s", len(seqs), size, size, out)
    return len(seqs)


SUBSET_NAME = "emoji-faces-hands-hearts"
"""The default model's data: the emoji that share a structure a person reads at a glance (smiley and
animal faces, hand gestures in every skin tone, hearts in every colour), where "coarse styles change
the shape, fine styles the colour" can be seen."""

SUBSET_CATEGORIES = ("face", "hand", "heart")

_SUBSET_EXCLUDE = re.compile(
    r"PERSON|\bMAN\b|WOMAN|\bMEN\b|WOMEN|FAMILY|COUPLE|\bKISS\b|HOLDING HANDS|HANDBALL|WRITING|PALM TREE|FLAG|"
    r"MAILBOX|FACE PALM|MASSAGE|CLOCK|SUIT|HANDSHAKE|CARD|\bBAG\b|HANDSAW|HANDLE|GESTURE|MIDDLE FINGER|HANDBAG|"
    r"TRIANGLE|ARROW|MAGNIFYING"
)
_SUBSET_PATTERNS = (
    ("face", re.compile(r"\bFACE\b")),
    ("hand", re.compile(r"HAND|FINGER|THUMBS|FIST|PALM|CLAPPING|WAVING|SIGN OF THE HORNS|PINCH|RAISED|POINTING INDEX")),
    ("heart", re.compile(r"HEART")),
)


def subset_category(name: str) -> str | None:
    """The category of :data:`SUBSET_CATEGORIES` of one dataset entry (named by its code points, e.g.
    ``"1F44D-1F3FD"``: the base code point decides), or None when it is not in the subset."""
    try:
        cp = int(name.split("-")[0], 16)
    except ValueError as e:
        raise ValueError(f"not an emoji code-point name: {name!r}") from e
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return None
    uname = unicodedata.name(chr(cp), "")
    if not uname or _SUBSET_EXCLUDE.search(uname):
        return None
    return next((cat for cat, pat in _SUBSET_PATTERNS if pat.search(uname)), None)


def build_subset(src: Path, out: Path) -> dict[str, int]:
    """Select the :data:`SUBSET_NAME` emoji of the full set ``src`` (``emoji64.npz``) into ``out``
    (``images``, ``names``); returns the count per category."""
    with np.load(src, allow_pickle=False) as d:
        images, names = d["images"], d["names"]
    cats = [subset_category(str(n)) for n in names]
    keep = np.array([c is not None for c in cats])
    counts = {c: sum(1 for x in cats if x == c) for c in SUBSET_CATEGORIES}
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out) as f:
        np.savez_compressed(f, images=images[keep], names=names[keep])
    log.info("wrote %d of %d emoji (%s) to %s", int(keep.sum()), len(names), counts, out)
    return counts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, help="output .npz (default assets/data/emoji64.npz, or the subset's file)")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument(
        "--subset",
        action="store_true",
        help=f"select {SUBSET_NAME} (faces, hands, hearts) from assets/data/emoji64.npz instead of rendering the font",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.subset:
        build_subset(Path("assets/data/emoji64.npz"), args.out or Path("assets/data/emoji-fhh64.npz"))
    else:
        build_emoji_dataset(args.out or Path("assets/data/emoji64.npz"), args.size)


if __name__ == "__main__":
    main()
