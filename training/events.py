"""The training event stream: one JSON object per line on stdout, for the GUI and scripts."""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any, TextIO


class EventWriter:
    """Writes JSON-lines events (``{"event": ..., "time": ..., ...}``) and flushes each line."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.log_file: TextIO | None = None

    def also_to(self, path: str) -> None:
        """Append every event to ``path`` too (the run's ``events.jsonl``)."""
        self.log_file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the writer

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        rec = {"event": event, "time": round(time.time(), 3)}
        rec.update({k: _clean(v) for k, v in fields.items()})
        line = json.dumps(rec) + "\n"
        self.stream.write(line)
        self.stream.flush()
        if self.log_file is not None:
            self.log_file.write(line)
            self.log_file.flush()
        return rec


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else round(v, 6)
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


class NullEvents:
    """An event sink that writes nothing (the non-zero ranks of a distributed run)."""

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        return {"event": event, **fields}
