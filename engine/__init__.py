"""LatentLab engine: models, latent operations, the engine thread and checkpoint I/O.

This package never imports Qt; the GUI lives in :mod:`app`.
"""

# The CPU runtime's worker threads sleep while they wait instead of spinning (see engine.threads): the
# emoji-stylegan2 training step on 2 busy cores ran at 0.9x of one thread with spinning threads and at
# 1.3x with sleeping ones (`latentlab bench train`).
from engine.threads import prefer_passive_wait

prefer_passive_wait()  # before torch loads OpenMP (see engine.threads)

__all__ = ["__version__"]
__version__ = "0.1.0"
