"""LatentLab engine: models, latent operations, the engine thread and checkpoint I/O.

This package never imports Qt; the GUI lives in :mod:`app`.
"""

from engine.threads import prefer_passive_wait

prefer_passive_wait()  # before torch loads OpenMP (see engine.threads)

__all__ = ["__version__"]
__version__ = "0.1.0"
