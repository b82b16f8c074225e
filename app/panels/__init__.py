"""Dock panels of the main window, each built from a model's capabilities (never its family name)."""

from app.panels.arithmetic import ArithmeticPanel
from app.panels.base import ParamPanel
from app.panels.directions import DirectionsPanel
from app.panels.discover import DiscoverPanel
from app.panels.encode import EncodePanel
from app.panels.gallery import GalleryPanel
from app.panels.interpolate import InterpolatePanel
from app.panels.latent import LatentPanel
from app.panels.model import ModelPanel
from app.panels.noise import NoisePanel
from app.panels.progressive import ProgressivePanel
from app.panels.styles import StylesPanel
from app.panels.transform import TransformPanel
from app.panels.translate import TranslatePanel
from app.panels.truncation import TruncationPanel

__all__ = [
    "ArithmeticPanel",
    "DirectionsPanel",
    "DiscoverPanel",
    "EncodePanel",
    "GalleryPanel",
    "InterpolatePanel",
    "LatentPanel",
    "ModelPanel",
    "NoisePanel",
    "ParamPanel",
    "ProgressivePanel",
    "StylesPanel",
    "TransformPanel",
    "TranslatePanel",
    "TruncationPanel",
]
