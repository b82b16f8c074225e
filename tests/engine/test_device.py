"""Device choice and dtype policy."""

from __future__ import annotations

import pytest
import torch

from engine.device import DeviceError, choose_device, describe_hardware, policy_for


def test_cpu_override_and_env(monkeypatch):
    assert choose_device("cpu").type == "cpu"
    monkeypatch.setenv("LATENTLAB_DEVICE", "cpu")
    assert choose_device(None).type == "cpu"


def test_auto_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("LATENTLAB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("engine.device._mps_available", lambda: True)
    assert choose_device(None).type == "mps"
    monkeypatch.setattr("engine.device._mps_available", lambda: False)
    assert choose_device(None).type == "cpu"


def test_bad_or_missing_device(monkeypatch):
    with pytest.raises(DeviceError, match="unknown device"):
        choose_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no CUDA"):
        choose_device("cuda")


def test_dtype_policy():
    assert policy_for(torch.device("cpu")).dtype == torch.float32
    assert policy_for(torch.device("cuda")).dtype == torch.float16
    assert policy_for(torch.device("cuda"), half=False).dtype == torch.float32
    assert not policy_for(torch.device("cpu")).autocast


def test_hardware_description_names_the_cpu_its_cores_and_threads():
    text = describe_hardware(torch.device("cpu"))
    n = torch.get_num_threads()
    assert f"{n} torch thread{'s' if n > 1 else ''}," not in text  # no trailing comma
    assert f"{n} torch thread" in text and "cores" in text
    assert not text.startswith(",")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_render_on_cuda_half(tiny_stylegan2_path):
    from engine.api import RenderRequest
    from engine.runtime import Engine

    with Engine(device="cuda") as e:
        e.load_sync(tiny_stylegan2_path, "t")
        done = []
        e.submit("g", RenderRequest("t", seed=1), done.append)
        import time

        t0 = time.time()
        while not done and time.time() - t0 < 60:
            time.sleep(0.01)
        assert done and done[0].ok, done and done[0].error
