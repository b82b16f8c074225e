"""Device choice (cuda > mps > cpu, with an override) and the dtype policy."""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass

import torch

from engine.errors import LatentLabError
from engine.threads import default_threads

log = logging.getLogger(__name__)

VALID_DEVICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(LatentLabError, ValueError):
    """The requested device does not exist or is not available."""


@dataclass(frozen=True)
class DevicePolicy:
    """Where a model runs and in which precision.

    ``dtype`` is the precision of rendering: fp32 on CPU; fp16 on CUDA (bf16 when the card
    supports it and ``prefer_bf16`` was asked), fp32 on MPS.
    """

    device: torch.device
    dtype: torch.dtype

    @property
    def autocast(self) -> bool:
        return self.dtype != torch.float32


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def choose_device(name: str | None = None) -> torch.device:
    """Return the device to use: ``name`` if given, else ``$LATENTLAB_DEVICE``, else cuda > mps > cpu."""
    name = (name or os.environ.get("LATENTLAB_DEVICE") or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    base = name.split(":")[0]
    if base not in VALID_DEVICES:
        raise DeviceError(f"unknown device '{name}' (choose one of {', '.join(VALID_DEVICES)})")
    if base == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device 'cuda' was requested but no CUDA GPU is available")
    if base == "mps" and not _mps_available():
        raise DeviceError("device 'mps' was requested but MPS is not available")
    return torch.device(name)


def policy_for(device: torch.device, half: bool = True, prefer_bf16: bool = False) -> DevicePolicy:
    """The dtype policy: fp32 on CPU/MPS; fp16 (or bf16) autocast on CUDA when ``half``."""
    if device.type == "cuda" and half:
        if prefer_bf16 and torch.cuda.is_bf16_supported():
            return DevicePolicy(device, torch.bfloat16)
        return DevicePolicy(device, torch.float16)
    return DevicePolicy(device, torch.float32)


def configure_cpu_threads(n: int | None = None) -> int:
    """Set the calling thread's intra-op thread count: ``n``, else the policy's default
    (:func:`engine.threads.default_threads`: ``$LATENTLAB_THREADS`` or the physical cores); returns it.

    With torch's OpenMP backend the count belongs to the thread that sets it (and to threads that
    start later), so the engine thread sets its own."""
    default = default_threads()  # read torch's own default before changing it
    n = max(1, int(n if n is not None else default))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else the platform's processor or machine string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_hardware(device: torch.device) -> str:
    """What a job ran on, for provenance: the card's name, or the CPU, its cores and torch's threads."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    if device.type != "cpu":
        return device.type
    threads = torch.get_num_threads()
    return f"{cpu_name()} ({platform.machine()}), {os.cpu_count()} cores, {threads} torch thread{'s' * (threads != 1)}"
