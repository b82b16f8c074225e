"""The import contracts in pyproject.toml ([tool.importlinter]) hold: layers app → training → engine, no Qt
outside app/, no import cycles between the modules of a package. ``lint-imports`` checks them; this test runs
it, so the README's test command (and CI) enforces them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    cmd = [sys.executable, "-c", LINT, "--no-cache"]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept() -> None:
    out = _lint_imports(REPO)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in out.stdout


def _toml_value(v: object) -> str:
    return json.dumps(v) if not isinstance(v, bool) else str(v).lower()


def test_contracts_catch_each_kind_of_violation(tmp_path: Path) -> None:
    """The same contracts (minus the repository's ignored imports) on a small tree that breaks each one."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = ["[tool.importlinter]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in config.items() if k != "contracts"]
    for contract in config["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in contract.items() if k != "ignore_imports"]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    files = {
        "app/__init__.py": "",
        "engine/__init__.py": "",
        "engine/a.py": "import engine.b\nimport training.t\n",  # a cycle a <-> b, and engine importing training
        "engine/b.py": "import engine.a\n",
        "training/__init__.py": "",
        "training/t.py": "import pyqtgraph\n",  # Qt below app/
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    out = _lint_imports(tmp_path)
    assert out.returncode != 0
    assert "Contracts: 0 kept, 3 broken." in out.stdout, out.stdout[-4000:]
