"""Families are declarations: one ModelFamily per family, typed configs, one place where a dict becomes a config."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from engine.families import family_names, get_family
from engine.families.base import ModelFamily
from engine.models.dcgan import DCGANConfig


@pytest.mark.parametrize("name", family_names())
def test_declared_under_its_registered_name(name):
    fam = get_family(name)
    assert isinstance(fam, ModelFamily) and fam.name == name and fam.description
    assert isinstance(fam.tiny_config(), fam.config_cls)
    model = fam.new(fam.tiny_config())
    assert model.family == name and model.capabilities.family == name
    assert isinstance(model, fam.model_cls) and model.config is fam.tiny_config()


@pytest.mark.parametrize("name", family_names())
def test_config_dict_round_trip(name):
    fam = get_family(name)
    cfg = fam.tiny_config()
    d = fam.config_to_dict(cfg)
    as_json = {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}  # what a model file holds
    assert fam.config_from_dict(as_json) == cfg


def test_unknown_config_fields_are_named_with_the_family():
    with pytest.raises(ValueError, match=r"unknown dcgan config fields: \['bogus'\]"):
        get_family("dcgan").config_from_dict({"resolution": 16, "bogus": 1})
    psp = get_family("psp")
    d = psp.config_to_dict(psp.tiny_config())
    d["decoder"] = {**d["decoder"], "bogus": 1}
    with pytest.raises(ValueError, match=r"unknown psp decoder config fields: \['bogus'\]"):
        psp.config_from_dict(d)


def test_two_families_share_a_model_class_but_not_a_name():
    gan, dcgan = get_family("gan"), get_family("dcgan")
    assert gan.model_cls is dcgan.model_cls
    torch.manual_seed(0)
    assert dcgan.new(dcgan.tiny_config()).family == "dcgan" and gan.new(gan.tiny_config()).family == "gan"


def test_declaration_checks_its_tiny_config():
    dcgan = get_family("dcgan")
    with pytest.raises(TypeError, match="tiny"):
        ModelFamily("x", "", DCGANConfig, dcgan.module_cls, dcgan.model_cls, tiny=object())
    fam = ModelFamily("x", "test", DCGANConfig, dcgan.module_cls, dcgan.model_cls, tiny=DCGANConfig(resolution=16))
    assert fam.new(dataclasses.replace(fam.tiny_config(), z_dim=4)).family == "x"
