"""The tensors of a safely unpickled NVlabs module tree (``torch_utils.persistence`` objects), by the
dotted names ``state_dict()`` would give them; shared by the NVlabs generator and discriminator readers."""

from __future__ import annotations

from pathlib import Path

import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.lazy_pickle import materialize
from engine.checkpoints.safe_unpickle import PersistentObject


def flatten(obj: PersistentObject, path: Path, prefix: str = "") -> dict[str, torch.Tensor]:
    """Persistent module tree → ``{dotted name: tensor}`` as ``state_dict()`` would list it (non-persistent
    buffers left out); anything that is not a tensor or a persistent module is a :class:`CheckpointError`
    naming ``path``."""
    st = obj.state
    out: dict[str, torch.Tensor] = {}
    skip = st.get("_non_persistent_buffers_set") or set()
    for group in ("_parameters", "_buffers"):
        for name, t in (st.get(group) or {}).items():
            if t is None or (group == "_buffers" and name in skip):
                continue
            t = materialize(t)  # a tensor the lazy reader left in the file is read now (only this module's)
            if not isinstance(t, torch.Tensor):
                raise CheckpointError(path, f"{prefix}{name} is a {type(t).__name__}, not a tensor")
            out[prefix + name] = t
    for name, sub in (st.get("_modules") or {}).items():
        if sub is None:
            continue
        if not isinstance(sub, PersistentObject):
            raise CheckpointError(path, f"submodule {prefix}{name} is not a persistent NVlabs module")
        out.update(flatten(sub, path, f"{prefix}{name}."))
    return out
