"""Checkpoint I/O: the native format (safetensors + JSON) and readers for foreign formats."""

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.native import load_native, save_native

__all__ = ["CheckpointError", "load_native", "save_native"]
