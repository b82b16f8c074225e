"""Atomic output: a finished write replaces the target; a failed one leaves it (and no temporary file)."""

from __future__ import annotations

import pytest

from engine.fileio import atomic_output, atomic_write


def test_atomic_output_keeps_the_suffix_and_replaces_on_success(tmp_path) -> None:
    target = tmp_path / "walk.mp4"
    target.write_bytes(b"old")
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp != target
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not yet
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk.mp4"]


def test_a_failed_write_keeps_the_existing_file(tmp_path) -> None:
    target = tmp_path / "image.png"
    target.write_bytes(b"precious")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    def interrupted(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(b"x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["image.png"]


def test_stale_temp_cleanup_touches_only_files_named_as_ours(tmp_path) -> None:
    import os
    import tempfile

    from engine.fileio import remove_stale_temps

    fd, ours = tempfile.mkstemp(dir=tmp_path, prefix=".ckpt-0001.pt.", suffix=".tmp.pt")  # as atomic_output names it
    os.close(fd)
    users = [".notes.backup.tmp.txt", ".ckpt.abcdefgh.tmp.pt.keep", ".run.json.abcdefgh.tmp.txt"]
    for name in users:
        (tmp_path / name).write_text("the user's")
    assert [p.name for p in remove_stale_temps(tmp_path)] == [os.path.basename(ours)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(users)
