"""Compare CPU thread policies of the engine with ``latentlab bench gui`` (and ``bench render``),
alternating the policies round by round so that a machine shared with other work treats them alike.

Usage (from the repository root)::

    python scripts/thread_policy_bench.py --rounds 3 --frames 40 --loads 0 1 [--render]

Each policy is one way to start the benchmark process:

- ``spin-2``: 2 intra-op threads with libgomp's default wait (threads spin after each parallel
  region before sleeping) — torch is imported before LatentLab sets its wait policy, as before;
- ``passive-2`` / ``passive-1``: ``OMP_WAIT_POLICY=PASSIVE`` with 2 or 1 threads;
- ``spin10k-2`` / ``spin10k-app``: libgomp's ``GOMP_SPINCOUNT=10000`` (threads spin ~0.1 ms, then
  sleep) with 2 threads / the app's thread count;
- ``app``: whatever the app does by default (the chosen policy).

Prints one table row per policy and load: the medians over the rounds of each run's median and p95
latency and frames/s (and the spread of the run medians), and writes the raw runs as JSON with
``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Each policy: (environment overrides, whether torch is imported before LatentLab).
POLICIES: dict[str, tuple[dict[str, str], bool]] = {
    "spin-2": ({"LATENTLAB_THREADS": "2"}, True),
    "passive-2": ({"OMP_WAIT_POLICY": "PASSIVE", "LATENTLAB_THREADS": "2"}, False),
    "passive-1": ({"OMP_WAIT_POLICY": "PASSIVE", "LATENTLAB_THREADS": "1"}, False),
    "spin-1": ({"LATENTLAB_THREADS": "1"}, True),
    "spin10k-2": ({"GOMP_SPINCOUNT": "10000", "LATENTLAB_THREADS": "2"}, False),
    "spin10k-app": ({"GOMP_SPINCOUNT": "10000"}, False),
    "app": ({}, False),
}


def run_once(policy: str, bench: str, load: int, frames: int, model: str | None, timeout: float) -> dict:
    env_over, torch_first = POLICIES[policy]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "LATENTLAB_THREADS", "GOMP_SPINCOUNT")}
    env.update(env_over)
    env["PYTHONPATH"] = str(REPO)
    env["QT_QPA_PLATFORM"] = "offscreen"
    args = ["bench", bench, "--json", "--frames", str(frames)]
    if bench == "gui":
        args += ["--load", str(load)]
    if model:
        args.append(model)
    prelude = "import torch; " if torch_first else ""
    code = f"{prelude}import sys; from app.cli import main; sys.exit(main({args!r}))"
    if bench == "render" and load:
        # bench render has no --load: run it beside the same busy processes the GUI bench uses.
        code = (
            f"{prelude}import sys; from app.bench_gui import busy_processes; from app.cli import main\n"
            f"with busy_processes({load}):\n    rc = main({args!r})\nsys.exit(rc)"
        )
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{policy} {bench} load {load} failed: {p.stderr.strip()[-500:]}")
    r = json.loads(p.stdout[p.stdout.index("{") :])
    r.update(policy=policy, bench=bench, load=load)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policies", nargs="+", default=["spin-2", "passive-2", "passive-1"], choices=list(POLICIES))
    ap.add_argument("--loads", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--render", action="store_true", help="also run bench render (no window) per policy")
    ap.add_argument("--model", default=None)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    ap.add_argument("--out", type=Path, default=None, help="write the raw runs here (JSON)")
    a = ap.parse_args()
    benches = ["gui"] + (["render"] if a.render else [])
    runs: list[dict] = []
    for rnd in range(a.rounds):
        for load in a.loads:
            for bench in benches:
                order = a.policies if rnd % 2 == 0 else list(reversed(a.policies))
                for policy in order:
                    r = run_once(policy, bench, load, a.frames, a.model, a.timeout)
                    runs.append(r)
                    sys.stderr.write(
                        f"round {rnd} {bench:<6} load {load} {policy:<10} median {r['median_ms']:8.1f} ms  "
                        f"p95 {r['p95_ms']:8.1f} ms  fps {r['fps']:6.1f}\n"
                    )
                    sys.stderr.flush()
    if a.out:
        a.out.write_text(json.dumps(runs, indent=1))
    out = sys.stdout.write
    out(f"| bench | policy | load | median ms | p95 ms | fps | run medians (ms) |  ({a.rounds} rounds)\n")
    out("|---|---|---|---|---|---|---|\n")
    for bench in benches:
        for load in a.loads:
            for policy in a.policies:
                rs = [r for r in runs if r["policy"] == policy and r["bench"] == bench and r["load"] == load]
                med = statistics.median(r["median_ms"] for r in rs)
                p95 = statistics.median(r["p95_ms"] for r in rs)
                fps = statistics.median(r["fps"] for r in rs)
                spread = ", ".join(f"{r['median_ms']:.0f}" for r in rs)
                out(f"| {bench} | {policy} | {load} | {med:.1f} | {p95:.1f} | {fps:.1f} | {spread} |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
