"""Speed settings of a trainer's step: channels-last memory, bfloat16 autocast and ``torch.compile``.

Each is a hyper-parameter of the run (recorded in ``run.json``), so a resumed run steps exactly as
the run it continues. Master weights, optimiser state and the regularisers that differentiate
twice (R1, path length) stay float32 and eager; only the main forward/backward passes use them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

log = logging.getLogger(__name__)

COMPILE_BACKEND = "inductor"
"""The ``torch.compile`` backend of :class:`Compiled` (tests use ``aot_eager``, which compiles in seconds)."""


def channels_last(*modules: nn.Module) -> None:
    """Store the 4-D weights of ``modules`` as NHWC (convolutions then keep activations NHWC)."""
    for m in modules:
        m.to(memory_format=torch.channels_last)


def as_channels_last(x: torch.Tensor, enabled: bool) -> torch.Tensor:
    """``x`` (NCHW) in channels-last memory when ``enabled`` and it is 4-D."""
    return x.contiguous(memory_format=torch.channels_last) if enabled and x.ndim == 4 else x


def check_bf16(device: torch.device) -> None:
    """Refuse bfloat16 autocast where it cannot run: a CUDA card without bf16, a device other than cpu/cuda."""
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"bf16 training needs a GPU with bfloat16 support; {torch.cuda.get_device_name(device)} has none"
        )
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"bf16 training runs on cpu or cuda, not {device.type}")


@contextlib.contextmanager
def autocast(device: torch.device, enabled: bool) -> Iterator[None]:
    """bfloat16 autocast on ``device`` when ``enabled`` (a no-op context otherwise)."""
    if not enabled:
        yield
        return
    with torch.autocast(device.type, dtype=torch.bfloat16):
        yield


class Compiled:
    """``fn`` run through ``torch.compile`` when ``enabled``; falls back to ``fn`` itself, with one
    warning, when compiling fails (no C++ compiler, an unsupported op), so the run goes on eagerly."""

    def __init__(self, fn: Callable[..., Any], enabled: bool, name: str) -> None:
        self.fn = fn
        self.name = name
        self.compiled: Callable[..., Any] | None = None
        if enabled:
            self.compiled = torch.compile(fn, backend=COMPILE_BACKEND, dynamic=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.compiled is None:
            return self.fn(*args, **kwargs)
        try:
            return self.compiled(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - any compiler failure; the eager path is always valid
            from torch._dynamo.exc import BackendCompilerFailed, InternalTorchDynamoError, Unsupported

            if not isinstance(e, (BackendCompilerFailed, InternalTorchDynamoError, Unsupported)):
                raise
            log.warning("torch.compile of %s failed (%s); running it eagerly", self.name, str(e).splitlines()[0])
            self.compiled = None
            return self.fn(*args, **kwargs)
