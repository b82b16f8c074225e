"""Finding 13 (engine side): a frame rendered from NaN/inf weights or settings is flagged, not
passed off as a valid black image."""

from __future__ import annotations

import threading

import torch

from engine.api import RenderRequest
from engine.families import get_family
from engine.finite import NONFINITE_WARNING, all_finite, nonfinite_fraction
from engine.runtime import Engine


def _model(poison: bool):
    torch.manual_seed(0)
    fam = get_family("stylegan2")
    model = fam.new(fam.tiny_config())
    if poison:
        with torch.no_grad():
            next(model.module.parameters()).fill_(float("nan"))
    return model


def test_helpers() -> None:
    x = torch.zeros(1, 3, 4, 4)
    assert all_finite(x) and nonfinite_fraction(x) == 0.0
    x[0, 0, 0, :2] = float("nan")
    x[0, 0, 1, 0] = float("inf")
    assert not all_finite(x) and nonfinite_fraction(x) == 3 / 48
    assert "NaN/inf" in NONFINITE_WARNING


def test_engine_flags_nan_weights_and_nan_psi() -> None:
    with Engine(device="cpu", half=False) as engine:
        engine.call(lambda ctx: ctx.add_model("good", _model(False)))
        engine.call(lambda ctx: ctx.add_model("bad", _model(True)))
        results = {}
        arrived = {key: threading.Event() for key in ("good", "bad", "psi")}

        def done(key):
            def store(r):
                results[key] = r
                arrived[key].set()

            return store

            return store

        # Three channels, so none replaces another; the engine interleaves requests with job steps,
        # so wait for the three results themselves rather than for a later engine call.
        engine.submit("a", RenderRequest("good", seed=1), done("good"))
        engine.submit("b", RenderRequest("bad", seed=1), done("bad"))
        engine.submit("c", RenderRequest("good", seed=1, psi=float("nan")), done("psi"))
        for key, event in arrived.items():  # the engine interleaves channels: wait for each result
            assert event.wait(60), f"no result for {key}"
    assert results["good"].ok and results["good"].finite
    assert results["bad"].ok and not results["bad"].finite  # rendered (black) but flagged
    assert not results["psi"].finite
