"""The explorer's parameter state: one frozen value the window edits and turns into a RenderRequest.

Qt-free on purpose (plain data), so it is cheap to test and to compare for undo/redo.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.api import INTERP_METHODS, INTERP_SPACES, LATENT_SPACES, W_SPACES, Interpolation, LatentTerm, RenderRequest
from engine.families.base import Capabilities

MIX_SPACES = ("w", "z")
ARITH_LABELS = ("A", "B", "C")
DEFAULT_ARITH_WEIGHTS = (1.0, -1.0, 1.0)


def latent_spaces(caps: Capabilities) -> tuple[str, ...]:
    """The spaces latent operations can act in for a model: z, plus w when it has a W space."""
    return LATENT_SPACES if caps.w_space is not None else ("z",)


def interp_spaces(caps: Capabilities) -> tuple[str, ...]:
    """The spaces interpolation and walks can act in: z, plus w and wplus (per-layer w) with a W space."""
    return INTERP_SPACES if caps.w_space is not None else ("z",)


@dataclass(frozen=True)
class Params:
    """Everything the interactive preview depends on, besides the model.

    ``cutoff`` 0 means "truncate all style layers"; ``style_mix`` and ``noise_layer_strengths``
    hold one value per style layer / noise layer of the current model (empty when it has none).

    ``z`` is an explicit latent (e.g. an encoded image) that replaces the seed's; picking a seed
    clears it. ``ws`` likewise, in W+ (an image inverted by projection or a pSp encoder): z-space
    operations then act in w instead (interpolation in w+, per layer). ``direction_offsets`` holds
    one offset (in standard deviations) per stored latent direction. ``interp_*``: interpolation
    toward ``interp_seed`` (when ``interp_on``) in ``interp_space`` z | w | wplus;
    ``arith_*``: the latent becomes ``wA·A + wB·B + wC·C`` with A the current latent (when ``arith_on``).
    ``found_offsets``: slider positions on discovered directions (SeFa/PCA; Discover panel) and
    ``edit_offset`` their combined vector in ``edit_space`` (z or w), applied to style layers
    ``edit_layers`` (start, stop) when in w (None = all). ``attr_vector`` (an attribute vector from
    picked samples, in ``attr_space``) is added times ``attr_strength``.
    ``level``/``alpha``: for progressive models, the resolution level shown (index into
    ``capabilities.progressive.levels``; None = the top trained level) and its fade-in weight
    against the level below (1 = the level alone, 0 = the level below up-sampled).
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
    ws: tuple[tuple[float, ...], ...] | None = None
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
    level: int | None = None
    alpha: float = 1.0
    attr_vector: tuple[float, ...] | None = None
    attr_space: str = "z"
    attr_strength: float = 0.0

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
        level, alpha = None, 1.0
        prog = caps.progressive
        if prog is not None and self.level is not None and 0 <= self.level < len(prog.levels):
            level, alpha = self.level, self.alpha
        return self.replace(
            level=level,
            alpha=alpha,
            z=None,
            ws=None,
            found_offsets=(),
            edit_offset=None,
            edit_layers=None,
            attr_vector=None,
            attr_strength=0.0,
            direction_offsets=offsets,
            interp_method=self.interp_method if self.interp_method in INTERP_METHODS else "slerp",
            interp_space=self.interp_space if self.interp_space in interp_spaces(caps) else "z",
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
        ws = self.ws if w and self.ws is not None and len(self.ws) == caps.w_space.num_ws else None
        if ws is not None:  # an explicit W+ latent has no z: latent operations act in w
            spaces = ("w",)
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
            if ws is not None:  # an explicit W+ latent has no z: blend it per layer in w+ (or w when chosen)
                space = self.interp_space if self.interp_space in W_SPACES else "wplus"
            else:
                space = self.interp_space if self.interp_space in interp_spaces(caps) else "z"
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
            ws=ws,
            direction_offsets=offsets if ws is None else (),
            terms=terms,
            terms_space=(self.arith_space if self.arith_space in spaces else spaces[0]) if terms else "z",
            interpolation=interp,
            options=self._view_options(caps),
            **self._edit_offsets(caps),
        )

    def view_level(self, caps: Capabilities) -> tuple[int, float] | None:
        """(level, alpha) shown for a progressive model: ``level`` None means the top trained level
        at the trained alpha. None for models that are not progressive."""
        prog = caps.progressive
        if prog is None or not prog.levels:
            return None
        top = len(prog.levels) - 1
        if self.level is None or not 0 <= self.level <= top:
            return top, float(prog.alpha)
        return int(self.level), (1.0 if self.level == 0 else float(self.alpha))

    def _view_options(self, caps: Capabilities) -> tuple[tuple[str, float | int | str], ...]:
        """Family view options from the capabilities: ("level", k), ("alpha", a) for progressive models."""
        view = self.view_level(caps)
        if view is None:
            return ()
        return (("level", view[0]), ("alpha", view[1]))

    def _edit_offsets(self, caps: Capabilities) -> dict[str, object]:
        """Discovered-direction and attribute edits as request fields: their w parts summed into
        ``w_offset`` (on the direction's layer range, if it has one), their z parts into ``z_offset``."""
        w_dim = caps.w_space.w_dim if caps.w_space is not None else -1
        sums: dict[str, list[float]] = {}
        layers = None

        def add(space: str, vec: tuple[float, ...] | None, scale: float = 1.0) -> bool:
            if vec is None or scale == 0 or not any(v != 0 for v in vec):
                return False
            if (space == "w" and len(vec) == w_dim) or (space == "z" and len(vec) == caps.z_dim > 0):
                acc = sums.setdefault(space, [0.0] * len(vec))
                for i, v in enumerate(vec):
                    acc[i] += float(v) * scale
                return True
            return False

        if add(self.edit_space, self.edit_offset) and self.edit_space == "w":
            layers = self.edit_layers
        add(self.attr_space, self.attr_vector, float(self.attr_strength))
        out: dict[str, object] = {}
        if "w" in sums:
            out["w_offset"] = tuple(sums["w"])
            out["w_offset_layers"] = layers
        if "z" in sums:
            out["z_offset"] = tuple(sums["z"])
        return out


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
