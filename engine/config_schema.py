"""The schema every model config dict passes before a module is built: types and bounds.

A config arrives as a plain dict (a model's JSON description, a training preset, ``--resolution``)
and becomes a frozen dataclass in :meth:`engine.families.base.ModelFamily.config_from_dict`, which
calls :func:`check_config` first. The types come from the dataclass's annotations (``int``,
``float``, ``bool``, ``str``, ``tuple[int, ...]``, ``X | None``, a nested config); the bounds come
from the field's name (the table below, with limits from :mod:`engine.limits`), so a new family's
config is checked without registering anything. A value that would make the module huge
(``"mapping_layers": 1000000``) or crash its constructor (``"ngf": "16"``, ``"z_dim": -5``,
``"channels": [0, 8]``) is refused with a one-line reason naming the field.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

from engine import limits
from engine.errors import LimitError

_INT_BOUNDS: dict[str, tuple[int, int]] = {
    "img_channels": (1, limits.MAX_IMAGE_CHANNELS),
    "in_channels": (0, limits.MAX_IMAGE_CHANNELS),
    "channels": (1, limits.MAX_IMAGE_CHANNELS),  # an int "channels" is an image's channel count
    "z_dim": (0, limits.MAX_LATENT_DIM),
    "w_dim": (0, limits.MAX_LATENT_DIM),
    "embed_dim": (0, limits.MAX_LATENT_DIM),
    "feature_dim": (0, limits.MAX_LATENT_DIM),
    "num_directions": (0, limits.MAX_LATENT_DIM),
    "c_dim": (0, limits.MAX_CLASSES),
    "num_classes": (0, limits.MAX_CLASSES),
    "channel_base": (1, limits.MAX_CHANNEL_BASE),
}
"""Integer fields by exact name → (min, max)."""

_POW2_FIELDS = ("resolution", "img_resolution", "input_size")
_LAYER_WORDS = ("layers", "blocks", "repeat", "downs", "downsampling", "units", "num_", "_ind", "group_size")
_WIDTH_WORDS = ("channel", "ngf", "ndf", "conv_dim", "hidden", "widths", "width")
_UNIT_FLOATS = ("beta", "dropout", "ema", "decay")


def _int_bounds(name: str) -> tuple[int, int]:
    if name in _INT_BOUNDS:
        return _INT_BOUNDS[name]
    if name.endswith("_dim"):
        return (0, limits.MAX_LATENT_DIM)
    if any(w in name for w in _WIDTH_WORDS):
        return (1, limits.MAX_CHANNELS)
    if any(w in name for w in _LAYER_WORDS):
        return (0, limits.MAX_LAYERS)
    return (0, limits.MAX_CONFIG_INT)


def _element_bounds(name: str) -> tuple[int, int]:
    """Bounds of each element of an int tuple field (``channels``, ``stage_units``, …)."""
    if any(w in name for w in _WIDTH_WORDS):
        return (1, limits.MAX_CHANNELS)
    if any(w in name for w in _LAYER_WORDS):
        return (1, limits.MAX_LAYERS)
    return _int_bounds(name)


def _float_bounds(name: str) -> tuple[float, float]:
    if any(w in name for w in _UNIT_FLOATS):
        return (0.0, 1.0)
    if name.endswith(("lr_mul", "clamp", "scale")) or name.startswith("lr"):
        return (0.0, limits.MAX_CONFIG_FLOAT)
    return (-limits.MAX_CONFIG_FLOAT, limits.MAX_CONFIG_FLOAT)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_none_type(t: Any) -> bool:
    return t is type(None)


def _check_value(name: str, value: Any, hint: Any, where: str) -> None:
    """Raise LimitError unless ``value`` (from JSON: a list stands for a tuple) fits ``hint``."""
    what = f"{where}{name}"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None:
            if any(_is_none_type(t) for t in options):
                return
            raise LimitError(f"{what} must not be null")
        errors = []
        for t in options:
            if _is_none_type(t):
                continue
            try:
                _check_value(name, value, t, where)
                return
            except LimitError as e:
                errors.append(str(e))
        raise LimitError(errors[0] if errors else f"{what} has an unexpected value {value!r}"[:200])
    if value is None:
        raise LimitError(f"{what} must not be null")
    if hint is bool:
        if not isinstance(value, bool):
            raise LimitError(f"{what} must be true or false, got {value!r}"[:200])
        return
    if hint is int:
        if name in _POW2_FIELDS:
            limits.check_resolution(value, what)
        else:
            lo, hi = _int_bounds(name)
            limits.check_int(value, what, lo, hi)
        return
    if hint is float:
        lo, hi = _float_bounds(name)
        limits.check_float(value, what, lo, hi)
        return
    if hint is str:
        if not isinstance(value, str):
            raise LimitError(f"{what} must be a string, got {value!r}"[:200])
        if len(value) > limits.MAX_CONFIG_STR:
            raise LimitError(f"{what} is longer than {limits.MAX_CONFIG_STR} characters")
        return
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise LimitError(f"{what} must be a list, got {value!r}"[:200])
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item_hints = [args[0]] * len(value)
            if len(value) > limits.MAX_LAYERS:
                raise LimitError(f"{what} has {len(value)} entries, more than the limit of {limits.MAX_LAYERS}")
        else:
            if len(value) != len(args):
                raise LimitError(f"{what} must have {len(args)} entries, got {len(value)}")
            item_hints = list(args)
        for i, (v, h) in enumerate(zip(value, item_hints)):
            if h is int:
                lo, hi = _element_bounds(name)
                limits.check_int(v, f"{what}[{i}]", lo, hi)
            else:
                _check_value(name, v, h, where)
        return
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return
        if not isinstance(value, Mapping):
            raise LimitError(f"{what} must be an object, got {value!r}"[:200])
        check_config(hint, value, where=f"{what}.")
        return
    # Any other annotation: only plain JSON data is accepted.
    if not isinstance(value, (bool, int, float, str, list, tuple, Mapping)):
        raise LimitError(f"{what} has an unexpected value {value!r}"[:200])
    if isinstance(value, float) and not math.isfinite(value):
        raise LimitError(f"{what} must be a finite number, got {value}")


def check_config(config_cls: type, d: Any, where: str = "") -> None:
    """Check a config dict against the dataclass ``config_cls``: it must be a mapping of known field
    names, each value of the declared type within the bounds for its name. Raises
    :class:`~engine.errors.LimitError` (a ``ValueError``) naming the field."""
    if not isinstance(d, Mapping):
        raise LimitError(f"{where or 'config '}must be an object, got {type(d).__name__}")
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(str(k) for k in d if k not in fields)
    if unknown:
        owner = where.rstrip(". ")
        raise LimitError(f"unknown {owner + ' ' if owner else ''}config fields: {unknown[:8]}")
    hints = _hints(config_cls)
    for name, value in d.items():
        _check_value(name, value, hints.get(name, Any), where)


def check_dataclass_values(cls: type, d: Any, what: str) -> None:
    """Types (and finiteness) of plain options such as hyper-parameters: ``{"lr": "abc"}`` is refused
    with ``what.lr must be a number``. Unknown names are left to the caller."""
    if not isinstance(d, Mapping):
        raise LimitError(f"{what} must be an object, got {type(d).__name__}")
    hints = _hints(cls)
    for name, value in d.items():
        if name in hints:
            _check_plain(name, value, hints[name], what)


def _check_plain(name: str, value: Any, hint: Any, what: str) -> None:
    label = f"{what}.{name}"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [t for t in typing.get_args(hint) if not _is_none_type(t)]
        if value is None and len(options) < len(typing.get_args(hint)):
            return
        errors = []
        for t in options:
            try:
                _check_plain(name, value, t, what)
                return
            except LimitError as e:
                errors.append(str(e))
        raise LimitError(errors[0] if errors else f"{label} has an unexpected value {value!r}"[:200])
    if hint is bool:
        if not isinstance(value, bool):
            raise LimitError(f"{label} must be true or false, got {value!r}"[:200])
    elif hint is int:
        limits.check_int(value, label, -limits.MAX_CONFIG_INT, limits.MAX_CONFIG_INT)
    elif hint is float:
        limits.check_float(value, label, -limits.MAX_CONFIG_FLOAT, limits.MAX_CONFIG_FLOAT)
    elif hint is str:
        if not isinstance(value, str):
            raise LimitError(f"{label} must be a string, got {value!r}"[:200])
    elif origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise LimitError(f"{label} must be a list, got {value!r}"[:200])
        args = typing.get_args(hint)
        item_hints = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(item_hints) != len(value):
            raise LimitError(f"{label} must have {len(item_hints)} entries, got {len(value)}")
        for v, h in zip(value, item_hints):
            _check_plain(name, v, h, what)
