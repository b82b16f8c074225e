"""The explorer's parameter state: one frozen value the window edits and turns into a RenderRequest.

Qt-free on purpose (plain data), so it is cheap to test and to compare for undo/redo.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.api import INTERP_METHODS, LATENT_SPACES, Interpolation, LatentTerm, RenderRequest
from engine.families.base import Capabilities

MAX_SEED = 2**31 - 1  # a QSpinBox holds a signed 32-bit int
MIX_SPACES = ("w", "z")
ARITH_LABELS = ("A", "B", "C")
DEFAULT_ARITH_WEIGHTS = (1.0, -1.0, 1.0)


def latent_spaces(caps: Capabilities) -> tuple[str, ...]:
    """The spaces latent operations can act in for a model: z, plus w when it has a W space."""
    return LATENT_SPACES if caps.w_space is not None else ("z",)


@dataclass(frozen=True)
class Params:
    """Everything the interactive preview depends on, besides the model.

    ``cutoff`` 0 means "truncate all style layers"; ``style_mix`` and ``noise_layer_strengths``
    hold one value per style layer / noise layer of the current model (empty when it has none).

    ``z`` is an explicit latent (e.g. an encoded image) that replaces the seed's; picking a seed
    clears it. ``direction_offsets`` holds one offset (in standard deviations) per stored latent
    direction. ``interp_*``: interpolation toward ``interp_seed`` (when ``interp_on``);
    ``arith_*``: the latent becomes ``wA·A + wB·B + wC·C`` with A the current latent (when ``arith_on``).
    ``found_offsets``: slider positions on discovered directions (SeFa/PCA; Discover panel) and
    ``edit_offset`` their combined vector in ``edit_space`` (z or w), applied to style layers
    ``edit_layers`` (start, stop) when in w (None = all).
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
    z: tuple[float, ...] | None = None
    direction_offsets: tuple[float, ...] = ()
    interp_on: bool = False
    interp_seed: int = 1
    interp_t: float = 0.5
    interp_method: str = "slerp"
    interp_space: str = "z"
    arith_on: bool = False
    arith_seeds: tuple[int, int] = (1, 2)
    arith_weights: tuple[float, float, float] = DEFAULT_ARITH_WEIGHTS
    arith_space: str = "z"
    found_offsets: tuple[float, ...] = ()
    edit_offset: tuple[float, ...] | None = None
    edit_space: str = "z"
    edit_layers: tuple[int, int] | None = None

    def replace(self, **changes: object) -> Params:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def adapted(self, caps: Capabilities) -> Params:
        """These parameters sized for a model with capabilities ``caps`` (seeds and modes are kept;
        an explicit ``z`` belongs to the model it was encoded with, so it is dropped)."""
        num_ws = caps.w_space.num_ws if caps.w_space else 0
        noise = caps.noise_layers or 0
        mix = tuple(self.style_mix[:num_ws]) + (0.0,) * max(0, num_ws - len(self.style_mix))
        per = tuple(self.noise_layer_strengths[:noise]) + (1.0,) * max(0, noise - len(self.noise_layer_strengths))
        n_classes = len(caps.classes)
        k = caps.latent_directions
        offsets = tuple(self.direction_offsets[:k]) + (0.0,) * max(0, k - len(self.direction_offsets))
        spaces = latent_spaces(caps)
        return self.replace(
            z=None,
            found_offsets=(),
            edit_offset=None,
            edit_layers=None,
            direction_offsets=offsets,
            interp_method=self.interp_method if self.interp_method in INTERP_METHODS else "slerp",
            interp_space=self.interp_space if self.interp_space in spaces else "z",
            arith_space=self.arith_space if self.arith_space in spaces else "z",
            style_mix=mix,
            noise_layer_strengths=per,
            cutoff=min(self.cutoff, num_ws),
            class_index=min(self.class_index, max(0, n_classes - 1)),
        )

    def to_request(self, model_id: str, caps: Capabilities) -> RenderRequest:
        """The render request for these parameters on model ``model_id``."""
        w = caps.w_space is not None
        mixing = w and any(m != 0 for m in self.style_mix)
        spaces = latent_spaces(caps)
        latent = caps.z_dim > 0
        z = self.z if latent and self.z is not None and len(self.z) == caps.z_dim else None
        offsets = ()
        if caps.latent_directions and any(o != 0 for o in self.direction_offsets):
            offsets = tuple(float(o) for o in self.direction_offsets[: caps.latent_directions])
        terms: tuple[LatentTerm, ...] = ()
        if latent and self.arith_on:
            wa, wb, wc = (float(x) for x in self.arith_weights)
            b, c = (int(x) for x in self.arith_seeds)
            terms = (LatentTerm(None, wa), LatentTerm(b, wb), LatentTerm(c, wc))
        interp = None
        if latent and self.interp_on:
            space = self.interp_space if self.interp_space in spaces else "z"
            interp = Interpolation(int(self.interp_seed), float(self.interp_t), self.interp_method, space)
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
            z=z,
            direction_offsets=offsets,
            terms=terms,
            terms_space=(self.arith_space if self.arith_space in spaces else "z") if terms else "z",
            interpolation=interp,
            **self._edit_offsets(caps),
        )

    def _edit_offsets(self, caps: Capabilities) -> dict[str, object]:
        """The discovered-direction edit as request fields (w_offset in W, z_offset in z)."""
        off = self.edit_offset
        if off is None or not any(v != 0 for v in off):
            return {}
        if self.edit_space == "w" and caps.w_space is not None and len(off) == caps.w_space.w_dim:
            return {"w_offset": tuple(off), "w_offset_layers": self.edit_layers}
        if self.edit_space == "z" and caps.z_dim == len(off):
            return {"z_offset": tuple(off)}
        return {}


def layer_resolution(index: int, caps: Capabilities, kind: str = "style") -> int | None:
    """The resolution a style layer (``kind="style"``) or noise layer (``"noise"``) acts on.

    Taken from the capabilities: the per-layer resolutions a model declares
    (``w_space.layer_resolutions`` / ``noise_resolutions``, e.g. StyleGAN v1 where both are two per
    resolution), else the StyleGAN2 layout where style layers ``2k-1, 2k`` (and noise layers alike)
    belong to resolution ``4 * 2**k``; None when the counts match neither.
    """
    declared = (caps.w_space.layer_resolutions if caps.w_space else ()) if kind == "style" else caps.noise_resolutions
    if declared:
        return declared[index] if 0 <= index < len(declared) else None
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
