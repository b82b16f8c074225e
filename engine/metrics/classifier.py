"""A compact Fashion-MNIST CNN classifier: the offline feature network for FID/KID/IS/PR.

Input: 1×32×32 images in [-1, 1] (the 28×28 originals padded by 2 black pixels, as the GAN
families produce them). ``forward`` returns logits; ``features`` the penultimate layer.
The bundled weights are written by ``training/classifier.py`` (preset ``fmnist-classifier``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from engine.fileio import atomic_write

FORMAT = "latentlab-classifier"
# Which activations Classifier.features returns (part of extractor names, hence of cache keys).
FEATURE_LAYER = "fc-std"
MIN_FEATURE_STD = 1e-2
VERSION = 1


@dataclass(frozen=True)
class ClassifierConfig:
    """Architecture of :class:`Classifier` (three conv stages, then two linear layers)."""

    resolution: int = 32
    channels: int = 1
    num_classes: int = 10
    widths: tuple[int, ...] = (32, 64, 128)
    feature_dim: int = 128
    dropout: float = 0.3
    class_names: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.resolution % (2 ** len(self.widths)) != 0:
            raise ValueError(f"resolution {self.resolution} must be divisible by 2^{len(self.widths)}")
        if self.class_names and len(self.class_names) != self.num_classes:
            raise ValueError(f"{len(self.class_names)} class names for {self.num_classes} classes")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["widths"] = list(self.widths)
        d["class_names"] = list(self.class_names)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassifierConfig:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for k in ("widths", "class_names"):
            if k in known:
                known[k] = tuple(known[k])
        return cls(**known)


class Classifier(nn.Module):
    """conv-BN-ReLU-maxpool ×len(widths) → flatten → linear(feature_dim) → ReLU → dropout → linear(classes).

    Features are the output of ``fc`` before its ReLU, standardised per dimension with the buffers
    ``feature_mean``/``feature_std`` (set by :func:`calibrate_features` on the training set; identity
    until then). Standardised features keep every dimension varying (no dead ReLU units for FID's
    covariance) and give the KID polynomial kernel ``(x·y/d + 1)³`` inputs of order 1, as with
    Inception features, instead of raw activations whose cube makes KID estimates very noisy.
    """

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        c_in = config.channels
        for w in config.widths:
            layers += [nn.Conv2d(c_in, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            layers.append(nn.MaxPool2d(2))
            c_in = w
        self.body = nn.Sequential(*layers)
        side = config.resolution // (2 ** len(config.widths))
        self.fc = nn.Linear(c_in * side * side, config.feature_dim)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.feature_dim, config.num_classes)
        self.register_buffer("feature_mean", torch.zeros(config.feature_dim))
        self.register_buffer("feature_std", torch.ones(config.feature_dim))

    def _check(self, x: torch.Tensor) -> None:
        c = self.config
        if x.ndim != 4 or x.shape[1] != c.channels or x.shape[2] != c.resolution or x.shape[3] != c.resolution:
            raise ValueError(f"expected [N, {c.channels}, {c.resolution}, {c.resolution}] images, got {tuple(x.shape)}")

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate linear layer's raw output ``[N, feature_dim]`` (before ReLU and standardisation)."""
        self._check(x)
        return self.fc(self.body(x).flatten(1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Standardised penultimate pre-activations ``[N, feature_dim]``."""
        return (self.pre_activations(x) - self.feature_mean) / self.feature_std

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(features, logits)`` from one forward pass."""
        a = self.pre_activations(x)
        return (a - self.feature_mean) / self.feature_std, self.head(self.drop(torch.relu(a)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[N, num_classes]``."""
        return self.features_and_logits(x)[1]


@torch.no_grad()
def calibrate_features(model: Classifier, batches: Iterable[torch.Tensor]) -> Classifier:
    """Set ``feature_mean``/``feature_std`` to the per-dimension statistics of the pre-activations over
    ``batches`` (images in [-1, 1]); standard deviations are floored at ``MIN_FEATURE_STD``."""
    was_training = model.training
    model.eval()
    total = torch.zeros(model.config.feature_dim, dtype=torch.float64)
    total_sq = torch.zeros_like(total)
    n = 0
    device = model.fc.weight.device
    for x in batches:
        a = model.pre_activations(x.to(device)).double().cpu()
        total += a.sum(0)
        total_sq += (a * a).sum(0)
        n += a.shape[0]
    if n < 2:
        raise ValueError("feature calibration needs at least 2 images")
    mean = total / n
    var = (total_sq - n * mean * mean) / (n - 1)
    model.feature_mean.copy_(mean.float())
    model.feature_std.copy_(var.clamp_min(0).sqrt().clamp_min(MIN_FEATURE_STD).float())
    model.train(was_training)
    return model


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix in (".json", ".safetensors"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".safetensors"), p.with_name(p.name + ".json")


def save_classifier(model: Classifier, path: str | Path, info: dict[str, Any] | None = None) -> Path:
    """Write ``NAME.safetensors`` + ``NAME.json`` (config and ``info``, e.g. accuracy); returns the tensor path."""
    st_path, json_path = _paths(path)
    doc = {"format": FORMAT, "version": VERSION, "config": model.config.to_dict(), "info": info or {}}
    text = json.dumps(doc, indent=2)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    atomic_write(st_path, lambda tmp: save_file(tensors, tmp, metadata={FORMAT: text}))
    atomic_write(json_path, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    return st_path


def load_classifier(path: str | Path, device: torch.device | str = "cpu") -> tuple[Classifier, dict[str, Any]]:
    """Load a classifier written by :func:`save_classifier`; returns ``(model in eval mode, description)``."""
    st_path, json_path = _paths(path)
    if not st_path.exists():
        raise FileNotFoundError(f"classifier weights {st_path} not found")
    if json_path.exists():
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    else:
        with safe_open(str(st_path), framework="pt") as f:
            doc = json.loads((f.metadata() or {}).get(FORMAT, "{}"))
    if doc.get("format") != FORMAT:
        raise ValueError(f"{json_path} is not a LatentLab classifier description")
    model = Classifier(ClassifierConfig.from_dict(doc["config"]))
    tensors: dict[str, torch.Tensor] = {}
    with safe_open(str(st_path), framework="pt", device="cpu") as f:
        for k in f.keys():  # noqa: SIM118 - safe_open is not a mapping
            tensors[k] = f.get_tensor(k)
    model.load_state_dict(tensors, strict=True)
    return model.to(device).eval(), doc
