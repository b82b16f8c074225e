"""render() with the latent operations: interpolation, arithmetic, direction offsets, encoded z."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engine.api import Arithmetic, Interpolation, LatentTerm, RenderRequest, Transform
from engine.families import get_family
from engine.families.vae import fit_directions
from engine.latent.encode import encode_image_file
from engine.render import LRUCache, render


def _tiny(name: str):
    torch.manual_seed(0)
    fam = get_family(name)
    return fam.new(fam.tiny_config())


@pytest.fixture(scope="module")
def vae():
    m = _tiny("vae")
    fit_directions(m.module, torch.rand(24, 1, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1)
    assert m.capabilities.latent_directions == 3
    return m


@pytest.fixture(scope="module")
def sg2():
    return _tiny("stylegan2")


def _zt(model, seed):
    return tuple(float(v) for v in model.sample_z([seed])[0])


def req(**kw) -> RenderRequest:
    return RenderRequest("m", **kw)


@pytest.mark.parametrize("family", ["vae", "gan", "dcgan", "stylegan2"])
def test_interpolation_ends_are_the_two_seeds(family, vae, sg2):
    model = {"vae": vae, "stylegan2": sg2}.get(family) or _tiny(family)
    a, b = render(model, req(seed=3)), render(model, req(seed=9))
    np.testing.assert_array_equal(render(model, req(seed=3, interpolation=Interpolation(9, 0.0))), a)
    np.testing.assert_array_equal(render(model, req(seed=3, interpolation=Interpolation(9, 1.0))), b)
    mid = render(model, req(seed=3, interpolation=Interpolation(9, 0.5)))
    assert not np.array_equal(mid, a) and not np.array_equal(mid, b)


def test_lerp_in_z_is_the_mean_latent(vae):
    za, zb = vae.sample_z([3]), vae.sample_z([9])
    mean = tuple(float(v) for v in ((za + zb) / 2)[0])
    got = render(vae, req(seed=3, interpolation=Interpolation(9, 0.5, "lerp", "z")))
    np.testing.assert_array_equal(got, render(vae, req(z=mean)))


def test_w_interpolation_matches_manual_w_blend(sg2):
    cache = LRUCache()
    got = render(sg2, req(seed=1, interpolation=Interpolation(2, 0.25, "lerp", "w")), cache)
    with torch.inference_mode():
        wa, wb = sg2.map(sg2.sample_z([1])), sg2.map(sg2.sample_z([2]))
        from engine.render import to_uint8

        expected = to_uint8(sg2.synthesize(wa + (wb - wa) * 0.25))[0]
    np.testing.assert_array_equal(got, expected)


def test_z_arithmetic_matches_explicit_z(vae):
    za, zb, zc = vae.sample_z([1]), vae.sample_z([2]), vae.sample_z([3])
    expected_z = tuple(float(v) for v in (za - 0.5 * zb + zc)[0])
    terms = (LatentTerm(None, 1.0), LatentTerm(2, -0.5), LatentTerm(3, 1.0))
    got = render(vae, req(seed=1, arithmetic=Arithmetic(terms, "z")))
    np.testing.assert_array_equal(got, render(vae, req(z=expected_z)))


def test_w_arithmetic_matches_manual(sg2):
    terms = (LatentTerm(None, 1.0), LatentTerm(5, -1.0), LatentTerm(6, 1.0))
    got = render(sg2, req(seed=4, arithmetic=Arithmetic(terms, "w")))
    from engine.render import to_uint8

    with torch.inference_mode():
        w = [sg2.map(sg2.sample_z([s])) for s in (4, 5, 6)]
        expected = to_uint8(sg2.synthesize(w[0] - w[1] + w[2]))[0]
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(got, render(sg2, req(seed=4)))


def test_w_space_on_a_model_without_w_is_an_error(vae):
    with pytest.raises(ValueError, match="no W space"):
        render(vae, req(seed=1, interpolation=Interpolation(2, 0.5, "slerp", "w")))
    with pytest.raises(ValueError, match="no W space"):
        render(vae, req(seed=1, arithmetic=Arithmetic((LatentTerm(None, 1.0),), "w")))


def test_a_transform_needs_a_model_with_an_input_transform(vae, sg2):
    for model in (vae, sg2):
        with pytest.raises(ValueError, match="no input transform"):
            render(model, req(seed=1, rotate=10.0))
        np.testing.assert_array_equal(render(model, req(seed=1, rotate=0.0)), render(model, req(seed=1)))
    with pytest.raises(ValueError, match="finite"):
        Transform(translate_x=float("nan"))


def test_direction_offsets_move_z_by_std_times_component(vae):
    comps, std = vae.latent_directions()
    z = vae.sample_z([7])
    moved = z + 2.0 * std[1] * comps[1] - 1.0 * std[2] * comps[2]
    got = render(vae, req(seed=7, direction_offsets=(0.0, 2.0, -1.0)))
    np.testing.assert_array_equal(got, render(vae, req(z=tuple(float(v) for v in moved[0]))))
    np.testing.assert_array_equal(render(vae, req(seed=7, direction_offsets=(0.0, 0.0, 0.0))), render(vae, req(seed=7)))
    with pytest.raises(ValueError, match="offsets"):
        render(vae, req(seed=7, direction_offsets=(1.0,)))


def test_direction_offsets_need_directions(sg2):
    with pytest.raises(ValueError, match="no latent directions"):
        render(sg2, req(seed=1, direction_offsets=(1.0,)))


def test_encode_image_file_fits_and_encodes(vae, tmp_path):
    path = tmp_path / "rgb.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(path)
    enc = encode_image_file(vae, path)
    assert enc.input.shape == (16, 16, 1) and enc.input.dtype == np.uint8
    assert len(enc.z) == 6
    with torch.inference_mode():
        x = torch.from_numpy(enc.input).permute(2, 0, 1)[None].float() / 127.5 - 1
        torch.testing.assert_close(torch.tensor([enc.z]), vae.encode(x))
    # The reconstruction is exactly the frame of the encoded z.
    np.testing.assert_array_equal(enc.reconstruction, render(vae, req(z=enc.z)))


def test_encode_bad_file_and_non_encoder(vae, sg2, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="not a readable image"):
        encode_image_file(vae, bad)
    good = tmp_path / "g.png"
    Image.new("L", (8, 8)).save(good)
    with pytest.raises(ValueError, match="do not encode"):
        encode_image_file(sg2, good)
