"""Dock panels of the main window, each built from a model's capabilities (never its family name)."""

from app.panels.base import ParamPanel
from app.panels.latent import LatentPanel
from app.panels.model import ModelPanel
from app.panels.noise import NoisePanel
from app.panels.styles import StylesPanel
from app.panels.truncation import TruncationPanel

__all__ = ["LatentPanel", "ModelPanel", "NoisePanel", "ParamPanel", "StylesPanel", "TruncationPanel"]
