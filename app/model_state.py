"""What the explorer remembers per model, across relaunches: seed, class, ψ and cutoff, the style mix,
the noise settings, stored-direction offsets, the interpolation's seed B / method / space, the progressive
view, the walk (keyframes, frames, loop, easing) and the gallery project last used.

The state is a JSON object in :class:`app.settings.Settings`, keyed by the model's source (its bundled
name or path). :class:`ModelStateKeeper` saves it a moment after each change, when another model
replaces it and when the window closes, and restores it when the model opens again. Explicit latents
(an encoded or inverted image) are not kept as the current latent — only their seed — but walk
keyframes keep theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

from app.params import Params
from app.session import OpenModel, Session
from app.settings import Settings
from engine.api import INTERP_METHODS, NOISE_MODES, Latent, Noise, StyleMix, Truncation, View, allowed_spaces
from engine.families.base import Capabilities
from engine.image_info import decode_array, encode_array
from engine.latent.keyframes import EASINGS, Keyframe, check_keyframes

log = logging.getLogger(__name__)

STATE_VERSION = 1
SAVE_DELAY_MS = 1500


# --- parameters ----------------------------------------------------------------------------------------
def params_to_state(p: Params) -> dict[str, Any]:
    """The parts of ``p`` kept per model, as JSON-ready values."""
    it = p.interpolation
    return {
        "seed": int(p.latent.seed),
        "class_index": None if p.latent.class_index is None else int(p.latent.class_index),
        "psi": float(p.truncation.psi),
        "cutoff": None if p.truncation.cutoff is None else int(p.truncation.cutoff),
        "mix": {"seed": p.mix.seed, "weights": list(p.mix.weights), "space": p.mix.space},
        "noise": {
            "mode": p.noise.mode,
            "strength": float(p.noise.strength),
            "layer_strengths": list(p.noise.layer_strengths),
            "seed": int(p.noise.seed),
        },
        "directions": list(p.directions),
        "interpolation": {"seed_b": int(it.seed_b), "t": float(it.t), "method": it.method, "space": it.space},
        "view": [list(kv) for kv in p.view.options],
    }


def params_from_state(p: Params, state: dict[str, Any], caps: Capabilities) -> Params:
    """``p`` with the saved ``state`` applied and sized for ``caps``; ``p`` itself when the state cannot
    be read (logged)."""
    try:
        mix, noise, it = state["mix"], state["noise"], state["interpolation"]
        cls = state.get("class_index")
        restored = p.replace(
            latent=Latent(int(state["seed"]), class_index=None if cls is None else int(cls)),
            truncation=Truncation(float(state["psi"]), None if state["cutoff"] is None else int(state["cutoff"])),
            mix=StyleMix(
                None if mix["seed"] is None else int(mix["seed"]),
                tuple(float(w) for w in mix["weights"]),
                str(mix["space"]),
            ),
            noise=Noise(
                str(noise["mode"]) if noise["mode"] in NOISE_MODES else "const",
                float(noise["strength"]),
                tuple(float(s) for s in noise["layer_strengths"]),
                int(noise["seed"]),
            ),
            directions=tuple(float(d) for d in state.get("directions", ())),
            interpolation={
                "seed_b": int(it["seed_b"]),
                "t": min(1.0, max(0.0, float(it["t"]))),
                "method": it["method"] if it["method"] in INTERP_METHODS else "slerp",
                "space": it["space"] if it["space"] in allowed_spaces(caps, "interpolation") else "z",
            },
            view=View(options=tuple((str(k), v) for k, v in state.get("view", ()))),
        )
        return restored.adapted(caps)
    except (KeyError, TypeError, ValueError) as e:
        log.warning("ignoring the saved explorer state: %s", e)
        return p


# --- walk keyframes ------------------------------------------------------------------------------------
def keyframes_to_state(keys: Sequence[Keyframe]) -> list[dict[str, Any]]:
    """Keyframes as JSON-ready values (explicit latents as base64 ``.npy``)."""
    out = []
    for k in keys:
        item: dict[str, Any] = {"seed": int(k.seed), "label": k.label}
        if k.z is not None:
            item["z"] = encode_array(k.z)
        if k.ws is not None:
            item["ws"] = encode_array(k.ws)
        out.append(item)
    return out


def keyframes_from_state(items: Sequence[Any], caps: Capabilities) -> list[Keyframe]:
    """The saved keyframes that fit a model with ``caps`` (the others are dropped, logged)."""
    keys = []
    space = allowed_spaces(caps, "interpolation")[-1]  # the widest: w+ takes every keyframe
    for item in items:
        try:
            z, ws = item.get("z"), item.get("ws")
            key = Keyframe(
                seed=int(item["seed"]),
                z=None if z is None else decode_array(z),
                ws=None if ws is None else decode_array(ws),
                label=str(item.get("label", "")),
            )
            check_keyframes([key], space, caps)
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            log.warning("dropping a saved walk keyframe: %s", e)
            continue
        keys.append(key)
    return keys


# --- the keeper ----------------------------------------------------------------------------------------
class ModelStateKeeper(QObject):
    """Saves and restores each model's state for a window's session, Interpolate and Gallery panels."""

    def __init__(self, session: Session, settings: Settings, interpolate: Any, gallery: Any) -> None:
        super().__init__(session)
        self.session = session
        self.settings = settings
        self.interpolate = interpolate
        self.gallery = gallery
        self._restoring = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SAVE_DELAY_MS)
        self.timer.timeout.connect(self.save_now)
        session.model_changing.connect(self.save)
        session.model_changed.connect(self.restore)
        session.params_changed.connect(lambda _: self.schedule())
        interpolate.walk_keys.changed.connect(self.schedule)
        for sig in (interpolate.frames.valueChanged, interpolate.loop.toggled, interpolate.easing.currentTextChanged):
            sig.connect(lambda *_: self.schedule())
        gallery.project_changed.connect(self.schedule)

    def schedule(self) -> None:
        """Save a moment from now (changes come in bursts while a slider moves)."""
        if not self._restoring and self.session.model is not None:
            self.timer.start()

    def save_now(self) -> None:
        """Save the current model's state now."""
        self.timer.stop()
        if self.session.model is not None:
            self.save(self.session.model)

    def state(self) -> dict[str, Any]:
        """The current model's state as it would be saved."""
        walk = self.interpolate.walk_settings()
        state: dict[str, Any] = {
            "version": STATE_VERSION,
            "params": params_to_state(self.session.params),
            "walk": keyframes_to_state(walk.keyframes),
            "walk_frames": int(walk.frames),
            "walk_loop": bool(walk.loop),
            "walk_easing": walk.easing,
        }
        project = getattr(self.gallery, "project_path", None)
        if project:
            state["gallery_project"] = str(project)
        return state

    def save(self, model: OpenModel) -> None:
        """Save the state shown now as ``model``'s (called before another model replaces it)."""
        self.timer.stop()
        if self._restoring:
            return
        self.settings.set_model_state(model.source, self.state())

    def restore(self, model: OpenModel) -> None:
        """Show ``model``'s saved state, if it has one. Walk keyframes carried over from the previous
        model stay when the model has no saved walk (a retrained model keeps the walk)."""
        state = self.settings.model_state(model.source)
        if state.get("version") != STATE_VERSION:
            return
        self._restoring = True
        try:
            caps = model.caps
            if isinstance(state.get("params"), dict):
                self.session.apply(params_from_state(self.session.params, state["params"], caps))
            if self.interpolate.applies_to(caps):
                self._restore_walk(state, caps)
            project = state.get("gallery_project")
            if project and self.gallery.applies_to(caps):
                if Path(project).is_file():
                    self.gallery.open_file(str(project), quiet=True)
                else:
                    self.session.status(f"The gallery project {project} is gone", 5000)
        finally:
            self._restoring = False

    def _restore_walk(self, state: dict[str, Any], caps: Capabilities) -> None:
        panel = self.interpolate
        if isinstance(state.get("walk"), list) and state["walk"]:
            panel.walk_keys.set_keys(keyframes_from_state(state["walk"], caps))
        if isinstance(state.get("walk_frames"), int):
            panel.frames.setValue(state["walk_frames"])
        if isinstance(state.get("walk_loop"), bool):
            panel.loop.setChecked(state["walk_loop"])
        if state.get("walk_easing") in EASINGS:
            panel.easing.setCurrentText(state["walk_easing"])


__all__ = [
    "ModelStateKeeper",
    "keyframes_from_state",
    "keyframes_to_state",
    "params_from_state",
    "params_to_state",
]
