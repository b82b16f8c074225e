"""StyleGAN2 training: non-saturating logistic loss, lazy R1, path-length reg, style mixing, EMA."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from engine.families import get_family
from engine.families.stylegan2 import StyleGAN2Model
from engine.models.stylegan2 import Discriminator, Generator, StyleGAN2Config
from training.augment import AdaptiveAugment, diff_augment, parse_policy
from training.ema import ema_update
from training.freeze_d import frozen_ids, trainable
from training.losses import d_logistic, g_nonsaturating, path_length, r1_penalty
from training.speed import Compiled, as_channels_last, autocast, channels_last, check_bf16
from training.trainers.base import Batch, Trainer, TrainerSpec


@dataclass(frozen=True)
class StyleGAN2Hparams:
    """Optimisation settings (defaults follow stylegan2-ada-pytorch's small-resolution config)."""

    lr: float = 0.0025
    betas: tuple[float, float] = (0.0, 0.99)
    r1_gamma: float = 0.05
    r1_interval: int = 16
    pl_weight: float = 2.0
    pl_interval: int = 4
    pl_batch_shrink: int = 2
    style_mixing_prob: float = 0.9
    ema_kimg: float = 10.0
    ema_rampup: float | None = 0.05
    diffaugment: str = ""
    """DiffAugment policy for everything D sees, e.g. ``"color,translation,cutout"`` (small datasets)."""
    freeze_d: int = 0
    """Keep the first N discriminator blocks (from the image side) fixed: FreezeD, for fine-tuning."""
    ada_target: float = 0.0
    """ADA: above 0, each ``diffaugment`` transform is applied to each image with a probability p that is
    tuned so that D's mean sign on real images, r_t, stays near this target (0.6 in the ADA paper);
    0 applies the transforms always (plain DiffAugment)."""
    ada_kimg: float = 100.0
    """ADA: thousands of images over which p can move from 0 to 1."""
    ada_interval: int = 4
    """ADA: steps between two adjustments of p."""
    channels_last: bool = False
    """NHWC weights and activations (faster convolutions on CPU, most of all with few channels)."""
    bf16: bool = False
    """bfloat16 autocast in the main G and D passes; weights and Adam stay float32."""
    bf16_reg: bool = False
    """With ``bf16``: the R1 and path-length passes under bfloat16 autocast too (as NVlabs runs its regularisers
    in the same mixed precision as the main passes); off, they run in float32."""
    compile: bool = False
    """``torch.compile`` G's synthesis and D in the main passes (R1 and path length, which differentiate
    twice, run eagerly); the first steps of a run (or of a resumed run) take a while longer."""

    def __post_init__(self) -> None:
        parse_policy(self.diffaugment)
        if self.freeze_d < 0:
            raise ValueError("freeze_d must be 0 or more")
        if not 0 <= self.ada_target < 1:
            raise ValueError(f"ada_target must be in [0, 1), got {self.ada_target}")
        if self.ada_target > 0 and not parse_policy(self.diffaugment):
            raise ValueError(
                "ada_target needs the transforms to apply: a diffaugment policy such as 'color,translation'"
            )


class StyleGAN2Trainer(Trainer):
    family = "stylegan2"

    def __init__(self, cfg: StyleGAN2Config, hp: StyleGAN2Hparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = Generator(cfg).to(device).train()
        self.D = Discriminator(cfg).to(device).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_G = self._adam(self.G, hp.pl_interval)
        self.opt_D = self._adam(self.D, hp.r1_interval)
        self.pl_mean = torch.zeros([], device=device)
        self.nimg = 0
        self._speed_up()

    def _make_ada(self) -> None:
        hp = self.hp
        self.ada = AdaptiveAugment(hp.ada_target, hp.ada_kimg, hp.ada_interval, self.device) if hp.ada_target else None

    def _speed_up(self) -> None:
        """Apply the speed settings of ``hp`` (call after the networks and optimisers exist)."""
        hp = self.hp
        self._make_ada()
        if hp.bf16:
            check_bf16(self.device)
        if hp.channels_last:
            channels_last(self.G, self.D, self.G_ema)
        self._synthesis = Compiled(self.G.synthesis, hp.compile, "G.synthesis")
        self._D = Compiled(self.D, hp.compile, "D")

    def _adam(self, net: torch.nn.Module, interval: int) -> torch.optim.Adam:
        c = interval / (interval + 1) if interval > 0 else 1.0
        b1, b2 = self.hp.betas
        params = list(net.parameters())
        if net is self.D and self.hp.freeze_d > 0:  # FreezeD: the frozen blocks get no optimiser
            params = trainable(params, frozen_ids(self.discriminator_layers(), self.hp.freeze_d))
        return torch.optim.Adam(params, lr=self.hp.lr * c, betas=(b1**c, b2**c), eps=1e-8)

    def discriminator_layers(self) -> list[torch.nn.Module]:
        """D's blocks from the image side (FreezeD freezes the first ``freeze_d``)."""
        return list(self.D.blocks)

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D, "G_ema": self.G_ema}

    @property
    def augment(self) -> tuple[str, ...]:
        return parse_policy(self.hp.diffaugment)

    def _bf16(self, main: bool) -> bool:
        return self.hp.bf16 and (main or self.hp.bf16_reg)

    def _d(self, img: torch.Tensor, c: torch.Tensor | None, main: bool = False) -> torch.Tensor:
        """D's logits (float32) for ``img`` after the DiffAugment policy (if any); ``main``: a main pass (through
        the compiled D, if compiling), else R1's pass, which differentiates twice (eager)."""
        policy = self.augment
        if policy:
            img = diff_augment(img, policy, self.ada.p if self.ada is not None else None)
        img = as_channels_last(img, self.hp.channels_last)
        with autocast(self.device, self._bf16(main)):
            return (self._D if main else self.D)(img, c).float()

    def _labels(self, n: int) -> torch.Tensor | None:
        if self.cfg.c_dim == 0:
            return None
        idx = torch.randint(0, self.cfg.c_dim, (n,), device=self.device)
        return torch.nn.functional.one_hot(idx, self.cfg.c_dim).float()

    def _mapping(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        ws = self.G.mapping(z, c, update_w_avg=True)
        if self.hp.style_mixing_prob > 0:
            n = ws.shape[1]
            cutoff = torch.empty([], dtype=torch.int64).random_(1, n)
            cutoff = torch.where(torch.rand([]) < self.hp.style_mixing_prob, cutoff, torch.full_like(cutoff, n))
            ws2 = self.G.mapping(torch.randn_like(z), c, update_w_avg=False)
            # Layers from the cutoff on take the second w (a mask, not a slice: no host sync).
            later = torch.arange(n, device=ws.device) >= cutoff.to(ws.device)
            ws = torch.where(later.reshape(1, n, 1), ws2, ws)
        return ws

    def _gen(self, n: int, c: torch.Tensor | None, main: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (float32) and their ws (the mapping runs in float32); ``main``: a main pass (compiled synthesis,
        if compiling), else the path-length pass, which differentiates twice (eager)."""
        z = torch.randn(n, self.cfg.z_dim, device=self.device)
        ws = self._mapping(z, c)
        with autocast(self.device, self._bf16(main)):
            return (self._synthesis if main else self.G.synthesis)(ws, noise_mode="random").float(), ws

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        hp = self.hp
        real = as_channels_last(batch["image"].to(self.device), hp.channels_last)
        n = real.shape[0]
        c_real = None
        if self.cfg.c_dim > 0 and "label" in batch:
            c_real = torch.nn.functional.one_hot(batch["label"].to(self.device), self.cfg.c_dim).float()
        elif self.cfg.c_dim > 0:
            raise ValueError("a conditional StyleGAN2 needs labelled data")
        losses: dict[str, torch.Tensor] = {}

        # Generator: main loss.
        self.D.requires_grad_(False)
        self.G.requires_grad_(True)
        c_fake = self._labels(n)
        fake, _ = self._gen(n, c_fake, main=True)
        g_loss = g_nonsaturating(self._d(fake, c_fake, main=True))
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        losses["G"] = g_loss.detach()
        self.lap("G")
        # Generator: lazy path-length regularisation.
        if hp.pl_weight > 0 and hp.pl_interval > 0 and step % hp.pl_interval == 0:
            m = max(1, n // hp.pl_batch_shrink)
            c_pl = self._labels(m)
            img, ws = self._gen(m, c_pl)
            pen, self.pl_mean = path_length(img, ws, self.pl_mean)
            (pen * hp.pl_weight * hp.pl_interval + img[:, 0, 0, 0].sum() * 0).backward()
            losses["G_pl"] = pen.detach()
            self.lap("G_pl")
        self.opt_G.step()
        self.lap("G_opt")

        # Discriminator: main loss.
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        with torch.no_grad():
            c_fake = self._labels(n)
            fake, _ = self._gen(n, c_fake, main=True)
        real_logits = self._d(real, c_real, main=True)
        d_loss = d_logistic(real_logits, self._d(fake, c_fake, main=True))
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        losses["D"] = d_loss.detach()
        self.lap("D")
        # Discriminator: lazy R1.
        if hp.r1_gamma > 0 and hp.r1_interval > 0 and step % hp.r1_interval == 0:
            real_ = real.detach().requires_grad_(True)
            r1 = r1_penalty(self._d(real_, c_real), real_)
            (r1 * (hp.r1_gamma / 2) * hp.r1_interval).backward()
            losses["D_r1"] = r1.detach()
            self.lap("D_r1")
        self.opt_D.step()
        self.lap("D_opt")
        if self.ada is not None:
            self.ada.observe(real_logits)
            self.ada.update(step, n)
            losses["ada_p"] = self.ada.p

        # EMA of the generator.
        self.nimg += n
        ema_nimg = hp.ema_kimg * 1000
        if hp.ema_rampup is not None:
            ema_nimg = min(ema_nimg, self.nimg * hp.ema_rampup)
        ema_update(self.G_ema, self.G, 0.5 ** (n / max(ema_nimg, 1e-8)))
        self.lap("EMA")
        return losses

    def state_dict(self) -> dict[str, Any]:
        state = {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "pl_mean": self.pl_mean.detach().cpu(),
            "nimg": self.nimg,
        }
        if self.ada is not None:
            state["ada"] = self.ada.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.pl_mean = state["pl_mean"].to(self.device)
        self.nimg = int(state["nimg"])
        if self.ada is not None and "ada" in state:  # a checkpoint from before ADA was on starts at p = 0
            self.ada.load_state_dict(state["ada"])

    def export_model(self) -> StyleGAN2Model:
        ema = copy.deepcopy(self.G_ema).cpu().eval()
        return get_family("stylegan2").wrap(ema, self.cfg)


TRAINER = TrainerSpec(
    name="stylegan2",
    trainer_cls=StyleGAN2Trainer,
    hparams_cls=StyleGAN2Hparams,
    losses=("nonsaturating",),  # + lazy R1 and path-length regularisation
)
