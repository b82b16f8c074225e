"""What each discovered direction changes (engine/direction_effects.py): named by where it acts and how
much, with a −2σ…+2σ preview strip of the frame."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.api import RenderRequest
from engine.direction_effects import GROUPS, STRIP_SIGMAS, direction_effects, layer_groups, name_direction
from engine.families import get_family
from engine.latent.directions import Directions, sefa
from engine.render import render


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    fam = get_family("stylegan2")
    return fam.new(fam.tiny_config())


def _run(gen):
    steps = []
    try:
        while True:
            steps.append(next(gen))
    except StopIteration as stop:
        return stop.value, steps


def test_effects_name_and_preview_every_direction(model) -> None:
    dirs = sefa(model, k=3)
    base = RenderRequest(model_id="m")
    effects, steps = _run(direction_effects(model, dirs, base, thumb=8))
    groups = layer_groups(model.capabilities)
    assert list(groups) == list(GROUPS)[: len(groups)] and groups["coarse"][0] == 0
    assert len(steps) == steps[-1][1] == 3 * (len(STRIP_SIGMAS) + 2 * len(groups))  # one step per frame
    assert [e.index for e in effects] == [0, 1, 2]
    for e in effects:
        assert e.strip.shape == (len(STRIP_SIGMAS), 8, 8, 3) and e.strip.dtype == np.uint8
        assert e.label.startswith(f"{e.index + 1} · ") and e.label.split(" · ")[-1] in ("strong", "medium", "subtle")
        assert set(e.groups) == set(groups) and e.change > 0
    full, _ = _run(direction_effects(model, dirs, base, thumb=16))  # thumb = the model's size: no resize
    np.testing.assert_array_equal(full[0].strip[STRIP_SIGMAS.index(0.0)], render(model, base))
    strongest = max(effects, key=lambda e: e.change)
    assert strongest.label.endswith("strong")


def test_a_direction_on_a_layer_range_is_named_by_it(model) -> None:
    dirs = sefa(model, k=2, layers=(0, 2))
    effects, _ = _run(direction_effects(model, dirs, RenderRequest(model_id="m"), thumb=8))
    assert all(e.groups == {} for e in effects)  # no group probes: the range says where
    assert " · 4–8 px · " in effects[0].label or " · 4 px · " in effects[0].label


def test_names_say_where_the_change_is(model) -> None:
    caps = model.capabilities
    dirs = Directions("sefa", "w", np.eye(2, 16, dtype=np.float32), np.ones(2, np.float32))
    coarse = name_direction(0, 0.2, {"coarse": 0.3, "middle": 0.02, "fine": 0.01}, 0.2, dirs, caps)
    assert coarse.startswith("1 · shape (coarse, 4–8 px)") and coarse.endswith("strong")
    mixed = name_direction(1, 0.05, {"coarse": 0.1, "middle": 0.1, "fine": 0.1}, 0.2, dirs, caps)
    assert mixed == "2 · all layers · subtle"
    z = Directions("sefa", "z", np.eye(2, 16, dtype=np.float32), np.ones(2, np.float32))
    assert name_direction(0, 0.1, {}, 0.2, z, caps) == "1 · medium"
