"""LatentLab engine: models, latent operations, the engine thread and checkpoint I/O.

This package never imports Qt; the GUI lives in :mod:`app`.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
