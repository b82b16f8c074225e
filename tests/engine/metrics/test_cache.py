"""The real-data feature cache: keys, location, round trip, unreadable files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine.metrics import cache


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "metrics"
    monkeypatch.delenv("LATENTLAB_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "latentlab" / "metrics"


def test_keys_differ_by_everything_that_decides_the_features(tmp_path: Path) -> None:
    base = cache.cache_key("fmnist:test", "classifier-x", 100, 32, 1)
    others = {
        cache.cache_key("fmnist:train", "classifier-x", 100, 32, 1),
        cache.cache_key("fmnist:test", "classifier-y", 100, 32, 1),
        cache.cache_key("fmnist:test", "classifier-x", 200, 32, 1),
        cache.cache_key("fmnist:test", "classifier-x", 100, 28, 1),
    }
    assert base not in others and len(others) == 4
    assert base == cache.cache_key("fmnist:test", "classifier-x", 100, 32, 1)
    folder = tmp_path / "data"
    folder.mkdir()
    before = cache.cache_key(str(folder), "e", 10, 8, 1)
    (folder / "new.png").write_bytes(b"")
    os.utime(folder, ns=(1, 1))
    assert cache.cache_key(str(folder), "e", 10, 8, 1) != before


def test_round_trip_and_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    assert cache.load_features("k") is None
    f = np.arange(12, dtype=np.float64).reshape(4, 3)
    cache.save_features("k", f, None)
    got = cache.load_features("k")
    assert got is not None and np.array_equal(got[0], f) and got[1] is None
    cache.save_features("k2", f, f[:, :2])
    got = cache.load_features("k2")
    assert got is not None and got[1] is not None and got[1].shape == (4, 2)
    (cache.cache_dir() / "bad.npz").write_bytes(b"garbage")
    assert cache.load_features("bad") is None
