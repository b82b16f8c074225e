"""StyleGAN3 training: the StyleGAN2 objective with the alias-free generator and a StyleGAN2 discriminator.

As in NVlabs' stylegan3 ``train.py`` for ``--cfg=stylegan3-t/r``: non-saturating logistic loss, lazy
R1, EMA of G; path-length regularisation and style mixing are off by default (``pl_weight 0``,
``style_mixing_prob 0``). The discriminator is the residual StyleGAN2 one of
:mod:`engine.models.stylegan2`. Generation during training updates the synthesis layers'
``magnitude_ema`` (the input normalisation of every alias-free layer) alongside ``w_avg``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from engine.families import get_family
from engine.families.stylegan3 import StyleGAN3Model
from engine.models.label_mapping_discriminator import LabelMappingDiscriminator
from engine.models.stylegan2 import StyleGAN2Config
from engine.models.stylegan3 import Generator, StyleGAN3Config
from training.data import DataError, ImageDataset
from training.speed import autocast
from training.trainers.base import TrainerSpec
from training.trainers.stylegan2 import StyleGAN2Hparams, StyleGAN2Trainer


@dataclass(frozen=True)
class StyleGAN3Hparams(StyleGAN2Hparams):
    """StyleGAN2's settings with NVlabs' StyleGAN3 defaults: no path-length regulariser, no style mixing."""

    pl_weight: float = 0.0
    style_mixing_prob: float = 0.0


def discriminator_config(cfg: StyleGAN3Config) -> StyleGAN2Config:
    """The StyleGAN2 discriminator's config for a StyleGAN3 generator config."""
    return StyleGAN2Config(
        resolution=cfg.resolution,
        img_channels=cfg.img_channels,
        c_dim=cfg.c_dim,
        channels=cfg.d_channels,
        d_channels=cfg.d_channels,
        mbstd_group_size=cfg.mbstd_group_size,
        conv_clamp=cfg.conv_clamp,
    )


class StyleGAN3Trainer(StyleGAN2Trainer):
    family = "stylegan3"

    def __init__(self, cfg: StyleGAN3Config, hp: StyleGAN3Hparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = Generator(cfg).to(device).train()
        self.D = LabelMappingDiscriminator(discriminator_config(cfg), cfg.d_mapping_layers).to(device).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_G = self._adam(self.G, hp.pl_interval)
        self.opt_D = self._adam(self.D, hp.r1_interval)
        self.pl_mean = torch.zeros([], device=device)
        self.nimg = 0
        self.class_names: tuple[str, ...] = ()
        self._speed_up()

    def attach_data(self, dataset: ImageDataset) -> None:
        if self.cfg.c_dim > 0:
            n = len(dataset.class_names)
            if n != self.cfg.c_dim:
                raise DataError(f"the model has {self.cfg.c_dim} classes but the data has {n}")
            self.class_names = tuple(dataset.class_names)

    def after_init(self, source: str) -> dict[str, Any]:
        """After ``--init`` from an NVlabs pickle: start D from the pickle's discriminator when it
        matches the run's (as it does when the run's settings came from that file)."""
        from engine.checkpoints.errors import CheckpointError
        from engine.checkpoints.nvlabs_discriminator import load_discriminator
        from engine.checkpoints.safe_unpickle import PersistentObject, load_pickle
        from engine.checkpoints.sniff import PICKLE, sniff
        from engine.errors import CheckpointMismatchError
        from training.finetune import _resolve, copy_weights

        path = _resolve(source)
        try:
            if sniff(path) != PICKLE:
                return {}
            snap = load_pickle(path)
            d = snap.get("D") if isinstance(snap, dict) else None
            if not isinstance(d, PersistentObject):
                return {}
            module, spec = load_discriminator(path, d)
        except CheckpointError as e:
            return {"D": f"fresh (the file's discriminator is not usable: {e.reason})"}
        if spec.conv_clamp != self.cfg.conv_clamp:
            return {"D": "fresh (the file's discriminator clamps differently)"}
        try:
            copy_weights(module.state_dict(), self.D, f"{path.name} (D)")
        except (DataError, CheckpointMismatchError) as e:
            return {"D": f"fresh ({e})"}
        return {"D": "loaded", "loaded": [*self.generator_networks(), "D"], "fresh": []}

    def _gen(self, n: int, c: torch.Tensor | None, main: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (float32) and their ws; the synthesis tracks its magnitude EMAs. ``bf16`` applies as for
        StyleGAN2; ``compile`` does not (the alias-free synthesis runs eager)."""
        z = torch.randn(n, self.cfg.z_dim, device=self.device)
        ws = self._mapping(z, c)
        with autocast(self.device, self._bf16(main)):
            return self.G.synthesis(ws, update_emas=True).float(), ws

    def export_model(self) -> StyleGAN3Model:
        ema = copy.deepcopy(self.G_ema).cpu().eval()
        meta = {"classes": list(self.class_names)} if self.class_names else None
        return get_family("stylegan3").wrap(ema, self.cfg, meta)


TRAINER = TrainerSpec(
    name="stylegan3",
    trainer_cls=StyleGAN3Trainer,
    hparams_cls=StyleGAN3Hparams,
    conditional_data_kind="labelled",  # a conditional model refuses unlabelled data
    losses=("nonsaturating",),  # + lazy R1 (path-length regularisation off by default, as NVlabs)
)

__all__ = ["TRAINER", "StyleGAN3Hparams", "StyleGAN3Trainer", "discriminator_config"]
