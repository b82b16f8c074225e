"""Feature extractors: the networks whose activations FID, KID, IS and precision/recall compare.

An extractor takes images in [-1, 1] (NCHW, any size, 1 or 3 channels), adapts them to its own input
(:func:`adapt_images` for the bundled classifiers; :mod:`engine.metrics.protocol` for Inception,
which also takes uint8 images of any sizes) and returns float64 features ``[N, D]`` and, when it has
a classifier head, logits ``[N, K]`` for the Inception Score (bias-free for Inception).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch
import torch.nn.functional as F

from engine.metrics.errors import MetricError

LUMA = (0.299, 0.587, 0.114)


@runtime_checkable
class FeatureExtractor(Protocol):
    """What the metrics need from a feature network.

    ``name`` identifies the network *and its weights* (and, for Inception, the input protocol); it
    keys the real-data feature cache.
    ``num_classes`` is 0 when the extractor has no logits (no Inception Score).
    """

    name: str
    resolution: int
    channels: int
    feature_dim: int
    num_classes: int

    def extract(self, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        """Images [-1, 1] NCHW → (features float64 [N, D], logits float64 [N, K] or None)."""
        ...


def adapt_images(images: torch.Tensor, resolution: int, channels: int) -> torch.Tensor:
    """Bring images in [-1, 1] NCHW to ``channels`` × ``resolution``².

    Grey → RGB repeats the channel; RGB → grey takes the luma (ITU-R 601 weights). A 28-pixel image
    going to 32 pixels is padded by 2 black pixels per side (the Fashion-MNIST convention used by
    the training data); any other size change is an antialiased bilinear resize.
    """
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise MetricError(f"expected images [N, 1|3, H, W], got {tuple(images.shape)}")
    if images.shape[2] != images.shape[3]:
        raise MetricError(f"expected square images, got {images.shape[2]}x{images.shape[3]}")
    x = images.float()
    if x.shape[1] != channels:
        if channels == 3:
            x = x.repeat(1, 3, 1, 1)
        elif channels == 1:
            w = torch.tensor(LUMA, dtype=x.dtype, device=x.device).reshape(1, 3, 1, 1)
            x = (x * w).sum(1, keepdim=True)
        else:
            raise MetricError(f"cannot adapt {x.shape[1]}-channel images to {channels} channels")
    size = x.shape[2]
    if size != resolution:
        if size == 28 and resolution == 32:
            x = F.pad(x, (2, 2, 2, 2), value=-1.0)
        else:
            x = F.interpolate(x, size=(resolution, resolution), mode="bilinear", align_corners=False, antialias=True)
    return x


def weights_digest(path: str | Path, length: int = 12) -> str:
    """A short SHA-256 of a weights file (part of an extractor's name, so caches follow the weights)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


class TorchExtractor:
    """A :class:`FeatureExtractor` around a torch module with a ``features_and_logits`` method."""

    def __init__(
        self,
        module: torch.nn.Module,
        name: str,
        resolution: int,
        channels: int,
        feature_dim: int,
        num_classes: int,
        device: torch.device | str = "cpu",
    ) -> None:
        self.module = module.to(device).eval()
        self.name = name
        self.resolution = resolution
        self.channels = channels
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.device = torch.device(device)

    @torch.inference_mode()
    def extract(self, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        x = adapt_images(images.to(self.device), self.resolution, self.channels)
        feats, logits = self.module.features_and_logits(x)
        if feats.shape != (x.shape[0], self.feature_dim):
            raise MetricError(f"{self.name}: features {tuple(feats.shape)}, expected [N, {self.feature_dim}]")
        f = feats.double().cpu().numpy()
        return f, None if logits is None else logits.double().cpu().numpy()


def classifier_extractor(path: str | Path | None = None, device: torch.device | str = "cpu") -> TorchExtractor:
    """The Fashion-MNIST classifier (bundled ``fmnist-classifier`` unless ``path`` is given)."""
    from engine import zoo
    from engine.metrics.classifier import FEATURE_LAYER, load_classifier

    if path is None:
        path = zoo.feature_network("fmnist-classifier")
    model, _doc = load_classifier(path)
    cfg = model.config
    digest = weights_digest(Path(path).with_suffix(".safetensors"))
    name = f"classifier-{Path(path).stem}-{FEATURE_LAYER}-{digest}"
    return TorchExtractor(model, name, cfg.resolution, cfg.channels, cfg.feature_dim, cfg.num_classes, device)


class InceptionExtractor(TorchExtractor):
    """Inception-v3 (pytorch-fid layout) behind a named input protocol (:mod:`engine.metrics.protocol`).

    :meth:`extract` takes uint8 batches (real data), [-1, 1] float batches (generated images,
    quantised as ``latentlab generate`` saves them) or sequences of single images of any sizes (a
    folder at its own resolution), and returns pool3 features and the bias-free logits.
    """

    def __init__(self, module: torch.nn.Module, name: str, protocol: str, device: torch.device | str = "cpu") -> None:
        from engine.metrics.inception import FEATURE_DIM, INPUT_SIZE, NUM_CLASSES
        from engine.metrics.protocol import PROTOCOLS

        if protocol not in PROTOCOLS:
            raise MetricError(f"unknown protocol '{protocol}' (known: {', '.join(PROTOCOLS)})")
        super().__init__(module, name, INPUT_SIZE, 3, FEATURE_DIM, NUM_CLASSES, device)
        self.protocol = protocol

    @torch.inference_mode()
    def extract(self, images: torch.Tensor | Sequence[torch.Tensor]) -> tuple[np.ndarray, np.ndarray | None]:
        from engine.metrics.protocol import inception_input

        x = inception_input(images, self.protocol).to(self.device)
        feats, logits = self.module.features_and_logits(x)
        if feats.shape != (x.shape[0], self.feature_dim):
            raise MetricError(f"{self.name}: features {tuple(feats.shape)}, expected [N, {self.feature_dim}]")
        return feats.double().cpu().numpy(), logits.double().cpu().numpy()


def inception_extractor(
    weights: str | Path, device: torch.device | str = "cpu", protocol: str | None = None
) -> InceptionExtractor:
    """Inception-v3 in the pytorch-fid layout with user-supplied ``pt_inception-2015-12-05`` weights,
    fed as ``protocol`` prescribes (default: pytorch-fid's)."""
    from engine.metrics.inception import load_fid_inception
    from engine.metrics.protocol import DEFAULT_PROTOCOL

    protocol = protocol or DEFAULT_PROTOCOL
    model = load_fid_inception(weights)
    name = f"inception-v3-fid-{weights_digest(weights)}-{protocol}"
    return InceptionExtractor(model, name, protocol, device)


FEATURES_FOR_DATA = (("fmnist", "fmnist-classifier"), ("demo:emoji", "emoji-classifier"))
"""Which bundled feature network ``--features auto`` picks for a data spec (by prefix)."""


def feature_network_for(data: str) -> str:
    """Name of the bundled feature network that fits ``data`` (``fmnist-classifier`` when none is specific)."""
    for prefix, name in FEATURES_FOR_DATA:
        if str(data).startswith(prefix):
            return name
    return "fmnist-classifier"


def make_extractor(
    kind: str,
    device: torch.device | str = "cpu",
    inception_weights: str | Path | None = None,
    data: str = "",
    protocol: str | None = None,
) -> TorchExtractor:
    """A feature network by name.

    ``"auto"`` picks the bundled network trained on ``data`` (:func:`feature_network_for`),
    ``"classifier"`` is the bundled Fashion-MNIST CNN, any other bundled feature-network name
    (``emoji-classifier``) is that network, and ``"inception"`` needs ``inception_weights``
    (``protocol``: how images reach it, :data:`engine.metrics.protocol.PROTOCOLS`; only for Inception).
    """
    from engine import zoo

    if kind == "auto":
        kind = feature_network_for(data)
    if kind == "classifier":
        kind = "fmnist-classifier"
    if kind == "inception":
        if not inception_weights:
            raise MetricError(
                "--features inception needs --inception-weights PATH (pytorch-fid's pt_inception-2015-12-05 "
                "weights; nothing is downloaded)"
            )
        return inception_extractor(inception_weights, device, protocol)
    if protocol is not None:
        raise MetricError(f"a protocol applies to Inception features only, not to '{kind}'")
    try:
        path = zoo.feature_network(kind)
    except LookupError as e:
        raise MetricError(f"unknown feature network '{kind}': {e} (or: auto, classifier, inception)") from e
    return classifier_extractor(path, device)
