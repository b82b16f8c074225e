"""pSp encoder training against a frozen StyleGAN2 decoder (reconstruction + multi-scale losses).

Only the encoder learns; the decoder is a trained StyleGAN2 (``model["decoder"]``: a bundled model
name or checkpoint path) or, for smoke tests, a seeded random StyleGAN2 built from a config dict.
Codes start from ``latent_avg`` (the decoder's mean w, per layer), as pSp's
``start_from_latent_avg``. Each batch mixes training images with images the decoder generates
(``synthetic_fraction``): for those the true W+ codes are known, and a code loss pulls the encoder
toward them. The image loss is :class:`~engine.latent.recon_loss.ReconstructionLoss` (pixel MSE,
multi-scale L1 and gradients; bundled classifier features for 1×32×32 models) — the stand-in for
pSp's L2 + LPIPS, since no VGG ships — plus pSp's optional W-norm regulariser.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine.families import get_family
from engine.families.psp import PSPModel
from engine.latent.recon_loss import LossWeights, ReconstructionLoss, bundled_feature_net
from engine.models.psp_encoder import PSP, PSPConfig
from engine.models.stylegan2 import StyleGAN2Config
from training.data import ImageDataset
from training.trainers.base import Batch, Trainer, TrainerSpec

LATENT_AVG_SAMPLES = 4096
LATENT_AVG_SEED = 1
SAMPLE_IMAGES = 8


@dataclass(frozen=True)
class PSPHparams:
    lr: float = 1e-4
    pixel: float = 1.0
    multiscale: float = 1.0
    gradient: float = 0.5
    features: float = 0.1
    w_norm: float = 0.0
    code: float = 1.0
    synthetic_fraction: float = 0.5
    decoder_seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.synthetic_fraction <= 1.0:
            raise ValueError("synthetic_fraction must be in [0, 1]")
        if self.lr <= 0:
            raise ValueError("lr must be positive")


def load_decoder(spec: Any, resolution: int, channels: int, seed: int = 0) -> tuple[StyleGAN2Config, dict, str]:
    """The frozen decoder: ``(config, state dict, description)`` from a model name/path or a config dict."""
    if isinstance(spec, dict):
        fam = get_family("stylegan2")
        cfg = fam.config_from_dict({"resolution": resolution, "img_channels": channels, **spec})
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            module = fam.build(cfg)
        return cfg, module.state_dict(), f"random StyleGAN2 (seed {seed})"
    from engine.checkpoints.loader import load_model

    model = load_model(str(spec), "cpu")
    if model.family != "stylegan2":
        raise ValueError(f"the pSp decoder must be a StyleGAN2 model, '{spec}' is {model.family}")
    cfg = model.config
    if (cfg.resolution, cfg.img_channels) != (resolution, channels):
        raise ValueError(
            f"decoder '{spec}' makes {cfg.resolution}px/{cfg.img_channels}ch images, "
            f"the run is {resolution}px/{channels}ch"
        )
    return cfg, model.module.state_dict(), str(spec)


class PSPTrainer(Trainer):
    family = "psp"
    sample_columns = 4

    @classmethod
    def from_config(cls, family: str, model: dict[str, Any], hp: Any, device: torch.device) -> PSPTrainer:
        """pSp's model dict names its decoder (a model name or path, or a config): see :func:`load_decoder`."""
        return cls(model, hp, device)

    def __init__(self, model: dict[str, Any], hp: PSPHparams, device: torch.device) -> None:
        model = dict(model)
        resolution, channels = int(model.pop("resolution")), int(model.pop("img_channels", 3))
        if "decoder" not in model:
            raise ValueError("psp training needs model['decoder']: a StyleGAN2 model name/path or config")
        spec = model.pop("decoder")
        model.setdefault("input_size", resolution)
        model.setdefault("in_channels", channels)
        dec_cfg, dec_state, self.decoder_source = load_decoder(spec, resolution, channels, hp.decoder_seed)
        self.cfg: PSPConfig = get_family("psp").config_from_dict({**model, "decoder": dec_cfg})
        self.hp, self.device = hp, device
        self.net = PSP(self.cfg)
        self.net.decoder.load_state_dict(dec_state)
        self.net.to(device)
        self.net.decoder.eval().requires_grad_(False)
        self.net.encoder.train()
        with torch.no_grad():
            gen = torch.Generator().manual_seed(LATENT_AVG_SEED)
            z = torch.randn(LATENT_AVG_SAMPLES, dec_cfg.z_dim, generator=gen).to(device)
            mean = self.net.decoder.mapping(z)[:, 0].mean(dim=0)
            self.net.latent_avg.copy_(mean.reshape(1, -1).repeat(self.cfg.num_ws, 1))
            self.net.decoder.mapping.w_avg.copy_(mean)
        self.opt = torch.optim.Adam(self.net.encoder.parameters(), lr=hp.lr, betas=(0.9, 0.999))
        weights = LossWeights(pixel=hp.pixel, multiscale=hp.multiscale, gradient=hp.gradient, features=hp.features)
        features = bundled_feature_net(channels, resolution) if hp.features > 0 else None
        self.loss = ReconstructionLoss(weights, features.to(device) if features is not None else None)
        self.gen = torch.Generator().manual_seed(hp.decoder_seed + 1)
        self.dataset: ImageDataset | None = None

    def attach_data(self, dataset: ImageDataset) -> None:
        self.dataset = dataset

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        x = batch["image"].to(self.device).float()
        n = x.shape[0]
        k = int(round(n * self.hp.synthetic_fraction))
        ws_true = None
        if k > 0:
            with torch.no_grad():
                z = torch.randn(k, self.cfg.decoder.z_dim, generator=self.gen).to(self.device)
                ws_true = self.net.decoder.mapping(z)
                synth = self.net.decoder.synthesis(ws_true, noise_mode="const").clamp(-1, 1)
            x = torch.cat([x[: n - k], synth])
        ws = self.net.encode(x)
        y = self.net.decoder.synthesis(ws, noise_mode="const")
        rec = self.loss(y, x).mean()
        loss = rec
        out: dict[str, torch.Tensor] = {"recon": rec.detach()}
        if ws_true is not None and self.hp.code > 0:
            code = (ws[n - k :] - ws_true).square().mean()
            loss = loss + self.hp.code * code
            out["code"] = code.detach()
        if self.hp.w_norm > 0:
            w_norm = (ws - self.net.latent_avg).norm(dim=2).mean()
            loss = loss + self.hp.w_norm * w_norm
            out["w_norm"] = w_norm.detach()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        out["loss"] = loss.detach()
        return out

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"net": self.net}

    def generator_networks(self) -> tuple[str, ...]:
        """The whole pSp network: the encoder to fine-tune, ``latent_avg`` and the (frozen) decoder."""
        return ("net",)

    def after_init(self, source: str) -> dict[str, Any]:
        """The decoder now is the one the source was trained against (frozen, as before)."""
        self.decoder_source = f"the decoder of {Path(source).name}"
        return {"decoder": "loaded (frozen)"}

    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "opt": self.opt.state_dict(), "gen": self.gen.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        self.gen.set_state(state["gen"])

    def export_model(self) -> PSPModel:
        net = copy.deepcopy(self.net).cpu().eval().requires_grad_(False)
        meta = {"decoder": self.decoder_source, "hparams": dataclasses.asdict(self.hp)}
        return get_family("psp").wrap(net, self.cfg, meta)

    def sample(self, seeds: list[int]) -> torch.Tensor:
        """Pairs (input, reconstruction) of the first training images (decoder samples without data)."""
        model = self.export_model()
        with torch.no_grad():
            if self.dataset is not None and len(self.dataset) > 0:
                x = self.dataset.images[:SAMPLE_IMAGES].float() / 127.5 - 1
            else:
                x = model.generate(model.sample_z(seeds[:SAMPLE_IMAGES]))
            y = model.decode(model.encode(x))
            return torch.stack([x, y], dim=1).flatten(0, 1)


TRAINER = TrainerSpec(
    name="psp",
    trainer_cls=PSPTrainer,
    hparams_cls=PSPHparams,
    losses=("reconstruction",),  # pixel, multi-scale, gradient, features; + code loss and W-norm
    has_discriminator=False,
    checkpoint_metrics=False,
)
