"""The engine serves the waiting request of the highest priority first (the canvas before thumbnails)."""

from __future__ import annotations

import threading

from engine.api import RenderRequest
from engine.runtime import Engine


def test_a_higher_priority_request_jumps_the_queue(tiny_stylegan2_path) -> None:
    with Engine("cpu") as engine:
        engine.load_sync(tiny_stylegan2_path, "tiny", timeout=60)
        gate = threading.Event()
        served: list[str] = []
        done = threading.Event()

        def on(channel: str):
            def cb(_result) -> None:
                served.append(channel)
                if len(served) == 4:
                    done.set()

            return cb

        hold = engine.submit_job("hold", lambda ctx: gate.wait(30))
        while not engine.busy:
            threading.Event().wait(0.005)
        engine.submit("thumb-a", RenderRequest("tiny", seed=1), on("thumb-a"))
        engine.submit("thumb-b", RenderRequest("tiny", seed=2), on("thumb-b"))
        engine.submit("main", RenderRequest("tiny", seed=3), on("main"), priority=1)
        engine.submit("thumb-c", RenderRequest("tiny", seed=4), on("thumb-c"))
        gate.set()
        hold.wait(30)
        assert done.wait(60)
        assert served == ["main", "thumb-a", "thumb-b", "thumb-c"]  # equals: the longest waiting first
