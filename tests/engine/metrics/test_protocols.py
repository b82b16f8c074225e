"""Inception metrics under the published protocols, against numbers computed once with pytorch-fid
0.3.0, clean-fid 0.1.35 and torch-fidelity 0.4.0 (``scripts/make_metric_reference.py`` wrote
``fixtures/metric_reference.npz``) on seeded random Inception weights and deterministic image files
(``reference_inputs.py``: 10 images of mixed sizes and modes, 10 of 64 px)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from engine.metrics.errors import MetricError
from engine.metrics.evaluate import EvalOptions, evaluate, native_source, run_to_end
from engine.metrics.features import inception_extractor, make_extractor
from engine.metrics.fid import feature_statistics, frechet_distance
from engine.metrics.inception import FIDInceptionV3
from engine.metrics.inception_score import inception_score
from engine.metrics.protocol import PROTOCOLS, inception_input, quantize
from tests.engine.metrics.reference_inputs import random_inception_state, write_reference_images
from training.native_images import open_native

FIXTURE = Path(__file__).parent / "fixtures" / "metric_reference.npz"
PREFIX = {"pytorch-fid": "pfid", "clean-fid": "cfid"}
IS_SPLITS = 3


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    with np.load(FIXTURE, allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


# --- fast checks of the pieces -------------------------------------------------------------------


def test_inception_score_splits_and_formula_match_torch_fidelity(ref: dict[str, np.ndarray]) -> None:
    logits = ref["tfid_logits_unbiased_a"].astype(np.float64)
    mean, std = inception_score(logits, splits=IS_SPLITS)  # 10 rows in 3 splits: 3, 3, 4 as torch-fidelity
    assert mean == pytest.approx(ref["tfid_is_a"][0], rel=1e-12)
    assert std == pytest.approx(ref["tfid_is_a"][1], rel=1e-9)
    assert abs(mean / ref["tfid_is_a_biased"][0] - 1) > 1e-3  # the fc bias changes the score


def test_logits_are_bias_free() -> None:
    torch.manual_seed(0)
    model = FIDInceptionV3()
    torch.nn.init.normal_(model.fc.bias)
    f = torch.rand(3, 2048)
    assert torch.equal(model.logits_unbiased(f), f.mm(model.fc.weight.T))
    assert not torch.allclose(model.logits_unbiased(f), model.fc(f))


def test_generated_images_are_quantised_as_generate_saves_them() -> None:
    from engine.render import to_uint8

    x = torch.rand(2, 3, 5, 7) * 2.2 - 1.1
    assert torch.equal(quantize(x).permute(0, 2, 3, 1), torch.from_numpy(to_uint8(x)))
    assert torch.equal(inception_input(x), inception_input(quantize(x)))


def test_pytorch_fid_input_is_a_plain_bilinear_stretch() -> None:
    u8 = torch.randint(0, 256, (2, 3, 331, 200), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    x = inception_input(u8, "pytorch-fid")
    plain = 2 * F.interpolate(u8.float() / 255, size=(299, 299), mode="bilinear", align_corners=False) - 1
    smooth = 2 * F.interpolate(u8.float() / 255, size=(299, 299), mode="bilinear", antialias=True) - 1
    assert x.shape == (2, 3, 299, 299) and x.dtype == torch.float32
    assert torch.equal(x, plain)
    assert (x - smooth).abs().max() > 0.05  # an antialiased resize would be a different protocol


def test_images_of_different_sizes_keep_their_order_and_grey_becomes_rgb() -> None:
    g = torch.Generator().manual_seed(1)
    images = [torch.randint(0, 256, (c, s, s), generator=g, dtype=torch.uint8) for c, s in ((3, 32), (1, 64), (3, 32))]
    for protocol in PROTOCOLS:
        batch = inception_input(images, protocol)
        for i, im in enumerate(images):
            assert torch.equal(batch[i], inception_input(im[None].expand(1, 3, -1, -1), protocol)[0])


def test_clean_fid_input_is_pil_bicubic_per_channel_in_float() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    x = inception_input(torch.from_numpy(rgb).permute(2, 0, 1)[None], "clean-fid")[0]
    for c in range(3):
        im = Image.fromarray(rgb[:, :, c].astype(np.float32)).resize((299, 299), Image.Resampling.BICUBIC)
        expected = torch.from_numpy(np.asarray(im).clip(0, 255).astype(np.float32)) / 255 * 2 - 1
        assert torch.equal(x[c], expected)
    same = torch.from_numpy(np.random.default_rng(3).integers(0, 256, (1, 3, 299, 299), dtype=np.uint8))
    assert torch.equal(inception_input(same, "clean-fid"), same.float() / 255 * 2 - 1)


def test_protocol_errors() -> None:
    with pytest.raises(MetricError, match="unknown protocol 'tf'"):
        inception_input(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), "tf")
    with pytest.raises(MetricError, match="Inception features only"):
        make_extractor("classifier", protocol="clean-fid")


# --- against the reference numbers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shapes = {k: tuple(v.shape) for k, v in FIDInceptionV3().state_dict().items()}
    state = {k: torch.from_numpy(v) for k, v in random_inception_state(shapes).items()}
    path = tmp_path_factory.mktemp("inception") / "pt_inception-random.pth"
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("images")
    for name in ("a", "b"):
        write_reference_images(root / name, name)
    return {name: root / name for name in ("a", "b")}


@pytest.fixture(scope="module")
def cache_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENTLAB_CACHE", str(path))
        yield path


class _Recording:
    """An extractor that keeps what the wrapped one returned (and counts the images it saw)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.resolution, self.channels = inner.name, inner.resolution, inner.channels
        self.feature_dim, self.num_classes = inner.feature_dim, inner.num_classes
        self.protocol = inner.protocol
        self.features: list[np.ndarray] = []
        self.logits: list[np.ndarray] = []

    def extract(self, images: Any) -> tuple[np.ndarray, np.ndarray | None]:
        f, lg = self.inner.extract(images)
        self.features.append(f)
        self.logits.append(lg)
        return f, lg


