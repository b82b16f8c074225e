"""The explorer's parameter state: one frozen value the window edits and turns into a RenderRequest.

Qt-free on purpose (plain data), so it is cheap to test and to compare for undo/redo.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.api import RenderRequest
from engine.families.base import Capabilities

MAX_SEED = 2**31 - 1  # a QSpinBox holds a signed 32-bit int
MIX_SPACES = ("w", "z")


@dataclass(frozen=True)
class Params:
    """Everything the interactive preview depends on, besides the model.

    ``cutoff`` 0 means "truncate all style layers"; ``style_mix`` and ``noise_layer_strengths``
    hold one value per style layer / noise layer of the current model (empty when it has none).
    """

    seed: int = 0
    class_index: int = 0
    psi: float = 1.0
    cutoff: int = 0
    mix_seed: int = 1
    style_mix: tuple[float, ...] = ()
    mix_space: str = "w"
    noise_mode: str = "const"
    noise_strength: float = 1.0
    noise_layer_strengths: tuple[float, ...] = ()
    noise_seed: int = 0

    def replace(self, **changes: object) -> Params:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def adapted(self, caps: Capabilities) -> Params:
        """These parameters sized for a model with capabilities ``caps`` (seeds and modes are kept)."""
        num_ws = caps.w_space.num_ws if caps.w_space else 0
        noise = caps.noise_layers or 0
        mix = tuple(self.style_mix[:num_ws]) + (0.0,) * max(0, num_ws - len(self.style_mix))
        per = tuple(self.noise_layer_strengths[:noise]) + (1.0,) * max(0, noise - len(self.noise_layer_strengths))
        n_classes = len(caps.classes)
        return self.replace(
            style_mix=mix,
            noise_layer_strengths=per,
            cutoff=min(self.cutoff, num_ws),
            class_index=min(self.class_index, max(0, n_classes - 1)),
        )

    def to_request(self, model_id: str, caps: Capabilities) -> RenderRequest:
        """The render request for these parameters on model ``model_id``."""
        w = caps.w_space is not None
        mixing = w and any(m != 0 for m in self.style_mix)
        return RenderRequest(
            model_id=model_id,
            seed=int(self.seed),
            class_index=int(self.class_index) if caps.classes else None,
            psi=float(self.psi) if w and caps.w_space.has_w_avg else 1.0,
            cutoff=(int(self.cutoff) or None) if w else None,
            mix_seed=int(self.mix_seed) if mixing else None,
            style_mix=tuple(float(m) for m in self.style_mix) if mixing else (),
            mix_space=self.mix_space,
            noise_mode=self.noise_mode if caps.noise_layers else "const",
            noise_strength=float(self.noise_strength) if caps.noise_layers else 1.0,
            noise_layer_strengths=tuple(float(s) for s in self.noise_layer_strengths) if caps.noise_layers else (),
            noise_seed=int(self.noise_seed),
        )


def layer_resolution(index: int, caps: Capabilities, kind: str = "style") -> int | None:
    """The resolution a style layer (``kind="style"``) or noise layer (``"noise"``) acts on.

    Derived from the capabilities alone, for the usual style-based layout where style layers
    ``2k-1, 2k`` (and noise layers alike) belong to resolution ``4 * 2**k``; None when the counts
    do not match that layout.
    """
    res = caps.resolution
    if res < 4 or res & (res - 1):
        return None
    levels = res.bit_length() - 2  # 4 → 1 level, 8 → 2, ...
    if kind == "style":
        if caps.w_space is None or caps.w_space.num_ws != 2 * levels:
            return None
    elif caps.noise_layers != 2 * levels - 1:
        return None
    k = (index + 1) // 2
    return min(4 * 2**k, res)
