"""engine/ and training/ never import Qt or app/."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _modules(package: str) -> list[str]:
    root = REPO / package
    names = [package]
    for info in pkgutil.walk_packages([str(root)], prefix=f"{package}."):
        names.append(info.name)
    return names


def test_engine_and_training_import_without_qt():
    mods = _modules("engine") + _modules("training")
    assert len(mods) > 10
    code = (
        "import importlib, sys\n"
        f"mods = {mods!r}\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'app'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt/app imported by engine or training: {out.stdout}"


def test_no_qt_import_statements():
    offenders = []
    for pkg in ("engine", "training"):
        for path in (REPO / pkg).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                s = line.strip()
                if s.startswith(("import ", "from ")) and any(q in s.split()[1] for q in ("PySide6", "pyqtgraph")):
                    offenders.append(f"{path}: {s}")
                if s.startswith(("import app", "from app")):
                    offenders.append(f"{path}: {s}")
    assert not offenders
