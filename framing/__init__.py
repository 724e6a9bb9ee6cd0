"""framing: sentence-level media-framing and attribution analysis across news outlets."""

__version__ = "0.1.0"
