"""The styles panel (models with a W space): a mix seed and one mixing slider per style layer."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.panels.base import ParamPanel
from app.panels.rows import SliderRow
from app.params import Params
from app.widgets import FloatSlider, ScrollColumn, Thumbnail, random_seed, seed_spin, set_silently
from engine.api import Edits, Latent, RenderRequest, RenderResult, StyleMix
from engine.families.base import Capabilities

MIX_CHANNEL = "mix-seed"
THUMB = 56

# Preset groups by the resolution a style layer acts on (Karras et al.): coarse ≤ 8², middle 16²–32².
PRESETS = ("coarse", "middle", "fine")


def preset_layers(caps: Capabilities, preset: str) -> list[int]:
    """Style layers of a preset group; by resolution when derivable, else by thirds of the layers."""
    n = caps.w_space.num_ws if caps.w_space else 0
    res = [caps.layer_resolution(i, "style") for i in range(n)]
    if n and all(r is not None for r in res):
        pick = {"coarse": lambda r: r <= 8, "middle": lambda r: 16 <= r <= 32, "fine": lambda r: r >= 64}[preset]
        return [i for i, r in enumerate(res) if pick(r)]
    a, b = n // 3, 2 * n // 3
    return {"coarse": list(range(a)), "middle": list(range(a, b)), "fine": list(range(b, n))}[preset]


class StylesPanel(ParamPanel):
    """Style mixing: a second ("mix") seed and, per style layer, a weight toward it (0..1)."""

    thumbnail_size = THUMB  # the mix seed's thumbnail: a preview of that size on a big model

    title = "Styles"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caps: Capabilities | None = None
        self.rows: list[SliderRow] = []
        outer = QVBoxLayout(self)
        top = QGridLayout()
        self.mix_seed = seed_spin()
        self.mix_seed.setToolTip("Seed of the second latent the style layers mix toward")
        self.randomise = QPushButton("Randomise")
        self.mix_thumb = Thumbnail(THUMB, "mix")
        self.mix_thumb.setToolTip("The mix seed's image, on its own")
        top.addWidget(self.mix_thumb, 0, 0, 2, 1)
        top.addWidget(QLabel("Mix seed"), 0, 1)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.mix_seed, 1)
        seed_row.addWidget(self.randomise)
        top.addLayout(seed_row, 1, 1)
        top.setColumnStretch(1, 1)
        outer.addLayout(top)

        buttons = QHBoxLayout()
        self.preset_buttons: dict[str, QPushButton] = {}
        for name in PRESETS:
            b = QPushButton(name.capitalize())
            b.setToolTip(f"Take the {name} styles from the mix seed, keep the rest")
            b.clicked.connect(lambda _=False, n=name: self.apply_preset(n))
            buttons.addWidget(b)
            self.preset_buttons[name] = b
        self.reset_all = QPushButton("Reset all")
        self.reset_all.setToolTip("All mixing weights back to 0")
        buttons.addWidget(self.reset_all)
        outer.addLayout(buttons)

        self.scroll = ScrollColumn()
        outer.addWidget(self.scroll, 1)

        self.mix_seed.valueChanged.connect(lambda v: self.emit_edit("mix_seed", mix={"seed": int(v)}))
        self.randomise.clicked.connect(lambda: self.mix_seed.setValue(random_seed()))
        self.reset_all.clicked.connect(lambda: self._set_all([0.0] * len(self.rows), "reset styles"))

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.w_space is not None

    @property
    def sliders(self) -> list[FloatSlider]:
        """One slider per style layer (0 = first latent, 1 = mix seed)."""
        return [r.slider for r in self.rows]

    def values(self) -> tuple[float, ...]:
        return tuple(r.value() for r in self.rows)

    def set_capabilities(self, caps: Capabilities) -> None:
        self.caps = caps
        self.scroll.clear()
        self.rows = []
        n = caps.w_space.num_ws if caps.w_space else 0
        for i in range(n):
            res = caps.layer_resolution(i, "style")
            label = f"{i}  ·  {res}px" if res else f"layer {i}"
            row = SliderRow(i, label, 0.0, 1.0, 0.0, tooltip=f"Style layer {i}: weight toward the mix seed")
            row.changed.connect(self._on_row)
            row.released.connect(self.committed.emit)
            self.scroll.column.addWidget(row)
            self.rows.append(row)
        self.scroll.column.addStretch(1)
        for name, b in self.preset_buttons.items():
            b.setEnabled(bool(preset_layers(caps, name)))
        self.mix_thumb.set_frame(None)

    def _on_row(self, index: int, _value: float) -> None:
        self.emit_edit(f"style{index}", mix={"weights": self.values()})

    def _set_all(self, values: list[float], key: str) -> None:
        for row, v in zip(self.rows, values):
            row.set_value(v)
        self.emit_edit(key, mix={"weights": self.values()})

    def apply_preset(self, name: str) -> None:
        """Weight 1 on the preset's layers, 0 elsewhere."""
        if self.caps is None:
            return
        chosen = set(preset_layers(self.caps, name))
        self._set_all([1.0 if i in chosen else 0.0 for i in range(len(self.rows))], f"preset {name}")

    def set_params(self, params: Params) -> None:
        set_silently(self.mix_seed, "setValue", int(params.mix.seed or 0))
        for row, v in zip(self.rows, params.mix.weights):
            row.set_value(v)

    def side_requests(self, base: RenderRequest, params: Params) -> dict[str, RenderRequest]:
        """The mix seed's own image: its latent with the frame's truncation and noise, nothing mixed or edited."""
        if params.mix.seed is None:
            return {}
        latent = Latent(seed=int(params.mix.seed), class_index=base.latent.class_index)
        return {MIX_CHANNEL: dataclasses.replace(base, latent=latent, mix=StyleMix(), edits=Edits())}

    def show_side_frame(self, channel: str, result: RenderResult) -> None:
        if channel == MIX_CHANNEL and result.ok:
            self.mix_thumb.set_frame(result.image)
