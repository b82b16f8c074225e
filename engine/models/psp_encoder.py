"""pSp (pixel2style2pixel, Richardson et al. 2021): an IR-SE encoder into W+ and a StyleGAN2 decoder.

The encoder is pSp's ``GradualStyleEncoder``: an IR-SE residual backbone (four stages, squeeze-excite
units), a feature pyramid over the last three stages (1×1 lateral convs, bilinear upsample + add),
and one ``map2style`` head per style layer (stride-2 convs down to 1×1 + an equalised linear): the
first ``coarse_ind`` heads read the coarsest map, heads up to ``middle_ind`` the middle one, the
rest the finest. Module and tensor names follow the reference code, so its checkpoints load by name;
widths, unit counts and the input size are configurable so it scales to our model sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.stylegan2 import Generator, StyleGAN2Config
from engine.nn.equalized import EqualLinear


@dataclass(frozen=True)
class PSPConfig:
    """Architecture of a pSp model: the encoder's widths plus the decoder's StyleGAN2 config.

    - ``input_size``: the encoder's input resolution (a power of two ≥ 16; pSp uses 256). Images
      of another size are resized to it by :meth:`PSP.encode`.
    - ``stage_channels``/``stage_units``: width and unit count of the four IR-SE stages (IR-SE50:
      64/128/256/512 and 3/4/14/3); the first unit of every stage has stride 2.
    - ``se_reduction``: squeeze-excite channel reduction (16 in pSp).
    - ``coarse_ind``/``middle_ind``: heads ``[0, coarse_ind)`` read the coarsest pyramid level,
      ``[coarse_ind, middle_ind)`` the middle one, the rest the finest (pSp: 3 and 7).
    - ``start_from_latent_avg``: add the stored ``latent_avg`` [num_ws, w_dim] to the codes.
    """

    decoder: StyleGAN2Config = field(default_factory=StyleGAN2Config)
    input_size: int = 64
    in_channels: int = 3
    stage_channels: tuple[int, int, int, int] = (16, 32, 64, 128)
    stage_units: tuple[int, int, int, int] = (1, 2, 3, 1)
    se_reduction: int = 4
    coarse_ind: int = 3
    middle_ind: int = 7
    start_from_latent_avg: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.decoder, dict):
            object.__setattr__(self, "decoder", StyleGAN2Config(**_tuples(self.decoder)))
        object.__setattr__(self, "stage_channels", tuple(int(c) for c in self.stage_channels))
        object.__setattr__(self, "stage_units", tuple(int(c) for c in self.stage_units))
        log2 = int(round(math.log2(self.input_size))) if self.input_size > 0 else 0
        if self.input_size < 16 or 2**log2 != self.input_size:
            raise ValueError(f"input_size must be a power of two ≥ 16, got {self.input_size}")
        if len(self.stage_channels) != 4 or len(self.stage_units) != 4 or min(self.stage_units) < 1:
            raise ValueError("stage_channels and stage_units need 4 entries (units ≥ 1)")
        if not 0 <= self.coarse_ind <= self.middle_ind:
            raise ValueError("need 0 ≤ coarse_ind ≤ middle_ind")
        if self.decoder.c_dim:
            raise ValueError("pSp decoders are unconditional")

    @property
    def num_ws(self) -> int:
        return self.decoder.num_ws

    @property
    def w_dim(self) -> int:
        return self.decoder.w_dim

    def head_convs(self, index: int) -> int:
        """Number of stride-2 convs of head ``index`` (its pyramid level's size down to 1×1)."""
        spatial = self.input_size // (16 if index < self.coarse_ind else 8 if index < self.middle_ind else 4)
        return max(1, int(round(math.log2(spatial))))


def _tuples(d: dict) -> dict:
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()}


