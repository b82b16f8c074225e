"""Zip archives as training data: unpacked once into a cache folder, then read like any folder.

Every layout a folder can have (images, class sub-folders, pix2pix A|B pairs, ``trainA``/``trainB``,
domain folders, a CelebA ``list_attr`` table) works the same from a ``.zip``. The archive is
unpacked into ``$LATENTLAB_CACHE/datasets/<key>/`` (key: the archive's resolved path, size and
modification time), so a changed archive is unpacked again and an unchanged one is reused. A folder
is only used once a ``.complete`` marker says unpacking finished. Members with absolute paths or
``..`` components are refused (no writing outside the cache folder), and so are archives whose
unpacked size exceeds :data:`MAX_UNPACKED_BYTES`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from engine.errors import LatentLabError

log = logging.getLogger(__name__)

MAX_UNPACKED_BYTES = 8 << 30
"""Refuse archives that would unpack to more than this (8 GiB)."""
IGNORED_PREFIXES = ("__MACOSX/",)


class ZipDataError(LatentLabError, ValueError):
    """The archive cannot be used as training data."""


def cache_root() -> Path:
    """Where archives are unpacked (``$LATENTLAB_CACHE/datasets``, default ``~/.cache/latentlab/datasets``)."""
    base = os.environ.get("LATENTLAB_CACHE") or str(Path.home() / ".cache" / "latentlab")
    return Path(base).expanduser() / "datasets"


def _key(path: Path) -> str:
    st = path.stat()
    h = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return f"{path.stem[:40]}-{h.hexdigest()[:16]}"


def _safe_members(zf: zipfile.ZipFile, path: Path) -> list[zipfile.ZipInfo]:
    members, total = [], 0
    for info in zf.infolist():
        name = info.filename
        if info.is_dir() or name.startswith(IGNORED_PREFIXES) or PurePosixPath(name).name.startswith("._"):
            continue
        parts = PurePosixPath(name).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise ZipDataError(f"{path}: member '{name}' would unpack outside its folder; refusing the archive")
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise ZipDataError(f"{path}: unpacks to more than {MAX_UNPACKED_BYTES >> 30} GiB; unpack it yourself")
        members.append(info)
    return members


def _content_root(folder: Path) -> Path:
    """Descend through a single top-level folder (a zipped folder), so ``x.zip`` ≡ the folder ``x/``."""
    while True:
        entries = [p for p in folder.iterdir() if p.name != ".complete"]
        if len(entries) == 1 and entries[0].is_dir():
            folder = entries[0]
        else:
            return folder


def unpack(path: str | Path) -> Path:
    """The folder holding the archive's contents (unpacked now, or reused from the cache)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ZipDataError(f"archive '{path}' does not exist")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ZipDataError(f"{path}: not a readable zip archive ({e})") from e
    target = cache_root() / _key(path)
    with zf:
        if (target / ".complete").exists():
            return _content_root(target)
        members = _safe_members(zf, path)
        if not members:
            raise ZipDataError(f"{path}: the archive holds no files")
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            for info in members:
                dest = partial.joinpath(*PurePosixPath(info.filename).parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            shutil.rmtree(partial, ignore_errors=True)
            raise ZipDataError(f"{path}: cannot unpack ({e})") from e
    (partial / ".complete").write_text(str(path.resolve()) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    log.info("unpacked %d files of %s into %s", len(members), path, target)
    return _content_root(target)


def is_zip(spec: str | Path) -> bool:
    """Whether a data spec names a ``.zip`` file (before any ``#`` suffix)."""
    return str(spec).partition("#")[0].lower().endswith(".zip")
