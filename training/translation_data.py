"""Training data for image-to-image translation, held in memory as uint8.

Three kinds (``Trainer.data_kind``), each opened by :func:`open_translation_dataset`:

- ``paired`` (pix2pix): a folder of side-by-side images (left half A, right half B, as pix2pix's
  datasets are), or a folder with ``A/`` and ``B/`` sub-folders whose files match by name;
  batches ``{"A", "B"}`` with row i of A matching row i of B.
- ``unpaired`` (CycleGAN): a folder with ``trainA/`` and ``trainB/`` (or ``A/`` and ``B/``);
  batches ``{"A", "B"}`` drawn independently.
- ``multi-domain`` (StarGAN): a folder with one sub-folder per domain (one-hot labels), or an
  attribute table like CelebA's ``list_attr_celeba.txt`` (``PATH.txt`` or ``PATH.txt#Attr1,Attr2``
  to select attributes; images in the table's folder or an ``img_align_celeba/`` beside it);
  batches ``{"image", "domain"}`` with multi-hot float labels.

Any of these folders can also be given zipped (``data.zip``; unpacked once, :mod:`training.zip_data`).

Bundled demo data (from ``assets/data/emoji64.npz``): ``demo:emoji-edges`` (paired: Canny edges →
colour emoji), ``demo:emoji-grey`` (unpaired: grey emoji ↔ a disjoint set of colour emoji) and
``demo:emoji-hue`` (multi-domain: emoji grouped by dominant hue).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from engine import zoo
from engine.images import open_image
from training import zip_data
from training.data import IMAGE_SUFFIXES, DataError, DataSummary, load_image

log = logging.getLogger(__name__)

KINDS = ("paired", "unpaired", "multi-domain")
DEMOS = {"emoji-edges": "paired", "emoji-grey": "unpaired", "emoji-hue": "multi-domain"}
HUE_DOMAINS = ("red", "yellow", "green", "blue")
_UNREADABLE = (UnidentifiedImageError, OSError, ValueError, SyntaxError)


def _nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))


def _float(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 127.5 - 1


def _flip(x: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    return torch.where(flip.reshape(-1, 1, 1, 1), x.flip(3), x)


class TranslationDataset:
    """Two image sets A and B (paired or not) or one image set with domain labels; uint8 NCHW in memory."""

    def __init__(
        self,
        kind: str,
        summary: DataSummary,
        a: np.ndarray,
        b: np.ndarray | None = None,
        domains: np.ndarray | None = None,
        class_names: tuple[str, ...] = (),
        xflip: bool = False,
        exclusive: bool = False,
        domain_names: tuple[str, ...] = (),
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if a.ndim != 4 or a.shape[-1] not in (1, 3) or len(a) == 0:
            raise DataError(f"images must be a non-empty NHWC array with 1 or 3 channels, got {a.shape}")
        if kind == "paired" and (b is None or b.shape != a.shape):
            raise DataError(
                f"paired data needs A and B of the same shape, got {a.shape} and {None if b is None else b.shape}"
            )
        if kind == "unpaired" and (b is None or len(b) == 0 or b.shape[1:] != a.shape[1:]):
            raise DataError("unpaired data needs a non-empty B set of the same image size as A")
        bad_labels = domains is None or domains.shape != (len(a), len(class_names)) or len(class_names) < 2
        if kind == "multi-domain" and bad_labels:
            raise DataError("multi-domain data needs labels [N, K] for K ≥ 2 named domains")
        self.kind, self.summary, self.xflip = kind, summary, xflip
        self.A = _nchw(a)
        self.B = None if b is None else _nchw(b)
        self.domains = None if domains is None else torch.from_numpy(domains.astype(np.float32))
        self.class_names = tuple(class_names)
        self.exclusive = exclusive and self.domains is not None and bool((self.domains.sum(1) == 1).all())
        """Every image has exactly one domain (one folder per domain), not a set of attributes."""
        self.domain_names = tuple(domain_names) if kind != "multi-domain" and len(domain_names) == 2 else ()
        """The names of A and B ("edges", "colour") when the data says them; the model keeps them."""

    def __len__(self) -> int:
        return self.A.shape[0]

    @property
    def labelled(self) -> bool:
        return self.domains is not None

    def sample(self, batch: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """A random batch (with replacement) as the trainer contract's keys for this kind."""
        idx = torch.randint(0, len(self), (batch,), generator=generator)
        flip = torch.rand(batch, generator=generator) < 0.5 if self.xflip else None
        a = _float(self.A[idx])
        if flip is not None:
            a = _flip(a, flip)
        if self.kind == "multi-domain":
            assert self.domains is not None
            return {"image": a, "domain": self.domains[idx]}
        assert self.B is not None
        if self.kind == "unpaired":
            idx = torch.randint(0, self.B.shape[0], (batch,), generator=generator)
            if flip is not None:
                flip = torch.rand(batch, generator=generator) < 0.5
        b = _float(self.B[idx])
        return {"A": a, "B": _flip(b, flip) if flip is not None else b}

    def fixed(self, n: int) -> dict[str, torch.Tensor]:
        """The first ``n`` examples (evenly spread over the set), unaugmented: for sample grids."""
        idx = torch.linspace(0, len(self) - 1, n).round().long()
        if self.kind == "multi-domain":
            assert self.domains is not None
            return {"image": _float(self.A[idx]), "domain": self.domains[idx]}
        assert self.B is not None
        idx_b = idx if self.kind == "paired" else torch.linspace(0, self.B.shape[0] - 1, n).round().long()
        return {"A": _float(self.A[idx]), "B": _float(self.B[idx_b])}

    def iterate(self, batch: int, limit: int | None = None) -> Iterator[dict[str, torch.Tensor]]:
        """Batches of the A (or labelled) images in order, as ``{"image"[, "domain"]}``."""
        n = len(self) if limit is None else min(limit, len(self))
        for i in range(0, n, batch):
            out = {"image": _float(self.A[i : i + batch])}
            if self.domains is not None:
                out["domain"] = self.domains[i : min(n, i + batch)]
            yield out


