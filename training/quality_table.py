"""Print the quality tables of the bundled models (Markdown) from ``assets/MANIFEST.json``.

``python -m training.quality_table`` — the README's tables are this output, so their numbers are the
measured ones written by ``training.bundle`` (and the real-vs-real floor of the feature network):
one table for the Fashion-MNIST models (``fmnist-classifier`` features, against the test split) and
one for the emoji models (``emoji-classifier`` features, against the emoji set).
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
    """Markdown rows of the Fashion-MNIST table: one per model measured against ``fmnist:test``, then the floor."""
    manifest = zoo.manifest()
    out = [
        "| model | system | steps | CPU time | FID ↓ | KID ↓ | IS ↑ | precision | recall | class acc. | recon. BCE |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, info in manifest.get("models", {}).items():
        m = info.get("metrics")
        if not m or m.get("against") != "fmnist:test":
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


def emoji_rows() -> list[str]:
    """Markdown rows of the emoji table: one per model measured against ``demo:emoji``."""
    out = [
        "| model | system | steps | images seen | CPU time | FID ↓ | KID ↓ | IS ↑ | precision | recall | PPL ↓ |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, info in zoo.manifest().get("models", {}).items():
        m = info.get("metrics")
        if not m or m.get("against") != "demo:emoji":
            continue
        out.append(
            f"| `{name}` | {info['family']} | {info['steps']} | {info.get('images_seen') or 0:,} | "
            f"{info['wall_time_s'] / 60:.0f} min | {_f(m.get('fid'))} | {_f(m.get('kid_mean'), 2)} | "
            f"{_f(m.get('is_mean'), 2)} | {_f(m.get('precision'), 2)} | {_f(m.get('recall'), 2)} | "
            f"{_f(m.get('ppl'))}{' (z)' if m.get('ppl_space') == 'z' else ''} |"
        )
    return out


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for line in [*rows(), "", *emoji_rows()]:
        log.info("%s", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
