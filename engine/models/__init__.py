"""Network definitions (torch modules) used by the model families."""
