"""The trainer registry: every trainer is declared (family, hyper-parameters, data kind, losses) and built from it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from engine.families import family_names, get_family
from training.presets import PRESETS
from training.trainers import get_trainer, make_trainer, trainer_names
from training.trainers.base import DATA_KINDS, TrainerSpec
from training.trainers.gan import OBJECTIVES, GANHparams

CPU = torch.device("cpu")
STEPPED = [n for n in trainer_names() if get_trainer(n).stepped]


def _tiny_model(name: str) -> dict:
    """The family's tiny config as the plain dict a run passes (``resolution``/``img_channels`` included)."""
    fam = get_family(name)
    d = fam.config_to_dict(fam.tiny_config())
    if name == "psp":  # pSp's run config names its decoder and the run's size
        return {"resolution": d["decoder"]["resolution"], "img_channels": d["decoder"]["img_channels"], **d}
    return d


def test_every_registered_trainer_is_declared_under_its_name():
    for name in trainer_names():
        spec = get_trainer(name)
        assert isinstance(spec, TrainerSpec) and spec.name == name
        assert spec.data_kind in DATA_KINDS and spec.losses
        assert dataclasses.is_dataclass(spec.hparams_cls)
        if spec.makes == "model":
            assert name in family_names(), f"trainer {name} makes a model of an unregistered family"


def test_unknown_trainer_lists_the_trainable_ones():
    with pytest.raises(ValueError, match="cannot be trained yet") as e:
        get_trainer("no-such-family")
    assert all(name in str(e.value) for name in trainer_names())


def test_every_preset_names_a_registered_trainer():
    for p in PRESETS.values():
        assert get_trainer(p.family).name == p.family


@pytest.mark.parametrize("name", STEPPED)
def test_declaration_builds_its_trainer_from_the_tiny_config(name):
    torch.manual_seed(0)
    spec = get_trainer(name)
    model = _tiny_model(name)
    trainer = make_trainer(name, model, {}, CPU)
    assert isinstance(trainer, spec.trainer_cls)
    assert trainer.family == name
    assert trainer.data_kind == spec.data_kind_for(model)
    assert trainer.export_model().family == name


def test_data_kind_follows_the_config_not_a_built_trainer():
    gan = get_trainer("gan")
    assert gan.data_kind_for({"c_dim": 0}) == "images"
    assert gan.data_kind_for({"c_dim": 10}) == "labelled"
    assert get_trainer("stylegan2").data_kind_for({"c_dim": 10}) == "images"  # labels come with the folders
    assert get_trainer("stargan").data_kind_for({}) == "multi-domain"
    assert get_trainer("classifier").data_kind_for({}) == "labelled"


@pytest.mark.parametrize("name", [n for n in trainer_names() if get_trainer(n).loss_field])
def test_selectable_losses_are_the_hparams_choices(name):
    spec = get_trainer(name)
    default = getattr(spec.hparams_cls(), spec.loss_field)
    assert default == spec.losses[0]
    for loss in spec.losses:
        spec.hparams({spec.loss_field: loss})
    with pytest.raises(ValueError, match="must be one of"):
        spec.hparams({spec.loss_field: "no-such-loss"})


def test_trainers_without_a_discriminator_say_so():
    for name in trainer_names():
        spec = get_trainer(name)
        if spec.has_discriminator:
            continue
        with pytest.raises(ValueError, match="has no discriminator, so --freeze-d and --diffaugment do not apply"):
            spec.hparams({"freeze_d": 1, "diffaugment": "color"})
    with pytest.raises(ValueError, match="unknown hyper-parameters"):
        get_trainer("stylegan2").hparams({"no_such": 1})


def test_feature_classifier_is_a_registered_kind_not_a_family():
    spec = get_trainer("classifier")
    assert spec.makes == "feature-network" and not spec.stepped and spec.run is not None
    assert "classifier" not in family_names()
    with pytest.raises(ValueError, match="own loop"):
        spec.create({}, {}, CPU)


def test_a_declaration_names_exactly_one_way_to_run():
    with pytest.raises(TypeError, match="exactly one"):
        TrainerSpec(name="x", hparams_cls=GANHparams, losses=("a",))
    with pytest.raises(ValueError, match="unknown data kind"):
        TrainerSpec(name="x", hparams_cls=GANHparams, run=print, data_kind="videos", losses=("a",))


def test_gan_loss_table_values():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0])
    sp = torch.nn.functional.softplus
    loss, stats = OBJECTIVES["nonsaturating"].d_loss(real, fake)
    assert loss.item() == pytest.approx((sp(-real).mean() + sp(fake).mean()).item())
    assert set(stats) == {"D_real", "D_fake"}
    loss, stats = OBJECTIVES["wgan-gp"].d_loss(real, fake)
    assert stats["wasserstein"].item() == pytest.approx(1.0) and loss.item() == pytest.approx(-1.0)
    assert OBJECTIVES["wgan-cp"].g_loss(fake).item() == pytest.approx(0.0)
    assert OBJECTIVES["minimax"].g_loss(fake).item() == pytest.approx(-sp(fake).mean().item())
    assert OBJECTIVES["nonsaturating"].g_loss(fake).item() == pytest.approx(sp(-fake).mean().item())
    assert OBJECTIVES["wgan-gp"].gradient_penalty and OBJECTIVES["wgan-cp"].clip_weights
    assert GANHparams(loss="wgan-cp").resolved("optimizer") == "rmsprop"
    assert GANHparams(loss="wgan-gp", lr=0.5).resolved("lr") == 0.5
