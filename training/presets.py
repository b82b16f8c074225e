"""Named training presets: each reproduces a bundled checkpoint (``latentlab train --preset NAME``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    """Everything a run needs besides the output folder."""

    name: str
    family: str
    data: str
    resolution: int
    batch: int
    max_steps: int
    model: dict[str, Any] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)
    xflip: bool = False
    channels: int = 3
    seed: int = 0
    checkpoint_every: int = 500
    sample_every: int = 250
    description: str = ""


EMOJI64_WIDTHS = (128, 128, 96, 48, 24)
"""Channel widths (4×4 → 64×64) of the emoji StyleGANs and PGGAN, G and D alike."""
FHH_AUGMENT = {"diffaugment": "color,translation,cutout", "ada_target": 0.6, "ada_kimg": 100}
"""346 images: DiffAugment transforms at an ADA-tuned probability (D's r_t kept near 0.6)."""
CPU_SPEED = {"channels_last": True, "bf16": True, "bf16_reg": True}
"""CPU speed-ups (``latentlab bench train emoji-stylegan2``; torch.compile measured slower on CPU)."""


def _emoji_style_model(mapping_layers: int) -> dict[str, Any]:
    """The emoji StyleGANs' networks: z and w of 128, ``mapping_layers`` mapping layers, EMOJI64_WIDTHS."""
    return {
        "z_dim": 128,
        "w_dim": 128,
        "mapping_layers": mapping_layers,
        "channels": list(EMOJI64_WIDTHS),
        "d_channels": list(EMOJI64_WIDTHS),
    }


PRESETS: dict[str, Preset] = {
    "emoji-stylegan2": Preset(
        name="emoji-stylegan2",
        family="stylegan2",
        data="demo:emoji",
        resolution=64,
        batch=24,
        max_steps=10000,
        model=_emoji_style_model(4),
        hparams={"r1_gamma": 0.1, "pl_weight": 2.0, "ema_kimg": 5.0},
        xflip=True,
        description="StyleGAN2 on 2,308 Noto Color Emoji at 64x64 (CPU-sized, renders at >30 fps on 2 cores)",
    ),
    "emoji-stylegan2-fhh": Preset(
        name="emoji-stylegan2-fhh",
        family="stylegan2",
        data="demo:emoji-faces-hands-hearts",
        resolution=64,
        batch=24,
        # Ends where the bundled default did (222,048 images, 2 h 21 min on 2 cores). Nothing in training depends
        # on max_steps, so `latentlab train --resume RUN --max-steps 41667` continues this run exactly towards 1M
        # images.
        max_steps=9252,
        model=_emoji_style_model(4),
        hparams={"r1_gamma": 0.1, "pl_weight": 2.0, "ema_kimg": 5.0, **FHH_AUGMENT, **CPU_SPEED},
        xflip=True,
        description="StyleGAN2 on 346 emoji faces, hands and hearts at 64x64, 222k images (CPU speed-ups on)",
    ),
    "emoji-stylegan": Preset(
        name="emoji-stylegan",
        family="stylegan",
        data="demo:emoji",
        resolution=64,
        batch=24,
        max_steps=10000,
        model=_emoji_style_model(8),
        hparams={"r1_gamma": 0.1, "r1_interval": 4, "ema_kimg": 5.0, **FHH_AUGMENT, **CPU_SPEED},
        xflip=True,
        description=(
            "StyleGAN (v1, AdaIN) on the emoji set at 64x64, emoji-stylegan2's data, size and budget, "
            "with the default's augmentation (DiffAugment + ADA) and CPU speed settings"
        ),
    ),
    "emoji-pggan": Preset(
        name="emoji-pggan",
        family="pggan",
        data="demo:emoji",
        resolution=64,
        batch=24,
        max_steps=4000,  # ends as 64x64 has fully faded in (alpha = 1)
        model={"z_dim": 128, "channels": list(EMOJI64_WIDTHS), "d_channels": list(EMOJI64_WIDTHS)},
        # EMA half-life 69 steps (1.7k images): with 500-step phases the paper's 0.999 lags a new
        # level's toRGB by ~40 % at the end of its fade (tinted samples).
        hparams={"stable_images": 12000, "fade_images": 12000, "ema_beta": 0.99},
        xflip=True,
        description=(
            "Progressive GAN on the emoji set, grown 4x4 to 64x64 (12k images per fade and per stable phase; "
            "ends as 64x64 has faded in)"
        ),
    ),
    # Equal-budget comparison on the default model's data (README "StyleGAN2 vs StyleGAN vs PGGAN"): the same
    # 346 images, sizes, augmentation and 36k images shown as `latentlab train --preset emoji-stylegan2-fhh
    # --max-steps 1500`.
    "emoji-stylegan-fhh": Preset(
        name="emoji-stylegan-fhh",
        family="stylegan",
        data="demo:emoji-faces-hands-hearts",
        resolution=64,
        batch=24,
        max_steps=1500,
        model=_emoji_style_model(8),
        hparams={"r1_gamma": 0.1, "r1_interval": 4, "ema_kimg": 5.0, **FHH_AUGMENT, **CPU_SPEED},
        xflip=True,
        description="StyleGAN (v1) on the 346 faces, hands and hearts, 36k images (equal-budget comparison)",
    ),
    "emoji-pggan-fhh": Preset(
        name="emoji-pggan-fhh",
        family="pggan",
        data="demo:emoji-faces-hands-hearts",
        resolution=64,
        batch=24,
        max_steps=1500,  # 4x4 stable, then 4 levels of fade + stable at 4k images each: 64x64 from 32k images
        model={"z_dim": 128, "channels": list(EMOJI64_WIDTHS), "d_channels": list(EMOJI64_WIDTHS)},
        hparams={
            "stable_images": 4000,
            "fade_images": 4000,
            "ema_beta": 0.99,
            "diffaugment": FHH_AUGMENT["diffaugment"],  # always on: the PGGAN trainer has no ADA
        },
        xflip=True,
        description="Progressive GAN on the 346 faces, hands and hearts, 36k images (equal-budget comparison)",
    ),
    **{
        p.name: p
        for p in (
            Preset(
                name="fmnist-gan",
                family="gan",
                data="fmnist:train",
                resolution=32,
                channels=1,
                batch=64,
                max_steps=8000,
                model={"z_dim": 64, "g_hidden": [256, 512, 1024], "d_hidden": [1024, 512, 256]},
                hparams={"loss": "nonsaturating", "ema_beta": 0.999},
                checkpoint_every=2000,
                sample_every=2000,
                description="Original fully connected GAN (non-saturating loss) on Fashion-MNIST 32x32",
            ),
            Preset(
                name="fmnist-cgan",
                family="gan",
                data="fmnist:train",
                resolution=32,
                channels=1,
                batch=64,
                max_steps=8000,
                model={"z_dim": 64, "c_dim": 10, "g_hidden": [256, 512, 1024], "d_hidden": [1024, 512, 256]},
                hparams={"loss": "nonsaturating", "ema_beta": 0.999},
                checkpoint_every=2000,
                sample_every=2000,
                description="Conditional fully connected GAN (one-hot labels into G and D) on Fashion-MNIST 32x32",
            ),
            Preset(
                name="fmnist-cdcgan",
                family="dcgan",
                data="fmnist:train",
                resolution=32,
                channels=1,
                batch=64,
                max_steps=9000,
                model={"z_dim": 64, "c_dim": 10, "ngf": 16, "ndf": 16},
                hparams={"loss": "nonsaturating", "ema_beta": 0.999},
                checkpoint_every=1000,
                sample_every=1000,
                description="Conditional DCGAN (one-hot z input, label maps into D) on Fashion-MNIST 32x32",
            ),
            Preset(
                name="fmnist-dcgan",
                family="dcgan",
                data="fmnist:train",
                resolution=32,
                channels=1,
                batch=64,
                max_steps=6000,
                model={"z_dim": 64, "ngf": 16, "ndf": 16},
                hparams={"loss": "nonsaturating", "ema_beta": 0.999},
                checkpoint_every=1000,
                sample_every=1000,
                description="DCGAN (Radford et al. 2016: BN+ReLU generator, LeakyReLU critic, Adam 2e-4/0.5)",
            ),
            Preset(
                name="fmnist-wgan-cp",
                family="dcgan",
                data="fmnist:train",
                resolution=32,
                channels=1,
                batch=64,
                max_steps=30000,
                model={"z_dim": 64, "ngf": 16, "ndf": 16},
                hparams={"loss": "wgan-cp", "ema_beta": 0.999},
                checkpoint_every=2000,
                sample_every=2000,
                description="WGAN with weight clipping (±0.01, RMSprop 5e-5, n_critic 5) on the DCGAN architecture",
            ),
            Preset(
                name="fmnist-wgan-gp",
                family="dcgan",
                data="fmnist:train",
                resolution=32,
                channels=1,
                batch=64,
                max_steps=30000,
                model={"z_dim": 64, "ngf": 16, "ndf": 16, "d_norm": "layer"},
                hparams={"loss": "wgan-gp", "ema_beta": 0.999},
                checkpoint_every=2500,
                sample_every=2500,
                description="WGAN-GP (λ 10, Adam 1e-4 β (0, 0.9), n_critic 5, layer-norm critic), DCGAN architecture",
            ),
            Preset(
                name="fmnist-vae",
                family="vae",
                data="fmnist:train",
                resolution=32,
                channels=1,
                batch=64,
                max_steps=8000,
                model={"z_dim": 32, "channels": [32, 64, 128], "recon": "bce", "num_directions": 8},
                hparams={"lr": 1e-3},
                checkpoint_every=2000,
                sample_every=2000,
                description="Convolutional VAE (BCE + KL, z 32) on Fashion-MNIST 32x32, 8 stored principal directions",
            ),
        )
    },
    **{
        f"tiny-{name}": Preset(
            name=f"tiny-{name}",
            family=family,
            data="fmnist:train",
            resolution=16 if family != "gan" else 8,
            channels=1,
            batch=8,
            max_steps=10,
            model=model,
            hparams=hparams,
            checkpoint_every=5,
            sample_every=5,
            description="A seconds-long smoke-test run",
        )
        for name, family, model, hparams in (
            ("gan", "gan", {"z_dim": 8, "g_hidden": [16, 32], "d_hidden": [32, 16]}, {}),
            ("cgan", "gan", {"z_dim": 8, "c_dim": 10, "g_hidden": [16, 32], "d_hidden": [32, 16]}, {}),
            ("dcgan", "dcgan", {"z_dim": 8, "ngf": 8, "ndf": 8}, {"ema_beta": 0.9}),
            ("cdcgan", "dcgan", {"z_dim": 8, "c_dim": 10, "ngf": 8, "ndf": 8}, {}),
            ("wgan-cp", "dcgan", {"z_dim": 8, "ngf": 8, "ndf": 8}, {"loss": "wgan-cp"}),
            ("wgan-gp", "dcgan", {"z_dim": 8, "ngf": 8, "ndf": 8, "d_norm": "layer"}, {"loss": "wgan-gp"}),
            ("minimax", "gan", {"z_dim": 8, "g_hidden": [16, 32], "d_hidden": [32, 16]}, {"loss": "minimax"}),
            ("vae", "vae", {"z_dim": 4, "channels": [8, 16], "num_directions": 2}, {"direction_images": 64}),
        )
    },
    "fmnist-classifier": Preset(
        name="fmnist-classifier",
        family="classifier",
        data="fmnist:train",
        resolution=32,
        batch=128,
        max_steps=2814,  # 6 epochs of 60,000 images
        model={"channels": 1, "widths": [32, 64, 128], "feature_dim": 128, "dropout": 0.3},
        hparams={"lr": 2e-3, "weight_decay": 1e-4, "shift": 2, "xflip": True},
        description="Fashion-MNIST CNN classifier at 32x32 (features for FID/KID/IS/PR; about 10 CPU minutes)",
    ),
    "emoji-classifier": Preset(
        name="emoji-classifier",
        family="classifier",
        data="demo:emoji",
        resolution=64,
        batch=64,
        max_steps=775,  # 25 epochs of the 85 % training split (1,962 images)
        model={"channels": 3, "widths": [16, 32, 64, 128], "feature_dim": 128, "dropout": 0.3},
        hparams={"lr": 2e-3, "weight_decay": 1e-4, "shift": 4, "xflip": True, "holdout": 0.15},
        description="Emoji CNN classifier at 64x64 over 8 Unicode-block categories (features for FID on the emoji set)",
    ),
    "emoji-psp": Preset(
        name="emoji-psp",
        family="psp",
        data="demo:emoji-faces-hands-hearts",
        resolution=64,
        batch=16,
        max_steps=6000,
        model={
            "decoder": "emoji-stylegan2-fhh",
            "input_size": 64,
            "stage_channels": [32, 48, 64, 128],
            "stage_units": [2, 2, 4, 2],
            "se_reduction": 8,
        },
        hparams={"lr": 2e-4, "synthetic_fraction": 0.5, "code": 1.0, "features": 0.0},
        xflip=True,
        checkpoint_every=500,
        sample_every=250,
        description="pSp encoder (IR-SE, FPN, map2style into W+) for the default emoji-stylegan2-fhh (decoder frozen)",
    ),
    "tiny-psp": Preset(
        name="tiny-psp",
        family="psp",
        data="demo:emoji",
        resolution=16,
        batch=4,
        max_steps=10,
        model={
            "decoder": {"z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": [16, 16, 8]},
            "stage_channels": [4, 8, 8, 16],
            "stage_units": [1, 1, 1, 1],
        },
        hparams={"lr": 1e-3},
        checkpoint_every=5,
        sample_every=5,
        description="A seconds-long smoke-test run (random tiny decoder)",
    ),
    "tiny-stylegan2": Preset(
        name="tiny-stylegan2",
        family="stylegan2",
        data="demo:emoji",
        resolution=16,
        batch=4,
        max_steps=20,
        model={"z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": [16, 16, 8]},
        hparams={},
        checkpoint_every=10,
        sample_every=10,
        description="A seconds-long smoke-test run",
    ),
    "tiny-stylegan3": Preset(
        name="tiny-stylegan3",
        family="stylegan3",
        data="demo:emoji",
        resolution=16,
        batch=4,
        max_steps=20,
        model={
            "z_dim": 16,
            "w_dim": 16,
            "mapping_layers": 2,
            "channel_base": 256,
            "channel_max": 16,
            "num_layers": 4,
            "num_critical": 1,
            "margin_size": 2,
            "d_channels": [16, 16, 8],
        },
        hparams={},
        checkpoint_every=10,
        sample_every=10,
        description="A seconds-long smoke-test run (StyleGAN3-T, 4 alias-free layers)",
    ),
    "tiny-stylegan": Preset(
        name="tiny-stylegan",
        family="stylegan",
        data="demo:emoji",
        resolution=16,
        batch=4,
        max_steps=20,
        model={"z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": [16, 16, 8]},
        hparams={},
        checkpoint_every=10,
        sample_every=10,
        description="A seconds-long smoke-test run",
    ),
    "tiny-pggan": Preset(
        name="tiny-pggan",
        family="pggan",
        data="demo:emoji",
        resolution=16,
        batch=4,
        max_steps=20,
        model={"z_dim": 8, "channels": [16, 16, 8]},
        hparams={"stable_images": 16, "fade_images": 16},
        checkpoint_every=10,
        sample_every=10,
        description="A seconds-long smoke-test run that grows through every level (4x4 to 16x16)",
    ),
}


QUICK = "A few minutes on a CPU (one thread): small enough to finish over a coffee, big enough to show {what}"
"""The description of the ``quick-`` presets: between the seconds-long ``tiny-`` smoke tests and the
full presets that reproduce the bundled models (hours on a CPU)."""

QUICK_PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="quick-gan",
            family="gan",
            data="fmnist:train",
            resolution=32,
            channels=1,
            batch=64,
            max_steps=3000,
            model={"z_dim": 64, "g_hidden": [128, 256, 512], "d_hidden": [512, 256, 128]},
            hparams={"loss": "nonsaturating", "ema_beta": 0.99},
            checkpoint_every=1500,
            sample_every=500,
            description=QUICK.format(what="Fashion-MNIST clothes from a fully connected GAN"),
        ),
        Preset(
            name="quick-dcgan",
            family="dcgan",
            data="fmnist:train",
            resolution=32,
            channels=1,
            batch=64,
            max_steps=1500,
            model={"z_dim": 64, "ngf": 16, "ndf": 16},
            hparams={"loss": "nonsaturating", "ema_beta": 0.99},
            checkpoint_every=750,
            sample_every=250,
            description=QUICK.format(what="Fashion-MNIST clothes from a DCGAN"),
        ),
        Preset(
            name="quick-vae",
            family="vae",
            data="fmnist:train",
            resolution=32,
            channels=1,
            batch=64,
            max_steps=2500,
            model={"z_dim": 16, "channels": [16, 32, 64], "recon": "bce", "num_directions": 8},
            hparams={"lr": 2e-3},
            checkpoint_every=1250,
            sample_every=500,
            description=QUICK.format(what="Fashion-MNIST clothes from a VAE"),
        ),
        Preset(
            name="quick-stylegan2",
            family="stylegan2",
            data="fmnist:train",
            resolution=32,
            channels=1,
            batch=16,
            max_steps=1200,
            model={
                "z_dim": 64,
                "w_dim": 64,
                "mapping_layers": 2,
                "channels": [64, 64, 32, 16],
                "d_channels": [64, 64, 32, 16],
            },
            hparams={"r1_gamma": 0.1, "pl_weight": 0.0, "ema_kimg": 1.0},
            checkpoint_every=600,
            sample_every=200,
            description=QUICK.format(what="Fashion-MNIST clothes from StyleGAN2 (styles and noise to explore)"),
        ),
        Preset(
            name="quick-stylegan",
            family="stylegan",
            data="fmnist:train",
            resolution=32,
            channels=1,
            batch=16,
            max_steps=1000,
            model={
                "z_dim": 64,
                "w_dim": 64,
                "mapping_layers": 2,
                "channels": [64, 64, 32, 16],
                "d_channels": [64, 64, 32, 16],
            },
            hparams={"r1_gamma": 0.1, "ema_kimg": 1.0},
            checkpoint_every=500,
            sample_every=200,
            description=QUICK.format(what="Fashion-MNIST clothes from StyleGAN (v1, AdaIN)"),
        ),
        Preset(
            name="quick-pggan",
            family="pggan",
            data="fmnist:train",
            resolution=32,
            channels=1,
            batch=16,
            max_steps=2000,
            model={"z_dim": 64, "channels": [64, 64, 32, 16], "d_channels": [64, 64, 32, 16]},
            hparams={"stable_images": 4000, "fade_images": 4000, "ema_beta": 0.99},
            checkpoint_every=1000,
            sample_every=250,
            description=QUICK.format(what="Fashion-MNIST clothes from a Progressive GAN grown 4x4 to 32x32"),
        ),
        Preset(
            name="quick-psp",
            family="psp",
            data="demo:emoji",
            resolution=64,
            batch=8,
            max_steps=300,
            model={
                "decoder": "emoji-stylegan2",
                "input_size": 64,
                "stage_channels": [16, 24, 32, 64],
                "stage_units": [1, 1, 2, 1],
                "se_reduction": 8,
            },
            hparams={"lr": 5e-4, "synthetic_fraction": 0.5, "code": 1.0, "features": 0.0},
            xflip=True,
            checkpoint_every=150,
            sample_every=100,
            description=QUICK.format(what="emoji encoded into the bundled emoji-stylegan2 (a pSp encoder)"),
        ),
    )
}
PRESETS.update(QUICK_PRESETS)


