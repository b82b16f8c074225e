"""eladrich/pixel2style2pixel (pSp) checkpoints → the native pSp family.

A pSp ``.pt`` is ``{'state_dict': pSp.state_dict(), 'opts': dict | Namespace, 'latent_avg': [n_styles, 512]}``
(``Coach.__get_save_dict``). ``encoder.*`` holds the GradualStyleEncoder (names as in
:mod:`engine.models.psp_encoder`), ``decoder.*`` a rosinality StyleGAN2 generator. Widths, unit
counts, the SE reduction, the head layout and the input size are inferred from tensor shapes, so
scaled-down variants load too; other encoder types (``learn_in_w``, the backbone encoders) are refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.foreign import build_stylegan2, estimate_w_avg
from engine.checkpoints.rosinality import DEFAULT_LR_MLP, _arg, convert_state, infer_config
from engine.families import LoadedModel, get_family
from engine.models.psp_encoder import PSPConfig

log = logging.getLogger(__name__)


def detect(obj: Any) -> bool:
    """True if ``obj`` is a pSp training checkpoint (encoder + rosinality decoder in ``state_dict``)."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("state_dict"), Mapping):
        return False
    sd = obj["state_dict"]
    return "decoder.style.1.weight" in sd and any(str(k).startswith("encoder.") for k in sd)


def _shape(path: Path, sd: Mapping[str, Any], key: str) -> tuple[int, ...]:
    t = sd.get(key)
    if not isinstance(t, torch.Tensor):
        raise CheckpointError(path, f"pSp encoder lacks tensor '{key}'")
    return tuple(int(s) for s in t.shape)


