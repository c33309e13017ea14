"""The one version string (read by pyproject.toml, the cache keys and ``--version``)."""

__version__ = "0.2.0"