TRANSLATION_PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="fmnist-cyclegan",
            family="cyclegan",
            data="fmnist:sneaker,ankle-boot",
            resolution=32,
            channels=1,
            batch=4,
            max_steps=4000,
            model={"ngf": 16, "n_blocks": 6, "ndf": 32},
            hparams={"decay_start": 2500, "decay_steps": 1500},
            checkpoint_every=500,
            sample_every=500,
            description="CycleGAN: Fashion-MNIST sneakers ↔ ankle boots (unpaired), 32x32",
        ),
        Preset(
            name="fmnist-stargan",
            family="stargan",
            data="fmnist:sneaker,sandal,ankle-boot",
            resolution=32,
            channels=1,
            batch=16,
            max_steps=4000,
            model={"c_dim": 3, "conv_dim": 32, "repeat_num": 4, "d_conv_dim": 32, "d_repeat_num": 4},
            hparams={"decay_start": 2500, "decay_steps": 1500},
            checkpoint_every=500,
            sample_every=500,
            description="StarGAN: Fashion-MNIST footwear across sneaker / sandal / ankle boot, 32x32",
        ),
        Preset(
            name="emoji-pix2pix",
            family="pix2pix",
            data="demo:emoji-edges",
            resolution=64,
            batch=8,
            max_steps=7500,
            model={"num_downs": 6, "ngf": 32, "ndf": 32},
            hparams={"decay_start": 4500, "decay_steps": 3000, "channels_last": True, "bf16": True},
            xflip=True,
            checkpoint_every=500,
            sample_every=500,
            description="pix2pix: Canny edges → colour emoji (2,308 Noto Color Emoji pairs, 64x64)",
        ),
        Preset(
            name="emoji-cyclegan",
            family="cyclegan",
            data="demo:emoji-grey",
            resolution=64,
            batch=4,
            max_steps=8000,
            model={"ngf": 16, "n_blocks": 6, "ndf": 32},
            hparams={"decay_start": 4000, "decay_steps": 4000},
            xflip=True,
            checkpoint_every=1000,
            sample_every=500,
            description="CycleGAN: grey ↔ colour emoji, two disjoint halves of the emoji set (unpaired), 64x64",
        ),
        Preset(
            name="emoji-stargan",
            family="stargan",
            data="demo:emoji-hue",
            resolution=64,
            batch=16,
            max_steps=10000,
            model={"c_dim": 4, "conv_dim": 32, "repeat_num": 4, "d_conv_dim": 32, "d_repeat_num": 5},
            hparams={"decay_start": 5000, "decay_steps": 5000},
            xflip=True,
            checkpoint_every=1000,
            sample_every=500,
            description="StarGAN: emoji recoloured toward red / yellow / green / blue (dominant-hue domains), 64x64",
        ),
        Preset(
            name="quick-pix2pix",
            family="pix2pix",
            data="demo:emoji-edges",
            resolution=32,
            batch=8,
            max_steps=1500,
            model={"num_downs": 5, "ngf": 16, "ndf": 16},
            hparams={"decay_start": 500, "decay_steps": 300},
            xflip=True,
            checkpoint_every=750,
            sample_every=250,
            description=QUICK.format(what="edges turned into colour emoji (pix2pix)"),
        ),
        Preset(
            name="quick-cyclegan",
            family="cyclegan",
            data="fmnist:sneaker,ankle-boot",
            resolution=32,
            channels=1,
            batch=4,
            max_steps=800,
            model={"ngf": 8, "n_blocks": 3, "ndf": 16},
            hparams={"decay_start": 500, "decay_steps": 300},
            checkpoint_every=400,
            sample_every=200,
            description=QUICK.format(what="sneakers turned into ankle boots and back (CycleGAN, unpaired)"),
        ),
        Preset(
            name="quick-stargan",
            family="stargan",
            data="fmnist:sneaker,sandal,ankle-boot",
            resolution=32,
            channels=1,
            batch=16,
            max_steps=800,
            model={"c_dim": 3, "conv_dim": 16, "repeat_num": 2, "d_conv_dim": 16, "d_repeat_num": 4},
            hparams={"decay_start": 500, "decay_steps": 300},
            checkpoint_every=400,
            sample_every=200,
            description=QUICK.format(what="footwear moved between sneaker, sandal and ankle boot (StarGAN)"),
        ),
        Preset(
            name="tiny-pix2pix",
            family="pix2pix",
            data="demo:emoji-edges",
            resolution=32,
            batch=2,
            max_steps=4,
            model={"num_downs": 5, "ngf": 4, "ndf": 4},
            checkpoint_every=2,
            sample_every=2,
            description="A seconds-long smoke-test run",
        ),
        Preset(
            name="tiny-cyclegan",
            family="cyclegan",
            data="demo:emoji-grey",
            resolution=32,
            batch=2,
            max_steps=4,
            model={"ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 2},
            hparams={"pool_size": 3, "decay_start": 2, "decay_steps": 4},
            checkpoint_every=2,
            sample_every=2,
            description="A seconds-long smoke-test run",
        ),
        Preset(
            name="tiny-stargan",
            family="stargan",
            data="demo:emoji-hue",
            resolution=16,
            batch=4,
            max_steps=4,
            model={"c_dim": 4, "conv_dim": 4, "repeat_num": 1, "d_conv_dim": 4, "d_repeat_num": 2},
            hparams={"n_critic": 2},
            checkpoint_every=2,
            sample_every=2,
            description="A seconds-long smoke-test run",
        ),
    )
}
PRESETS.update(TRANSLATION_PRESETS)


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown preset '{name}' (known: {', '.join(sorted(PRESETS))})")
    return PRESETS[name]


def preset_kind(preset: Preset) -> str:
    """``quick`` (a few CPU minutes), ``tiny`` (a seconds-long smoke test) or ``full`` (reproduces a
    bundled model; hours on a CPU)."""
    for kind in ("quick", "tiny"):
        if preset.name.startswith(kind + "-"):
            return kind
    return "full"


def starting_preset(family: str, conditional: bool = False) -> Preset | None:
    """The preset to start a new run of ``family`` from: its quick preset, else its first full one (a
    ``conditional`` model's family: one with classes first, when there is one); None for an unknown family."""
    candidates = [p for p in PRESETS.values() if p.family == family and preset_kind(p) != "tiny"]
    if family in ("gan", "dcgan"):  # the families whose presets differ by class conditioning
        matching = [p for p in candidates if bool(p.model.get("c_dim")) == conditional]
        candidates = matching or candidates
    candidates.sort(key=lambda p: preset_kind(p) != "quick")
    return candidates[0] if candidates else None
