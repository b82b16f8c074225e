"""engine.config_schema: types and bounds of config dicts, before a module is built."""

from __future__ import annotations

import pytest

from engine.config_schema import check_config, check_dataclass_values
from engine.errors import LimitError
from engine.families import get_family
from engine.models.stylegan2 import StyleGAN2Config
from engine.models.vae import VAEConfig

FAMILIES = ("stylegan2", "stylegan", "pggan", "gan", "dcgan", "vae", "pix2pix", "cyclegan", "stargan", "psp")


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_round_trips_its_configs(name: str) -> None:
    fam = get_family(name)
    for cfg in (fam.tiny_config(), fam.config_cls()):
        d = fam.config_to_dict(cfg)
        assert fam.config_from_dict(d) == fam.config_from_dict(d)


@pytest.mark.parametrize(
    ("d", "needle"),
    [
        ({"mapping_layers": 1_000_000}, "mapping_layers must be in 0..64"),
        ({"z_dim": -5}, "z_dim must be in 0..4096, got -5"),
        ({"w_dim": "16"}, "w_dim must be an integer"),
        ({"channels": [0, 8, 8]}, r"channels\[0\] must be in 1..4096"),
        ({"channels": [8] * 65}, "65 entries, more than the limit of 64"),
        ({"channel_max": 100_000}, "channel_max must be in 1..4096"),
        ({"resolution": 96}, "power of two"),
        ({"conv_clamp": float("nan")}, "conv_clamp must be a finite number"),
        ({"conv_clamp": "x"}, "conv_clamp must be a number"),
        ({"w_avg_beta": 2.0}, r"w_avg_beta must be in 0..1"),
        ({"c_dim": None}, "c_dim must not be null"),
        ({"bogus": 1}, r"unknown config fields: \['bogus'\]"),
    ],
)
def test_stylegan2_refusals(d: dict, needle: str) -> None:
    with pytest.raises(LimitError, match=needle):
        check_config(StyleGAN2Config, d)


def test_vae_channels_and_strings() -> None:
    check_config(VAEConfig, {"channels": [32, 64, 128], "recon": "bce"})
    with pytest.raises(LimitError, match="recon must be a string"):
        check_config(VAEConfig, {"recon": 5})
    with pytest.raises(LimitError, match="must be an object"):
        check_config(VAEConfig, [1, 2])


def test_hparams_types() -> None:
    from training.trainers.gan import GANHparams

    check_dataclass_values(GANHparams, {"lr": 0.001, "betas": [0.5, 0.99], "n_critic": 5}, "hparams")
    for d, needle in [
        ({"lr": "abc"}, "hparams.lr must be a number, got 'abc'"),
        ({"lr": float("nan")}, "hparams.lr must be a finite number"),
        ({"betas": [0.5]}, "hparams.betas must have 2 entries"),
        ({"n_critic": 1.5}, "hparams.n_critic must be an integer"),
        ({"loss": 3}, "hparams.loss must be a string"),
    ]:
        with pytest.raises(LimitError, match=needle):
            check_dataclass_values(GANHparams, d, "hparams")
