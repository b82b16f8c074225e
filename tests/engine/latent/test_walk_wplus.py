"""Walks in w+ (per-layer w) and walks through mixed keyframes: seeds, z latents, W+ latents and files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.api import Interpolation, RenderRequest, as_array
from engine.families import get_family
from engine.latent.gallery import Bookmark, save_project
from engine.latent.invert import Inversion, save_latent
from engine.latent.keyframe_files import load_keyframes
from engine.latent.keyframes import Keyframe, check_keyframes, space_for, walk, walk_frame
from engine.latent.ops import slerp
from engine.render import render, request_ws


@pytest.fixture(scope="module")
def model():
    fam = get_family("stylegan2")
    torch.manual_seed(0)
    return fam.new(fam.tiny_config())


def _rows(t: torch.Tensor) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in t.tolist())


def _wplus(model, seeds: list[int]) -> tuple[tuple[float, ...], ...]:
    """A W+ latent with distinct layers: layer i is the w of seeds[i % len(seeds)]."""
    num_ws = model.capabilities.w_space.num_ws
    w = model.map(model.sample_z(seeds), None)[:, 0]
    return _rows(torch.stack([w[i % len(seeds)] for i in range(num_ws)]))


def _ws(model, req: RenderRequest) -> torch.Tensor:
    with torch.inference_mode():
        return request_ws(model, req)[0]


def test_wplus_endpoints_are_the_keyframes(model) -> None:
    ws_a = _wplus(model, [10, 11, 12])
    reqs = walk(RenderRequest("m", psi=0.7), [Keyframe(ws=ws_a, label="a.npz"), 5], 5, "slerp", "wplus")
    first, last = _ws(model, reqs[0]), _ws(model, reqs[-1])
    w_avg = model.w_avg
    expected_a = w_avg + 0.7 * (torch.tensor(ws_a) - w_avg)  # explicit W+ is truncated like the request's ws
    torch.testing.assert_close(first, expected_a)
    seed5 = model.map(model.sample_z([5]), None, psi=0.7)[0]  # a seed: w after truncation on every layer
    torch.testing.assert_close(last, seed5, rtol=0, atol=0)
    assert len(set(_rows(first))) > 1 and len(set(_rows(last))) == 1
    np.testing.assert_array_equal(render(model, reqs[-1]), render(model, RenderRequest("m", seed=5, psi=0.7)))
    mid = _ws(model, reqs[2])
    assert not torch.allclose(mid, first) and not torch.allclose(mid, last)


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_each_layer_is_blended_on_its_own(model, method) -> None:
    a, b = _wplus(model, [1, 2]), _wplus(model, [3, 4, 5])
    t = 0.3
    mid = _ws(model, RenderRequest("m", ws=a, interpolation=Interpolation(0, t, method, "wplus", ws_b=b)))
    ta, tb = torch.tensor(a), torch.tensor(b)
    for i in range(ta.shape[0]):
        row = slerp(ta[i : i + 1], tb[i : i + 1], t) if method == "slerp" else ta[i] + (tb[i] - ta[i]) * t
        torch.testing.assert_close(mid[i], row.reshape(-1))
    # Changing B on one layer changes that layer of the blend only.
    b2 = list(b)
    b2[2] = a[2]  # layer 2 of B equals A's (parallel): that layer stays A, the others are unchanged
    mid2 = _ws(model, RenderRequest("m", ws=a, interpolation=Interpolation(0, t, method, "wplus", ws_b=tuple(b2))))
    changed = [i for i in range(ta.shape[0]) if not torch.equal(mid[i], mid2[i])]
    assert changed == [2]
    torch.testing.assert_close(mid2[2], ta[2])


def test_mixed_keyframes_hit_every_keyframe(model) -> None:
    z = tuple(float(v) for v in model.sample_z([77])[0].tolist())
    ws = _wplus(model, [20, 21])
    keys = [3, Keyframe(z=z, label="bookmark"), Keyframe(ws=ws, label="inv.npz"), Keyframe(seed=9)]
    reqs = walk(RenderRequest("m"), keys, 7, "lerp", "wplus")  # 3 segments, 2 frames each: keyframes at 0, 2, 4, 6
    assert (
        [r.latent.seed for r in reqs[::2][:1]] == [3]
        and reqs[2].latent.z == as_array(z)
        and reqs[4].latent.ws == as_array(ws)
    )
    ref = [
        model.map(model.sample_z([3]), None)[0],
        model.map(torch.tensor([z]), None)[0],
        torch.tensor(ws),
        model.map(model.sample_z([9]), None)[0],
    ]
    for i, expected in zip((0, 2, 4, 6), ref, strict=True):
        torch.testing.assert_close(_ws(model, reqs[i]), expected)
    assert walk_frame(RenderRequest("m"), keys, 7, 3, "lerp", "wplus") == reqs[3]
    looped = walk(RenderRequest("m"), keys, 8, "slerp", "wplus", loop=True)
    assert looped[-1].edits.interpolation.seed_b == 3 and looped[4].latent.ws == as_array(ws)
    assert looped[6].latent.seed == 9


def test_spaces_refuse_what_they_cannot_walk(model) -> None:
    caps = model.capabilities
    per_layer = Keyframe(ws=_wplus(model, [1, 2]), label="inv.npz")
    one_w = Keyframe(ws=_rows(model.map(model.sample_z([4]), None)[0]), label="w.npz")
    for space in ("z", "w"):
        with pytest.raises(ValueError, match=r"inv\.npz is a W\+ latent.*wplus"):
            walk(RenderRequest("m"), [1, per_layer], 4, space=space)
    with pytest.raises(ValueError, match=r"w\.npz is a W\+ latent \(no z\)"):
        walk(RenderRequest("m"), [1, one_w], 4, space="z")
    assert len(walk(RenderRequest("m"), [1, one_w], 4, space="w")) == 4  # equal layers: one w
    assert [space_for([1, per_layer], s) for s in ("z", "w", "wplus")] == ["wplus"] * 3
    assert [space_for([1, one_w], s) for s in ("z", "w")] == ["wplus", "w"] and space_for([1, 2], "z") == "z"
    check_keyframes([1, per_layer], "wplus", caps)
    wrong = Keyframe(ws=per_layer.ws.array[:-1], label="other.npz")
    with pytest.raises(ValueError, match=r"other\.npz: W\+ latent of .* does not fit"):
        check_keyframes([1, wrong], "wplus", caps)
    with pytest.raises(ValueError, match="z has 3 values"):
        check_keyframes([1, Keyframe(z=(0.0, 1.0, 2.0))], "z", caps)
    vae = get_family("vae")
    vcaps = vae.new(vae.tiny_config()).capabilities
    with pytest.raises(ValueError, match="no W space"):
        check_keyframes([1, 2], "wplus", vcaps)
    with pytest.raises(ValueError, match="either z or ws"):
        Keyframe(z=(1.0,), ws=((1.0,),))
    with pytest.raises(ValueError, match="frame index 4"):
        walk_frame(RenderRequest("m"), [1, 2], 4, 4)


def test_keyframes_from_files(model, tmp_path) -> None:
    ws = torch.tensor([_wplus(model, [1, 2]), _wplus(model, [3, 4])])
    inv = Inversion("w+", "project", ws, np.zeros((2, 16, 16, 3), np.uint8))
    save_latent(tmp_path / "two.npz", inv, model)
    keys = load_keyframes(tmp_path / "two.npz")
    assert [k.label for k in keys] == ["two.npz#0", "two.npz#1"] and keys[1].ws == as_array(_rows(ws[1]))
    assert load_keyframes(tmp_path / "two.npz", 1) == [keys[1]]
    zinv = Inversion("z", "encoder", torch.randn(1, 16), np.zeros((1, 16, 16, 3), np.uint8))
    save_latent(tmp_path / "z.npz", zinv, model)
    (zk,) = load_keyframes(tmp_path / "z.npz")
    assert zk.kind == "z" and len(zk.z) == 16 and zk.label == "z.npz"
    save_project(tmp_path / "g.latentlab.json", "m", [Bookmark("a", 3), Bookmark("b", 4, (0.5,) * 16)])
    marks = load_keyframes(tmp_path / "g.latentlab.json")
    assert [(k.seed, k.kind) for k in marks] == [(3, "seed"), (4, "z")]
    with pytest.raises(ValueError, match="index 2 is outside 0..1"):
        load_keyframes(tmp_path / "two.npz", 2)
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="not a LatentLab latent file"):
        load_keyframes(tmp_path / "junk.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not an .npz archive"):
        load_keyframes(tmp_path / "text.npz")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(ValueError, match="not a readable LatentLab project"):
        load_keyframes(tmp_path / "x.txt")
    with pytest.raises(ValueError, match="cannot read keyframe file"):
        load_keyframes(tmp_path / "missing.npz")
