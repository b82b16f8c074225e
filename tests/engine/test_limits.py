"""The limits in engine/limits.py and the checks that apply them."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from engine import limits
from engine.errors import FileError, LimitError


def test_int_and_float_checks() -> None:
    assert limits.check_int(5, "n", 0, 10) == 5
    for bad, needle in [(True, "integer"), ("5", "integer"), (5.0, "integer"), (11, "0..10"), (-1, "0..10")]:
        with pytest.raises(LimitError, match=needle):
            limits.check_int(bad, "n", 0, 10)
    assert limits.check_float(2, "x", 0, 3) == 2.0
    for bad, needle in [(math.nan, "finite"), (math.inf, "finite"), ("1", "number"), (4.0, "0..3")]:
        with pytest.raises(LimitError, match=needle):
            limits.check_float(bad, "x", 0, 3)


@pytest.mark.parametrize("r", [4, 8, 1024, 4096])
def test_resolutions_accepted(r: int) -> None:
    assert limits.check_resolution(r) == r


@pytest.mark.parametrize("r", [0, 2, 100, 8192, 1048576, -4])
def test_resolutions_refused(r: int) -> None:
    with pytest.raises(LimitError, match="power of two from 4 to 4096"):
        limits.check_resolution(r)


def test_job_limits() -> None:
    assert limits.check_fps(24) == 24.0
    for bad in (math.nan, 1e-9, 0, -5, 1e6):
        with pytest.raises(LimitError, match="fps"):
            limits.check_fps(bad)
    assert limits.check_frames(600) == 600
    with pytest.raises(LimitError, match="frames must be in 1..1000000"):
        limits.check_frames(10_000_000)
    limits.check_output_frame(1024, 1024)
    with pytest.raises(LimitError, match="limit of 16384 pixels a side"):
        limits.check_output_frame(100_000, 100_000)
    with pytest.raises(LimitError, match="exceeds 512 MB"):
        limits.check_output_frame(16384, 16384, 3)


def test_image_size_and_expansion() -> None:
    limits.check_image_size(12000, 12000)  # 144 megapixels: accepted (shrunk by the caller)
    with pytest.raises(LimitError, match="40000×40000 pixels exceeds the limit of 268 megapixels"):
        limits.check_image_size(40000, 40000)
    assert limits.expansion_ok(1 << 20, 10)  # small results are always fine
    assert limits.expansion_ok(100 << 20, 20 << 20)
    assert not limits.expansion_ok(1 << 30, 1 << 20)


def test_regular_file_check(tmp_path: Path) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * 100)
    assert limits.check_regular_file(f).st_size == 100
    with pytest.raises(FileError, match="more than the limit of 10 bytes"):
        limits.check_regular_file(f, max_bytes=10)
    with pytest.raises(FileError, match="is a folder"):
        limits.check_regular_file(tmp_path)
    os.mkfifo(tmp_path / "p")
    with pytest.raises(FileError, match="named pipe"):
        limits.check_regular_file(tmp_path / "p")
    with pytest.raises(FileError, match="is a device"):
        limits.check_regular_file("/dev/null")
    with pytest.raises(FileError, match="no such file"):
        limits.check_regular_file(tmp_path / "missing")
    with pytest.raises(FileError, match="empty file name"):
        limits.check_regular_file("")
