"""Raw pickles read lazily: the same tensors as the eager reader, only what is used is read, the same
refusals, and a file that changes underneath is an error (engine.checkpoints.lazy_pickle, fill)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from engine.checkpoints import CheckpointError, lazy_pickle, nvlabs
from engine.checkpoints.fill import assign, build_filled
from engine.checkpoints.lazy_pickle import LazyTensor, load_pickle_lazy
from engine.checkpoints.loader import load_model
from engine.checkpoints.safe_unpickle import load_pickle
from engine.families import get_family

NV = (Path(__file__).parents[3] / ".." / "shared" / "fixtures" / "nvlabs_stylegan2_ada").resolve()
needs_fixtures = pytest.mark.skipif(not NV.is_dir(), reason=f"parity fixtures not found at {NV}")


@needs_fixtures
@pytest.mark.parametrize("name", ["stylegan2ada_uncond_res32.pkl", "stylegan2ada_cond10_res32.pkl"])  # protocol 4, 3
def test_lazy_tensors_equal_the_eager_ones(name: str) -> None:
    path = NV / name
    eager, lazy = load_pickle(path), load_pickle_lazy(path)
    for key in ("G_ema", "G", "D"):
        a, b = nvlabs.flatten(eager[key], path), nvlabs.flatten(lazy[key], path)
        assert list(a) == list(b)
        for k in a:
            assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k
    raw = lazy["G_ema"].state["_modules"]["synthesis"].state["_modules"]["b32"].state["_modules"]["conv1"]
    assert isinstance(raw.state["_parameters"]["weight"], LazyTensor)


@needs_fixtures
def test_only_the_generator_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    path = NV / "stylegan2ada_uncond_res32.pkl"
    read: list[int] = []
    original = lazy_pickle._Source.read_into

    def counting(self, offset, buf):
        read.append(len(buf.cast("B")))
        return original(self, offset, buf)

    monkeypatch.setattr(lazy_pickle._Source, "read_into", counting)
    model = load_model(path)
    weights = sum(t.numel() * t.element_size() for t in model.module.state_dict().values())
    total = sum(read)
    assert total < 0.45 * path.stat().st_size  # G, D and G_ema are in the file; G_ema is read (+ headers)
    assert total >= 0.5 * weights


def test_a_file_changed_while_loading_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "snap.pkl"
    big = torch.arange(40_000, dtype=torch.float32)  # 160 kB: left in the file
    path.write_bytes(pickle.dumps({"w": big}, protocol=4))
    obj = load_pickle_lazy(path)
    assert isinstance(obj["w"], LazyTensor) and torch.equal(obj["w"].materialize(), big)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(CheckpointError, match="changed on disk"):
        obj["w"].materialize()


def test_small_and_strided_tensors(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pkl"
    base = torch.arange(30_000, dtype=torch.float64).reshape(100, 300)
    small = torch.tensor([1, 2, 3], dtype=torch.int16)
    view = base[10:20, ::3]  # shares the big storage, offset and stride
    path.write_bytes(pickle.dumps({"base": base, "small": small, "view": view, "half": base.half()}, protocol=4))
    obj = load_pickle_lazy(path)
    for k, t in (("base", base), ("small", small), ("view", view), ("half", base.half())):
        got = lazy_pickle.materialize(obj[k])
        assert got.dtype == t.dtype and torch.equal(got, t), k


def test_a_tensor_past_its_storage_is_refused() -> None:
    storage = lazy_pickle.LazyStorage(None, 0, torch.float32, 10)  # type: ignore[arg-type]
    with pytest.raises(pickle.UnpicklingError, match="past the end"):
        LazyTensor(storage, 5, (2, 4), (4, 1))


def test_hostile_and_truncated_pickles_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b"\x80\x04cposix\nsystem\n\x8c\x04true\x85R.")
    with pytest.raises(CheckpointError, match="refused global posix.system"):
        load_pickle_lazy(evil)
    cut = tmp_path / "cut.pkl"
    data = pickle.dumps({"w": torch.zeros(50_000)}, protocol=4)
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_pickle_lazy(cut)


def test_build_filled_makes_the_given_tensors_the_weights() -> None:
    fam = get_family("stylegan2")
    torch.manual_seed(0)
    ref = fam.new(fam.tiny_config()).module.state_dict()
    tensors = {k: v.clone() for k, v in ref.items()}
    tensors["mapping.w_avg"] = tensors["mapping.w_avg"].double()  # converted to the module's dtype
    module = build_filled(fam, fam.tiny_config(), tensors)
    own = module.state_dict()
    for k, v in tensors.items():
        assert torch.equal(own[k], v.float()), k
        if v.dtype == torch.float32:
            assert own[k].data_ptr() == v.data_ptr(), f"{k} was copied"
    with pytest.raises(RuntimeError):
        build_filled(fam, fam.tiny_config(), {k: v for k, v in tensors.items() if k != "mapping.w_avg"})


class WithHiddenState(nn.Module):
    def __init__(self, _cfg: object = None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3))
        self.register_buffer("scratch", torch.ones(2), persistent=False)


def test_modules_with_state_outside_the_state_dict_are_built_and_loaded() -> None:
    class Fam:
        name = "hidden"

        @staticmethod
        def build(cfg: object) -> nn.Module:
            return WithHiddenState(cfg)

    with pytest.raises(ValueError, match="outside the state dict"):
        assign(WithHiddenState(), {"weight": torch.zeros(3)})
    module = build_filled(Fam, None, {"weight": torch.full((3,), 2.0)})
    assert torch.equal(module.weight, torch.full((3,), 2.0)) and torch.equal(module.scratch, torch.ones(2))
