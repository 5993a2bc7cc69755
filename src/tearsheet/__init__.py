"""tearsheet: a static site generator for paid financial essays."""

__version__ = "0.1.0"
