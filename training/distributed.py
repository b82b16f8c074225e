"""Data-parallel training over processes started by ``torchrun`` (gloo on CPU, NCCL on CUDA).

``torchrun --nproc_per_node=N -m training.run ...`` (or ``--no-python latentlab train ...``) starts N
copies of the trainer. Each rank:

- draws its own batches (rank-offset seeds for the data and the noise) of ``batch / N`` images, so
  ``--batch`` stays the global batch and a preset means the same thing on one device or many;
- starts from rank 0's weights (every module's parameters and buffers are broadcast once);
- steps every optimiser on gradients averaged over the ranks — DistributedDataParallel's
  semantics, applied at the optimiser (one flat all-reduce per optimiser step, buffers broadcast
  from rank 0 like DDP's ``broadcast_buffers``). GAN trainers call sub-networks directly
  (``G.mapping``, ``G.synthesis``) and take lazy R1/path-length steps with double backward, which
  bypass or break a ``DistributedDataParallel`` wrapper's forward; StyleGAN3's loop averages
  gradients the same way for the same reason. A trainer can override
  :meth:`training.trainers.base.Trainer.wrap_ddp` to wrap its networks itself.

Only rank 0 writes checkpoints, samples and events. Log-time losses are averaged over the ranks
and the ranks agree on stopping (SIGTERM, a non-finite loss, a failed write), so no rank waits
forever in a collective.
"""

from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the run (``world_size == 1``: not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env() -> DistInfo:
    """Read ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` as ``torchrun`` sets them."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    return DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", os.environ["RANK"])))


def init(info: DistInfo, device: torch.device) -> torch.device:
    """Join the process group (NCCL for CUDA, gloo otherwise); returns this rank's device."""
    if not info.enabled:
        return device
    if device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        backend = "gloo"
    if not dist.is_initialized():
        kwargs: dict[str, Any] = {"timeout": datetime.timedelta(minutes=30)}
        if backend == "nccl":
            kwargs["device_id"] = device
        dist.init_process_group(backend, rank=info.rank, world_size=info.world_size, **kwargs)
    log.info("rank %d/%d on %s (%s)", info.rank, info.world_size, device, backend)
    return device


def shutdown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def per_rank_batch(batch: int, info: DistInfo) -> int:
    """Images per rank for a global ``batch``; it must divide evenly."""
    if batch % info.world_size:
        raise ValueError(f"--batch {batch} does not split evenly over {info.world_size} processes")
    return batch // info.world_size


def modules_of(trainer: Any) -> list[nn.Module]:
    """The trainer's networks: every ``nn.Module`` attribute (G, D, G_ema, net, ...), in name order."""
    return [v for _, v in sorted(vars(trainer).items()) if isinstance(v, nn.Module)]


def optimizers_of(trainer: Any) -> list[torch.optim.Optimizer]:
    return [v for _, v in sorted(vars(trainer).items()) if isinstance(v, torch.optim.Optimizer)]


def broadcast_modules(modules: list[nn.Module], src: int = 0) -> None:
    """Copy rank ``src``'s parameters and buffers to every rank."""
    with torch.no_grad():
        for m in modules:
            for t in [*m.parameters(), *m.buffers()]:
                dist.broadcast(t.data, src)


def broadcast_buffers(modules: list[nn.Module], src: int = 0) -> None:
    """Copy rank ``src``'s buffers (batch-norm statistics, running averages) to every rank."""
    with torch.no_grad():
        for m in modules:
            for b in m.buffers():
                dist.broadcast(b.data, src)


def average_gradients(trainer: Any) -> None:
    """Make each optimiser of ``trainer`` step on gradients averaged over the ranks.

    A pre-step hook flattens the gradients present (every rank takes the same code path, so the same
    parameters have gradients), all-reduces them in one call and divides by the world size, then
    broadcasts the optimised networks' buffers from rank 0 (batch-norm statistics, running means)."""
    world = dist.get_world_size()
    owners = {id(p): m for m in modules_of(trainer) for p in m.parameters()}

    def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        params = [p for g in opt.param_groups for p in g["params"] if p.grad is not None]
        if params:
            flat = torch.cat([p.grad.reshape(-1) for p in params])
            dist.all_reduce(flat)
            flat /= world
            offset = 0
            for p in params:
                n = p.grad.numel()
                p.grad.copy_(flat[offset : offset + n].view_as(p.grad))
                offset += n
        nets = {id(owners[id(p)]): owners[id(p)] for g in opt.param_groups for p in g["params"] if id(p) in owners}
        broadcast_buffers(list(nets.values()))

    for opt in optimizers_of(trainer):
        opt.register_step_pre_hook(hook)


def mean_over_ranks(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Average log-time loss values over the ranks (the same keys on every rank)."""
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    t /= dist.get_world_size()
    return dict(zip(keys, t.tolist(), strict=True))


def any_rank(flag: bool, device: torch.device) -> bool:
    """True on every rank when ``flag`` is true on at least one."""
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def gather_objects(obj: Any, info: DistInfo) -> list[Any]:
    """``obj`` of every rank, in rank order (on every rank)."""
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out
