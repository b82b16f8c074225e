"""LatentLab training: data, trainers, the training loop and its command line."""

import engine  # noqa: F401 - before torch loads: engine sets the CPU threads' wait policy