def infer_encoder(path: Path, enc: Mapping[str, Any]) -> dict[str, Any]:
    """Encoder config fields (input size, widths, units, SE reduction, head layout) from shapes."""
    in_channels = _shape(path, enc, "input_layer.0.weight")[1]
    depths: list[int] = []
    reductions: set[int] = set()
    i = 0
    while f"body.{i}.res_layer.1.weight" in enc:
        depth = _shape(path, enc, f"body.{i}.res_layer.1.weight")[0]
        depths.append(depth)
        reductions.add(depth // _shape(path, enc, f"body.{i}.res_layer.5.fc1.weight")[0])
        i += 1
    stages: list[list[int]] = []
    for d in depths:
        if stages and stages[-1][0] == d:
            stages[-1][1] += 1
        else:
            stages.append([d, 1])
    if len(stages) != 4:
        raise CheckpointError(path, f"pSp encoder has {len(stages)} backbone stages; LatentLab reads IR-SE with 4")
    if len(reductions) != 1:
        raise CheckpointError(path, f"pSp encoder mixes SE reductions {sorted(reductions)}")
    heads: list[int] = []
    while f"styles.{len(heads)}.linear.weight" in enc:
        n = 0
        while f"styles.{len(heads)}.convs.{2 * n}.weight" in enc:
            n += 1
        heads.append(n)
    if not heads:
        raise CheckpointError(path, "pSp encoder has no map2style heads (not a GradualStyleEncoder)")
    counts = sorted(set(heads), reverse=False)
    if heads != sorted(heads) or len(counts) > 3:
        raise CheckpointError(path, f"pSp map2style heads have an unexpected layout {heads}")
    coarse_convs = heads[0]
    input_size = 16 * 2**coarse_convs
    coarse_ind = heads.count(coarse_convs)
    middle_ind = coarse_ind + heads.count(coarse_convs + 1)
    return {
        "input_size": input_size,
        "in_channels": in_channels,
        "stage_channels": tuple(s[0] for s in stages),
        "stage_units": tuple(s[1] for s in stages),
        "se_reduction": reductions.pop(),
        "coarse_ind": coarse_ind,
        "middle_ind": middle_ind,
    }


def load(path: str | Path, obj: Mapping[str, Any]) -> LoadedModel:
    """Build the native pSp model from a loaded pSp checkpoint ``obj``."""
    path = Path(path)
    opts = obj.get("opts") or {}
    enc_type = _arg(opts, "encoder_type", "GradualStyleEncoder")
    if enc_type != "GradualStyleEncoder":
        raise CheckpointError(path, f"pSp encoder_type '{enc_type}' is not supported (only GradualStyleEncoder)")
    if _arg(opts, "learn_in_w", False):
        raise CheckpointError(path, "pSp checkpoints with learn_in_w=True are not supported (only W+ encoders)")
    sd = obj["state_dict"]
    enc = {k[len("encoder.") :]: v for k, v in sd.items() if k.startswith("encoder.")}
    dec = {k[len("decoder.") :]: v for k, v in sd.items() if k.startswith("decoder.")}
    other = sorted(k for k in sd if not k.startswith(("encoder.", "decoder.")))
    if other:
        raise CheckpointError(path, f"pSp state_dict has tensors outside encoder/decoder, e.g. {', '.join(other[:4])}")
    try:
        dec_cfg = infer_config(path, dec, DEFAULT_LR_MLP)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        raise CheckpointError(path, f"cannot infer the pSp decoder architecture ({e})") from e
    dec_tensors, had_noise = convert_state(path, dec, dec_cfg)
    decoder = build_stylegan2(path, dec_cfg, dec_tensors, {"classes": []}, noise_seed=0)

    fields = infer_encoder(path, enc)
    n_styles = _arg(opts, "n_styles", dec_cfg.num_ws)
    if int(n_styles) != dec_cfg.num_ws:
        raise CheckpointError(path, f"pSp n_styles={n_styles} but the decoder has {dec_cfg.num_ws} style layers")
    cfg = PSPConfig(decoder=dec_cfg, start_from_latent_avg=bool(_arg(opts, "start_from_latent_avg", True)), **fields)
    family = get_family("psp")
    module = family.build(cfg)
    own = {k[len("encoder.") :]: v for k, v in module.state_dict().items() if k.startswith("encoder.")}
    missing = sorted(set(own) - set(enc))
    extra = sorted(set(enc) - set(own))
    if missing or extra:
        raise CheckpointError(
            path, f"pSp encoder does not match the inferred layout (missing {missing[:3]}, unexpected {extra[:3]})"
        )
    for k, ref in own.items():
        if tuple(enc[k].shape) != tuple(ref.shape):
            raise CheckpointError(path, f"encoder.{k} has shape {tuple(enc[k].shape)}, expected {tuple(ref.shape)}")
    module.encoder.load_state_dict({k: v.detach().to(own[k].dtype) for k, v in enc.items()}, strict=True)
    module.decoder.load_state_dict(decoder.module.state_dict(), strict=True)

    meta: dict[str, Any] = {"classes": [], "opts_dataset": str(_arg(opts, "dataset_type", ""))}
    if not had_noise:
        meta["noise_const"] = "generated (checkpoint has no noise buffers)"
    latent_avg = obj.get("latent_avg")
    if isinstance(latent_avg, torch.Tensor):
        la = latent_avg.detach().float()
        if la.numel() == dec_cfg.w_dim:
            la = la.reshape(1, -1).repeat(dec_cfg.num_ws, 1)
        if tuple(la.shape) != (dec_cfg.num_ws, dec_cfg.w_dim):
            raise CheckpointError(
                path, f"latent_avg has shape {tuple(la.shape)}, expected [{dec_cfg.num_ws}, {dec_cfg.w_dim}]"
            )
        meta["w_avg"] = "stored (latent_avg)"
    else:
        la = estimate_w_avg(decoder).reshape(1, -1).repeat(dec_cfg.num_ws, 1)
        meta["w_avg"] = "estimated (checkpoint has no latent_avg)"
        log.info("%s: no latent_avg stored; estimated it from the decoder", path.name)
    module.latent_avg.copy_(la)
    module.decoder.mapping.w_avg.copy_(la.mean(dim=0))
    return family.wrap(module, cfg, meta)


__all__ = ["detect", "infer_encoder", "load"]
