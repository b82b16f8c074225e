"""Direction discovery: SeFa and PCA, .npz round trip, and offsets that change images as they grow."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.api import RenderRequest
from engine.families import family_names, get_family
from engine.latent.directions import Directions, DirectionsError, compute, pca_job, sefa
from engine.render import render


def _model(name: str):
    torch.manual_seed(0)
    fam = get_family(name)
    return fam.new(fam.tiny_config())


def _run(job):
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


@pytest.mark.parametrize(
    "name", [n for n in family_names() if get_family(n).new(get_family(n).tiny_config()).capabilities.z_dim > 0]
)
def test_sefa_every_generator(name: str) -> None:
    model = _model(name)
    caps = model.capabilities
    d = sefa(model, k=3)
    assert d.vectors.shape == (3, caps.w_space.w_dim if caps.w_space else caps.z_dim)
    assert np.allclose(d.vectors @ d.vectors.T, np.eye(3), atol=1e-4)  # orthonormal eigenvectors
    assert (d.scales > 0).all()
    d.check_model(model)


def test_sefa_matches_the_eigen_decomposition_of_the_weights() -> None:
    model = _model("gan")
    a = model.latent_weights()[0][1].double()
    a = a / a.norm(dim=0, keepdim=True)
    vals, vecs = torch.linalg.eigh(a.T @ a)
    top = vecs[:, vals.argmax()].numpy()
    d = sefa(model, k=1)
    assert abs(abs(float(d.vectors[0] @ top)) - 1) < 1e-5


def test_sefa_layer_range_uses_only_those_layers() -> None:
    model = _model("stylegan2")
    d_all, d_first = sefa(model, k=2), sefa(model, k=2, layers=(0, 1))
    assert d_first.layers == (0, 1) and not np.allclose(np.abs(d_all.vectors), np.abs(d_first.vectors))
    with pytest.raises(DirectionsError, match="layer range"):
        sefa(model, layers=(3, 99))
    with pytest.raises(DirectionsError, match="no style layers"):
        sefa(_model("dcgan"), layers=(0, 1))


def test_pca_of_w_and_refusal_in_z() -> None:
    model = _model("stylegan2")
    d = _run(pca_job(model, k=4, n=400, batch=100))
    assert d.method == "pca" and d.space == "w" and d.vectors.shape == (4, model.capabilities.w_space.w_dim)
    assert (np.diff(d.scales) <= 1e-6).all()  # sorted by variance
    with pytest.raises(DirectionsError, match="needs a W space"):
        _run(compute(_model("dcgan"), "pca"))
    with pytest.raises(DirectionsError, match="unknown method"):
        _run(compute(model, "ica"))


def test_npz_round_trip_and_bad_files(tmp_path) -> None:
    d = sefa(_model("stylegan2"), k=3, layers=(1, 3))
    path = d.save(tmp_path / "dirs.npz")
    back = Directions.load(path)
    assert back.layers == (1, 3) and back.space == "w" and np.allclose(back.vectors, d.vectors)
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(DirectionsError, match="not a LatentLab directions file"):
        Directions.load(tmp_path / "bad.npz")
    with pytest.raises(DirectionsError, match="no W space"):
        back.check_model(_model("dcgan"))


@pytest.mark.parametrize("name", ["stylegan2", "dcgan"])
def test_image_change_grows_with_the_offset(name: str) -> None:
    model = _model(name)
    d = sefa(model, k=2, layers=(0, 2) if name == "stylegan2" else None)
    base = render(model, RenderRequest("m", seed=3)).astype(np.float64)
    changes = []
    for amount in (0.5, 1.5, 3.0):
        off = tuple(float(v) for v in d.offset([amount]))
        if d.space == "w":
            req = RenderRequest("m", seed=3, w_offset=off, w_offset_layers=d.layers)
        else:
            req = RenderRequest("m", seed=3, z_offset=off)
        changes.append(np.abs(render(model, req).astype(np.float64) - base).mean())
    assert changes[0] < changes[1] < changes[2] and changes[0] > 0


def test_w_offset_layers_leave_other_layers_alone() -> None:
    from engine.render import request_ws

    model = _model("stylegan2")
    w_dim, n = model.capabilities.w_space.w_dim, model.capabilities.w_space.num_ws
    off = tuple([1.0] * w_dim)
    plain = request_ws(model, RenderRequest("m", seed=1))
    moved = request_ws(model, RenderRequest("m", seed=1, w_offset=off, w_offset_layers=(1, 3)))
    diff = (moved - plain).abs().sum(dim=2)[0]
    assert torch.allclose(diff[1:3], torch.full((2,), float(w_dim))) and diff[0] == 0 and diff[3:].sum() == 0
    with pytest.raises(ValueError, match="w_offset_layers"):
        request_ws(model, RenderRequest("m", seed=1, w_offset=off, w_offset_layers=(2, n + 1)))
