"""Reference numbers for ``tests/engine/metrics/test_protocols.py``, computed ONCE with the real
pytorch-fid, torch-fidelity and clean-fid, and stored as a small fixture.

Run it in a throwaway environment outside the repository (it is never imported by the tests and
LatentLab need not be installed there)::

    python -m venv /work/venv-ref
    /work/venv-ref/bin/pip install torch==2.14.1 torchvision==0.29.1 pytorch-fid==0.3.0 \\
        torch-fidelity==0.4.0 clean-fid==0.1.35
    /work/venv-ref/bin/python scripts/make_metric_reference.py --work /tmp/metric-reference

(torchvision needs the torch build it was made for: the CPU-only torch 2.13.0 wheel with
torchvision 0.28.0 fails at import. The fixture was made with torch 2.14.1, on CPU, ~8 minutes on a
shared 2-core machine.)

No real Inception weights are available offline, so all three libraries get the same seeded random
``pt_inception`` state dict (``tests/engine/metrics/reference_inputs.py``, saved outside the repo
under ``--work``); their download functions are replaced by a function returning it. The images are
the deterministic sets of the same module, written as PNG files. What is stored (float32 features
are thinned to every 8th dimension plus per-image sums, to keep the fixture small):

- ``pfid_*``: pytorch-fid 0.3.0 — ``get_activations`` (``ImagePathDataset``: ``convert("RGB")``,
  ``ToTensor``; ``InceptionV3([3])`` with ``resize_input`` and ``normalize_input``), its
  ``calculate_frechet_distance`` on 8 of the 2048 dimensions (10 images cannot make a full-rank
  2048-d covariance), and torch-fidelity's KID and IS formulas on those features (pytorch-fid has
  neither; the IS uses the bias-free logits ``features @ fc.weight.T``);
- ``cfid_*``: clean-fid 0.1.35 ``get_folder_features(mode="clean")`` (PIL bicubic resize of each
  channel in float to 299×299) with clean-fid's own ``pytorch_inception`` feature function (the
  pytorch-fid network on ``x / 255``; its default TorchScript network is a download), its
  ``frechet_distance`` on the same 8 dimensions and its ``kernel_distance``;
- ``tfid_*``: torch-fidelity 0.4.0: the ``logits_unbiased`` of set a from its ``inception-v3-compat``
  extractor and the Inception Score ``calculate_metrics`` computes from them (``samples_shuffle=False``),
  to pin the IS formula and split boundaries (its TF1 resize and ``(x - 128) / 128`` input are not a
  LatentLab protocol, so its features are not compared).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "engine" / "metrics"))

from reference_inputs import WEIGHT_SEED, random_inception_state, write_reference_images  # noqa: E402

log = logging.getLogger("make_metric_reference")
OUT = REPO / "tests" / "engine" / "metrics" / "fixtures" / "metric_reference.npz"
FID_DIMS = slice(3, 2048, 256)
"""The 8 feature dimensions whose Fréchet distance is stored (a full-rank 2048-d FID needs 2049 images)."""
IS_SPLITS = 3
THIN = 8


def _state_dict() -> dict[str, torch.Tensor]:
    import torchvision

    skeleton = torchvision.models.inception_v3(num_classes=1008, aux_logits=False, weights=None, init_weights=False)
    shapes = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    return {k: torch.from_numpy(v) for k, v in random_inception_state(shapes).items()}


def _thin(prefix: str, feats: np.ndarray, out: dict[str, np.ndarray]) -> None:
    f = np.asarray(feats, dtype=np.float64)
    out[f"{prefix}_thin"] = f[:, ::THIN].astype(np.float32)
    out[f"{prefix}_sum"] = f.sum(axis=1)
    out[f"{prefix}_sumsq"] = (f * f).sum(axis=1)


def _tf_kid(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from torch_fidelity.metric_kid import kid_features_to_metric

    n = min(len(a), len(b))
    m = kid_features_to_metric(
        torch.from_numpy(a), torch.from_numpy(b), kid_subsets=5, kid_subset_size=n, verbose=False, rng_seed=2020
    )
    return m["kernel_inception_distance_mean"], m["kernel_inception_distance_std"]


def _tf_is(logits: torch.Tensor) -> tuple[float, float]:
    from torch_fidelity.metric_isc import isc_features_to_metric

    m = isc_features_to_metric(logits, splits=IS_SPLITS, shuffle=False)
    return m["inception_score_mean"], m["inception_score_std"]


def run_pytorch_fid(state: dict, files: dict[str, list[Path]], out: dict) -> None:
    import pytorch_fid.inception as pi
    from pytorch_fid.fid_score import calculate_frechet_distance, get_activations

    pi.load_state_dict_from_url = lambda *a, **k: state
    model = pi.InceptionV3([pi.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()
    feats = {}
    for name, paths in files.items():
        # pytorch-fid's DataLoader cannot batch images of different sizes: one at a time, as its users must
        feats[name] = get_activations(paths, model, batch_size=1, dims=2048, device="cpu", num_workers=0)
        _thin(f"pfid_{name}", feats[name], out)
    batched = get_activations(files["b"], model, batch_size=10, dims=2048, device="cpu", num_workers=0)
    log.info(f"pytorch-fid: batch of 10 vs one at a time: max difference {np.abs(batched - feats['b']).max():.3g}")
    out["pfid_mu_a"] = feats["a"].mean(axis=0)
    out["pfid_sigma_a_block"] = np.cov(feats["a"], rowvar=False)[:16, :16]
    a, b = feats["a"], feats["b"]
    s = FID_DIMS
    out["pfid_fid8"] = np.array(
        calculate_frechet_distance(
            a[:, s].mean(0), np.cov(a[:, s], rowvar=False), b[:, s].mean(0), np.cov(b[:, s], rowvar=False)
        )
    )
    try:  # what pytorch-fid makes of 10 images in 2048 dimensions (LatentLab refuses: N < 2049)
        full = calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
        log.info(f"pytorch-fid: full 2048-d FID from 10 + 10 images (rank-deficient): {full}")
    except ValueError as e:
        log.info(f"pytorch-fid: full 2048-d FID from 10 + 10 images: {e}")
    out["pfid_kid"] = np.array(_tf_kid(a, b))
    w = state["fc.weight"]
    for name in ("a", "b"):
        logits = torch.from_numpy(feats[name]).float().mm(w.T)
        out[f"pfid_is_{name}"] = np.array(_tf_is(logits))
    out["pfid_is_a_biased"] = np.array(_tf_is(torch.from_numpy(feats["a"]).float().mm(w.T) + state["fc.bias"]))
    out["fid_dims"] = np.arange(2048)[s]


def run_clean_fid(state: dict, folders: dict[str, Path], out: dict) -> None:
    import cleanfid.inception_pytorch as ci
    from cleanfid import features
    from cleanfid.fid import frechet_distance, get_folder_features, kernel_distance

    ci.load_state_dict_from_url = lambda *a, **k: state
    model_fn = features.feature_extractor(name="pytorch_inception", device=torch.device("cpu"), use_dataparallel=False)
    feats = {}
    for name, folder in folders.items():
        feats[name] = get_folder_features(
            str(folder), model_fn, num_workers=0, batch_size=4, device=torch.device("cpu"), mode="clean", verbose=False
        )
        _thin(f"cfid_{name}", feats[name], out)
    a, b = feats["a"], feats["b"]
    s = FID_DIMS
    out["cfid_fid8"] = np.array(
        frechet_distance(a[:, s].mean(0), np.cov(a[:, s], rowvar=False), b[:, s].mean(0), np.cov(b[:, s], rowvar=False))
    )
    np.random.seed(0)
    out["cfid_kid"] = np.array(kernel_distance(a, b, num_subsets=5))
    w = state["fc.weight"]
    out["cfid_is_a"] = np.array(_tf_is(torch.from_numpy(a).float().mm(w.T)))


def run_torch_fidelity(weights: Path, folders: dict[str, Path], out: dict) -> None:
    import torch_fidelity
    from torch_fidelity.datasets import ImagesPathDataset
    from torch_fidelity.utils import create_feature_extractor, get_featuresdict_from_dataset, glob_samples_paths

    kwargs = dict(cuda=False, verbose=False, feature_extractor_weights_path=str(weights))
    fe = create_feature_extractor("inception-v3-compat", ["2048", "logits_unbiased", "logits"], **kwargs)
    files = glob_samples_paths(str(folders["a"]), False, "png", verbose=False)
    d = get_featuresdict_from_dataset(ImagesPathDataset(files), fe, 1, False, True, False)
    out["tfid_logits_unbiased_a"] = d["logits_unbiased"].numpy()
    m = torch_fidelity.calculate_metrics(
        input1=str(folders["a"]),
        isc=True,
        batch_size=1,
        isc_splits=IS_SPLITS,
        samples_shuffle=False,
        cache=False,
        save_cpu_ram=True,
        **kwargs,
    )
    out["tfid_is_a"] = np.array([m["inception_score_mean"], m["inception_score_std"]])
    out["tfid_is_a_biased"] = np.array(_tf_is(d["logits"]))
    # the relation the tests rely on: logits_unbiased = pool3 features @ fc.weight.T, no bias
    rel = (d["2048"].mm(fe.fc.weight.T) - d["logits_unbiased"]).abs().max().item()
    log.info(f"torch-fidelity: |features @ fc.weight.T - logits_unbiased| <= {rel:.3g}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, help="folder for the weights and images (default: a temporary one)")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(2)
    work = args.work or Path(tempfile.mkdtemp(prefix="metric-reference-"))
    state = _state_dict()
    weights = work / "pt_inception-random.pth"
    work.mkdir(parents=True, exist_ok=True)
    torch.save(state, weights)
    folders = {name: work / name for name in ("a", "b")}
    files = {name: write_reference_images(folders[name], name) for name in folders}
    out: dict[str, np.ndarray] = {}
    run_pytorch_fid(state, files, out)
    run_clean_fid(state, folders, out)
    run_torch_fidelity(weights, folders, out)
    import cleanfid
    import pytorch_fid
    import torch_fidelity as tfi

    meta = {
        "weight_seed": WEIGHT_SEED,
        "is_splits": IS_SPLITS,
        "thin": THIN,
        "versions": {
            "torch": torch.__version__,
            "pytorch-fid": pytorch_fid.__version__,
            "torch-fidelity": tfi.__version__,
            "clean-fid": getattr(cleanfid, "__version__", "0.1.35"),
            "numpy": np.__version__,
        },
    }
    out["meta"] = np.array(json.dumps(meta))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **out)
    for k, v in out.items():
        if v.size <= 4:
            log.info(f"{k:28s} {v}")
    log.info(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB); weights and images in {work}")


if __name__ == "__main__":
    main()
