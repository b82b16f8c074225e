"""How images reach the Inception network: the published FID protocols, step for step.

``pytorch-fid`` (the default; mseitzer/pytorch-fid 0.3): each image is read with
``convert("RGB")`` (alpha dropped, grey and palette images expanded), scaled to [0, 1] as float32,
stretched to 299×299 with ``F.interpolate(mode="bilinear", align_corners=False)`` (no antialias,
aspect ratio not kept) and mapped to [-1, 1] by ``2x - 1`` — what ``ImagePathDataset`` and
``InceptionV3(resize_input=True, normalize_input=True)`` do.

``clean-fid`` (GaParmar/clean-fid 0.1.35, ``mode="clean"``): each channel of the uint8 RGB image is
resized on its own as a float32 image with PIL's bicubic filter (which antialiases when it
shrinks), clipped to [0, 255], then divided by 255 and mapped by ``2x - 1`` for the pytorch-fid
network (clean-fid's own default network is a TorchScript download that LatentLab does not use).

Generated images in [-1, 1] are first quantised to uint8 exactly as ``latentlab generate`` saves
them (:func:`engine.render.to_uint8`), so a model measured directly gets the numbers its saved
PNG files would get.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from engine.metrics.errors import MetricError

PROTOCOLS = ("pytorch-fid", "clean-fid")
DEFAULT_PROTOCOL = "pytorch-fid"
INPUT_SIZE = 299

Images = torch.Tensor | Sequence[torch.Tensor]
"""A uint8 or [-1, 1] float batch ``[N, C, H, W]``, or a sequence of ``[C, H, W]`` images of any sizes."""


def quantize(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float → uint8 with the rounding of :func:`engine.render.to_uint8` (``x·127.5 + 128``, truncated)."""
    return (images.float() * 127.5 + 128).clamp(0, 255).to(torch.uint8)


def as_rgb_uint8(image: torch.Tensor) -> torch.Tensor:
    """One image ``[C, H, W]`` (C = 1 or 3; uint8, or float in [-1, 1]) → uint8 RGB ``[3, H, W]``."""
    if image.ndim != 3 or image.shape[0] not in (1, 3):
        raise MetricError(f"expected an image [1|3, H, W], got {tuple(image.shape)}")
    x = image if image.dtype == torch.uint8 else quantize(image)
    return x.expand(3, -1, -1) if x.shape[0] == 1 else x


def _pytorch_fid(batch: torch.Tensor) -> torch.Tensor:
    x = batch.to(torch.float32) / 255  # torchvision's ToTensor on a uint8 image
    x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
    return 2 * x - 1


def _clean_fid(image: torch.Tensor) -> torch.Tensor:
    hwc = image.permute(1, 2, 0).cpu().numpy()
    channels = []
    for c in range(3):
        im = Image.fromarray(hwc[:, :, c].astype(np.float32))  # mode "F"
        im = im.resize((INPUT_SIZE, INPUT_SIZE), resample=Image.Resampling.BICUBIC)
        channels.append(np.asarray(im).clip(0, 255))
    x = torch.from_numpy(np.stack(channels).astype(np.float32)) / 255
    return (2 * x - 1).to(image.device)


def inception_input(images: Images, protocol: str = DEFAULT_PROTOCOL) -> torch.Tensor:
    """Images → the network's float32 input ``[N, 3, 299, 299]`` in [-1, 1] under ``protocol``.

    ``images``: a uint8 batch (real data), a [-1, 1] float batch (generated; quantised first) or a
    sequence of single images of different sizes (a folder read at its own resolution).
    """
    if protocol not in PROTOCOLS:
        raise MetricError(f"unknown protocol '{protocol}' (known: {', '.join(PROTOCOLS)})")
    if isinstance(images, torch.Tensor):
        if images.ndim != 4:
            raise MetricError(f"expected images [N, C, H, W], got {tuple(images.shape)}")
        items: Sequence[torch.Tensor] = list(images)
    else:
        items = images
    rgb = [as_rgb_uint8(im) for im in items]
    if not rgb:
        raise MetricError("no images")
    if protocol == "clean-fid":
        return torch.stack([_clean_fid(im) for im in rgb])
    # pytorch-fid resizes each batch in one call; images of equal size are batched the same way here
    out: list[torch.Tensor | None] = [None] * len(rgb)
    by_size: dict[tuple[int, int], list[int]] = {}
    for i, im in enumerate(rgb):
        by_size.setdefault((im.shape[1], im.shape[2]), []).append(i)
    for idx in by_size.values():
        resized = _pytorch_fid(torch.stack([rgb[i] for i in idx]))
        for j, i in enumerate(idx):
            out[i] = resized[j]
    return torch.stack(out)  # type: ignore[arg-type]
