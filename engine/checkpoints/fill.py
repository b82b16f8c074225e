"""Build a module without initialising it, then make the checkpoint's tensors its parameters.

A family's ``build`` initialises every weight (``randn`` over tens of millions of values for a 1024 px
generator) only for the load to overwrite them, and ``load_state_dict`` copies each tensor once more.
:func:`build_filled` builds the module with its initialisers turned into ``torch.empty`` (memory that
is never written is never touched), then assigns the loaded tensors as its parameters and buffers
(``load_state_dict(assign=True)``): the tensors read from the file are the model, with no copy (a
tensor whose dtype differs from the module's is converted) and the uninitialised ones are freed. A
module that keeps tensors outside its state dict cannot be filled this way (they would stay
uninitialised); it is built and loaded the usual way instead.

(The ``meta`` device would do the first half as well, but its first use imports much of
``torch._dynamo``: seconds on a small machine, on the path from open to first frame.)
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

log = logging.getLogger(__name__)

_SIZED = {torch.randn, torch.rand, torch.zeros, torch.ones}
_IN_PLACE_INIT = {
    torch.Tensor.uniform_,
    torch.Tensor.normal_,
    torch.Tensor.zero_,
    torch.Tensor.fill_,
    torch.Tensor.random_,
}


def _size(args: tuple[Any, ...]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
        return tuple(args[0])
    return tuple(args)


_SCALED = {torch.Tensor.div, torch.Tensor.mul, torch.Tensor.__truediv__, torch.Tensor.__mul__, torch.Tensor.__rmul__}


class _Uninitialised(TorchFunctionMode):
    """Factory initialisers give uninitialised tensors, in-place initialisers do nothing, and scaling
    an uninitialised tensor by a number gives another one (this thread only)."""

    def __init__(self) -> None:
        super().__init__()
        self.fresh: dict[int, weakref.ref[torch.Tensor]] = {}  # id → the uninitialised tensors made here

    def _empty(self, size: Any, dtype: Any = None, device: Any = None) -> torch.Tensor:
        t = torch.empty(tuple(size), dtype=dtype, device=device)
        self.fresh[id(t)] = weakref.ref(t)
        return t

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        kwargs = dict(kwargs or {})
        if func in _SIZED:
            return self._empty(_size(args), kwargs.get("dtype"), kwargs.get("device"))
        if func is torch.full:
            size, value = args[0], args[1] if len(args) > 1 else kwargs.get("fill_value")
            dtype = kwargs.get("dtype") or (
                torch.bool if isinstance(value, bool) else torch.int64 if isinstance(value, int) else None
            )
            return self._empty(size, dtype, kwargs.get("device"))
        if func in _IN_PLACE_INIT:
            return args[0]
        if func in _SCALED and len(args) == 2 and not kwargs and isinstance(args[1], (int, float)):
            t = args[0]
            ref = self.fresh.get(id(t))
            if ref is not None and ref() is t:
                return self._empty(t.shape, t.dtype, t.device)
        return func(*args, **kwargs)


def build_empty(family: Any, config: Any) -> nn.Module:
    """``family.build(config)`` with uninitialised weights (their pages untouched until assigned over)."""
    with _Uninitialised():
        return family.build(config)


def _all_tensors(module: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    yield from module.named_parameters()
    yield from module.named_buffers()
    for name, sub in module.named_modules():
        for attr, value in vars(sub).items():
            if isinstance(value, torch.Tensor) and not attr.startswith("_"):
                yield f"{name}.{attr}" if name else attr, value


def assign(module: nn.Module, tensors: Mapping[str, torch.Tensor]) -> nn.Module:
    """Make ``tensors`` (names and shapes of ``module.state_dict()``, every one) the parameters and
    buffers of ``module``, converted to the module's dtypes where they differ. Raises RuntimeError
    (missing, unexpected or mis-shaped tensors, as ``load_state_dict`` words it) or ValueError (the
    module holds tensors that are not in its state dict, before anything is assigned)."""
    own = module.state_dict(keep_vars=True)
    converted = {}
    for name, t in tensors.items():
        ref = own.get(name)
        converted[name] = t.to(ref.dtype) if ref is not None and t.dtype != ref.dtype else t
    extra = sorted({name for name, _ in _all_tensors(module)} - set(own))
    if extra:
        raise ValueError(f"tensors outside the state dict: {', '.join(extra[:4])}")
    module.load_state_dict(converted, strict=True, assign=True)
    return module


def build_filled(family: Any, config: Any, tensors: Mapping[str, torch.Tensor]) -> nn.Module:
    """The module of ``family`` for ``config`` whose parameters and buffers are ``tensors`` (see the
    module docstring); a strict load (RuntimeError for missing, unexpected or mis-shaped tensors)."""
    try:
        return assign(build_empty(family, config), tensors)
    except ValueError as e:
        log.debug("%s: built and loaded the usual way (%s)", getattr(family, "name", family), e)
    module = family.build(config)
    module.load_state_dict(dict(tensors), strict=True)
    return module


__all__ = ["assign", "build_empty", "build_filled"]
