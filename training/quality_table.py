"""Print the quality table of the bundled Fashion-MNIST models (Markdown) from ``assets/MANIFEST.json``.

``python -m training.quality_table`` — the README's table is this output, so its numbers are the
measured ones written by ``training.bundle`` (and the real-vs-real floor of the feature network).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from engine import zoo

log = logging.getLogger(__name__)


def _f(v: Any, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def rows() -> list[str]:
    """Markdown rows: one per bundled model with Fashion-MNIST metrics, then the real-vs-real floor."""
    manifest = zoo.manifest()
    out = [
        "| model | system | steps | CPU time | FID ↓ | KID ↓ | IS ↑ | precision | recall | class acc. | recon. BCE |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, info in manifest.get("models", {}).items():
        m = info.get("metrics")
        if not m:
            continue
        recon = info.get("quality", {}).get("reconstruction", {})
        loss = info.get("training_loss", "")
        acc = f"{100 * m['class_accuracy']:.1f} %" if "class_accuracy" in m else "–"
        out.append(
            f"| `{name}` | {info['family']}{f' ({loss})' if loss else ''} | {info['steps']} | "
            f"{info['wall_time_s'] / 60:.0f} min | {_f(m.get('fid'))} | {_f(m.get('kid_mean'), 2)} | "
            f"{_f(m.get('is_mean'), 2)} | {_f(m.get('precision'), 2)} | {_f(m.get('recall'), 2)} | "
            f"{acc} | "
            f"{_f(recon.get('bce_per_image'))} |"
        )
    for net, info in manifest.get("feature_networks", {}).items():
        f = info.get("real_vs_real_floor")
        if f:
            out.append(
                f"| real train vs test (`{net}` features) | – | – | – | {_f(f['fid'], 2)} | {_f(f['kid_mean'], 3)} | "
                f"{_f(f['is_test_set_mean'], 2)} | {_f(f['precision'], 2)} | {_f(f['recall'], 2)} | "
                f"{_f(100 * info['test_accuracy'])} % | – |"
            )
    return out


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for line in rows():
        log.info("%s", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
