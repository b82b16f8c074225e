"""Image-quality metrics (FID, KID, IS, precision/recall) with pluggable feature extractors."""