def _images(files: list[Path], resolution: int, channels: int) -> tuple[list[np.ndarray], list[Path], int]:
    arrays, kept, skipped = [], [], 0
    for f in files:
        try:
            arrays.append(load_image(f, resolution, channels))
            kept.append(f)
        except _UNREADABLE as e:
            skipped += 1
            log.warning("skipping unreadable image %s (%s)", f, type(e).__name__)
    return arrays, kept, skipped


def _list(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _sub(root: Path, *names: str) -> Path | None:
    for n in names:
        for p in (root / n, root / n.lower(), root / n.upper()):
            if p.is_dir():
                return p
    return None


def _stack(arrays: list[np.ndarray], where: Path) -> np.ndarray:
    if not arrays:
        raise DataError(f"no readable images in '{where}'")
    return np.stack(arrays)


def _split_side_by_side(path: Path, resolution: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
    with open_image(path) as im:  # file type and pixel count checked before decoding
        im.load()
        w, h = im.size
        if w < 2 or w % 2:
            raise ValueError(f"{path.name} is {w}×{h}; a side-by-side pair needs an even width")
        halves = [im.crop((0, 0, w // 2, h)), im.crop((w // 2, 0, w, h))]
    out = []
    for half in halves:
        tmp = half.convert("RGBA" if half.mode in ("RGBA", "LA", "P") else half.mode)
        out.append(_fit(tmp, resolution, channels))
    return out[0], out[1]


def _fit(im: Image.Image, resolution: int, channels: int) -> np.ndarray:
    if im.mode in ("RGBA", "LA", "P"):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        bg.alpha_composite(rgba)
        im = bg
    im = im.convert("RGB" if channels == 3 else "L").resize((resolution, resolution), Image.Resampling.LANCZOS)
    a = np.asarray(im, dtype=np.uint8)
    return a if a.ndim == 3 else a[:, :, None]


def open_paired(path: Path, resolution: int, channels: int, xflip: bool = False) -> TranslationDataset:
    """``A/`` + ``B/`` with matching file stems, else every image of the folder split into halves."""
    a_dir, b_dir = _sub(path, "A"), _sub(path, "B")
    skipped = 0
    if a_dir is not None and b_dir is not None:
        b_by_stem = {p.stem: p for p in _list(b_dir)}
        pairs = [(p, b_by_stem[p.stem]) for p in _list(a_dir) if p.stem in b_by_stem]
        unmatched = len(_list(a_dir)) + len(b_by_stem) - 2 * len(pairs)
        if not pairs:
            raise DataError(f"no file names in '{a_dir}' match those in '{b_dir}'")
        a_list, b_list = [], []
        for pa, pb in pairs:
            try:
                a_img, b_img = load_image(pa, resolution, channels), load_image(pb, resolution, channels)
            except _UNREADABLE as e:
                skipped += 1
                log.warning("skipping pair %s (%s)", pa.stem, type(e).__name__)
                continue
            a_list.append(a_img)
            b_list.append(b_img)
        if unmatched:
            log.warning("%d file(s) in %s / %s have no partner and were left out", unmatched, a_dir, b_dir)
        a, b = _stack(a_list, path), _stack(b_list, path)
    else:
        files = _list(path)
        if not files:
            raise DataError(f"'{path}' holds neither A/ and B/ folders nor side-by-side images")
        a_list, b_list = [], []
        for f in files:
            try:
                pa, pb = _split_side_by_side(f, resolution, channels)
            except _UNREADABLE as e:
                skipped += 1
                log.warning("skipping %s (%s)", f.name, e)
                continue
            a_list.append(pa)
            b_list.append(pb)
        a, b = _stack(a_list, path), _stack(b_list, path)
    summary = DataSummary(str(path), len(a), skipped, resolution, channels)
    return TranslationDataset("paired", summary, a, b, xflip=xflip)


def open_unpaired(path: Path, resolution: int, channels: int, xflip: bool = False) -> TranslationDataset:
    """``trainA/`` and ``trainB/`` (or ``A/`` and ``B/``) of any number of images each."""
    a_dir, b_dir = _sub(path, "trainA", "A"), _sub(path, "trainB", "B")
    if a_dir is None or b_dir is None:
        raise DataError(f"'{path}' needs trainA/ and trainB/ (or A/ and B/) folders for unpaired data")
    a, _, sa = _images(_list(a_dir), resolution, channels)
    b, _, sb = _images(_list(b_dir), resolution, channels)
    summary = DataSummary(str(path), len(a) + len(b), sa + sb, resolution, channels)
    return TranslationDataset("unpaired", summary, _stack(a, a_dir), _stack(b, b_dir), xflip=xflip)


def _read_attr_table(table: Path) -> tuple[list[str], list[str], np.ndarray]:
    """CelebA's ``list_attr`` layout: [count line], header of attribute names, ``file v1 v2 …`` (±1 or 0/1)."""
    lines = [ln.split() for ln in table.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    if lines and len(lines[0]) == 1 and lines[0][0].isdigit():
        lines = lines[1:]
    if len(lines) < 2:
        raise DataError(f"attribute table '{table}' has no rows")
    header = lines[0]
    files, rows = [], []
    for i, parts in enumerate(lines[1:], start=2):
        if len(parts) != len(header) + 1:
            raise DataError(f"{table.name} line {i}: {len(parts) - 1} values for {len(header)} attributes")
        try:
            rows.append([float(v) > 0 for v in parts[1:]])
        except ValueError as e:
            raise DataError(f"{table.name} line {i}: {e}") from e
        files.append(parts[0])
    return header, files, np.array(rows, dtype=np.float32)


def open_attr_table(spec: str, resolution: int, channels: int, xflip: bool = False) -> TranslationDataset:
    """``PATH.txt[#Attr1,Attr2,…]``: the selected attributes (all when none are named) as domains."""
    path_s, _, attrs_s = spec.partition("#")
    table = Path(path_s).expanduser()
    header, files, values = _read_attr_table(table)
    attrs = [a.strip() for a in attrs_s.split(",") if a.strip()] or header
    unknown = [a for a in attrs if a not in header]
    if unknown:
        raise DataError(f"attributes {unknown} are not in {table.name} (it has {', '.join(header[:10])}, …)")
    cols = [header.index(a) for a in attrs]
    folder = next((d for d in (table.parent / "img_align_celeba", table.parent / "images") if d.is_dir()), table.parent)
    arrays, labels, skipped = [], [], 0
    for name, row in zip(files, values):
        f = folder / name
        try:
            arrays.append(load_image(f, resolution, channels))
        except _UNREADABLE + (FileNotFoundError,):
            skipped += 1
            continue
        labels.append(row[cols])
    if skipped:
        log.warning("%d image(s) listed in %s are missing or unreadable in %s", skipped, table.name, folder)
    summary = DataSummary(str(table), len(arrays), skipped, resolution, channels)
    return TranslationDataset(
        "multi-domain", summary, _stack(arrays, folder), None, np.array(labels), tuple(attrs), xflip
    )


def open_domain_folders(path: Path, resolution: int, channels: int, xflip: bool = False) -> TranslationDataset:
    """One sub-folder per domain (sorted by name), each image one-hot in its folder's domain."""
    dirs = sorted(d for d in path.iterdir() if d.is_dir() and _list(d))
    if len(dirs) < 2:
        raise DataError(f"'{path}' needs at least two sub-folders of images (one per domain) or an attribute table")
    arrays, labels, skipped = [], [], 0
    for k, d in enumerate(dirs):
        imgs, _, s = _images(_list(d), resolution, channels)
        arrays += imgs
        labels += [k] * len(imgs)
        skipped += s
    onehot = np.eye(len(dirs), dtype=np.float32)[np.array(labels)]
    summary = DataSummary(str(path), len(arrays), skipped, resolution, channels)
    names = tuple(d.name for d in dirs)
    return TranslationDataset("multi-domain", summary, _stack(arrays, path), None, onehot, names, xflip, exclusive=True)


# --- bundled demo data ---------------------------------------------------------------------------
def _emoji(resolution: int) -> np.ndarray:
    path = zoo.data_path("emoji64.npz")
    if not path.exists():
        raise DataError(f"demo dataset file {path} is missing (rebuild it with 'python -m training.demo_data')")
    with np.load(path, allow_pickle=False) as d:
        images = d["images"]
    if images.shape[1] != resolution:
        images = np.stack(
            [np.asarray(Image.fromarray(a).resize((resolution, resolution), Image.Resampling.LANCZOS)) for a in images]
        )
    return images


def _channels(images: np.ndarray, channels: int) -> np.ndarray:
    if channels == 3:
        return images
    return np.stack([np.asarray(Image.fromarray(a).convert("L"))[:, :, None] for a in images])


def emoji_edges(images: np.ndarray) -> np.ndarray:
    """Black Canny edges on white of each colour emoji (uint8 NHWC, 3 channels)."""
    import cv2

    out = []
    for a in images:
        grey = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
        edges = cv2.Canny(grey, 60, 160)
        out.append(np.repeat((255 - edges)[:, :, None], 3, axis=2))
    return np.stack(out).astype(np.uint8)


def emoji_hue_domains(images: np.ndarray) -> np.ndarray:
    """Domain index (into :data:`HUE_DOMAINS`) of each emoji's dominant hue over its saturated pixels; −1 if none."""
    import cv2

    out = []
    for a in images:
        hsv = cv2.cvtColor(a, cv2.COLOR_RGB2HSV)
        sat = (hsv[..., 1] > 80) & (hsv[..., 2] > 60)
        if sat.sum() < 40:
            out.append(-1)
            continue
        hue = hsv[..., 0][sat].astype(np.int64) * 2  # OpenCV hue is 0..179
        counts = np.bincount(np.digitize(hue, [20, 70, 170, 290]) % 4, minlength=4)  # red wraps around
        out.append(int(counts.argmax()))
    return np.array(out)


def open_demo(name: str, kind: str, resolution: int, channels: int, xflip: bool = False) -> TranslationDataset:
    if name not in DEMOS:
        raise DataError(f"unknown translation demo '{name}' (known: {', '.join(DEMOS)})")
    if DEMOS[name] != kind:
        raise DataError(f"demo:{name} is {DEMOS[name]} data, but this model trains on {kind} data")
    images = _emoji(resolution)
    source = f"demo:{name}"
    if name == "emoji-edges":
        a, b = emoji_edges(images), images
        summary = DataSummary(source, len(a), 0, resolution, channels)
        a, b = _channels(a, channels), _channels(b, channels)
        return TranslationDataset("paired", summary, a, b, xflip=xflip, domain_names=("edges", "colour"))
    if name == "emoji-grey":
        order = np.random.RandomState(0).permutation(len(images))
        half = len(images) // 2
        grey = np.stack([np.asarray(Image.fromarray(a).convert("L").convert("RGB")) for a in images[order[:half]]])
        a, b = _channels(grey, channels), _channels(images[order[half:]], channels)
        summary = DataSummary(source, len(a) + len(b), 0, resolution, channels)
        return TranslationDataset("unpaired", summary, a, b, xflip=xflip, domain_names=("grey", "colour"))
    dom = emoji_hue_domains(images)
    keep = dom >= 0
    onehot = np.eye(len(HUE_DOMAINS), dtype=np.float32)[dom[keep]]
    summary = DataSummary(source, int(keep.sum()), int((~keep).sum()), resolution, channels)
    return TranslationDataset(
        "multi-domain", summary, _channels(images[keep], channels), None, onehot, HUE_DOMAINS, xflip, exclusive=True
    )


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def open_fmnist(spec: str, kind: str, resolution: int, channels: int, xflip: bool = False) -> TranslationDataset:
    """``fmnist:sneaker,ankle-boot`` (class names as slugs, or indices): Fashion-MNIST training images of
    those classes — unpaired A ↔ B for two classes, or one domain per class (multi-domain)."""
    from training import fashion_mnist

    slugs = {_slug(n): i for i, n in enumerate(fashion_mnist.CLASS_NAMES)}
    wanted = [w.strip() for w in spec.split(":", 1)[1].split(",") if w.strip()]
    try:
        idx = [int(w) if w.isdigit() else slugs[_slug(w)] for w in wanted]
    except KeyError as e:
        raise DataError(f"unknown Fashion-MNIST class {e.args[0]!r} (known: {', '.join(slugs)})") from None
    if len(set(idx)) != len(idx) or any(not 0 <= i < 10 for i in idx) or len(idx) < 2:
        raise DataError(f"'{spec}' needs at least two different Fashion-MNIST classes (e.g. fmnist:sneaker,ankle-boot)")
    try:
        images, labels = fashion_mnist.load("train")
    except fashion_mnist.FashionMNISTMissing as e:
        raise DataError(str(e)) from e
    arr = fashion_mnist.to_resolution(images, resolution)
    if channels == 3:
        arr = np.repeat(arr, 3, axis=-1)
    names = tuple(fashion_mnist.CLASS_NAMES[i] for i in idx)
    if kind == "unpaired":
        if len(idx) != 2:
            raise DataError(f"unpaired data needs exactly two classes, got {len(idx)} in '{spec}'")
        a, b = arr[labels == idx[0]], arr[labels == idx[1]]
        summary = DataSummary(f"Fashion-MNIST {names[0]} ↔ {names[1]}", len(a) + len(b), 0, resolution, channels)
        return TranslationDataset("unpaired", summary, a, b, xflip=xflip, domain_names=names)
    if kind == "multi-domain":
        keep = np.isin(labels, idx)
        dom = np.array([idx.index(int(v)) for v in labels[keep]])
        onehot = np.eye(len(idx), dtype=np.float32)[dom]
        summary = DataSummary(f"Fashion-MNIST {', '.join(names)}", int(keep.sum()), 0, resolution, channels)
        return TranslationDataset("multi-domain", summary, arr[keep], None, onehot, names, xflip, exclusive=True)
    raise DataError(f"'{spec}' gives unpaired (two classes) or multi-domain data, not {kind} data")


def open_translation_dataset(
    spec: str | Path, kind: str, resolution: int, channels: int = 3, xflip: bool = False
) -> TranslationDataset:
    """Open ``spec`` as ``kind`` data (see the module docstring for the accepted layouts)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    s = str(spec)
    if s.startswith("demo:"):
        return open_demo(s[5:], kind, resolution, channels, xflip)
    if s.startswith("fmnist:"):
        return open_fmnist(s, kind, resolution, channels, xflip)
    if zip_data.is_zip(s):
        try:
            folder = zip_data.unpack(s.partition("#")[0])
        except zip_data.ZipDataError as e:
            raise DataError(str(e)) from e
        s = str(folder) + ("#" + s.partition("#")[2] if "#" in s else "")
    path = Path(s.partition("#")[0]).expanduser()
    if not path.exists():
        raise DataError(f"data path '{path}' does not exist")
    if kind == "multi-domain":
        if path.is_file():
            return open_attr_table(s, resolution, channels, xflip)
        tables = sorted(path.glob("list_attr*.txt"))
        if tables:
            return open_attr_table(
                str(tables[0]) + ("#" + s.partition("#")[2] if "#" in s else ""), resolution, channels, xflip
            )
        return open_domain_folders(path, resolution, channels, xflip)
    if not path.is_dir():
        raise DataError(f"'{path}' is a file; {kind} data is a folder")
    if kind == "paired":
        return open_paired(path, resolution, channels, xflip)
    return open_unpaired(path, resolution, channels, xflip)
