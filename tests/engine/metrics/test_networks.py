"""The feature networks: the Fashion-MNIST classifier and pytorch-fid's Inception-v3 layout."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from engine.metrics.classifier import Classifier, ClassifierConfig, load_classifier, save_classifier
from engine.metrics.errors import MetricError
from engine.metrics.features import TorchExtractor, adapt_images, classifier_extractor
from engine.metrics.inception import FIDInceptionV3, load_fid_inception


def test_classifier_shapes_and_round_trip(tmp_path: Path) -> None:
    cfg = ClassifierConfig(widths=(4, 8), feature_dim=16, num_classes=3, class_names=("a", "b", "c"))
    torch.manual_seed(0)
    model = Classifier(cfg).eval()
    x = torch.rand(5, 1, 32, 32) * 2 - 1
    feats, logits = model.features_and_logits(x)
    assert feats.shape == (5, 16) and logits.shape == (5, 3)
    assert (feats < 0).any()  # taken before the ReLU
    assert torch.equal(model.head(torch.relu(feats)), logits)  # eval mode: dropout is the identity
    with pytest.raises(ValueError, match="expected"):
        model(torch.zeros(2, 3, 32, 32))
    save_classifier(model, tmp_path / "cls", {"test_accuracy": 0.5})
    loaded, doc = load_classifier(tmp_path / "cls.safetensors")
    assert loaded.config == cfg and doc["info"]["test_accuracy"] == 0.5
    assert torch.equal(loaded(x), model(x))


def test_classifier_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        ClassifierConfig(resolution=30, widths=(4, 8, 16))
    with pytest.raises(ValueError):
        ClassifierConfig(num_classes=3, class_names=("a",))


def test_classifier_extractor_from_a_file(tmp_path: Path) -> None:
    cfg = ClassifierConfig(widths=(4, 8), feature_dim=16)
    save_classifier(Classifier(cfg), tmp_path / "c")
    ext = classifier_extractor(tmp_path / "c.safetensors")
    f, lg = ext.extract(torch.zeros(3, 3, 28, 28))  # RGB 28 px: adapted to grey 32 px
    assert f.shape == (3, 16) and f.dtype.name == "float64" and lg is not None and lg.shape == (3, 10)
    assert ext.name.startswith("classifier-c-")


def test_adapt_images() -> None:
    grey = torch.full((2, 1, 28, 28), 0.5)
    x = adapt_images(grey, 32, 3)
    assert x.shape == (2, 3, 32, 32)
    assert x[0, 0, 0, 0] == -1.0 and x[0, 0, 16, 16] == pytest.approx(0.5)  # padded with black
    rgb = torch.zeros(1, 3, 64, 64)
    rgb[:, 0] = 1.0
    y = adapt_images(rgb, 16, 1)
    assert y.shape == (1, 1, 16, 16) and y.mean().item() == pytest.approx(0.299, abs=1e-5)
    with pytest.raises(MetricError):
        adapt_images(torch.zeros(2, 2, 8, 8), 8, 1)


# Key names and shapes of pytorch-fid's pt_inception-2015-12-05 state dict (a sample across the network).
FID_KEYS = {
    "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
    "Conv2d_1a_3x3.bn.running_var": (32,),
    "Conv2d_4a_3x3.conv.weight": (192, 80, 3, 3),
    "Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1),
    "Mixed_5d.branch5x5_2.conv.weight": (64, 48, 5, 5),
    "Mixed_6a.branch3x3.conv.weight": (384, 288, 3, 3),
    "Mixed_6b.branch7x7_2.conv.weight": (128, 128, 1, 7),
    "Mixed_6e.branch7x7dbl_5.conv.weight": (192, 192, 1, 7),
    "Mixed_7a.branch7x7x3_4.conv.weight": (192, 192, 3, 3),
    "Mixed_7b.branch3x3_2b.conv.weight": (384, 384, 3, 1),
    "Mixed_7c.branch3x3dbl_3a.conv.weight": (384, 384, 1, 3),
    "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1),
    "fc.weight": (1008, 2048),
    "fc.bias": (1008,),
}


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    state = {k: v.clone() for k, v in FIDInceptionV3().state_dict().items() if not k.endswith("num_batches_tracked")}
    path = tmp_path_factory.mktemp("inception") / "pt_inception-2015-12-05-test.pth"
    torch.save(state, path)
    return path, state


def test_inception_has_pytorch_fid_key_names(inception_file: tuple[Path, dict[str, torch.Tensor]]) -> None:
    _, state = inception_file
    for key, shape in FID_KEYS.items():
        assert tuple(state[key].shape) == shape, key
    assert not any(k.startswith("AuxLogits") for k in state)


def test_inception_loads_pth_and_safetensors(
    inception_file: tuple[Path, dict[str, torch.Tensor]], tmp_path: Path
) -> None:
    path, state = inception_file
    model = load_fid_inception(path)
    for k, v in model.state_dict().items():
        if k in state:
            assert torch.equal(v, state[k]), k
    st = tmp_path / "inception.safetensors"
    save_file(state, str(st))
    model2 = load_fid_inception(st)
    ext = TorchExtractor(model2, "inception-test", 299, 3, 2048, 1008)
    f, lg = ext.extract(torch.zeros(1, 1, 32, 32))
    assert f.shape == (1, 2048) and lg is not None and lg.shape == (1, 1008)


def test_inception_rejects_wrong_files(inception_file: tuple[Path, dict[str, torch.Tensor]], tmp_path: Path) -> None:
    path, state = inception_file
    partial = {k: v for k, v in state.items() if not k.startswith("Mixed_7c")}
    torch.save(partial, tmp_path / "partial.pth")
    with pytest.raises(MetricError, match="missing"):
        load_fid_inception(tmp_path / "partial.pth")
    bad = dict(state)
    bad["fc.weight"] = torch.zeros(1000, 2048)
    torch.save(bad, tmp_path / "bad.pth")
    with pytest.raises(MetricError, match="shape"):
        load_fid_inception(tmp_path / "bad.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(MetricError):
        load_fid_inception(tmp_path / "junk.pth")
    with pytest.raises(MetricError, match="not found"):
        load_fid_inception(tmp_path / "absent.pth")


def test_feature_network_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import zoo

    with pytest.raises(LookupError, match="no bundled feature network"):
        zoo.feature_network("no-such-network")
    (tmp_path / "MANIFEST.json").write_text(
        '{"models": {}, "feature_networks": {"n": {"path": "models/n.safetensors"}}}'
    )
    monkeypatch.setenv("LATENTLAB_ASSETS", str(tmp_path))
    with pytest.raises(LookupError, match="missing"):
        zoo.feature_network("n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "n.safetensors").write_bytes(b"")
    assert zoo.feature_network("n") == tmp_path / "models" / "n.safetensors"


def test_make_extractor_picks_the_bundled_network_for_the_data() -> None:
    from engine.metrics.errors import MetricError
    from engine.metrics.features import feature_network_for, make_extractor

    assert feature_network_for("fmnist:test") == "fmnist-classifier"
    assert feature_network_for("demo:emoji") == "emoji-classifier"
    assert feature_network_for("/some/folder") == "fmnist-classifier"
    emoji = make_extractor("auto", data="demo:emoji")
    assert (emoji.resolution, emoji.channels, emoji.num_classes) == (64, 3, 8)
    assert make_extractor("emoji-classifier").name == emoji.name
    assert make_extractor("classifier").name == make_extractor("auto", data="fmnist:test").name
    with pytest.raises(MetricError, match="unknown feature network 'nope'"):
        make_extractor("nope")
