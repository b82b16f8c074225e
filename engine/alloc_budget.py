"""A memory budget for building a module from a description that may not be honest.

A model's description says how large the module is; the file says how many bytes of weights it
holds. :class:`AllocationBudget` counts the bytes that tensor factories (``torch.empty``, ``zeros``,
``randn``, ``full``, ``Tensor.new_*``, …) are asked for while a module is built, and raises
:class:`~engine.errors.LimitError` *before* the factory call that would exceed the budget. Building
under it costs no second build (unlike a meta-device dry run, which pulls in torch's compiler on first
use), and a config that promises gigabytes while its file holds kilobytes stops at the budget.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from engine.errors import LimitError
from engine.limits import size_text

_SIZE_FIRST = {
    torch.empty,
    torch.zeros,
    torch.ones,
    torch.randn,
    torch.rand,
    torch.full,
    torch.empty_strided,
}
_SIZE_SECOND = {
    torch.Tensor.new_empty,
    torch.Tensor.new_zeros,
    torch.Tensor.new_ones,
    torch.Tensor.new_full,
    torch.Tensor.new_empty_strided,
}


def _shape_numel(x: Any) -> int | None:
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    if isinstance(x, (tuple, list, torch.Size)) and all(isinstance(d, int) for d in x):
        return math.prod(x)
    return None


def _requested_bytes(func: Any, args: tuple, kwargs: dict) -> int | None:
    """Bytes a factory call asks for, or None when ``func`` is not a sized factory."""
    if func in _SIZE_FIRST:
        if "size" in kwargs:
            numel = _shape_numel(kwargs["size"])
        elif args and all(isinstance(a, int) and not isinstance(a, bool) for a in args) and func is not torch.full:
            numel = math.prod(args)  # torch.zeros(3, 4)
        else:
            numel = _shape_numel(args[0]) if args else None
    elif func in _SIZE_SECOND:
        rest = args[1:]
        if "size" in kwargs:
            numel = _shape_numel(kwargs["size"])
        elif (
            rest
            and all(isinstance(a, int) and not isinstance(a, bool) for a in rest)
            and func.__name__
            in (
                "new_empty",
                "new_zeros",
                "new_ones",
            )
        ):
            numel = math.prod(rest)
        else:
            numel = _shape_numel(rest[0]) if rest else None
    elif func is torch.randint:
        size = kwargs.get("size", args[-1] if args else None)
        numel = _shape_numel(size)
    else:
        return None
    if numel is None:
        return None
    dtype = kwargs.get("dtype") or torch.get_default_dtype()
    itemsize = torch.empty((), dtype=dtype, device="meta").element_size() if isinstance(dtype, torch.dtype) else 8
    return max(numel, 0) * itemsize


class AllocationBudget(TorchFunctionMode):
    """Within this context, tensor factories may request at most ``max_bytes`` in total.

    ``what`` names the thing being built in the error, e.g. "the model its description describes"."""

    def __init__(self, max_bytes: int, what: str = "this model") -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.what = what
        self.used = 0

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        n = _requested_bytes(func, args, kwargs)
        if n is not None:
            self.used += n
            if self.used > self.max_bytes:
                raise LimitError(
                    f"{self.what} needs more than {size_text(self.max_bytes)} of memory, far more than its file holds"
                )
        return func(*args, **kwargs)


__all__ = ["AllocationBudget"]