def _source(folder: Path, n: int = 10) -> Any:
    images = open_native(str(folder))
    return native_source(str(folder), images.count, images.read, n)


@pytest.fixture(scope="module")
def measured(weights: Path, folders: dict[str, Path], cache_env: Path) -> dict[str, dict[str, Any]]:
    """One evaluation per protocol: set b as the real images (cached), set a as the generated ones."""
    out = {}
    opts = EvalOptions(metrics=("kid", "is"), n=10, batch=4, kid_subsets=5, kid_subset_size=10, is_splits=IS_SPLITS)
    for protocol in PROTOCOLS:
        rec = _Recording(inception_extractor(weights, protocol=protocol))
        report = run_to_end(evaluate(_source(folders["b"]), _source(folders["a"]), rec, opts))
        feats, logits = np.concatenate(rec.features), np.concatenate(rec.logits)
        out[protocol] = {"b": feats[:10], "a": feats[10:], "logits_a": logits[10:], "report": report}
    return out


@pytest.mark.slow
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_features_match_the_reference(measured: dict, ref: dict[str, np.ndarray], protocol: str) -> None:
    p = PREFIX[protocol]
    for name in ("a", "b"):
        f = measured[protocol][name]
        assert f.shape == (10, 2048)
        np.testing.assert_allclose(f[:, ::8], ref[f"{p}_{name}_thin"], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(f.sum(1), ref[f"{p}_{name}_sum"], rtol=1e-6)
        np.testing.assert_allclose((f * f).sum(1), ref[f"{p}_{name}_sumsq"], rtol=1e-6)
    other = measured["clean-fid" if protocol == "pytorch-fid" else "pytorch-fid"]["a"]
    assert np.abs(measured[protocol]["a"] - other).max() > 0.1  # the two protocols do differ


@pytest.mark.slow
def test_fid_statistics_and_formula_match_pytorch_fid_and_clean_fid(measured: dict, ref: dict[str, np.ndarray]) -> None:
    mu, sigma = feature_statistics(measured["pytorch-fid"]["a"])
    np.testing.assert_allclose(mu, ref["pfid_mu_a"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sigma[:16, :16], ref["pfid_sigma_a_block"], rtol=1e-5, atol=1e-8)
    dims = ref["fid_dims"]  # 8 of the 2048 dimensions: 10 images give a full-rank 8-d covariance
    for protocol, p in PREFIX.items():
        a, b = measured[protocol]["a"][:, dims], measured[protocol]["b"][:, dims]
        fid = frechet_distance(*feature_statistics(a), *feature_statistics(b))
        assert fid == pytest.approx(float(ref[f"{p}_fid8"]), rel=1e-6)


@pytest.mark.slow
def test_kid_and_bias_free_inception_score_match(measured: dict, ref: dict[str, np.ndarray]) -> None:
    pf, cf = measured["pytorch-fid"]["report"], measured["clean-fid"]["report"]
    # every KID subset holds all 10 images, so the subsets agree and the std is rounding only
    assert pf.kid_mean == pytest.approx(ref["pfid_kid"][0], rel=1e-9) and pf.kid_std < 1e-9
    assert cf.kid_mean == pytest.approx(float(ref["cfid_kid"]), rel=1e-5)  # clean-fid computes it in float32
    assert pf.is_mean == pytest.approx(ref["pfid_is_a"][0], rel=1e-9)
    assert pf.is_std == pytest.approx(ref["pfid_is_a"][1], rel=1e-6)
    assert abs(pf.is_mean / ref["pfid_is_a_biased"][0] - 1) > 1e-3
    assert cf.is_mean == pytest.approx(ref["cfid_is_a"][0], rel=1e-9)
    assert pf.settings["protocol"] == "pytorch-fid" and pf.features.endswith("-pytorch-fid")
    assert cf.features.endswith("-clean-fid") and pf.features != cf.features


@pytest.mark.slow
def test_fid_is_refused_before_any_feature_with_too_few_images(weights: Path, folders: dict[str, Path]) -> None:
    rec = _Recording(inception_extractor(weights))
    job = evaluate(_source(folders["b"]), _source(folders["a"]), rec, EvalOptions(metrics=("fid",), n=10))
    with pytest.raises(MetricError, match="at least 2049 images per side"):
        next(job)
    assert rec.features == []


@pytest.mark.slow
def test_cli_follows_pytorch_fid_by_default(
    measured: dict, weights: Path, folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from app.cli import main

    common = ["metrics", "--data", str(folders["b"]), "--against", str(folders["a"]), "--features", "inception"]
    common += ["--inception-weights", str(weights), "--device", "cpu"]
    capsys.readouterr()
    assert main([*common, "--metric", "kid,is", "--n", "10", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    expected = measured["pytorch-fid"]
    assert doc["settings"]["real_cached"] is True  # set b under the same key as the engine run above
    assert doc["settings"]["protocol"] == "pytorch-fid"
    assert doc["kid_mean"] == pytest.approx(expected["report"].kid_mean, rel=1e-12)
    assert doc["is_mean"] == pytest.approx(inception_score(expected["logits_a"], 10)[0], rel=1e-12)

    capsys.readouterr()
    assert main([*common, "--metric", "fid", "--n", "100"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "at least 2049 images per side" in err


@pytest.mark.slow
def test_cli_measures_a_model_against_a_folder_at_its_own_size(
    weights: Path,
    folders: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json
    import logging

    from app.cli import main
    from engine.checkpoints.native import save_native
    from engine.families import get_family

    fam = get_family("gan")
    torch.manual_seed(0)
    ckpt = save_native(fam.new(fam.tiny_config()), tmp_path / "tiny.safetensors")  # 8×8 grey, 3 classes
    args = ["metrics", str(ckpt), "--data", str(folders["b"]), "--features", "inception", "--protocol", "clean-fid"]
    args += ["--inception-weights", str(weights), "--metric", "is", "--n", "2", "--json", "--no-cache", "-v"]
    monkeypatch.setattr("app.commands.metrics.NATIVE_PIXEL_BUDGET", 64 * 64 * 3 // 2)  # one 64 px photo a batch
    capsys.readouterr()
    with caplog.at_level(logging.INFO):
        assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_real"] == 2 and doc["n_generated"] == 2 and doc["is_mean"] >= 1.0
    assert doc["features"].endswith("-clean-fid")
    assert "the real images are 64×64" in caplog.text and "--resolution 8" in caplog.text
    assert "batches of 1 images" in caplog.text
