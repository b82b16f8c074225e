"""The evaluation job: model sampling, progress, the real-feature cache, cancellation."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.families import LoadedModel, get_family
from engine.metrics import cache
from engine.metrics.classifier import Classifier, ClassifierConfig, save_classifier
from engine.metrics.errors import Cancelled, MetricError
from engine.metrics.evaluate import EvalOptions, dataset_source, evaluate, model_source, run_to_end
from engine.metrics.features import TorchExtractor, classifier_extractor
from engine.metrics.sampling import class_schedule, model_batches


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    fam = get_family("gan")
    torch.manual_seed(0)
    return fam.new(fam.tiny_config())  # conditional, 3 classes, 8x8


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> TorchExtractor:
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("cls") / "tiny"
    save_classifier(Classifier(ClassifierConfig(widths=(4, 8), feature_dim=8, num_classes=10)), path)
    return classifier_extractor(path.with_suffix(".safetensors"))


@pytest.fixture
def real() -> types.SimpleNamespace:
    rng = np.random.default_rng(0)
    return types.SimpleNamespace(images=torch.from_numpy(rng.integers(0, 256, (40, 1, 8, 8), dtype=np.uint8)))


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))


def test_class_schedule_is_round_robin() -> None:
    assert class_schedule(7, 3) == [0, 1, 2, 0, 1, 2, 0]
    assert class_schedule(3, 3, start=4) == [1, 2, 0]
    with pytest.raises(MetricError):
        class_schedule(3, 0)


def test_model_batches_do_not_depend_on_the_batch_size(model: LoadedModel) -> None:
    a = torch.cat(list(model_batches(model, 10, batch=3, seed=5)))
    b = torch.cat(list(model_batches(model, 10, batch=10, seed=5)))
    assert a.shape == (10, model.capabilities.channels, 8, 8)
    assert torch.allclose(a, b, atol=1e-6)
    assert a.min() >= -1 and a.max() <= 1


def test_evaluate_reports_every_metric_with_progress(model: LoadedModel, extractor, real) -> None:
    opts = EvalOptions(n=30, batch=8, kid_subsets=5, is_splits=3)
    progress: list[tuple[int, int, str]] = []
    report = run_to_end(
        evaluate(dataset_source("fake:real", real, 30), model_source(model, 30), extractor, opts), progress.append
    )
    assert [p[0] for p in progress] == list(range(1, len(progress) + 1))
    assert all(p[1] == len(progress) for p in progress)  # 4 real + 4 generated batches + metrics
    assert len(progress) == 9
    assert report.n_real == 30 and report.n_generated == 30
    assert report.fid is not None and report.fid > 0
    assert report.kid_mean is not None and report.kid_std is not None
    assert report.is_mean is not None and 1.0 <= report.is_mean <= 10.0
    assert 0 <= report.precision <= 1 and 0 <= report.recall <= 1
    assert report.to_dict()["settings"]["real_cached"] is False


def test_real_features_are_cached(model: LoadedModel, extractor, real) -> None:
    opts = EvalOptions(metrics=("fid",), n=20, batch=10)

    def once() -> tuple[float | None, int, bool]:
        steps: list = []
        r = run_to_end(
            evaluate(dataset_source("fake:real", real, 20), model_source(model, 20), extractor, opts), steps.append
        )
        return r.fid, len(steps), r.settings["real_cached"]

    first, second = once(), once()
    assert first[2] is False and second[2] is True
    assert second[1] == first[1] - 2
    assert second[0] == pytest.approx(first[0], rel=1e-5)
    assert len(list(cache.cache_dir().glob("*.npz"))) == 1


def test_real_vs_same_real_is_zero(extractor, real) -> None:
    src = dataset_source("fake:real", real, 40)
    report = run_to_end(evaluate(src, src, extractor, EvalOptions(metrics=("fid", "pr"), n=40, use_cache=False)))
    assert abs(report.fid) < 1e-6
    assert report.precision == 1.0 and report.recall == 1.0


def test_cancel_stops_the_job(model: LoadedModel, extractor, real) -> None:
    job = evaluate(dataset_source("x", real, 20), model_source(model, 20), extractor, cancel=lambda: True)
    with pytest.raises(Cancelled):
        next(job)


def test_bad_options_and_sources(model: LoadedModel, real) -> None:
    with pytest.raises(MetricError, match="unknown metric"):
        EvalOptions(metrics=("fid", "ppl"))
    with pytest.raises(MetricError):
        EvalOptions(n=1)
    with pytest.raises(MetricError):
        dataset_source("x", types.SimpleNamespace(images=torch.zeros(1, 1, 8, 8, dtype=torch.uint8)), 10)
    no_logits = types.SimpleNamespace(name="x", resolution=8, channels=1, feature_dim=4, num_classes=0)
    job = evaluate(dataset_source("x", real, 10), model_source(model, 10), no_logits, EvalOptions(metrics=("is",)))
    with pytest.raises(MetricError, match="logits"):
        next(job)


def test_dataset_source_takes_a_seeded_subset(real) -> None:
    a = torch.cat(list(dataset_source("x", real, 10, seed=3).batches(4)))
    b = torch.cat(list(dataset_source("x", real, 10, seed=3).batches(10)))
    c = torch.cat(list(dataset_source("x", real, 10, seed=4).batches(10)))
    assert a.shape == (10, 1, 8, 8) and torch.equal(a, b) and not torch.equal(a, c)


def test_the_engine_runtime_drives_the_job(model: LoadedModel, extractor, real) -> None:
    from engine.runtime import Engine

    engine = Engine(device="cpu").start()
    try:
        progress: list = []
        opts = EvalOptions(metrics=("fid", "kid"), n=20, batch=5, kid_subsets=3)
        handle = engine.submit_job(
            "metrics",
            lambda ctx: evaluate(dataset_source("x", real, 20), model_source(model, 20), extractor, opts),
            on_progress=progress.append,
        )
        result = handle.wait(60)
        assert result is not None and result.ok, result
        assert result.value.fid is not None and result.value.kid_mean is not None
        assert progress[-1].done == progress[-1].total == 9
    finally:
        engine.shutdown()


def test_class_accuracy_counts_requested_classes() -> None:
    from engine.metrics.evaluate import class_accuracy

    logits = np.array([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 5.0, 0.0], [1.0, 0.0, 0.0]])
    assert class_accuracy(logits, np.array([0, 1, 2, 0])) == 0.75
    with pytest.raises(MetricError, match="do not match"):
        class_accuracy(logits, np.array([0, 1]))


class _Oracle:
    """Logits that pick class ``i mod 3`` for the i-th image seen (or always ``fixed``)."""

    name, resolution, channels, feature_dim, num_classes = "oracle", 8, 1, 2, 3

    def __init__(self, fixed: int | None = None) -> None:
        self.seen, self.fixed = 0, fixed

    def extract(self, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        n = images.shape[0]
        k = np.arange(self.seen, self.seen + n) % 3 if self.fixed is None else np.full(n, self.fixed)
        self.seen += n
        return np.random.default_rng(self.seen).normal(size=(n, 2)), np.eye(3)[k] * 5.0


def test_class_accuracy_of_a_conditional_model(model: LoadedModel, real) -> None:
    src = model_source(model, 12)
    assert src.labels == tuple(i % 3 for i in range(12)) and len(src.class_names) == 3
    opts = EvalOptions(metrics=("acc",), n=12, batch=5, use_cache=False)
    # the oracle sees the 12 real images first, then sample i as its (12 + i)-th image: class i mod 3
    report = run_to_end(evaluate(dataset_source("r", real, 12), src, _Oracle(), opts))
    assert report.class_accuracy == 1.0
    report = run_to_end(evaluate(dataset_source("r", real, 12), model_source(model, 12), _Oracle(fixed=0), opts))
    assert report.class_accuracy == pytest.approx(4 / 12)


def test_class_accuracy_refuses_mismatched_or_unconditional(model: LoadedModel, extractor, real) -> None:
    opts = EvalOptions(metrics=("acc",), n=6, batch=3)
    with pytest.raises(MetricError, match="model's 3 classes"):
        run_to_end(evaluate(dataset_source("r", real, 6), model_source(model, 6), extractor, opts))
    with pytest.raises(MetricError, match="needs a conditional model"):
        run_to_end(evaluate(dataset_source("r", real, 6), dataset_source("r2", real, 6), extractor, opts))
