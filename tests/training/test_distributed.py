"""Data-parallel training: two CPU processes (gloo) end with identical weights; rank 0 alone writes."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import numpy as np
import torch
import torch.multiprocessing as mp

from training.distributed import DistInfo, per_rank_batch

TINY_DCGAN = {"z_dim": 8, "ngf": 8, "ndf": 8}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, data: str, out: str, dump: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
        LATENTLAB_THREADS="1",
    )
    from training import loop

    captured = {}
    real = loop.make_trainer

    def make(*a, **kw):
        captured["trainer"] = real(*a, **kw)
        return captured["trainer"]

    loop.make_trainer = make

    import io

    from training.events import EventWriter

    stream = io.StringIO()
    ev = EventWriter(stream)
    opts = loop.TrainOptions(
        family="dcgan",
        data=data,
        resolution=16,
        channels=1,
        out=out,
        batch=8,
        max_steps=4,
        checkpoint_every=2,
        sample_every=4,
        log_every=1,
        model=TINY_DCGAN,
        hparams={"precise_bn_batches": 1},
    )
    loop.run(opts, ev)
    t = captured["trainer"]
    torch.save(
        {
            "G": t.G.state_dict(),
            "D": t.D.state_dict(),
            "events": [json.loads(x)["event"] for x in stream.getvalue().splitlines()],
        },
        f"{dump}/rank{rank}.pt",
    )


def test_two_cpu_processes_agree(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "tiny.npz"
    np.savez(data, images=rng.integers(0, 256, (64, 16, 16, 1), dtype=np.uint8))
    out = tmp_path / "run"
    mp.spawn(_worker, args=(2, _free_port(), str(data), str(out), str(tmp_path)), nprocs=2, join=True)
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for net in ("G", "D"):
        assert r0[net].keys() == r1[net].keys()
        for k in r0[net]:
            torch.testing.assert_close(r0[net][k], r1[net][k], rtol=0, atol=0, msg=f"{net}.{k}")
    # Training moved the weights (the ranks agree because gradients are averaged, not because nothing ran).
    assert r0["events"][-1] == "done" and r1["events"] == []
    ckpts = sorted(p.name for p in out.glob("ckpt-*.pt"))
    assert ckpts == ["ckpt-0000002.pt", "ckpt-0000004.pt"]
    state = torch.load(out / ckpts[-1], weights_only=True)
    assert len(state["rng_ranks"]) == 2
    assert not torch.equal(state["rng_ranks"][0][1], state["rng_ranks"][1][1]), "ranks drew the same batches"
    for k, v in state["trainer"]["G"].items():
        torch.testing.assert_close(v, r0["G"][k], rtol=0, atol=0)
    events = [json.loads(x)["event"] for x in (out / "events.jsonl").read_text().splitlines()]
    assert events.count("start") == 1 and events.count("done") == 1
    assert json.loads((out / "events.jsonl").read_text().splitlines()[0])["processes"] == 2
    assert len(list((out / "samples").glob("*.png"))) == 1


def test_per_rank_batch():
    assert per_rank_batch(8, DistInfo(0, 2, 0)) == 4
    assert per_rank_batch(8, DistInfo()) == 8
    try:
        per_rank_batch(7, DistInfo(1, 2, 1))
    except ValueError as e:
        assert "does not split evenly" in str(e)
    else:
        raise AssertionError("an uneven batch was accepted")


def test_path_is_a_package():
    assert Path(__file__).parent.joinpath("__init__.py").exists()  # mp.spawn imports this module by name
