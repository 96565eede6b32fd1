"""Dataset tools of the app: ``python -m sweep.data --help``."""
