"""Encoding an image into a model's latent (models with an encoder into z, e.g. the VAE)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.families import LoadedModel
from engine.images import fit_image, read_image, to_tensor
from engine.render import to_uint8


@dataclass(frozen=True)
class EncodedImage:
    """An encoded image: what the model saw (uint8 HWC), its latent z and the decoded z."""

    source: str
    input: np.ndarray
    z: tuple[float, ...]
    reconstruction: np.ndarray


def encode_image(model: LoadedModel, image: np.ndarray, source: str = "") -> EncodedImage:
    """Encode a uint8 HWC image already fitted to the model's input size and channels."""
    caps = model.capabilities
    if caps.image_input is None or caps.encodes_into != "z":
        raise ValueError(f"{caps.family} models do not encode images into z")
    ii = caps.image_input
    if image.shape != (ii.size, ii.size, ii.channels):
        raise ValueError(f"image must be {ii.size}x{ii.size}x{ii.channels}, got {'x'.join(map(str, image.shape))}")
    with torch.inference_mode():
        x = to_tensor(image, model.device)
        z = model.encode(x).float()
        if z.shape != (1, caps.z_dim):
            raise ValueError(f"encoder returned {tuple(z.shape)}, expected (1, {caps.z_dim})")
        recon = to_uint8(model.decode(z))[0]
    return EncodedImage(source, image, tuple(float(v) for v in z[0].cpu()), recon)


def encode_image_file(model: LoadedModel, path: str | Path) -> EncodedImage:
    """Read ``path``, fit it to the model's input (crop, resize, channels) and encode it."""
    caps = model.capabilities
    if caps.image_input is None or caps.encodes_into != "z":
        raise ValueError(f"{caps.family} models do not encode images into z")
    fitted = fit_image(read_image(path), caps.image_input.size, caps.image_input.channels)
    return encode_image(model, fitted, str(path))
