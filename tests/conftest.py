"""Shared fixtures: tiny models written in the native format, the fixtures folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = (REPO / ".." / "shared" / "fixtures").resolve()


@pytest.fixture(autouse=True, scope="session")
def _runs_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Training runs without ``--out`` never go to the user's data folder during tests (child
    processes inherit the variable)."""
    import os

    os.environ["LATENTLAB_RUNS_DIR"] = str(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"reference fixtures not found at {FIXTURES} (clone with ../shared beside the repo)")
    return FIXTURES


@pytest.fixture
def tiny_stylegan2_path(tmp_path: Path) -> Path:
    """A random tiny StyleGAN2 saved in the native format."""
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("stylegan2")
    return save_native(fam.new(fam.tiny_config()), tmp_path / "tiny.safetensors")
