"""LatentLab engine: models, latent operations, the engine thread and checkpoint I/O.

This package never imports Qt; the GUI lives in :mod:`app`.
"""

import os

# The CPU runtime's worker threads sleep while they wait instead of spinning (read when torch loads, so
# it must be set before; an explicit OMP_WAIT_POLICY wins). On cores shared with other work, spinning
# threads take the time the working ones need: the emoji-stylegan2 training step on 2 busy cores ran at
# 0.9x of one thread with spinning threads and at 1.3x with sleeping ones (`latentlab bench train`).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["__version__"]
__version__ = "0.1.0"
