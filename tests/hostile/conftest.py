"""Fixtures of the hostile tests: tiny model files for the command line, and the GUI fixtures of
``tests/app`` (offscreen Qt, isolated settings, a window on a tiny model) for the GUI halves."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import (  # noqa: F401  (fixtures used by the GUI tests here)
    _isolated_qsettings,
    client,
    engine,
    make_tiny_model,
    model_files,
    wait_current,
    window,
)


@pytest.fixture(scope="session")
def m16(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny 16 px StyleGAN2 (6 style layers) in the native format."""
    return make_tiny_model(tmp_path_factory.mktemp("cli-models") / "m16.safetensors", 16)


@pytest.fixture(scope="session")
def nan_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny 16 px StyleGAN2 whose first weight is NaN: it renders black frames."""
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("stylegan2")
    model = fam.new(fam.tiny_config())
    with torch.no_grad():
        next(model.module.parameters()).fill_(float("nan"))
    return save_native(model, tmp_path_factory.mktemp("nan-model") / "nan.safetensors")
