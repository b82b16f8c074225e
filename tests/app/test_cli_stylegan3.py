"""``latentlab`` commands on NVlabs StyleGAN3 pickles (fixtures §7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main

FIXTURES = (Path(__file__).parents[2] / ".." / "shared" / "fixtures").resolve()
SG3 = FIXTURES / "nvlabs_stylegan3"
pytestmark = pytest.mark.skipif(not SG3.is_dir(), reason=f"parity fixtures not found at {SG3}")


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


@pytest.mark.parametrize(("name", "config"), [("stylegan3t_uncond_res32", "T"), ("stylegan3r_cond5_res32", "R")])
def test_info_names_family_and_config(capsys: pytest.CaptureFixture[str], name: str, config: str) -> None:
    rc, out, err = cli(capsys, "info", SG3 / f"{name}.pkl")
    assert rc == 0, err
    top = [line.split(None, 1) for line in out.splitlines() if line[:1] not in (" ", "")]
    lines = {kv[0]: kv[1] for kv in top if len(kv) == 2}
    assert lines["family"] == "stylegan3"
    assert lines["architecture"].startswith(f"StyleGAN3-{config} (config {config}:")
    rc, out, _ = cli(capsys, "info", SG3 / f"{name}.pkl", "--json")
    doc = json.loads(out)
    assert doc["family"] == "stylegan3" and doc["architecture"].startswith(f"StyleGAN3-{config}")
    assert doc["capabilities"]["input_transform"] is True and doc["capabilities"]["noise_layers"] is None
    assert doc["config"]["conv_kernel"] == (1 if config == "R" else 3)