class SEModule(nn.Module):
    """Squeeze-excite: global average pool, 1×1 down, ReLU, 1×1 up, sigmoid gate."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        mid = max(1, channels // reduction)
        self.fc1 = nn.Conv2d(channels, mid, 1, bias=False)
        self.fc2 = nn.Conv2d(mid, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class BottleneckIRSE(nn.Module):
    """IR-SE unit: BN, 3×3 conv, PReLU, 3×3 conv (stride), BN, SE; plus a (projected) shortcut."""

    def __init__(self, in_ch: int, depth: int, stride: int, reduction: int) -> None:
        super().__init__()
        if in_ch == depth:
            self.shortcut_layer: nn.Module = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(nn.Conv2d(in_ch, depth, 1, stride, bias=False), nn.BatchNorm2d(depth))
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_ch),
            nn.Conv2d(in_ch, depth, 3, 1, 1, bias=False),
            nn.PReLU(depth),
            nn.Conv2d(depth, depth, 3, stride, 1, bias=False),
            nn.BatchNorm2d(depth),
            SEModule(depth, reduction),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_layer(x) + self.shortcut_layer(x)


class GradualStyleBlock(nn.Module):
    """map2style: ``n_convs`` stride-2 3×3 convs with LeakyReLU(0.01) down to 1×1, then an equalised linear."""

    def __init__(self, in_ch: int, out_ch: int, n_convs: int) -> None:
        super().__init__()
        self.out_ch = out_ch
        mods: list[nn.Module] = []
        for i in range(n_convs):
            mods += [nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, 3, 2, 1), nn.LeakyReLU(0.01)]
        self.convs = nn.Sequential(*mods)
        self.linear = EqualLinear(out_ch, out_ch, lr_mul=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convs(x)
        if x.shape[2:] != (1, 1):
            raise ValueError(f"map2style head ended at {tuple(x.shape[2:])}, not 1x1 (input size mismatch)")
        return self.linear(x.reshape(-1, self.out_ch))


class GradualStyleEncoder(nn.Module):
    """Image [N, C, S, S] → codes [N, num_ws, w_dim] (before ``latent_avg``)."""

    def __init__(self, cfg: PSPConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c0 = cfg.stage_channels[0]
        self.input_layer = nn.Sequential(
            nn.Conv2d(cfg.in_channels, c0, 3, 1, 1, bias=False), nn.BatchNorm2d(c0), nn.PReLU(c0)
        )
        units: list[nn.Module] = []
        prev = c0
        self.taps: list[int] = []
        for depth, n in zip(cfg.stage_channels, cfg.stage_units):
            for i in range(n):
                units.append(BottleneckIRSE(prev if i == 0 else depth, depth, 2 if i == 0 else 1, cfg.se_reduction))
            prev = depth
            self.taps.append(len(units) - 1)
        self.body = nn.Sequential(*units)
        top = cfg.stage_channels[3]
        self.styles = nn.ModuleList(GradualStyleBlock(top, cfg.w_dim, cfg.head_convs(i)) for i in range(cfg.num_ws))
        self.latlayer1 = nn.Conv2d(cfg.stage_channels[2], top, 1)
        self.latlayer2 = nn.Conv2d(cfg.stage_channels[1], top, 1)

    @staticmethod
    def _upsample_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=y.shape[2:], mode="bilinear", align_corners=True) + y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.cfg.input_size
        if x.ndim != 4 or x.shape[1:] != (self.cfg.in_channels, s, s):
            raise ValueError(f"encoder input must be [N, {self.cfg.in_channels}, {s}, {s}], got {tuple(x.shape)}")
        x = self.input_layer(x)
        c1 = c2 = c3 = x
        for i, unit in enumerate(self.body):
            x = unit(x)
            if i == self.taps[1]:
                c1 = x
            elif i == self.taps[2]:
                c2 = x
            elif i == self.taps[3]:
                c3 = x
        cfg = self.cfg
        latents = [self.styles[j](c3) for j in range(min(cfg.coarse_ind, cfg.num_ws))]
        p2 = self._upsample_add(c3, self.latlayer1(c2))
        latents += [self.styles[j](p2) for j in range(cfg.coarse_ind, min(cfg.middle_ind, cfg.num_ws))]
        p1 = self._upsample_add(p2, self.latlayer2(c1))
        latents += [self.styles[j](p1) for j in range(cfg.middle_ind, cfg.num_ws)]
        return torch.stack(latents, dim=1)


class PSP(nn.Module):
    """Encoder + StyleGAN2 decoder + ``latent_avg`` [num_ws, w_dim] (the decoder's mean w per layer)."""

    def __init__(self, cfg: PSPConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = GradualStyleEncoder(cfg)
        self.decoder = Generator(cfg.decoder)
        self.register_buffer("latent_avg", torch.zeros(cfg.num_ws, cfg.w_dim))

    # The decoder's networks, for code written against the StyleGAN2 generator.
    @property
    def mapping(self) -> nn.Module:
        return self.decoder.mapping

    @property
    def synthesis(self) -> nn.Module:
        return self.decoder.synthesis

    def fit_input(self, image: torch.Tensor) -> torch.Tensor:
        """Resize ``image`` [N, C, H, W] to the encoder's input size (bilinear, antialiased)."""
        s = self.cfg.input_size
        if image.ndim != 4 or image.shape[1] != self.cfg.in_channels:
            raise ValueError(f"image must be [N, {self.cfg.in_channels}, H, W], got {tuple(image.shape)}")
        if image.shape[2:] != (s, s):
            image = F.interpolate(image, size=(s, s), mode="bilinear", align_corners=False, antialias=True)
        return image

    def encode(self, image: torch.Tensor, add_latent_avg: bool | None = None) -> torch.Tensor:
        """Image [N, C, H, W] in [-1, 1] → W+ codes [N, num_ws, w_dim] (plus ``latent_avg`` when configured)."""
        codes = self.encoder(self.fit_input(image.float()))
        if self.cfg.start_from_latent_avg if add_latent_avg is None else add_latent_avg:
            codes = codes + self.latent_avg.unsqueeze(0)
        return codes

    def forward(self, image: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """Reconstruction: ``decoder.synthesis(encode(image))``."""
        return self.decoder.synthesis(self.encode(image), noise_mode=noise_mode)


__all__ = ["PSP", "BottleneckIRSE", "GradualStyleBlock", "GradualStyleEncoder", "PSPConfig", "SEModule"]
