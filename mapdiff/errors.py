"""One exception hierarchy, rooted at :class:`MapdiffError`.

Every error the library raises on purpose is a ``MapdiffError``; messages name the
file (and the feature, where there is one) and say what to do. Catch ``MapdiffError``
to handle anything mapdiff refuses, or a subclass for one kind of refusal. Each leaf
also derives from the matching builtin, so ``except ValueError`` keeps working:

- ``ArgumentError`` (``ValueError``): a function was called with a bad value or type
  (an unknown option such as a claim kind, a number out of range, a map where a
  ``ControlMap`` is needed). Unknown *names* of data have their own classes, which
  list the known ones: ``UnknownLabelError``, ``UnknownPlaceError`` (``KeyError``),
  ``UnknownSideError``, ``UnknownSourceError`` (``ValueError``).
- ``FormatError``, ``CRSError`` (``MissingCRSError``, ``SwappedCoordinatesError``),
  ``ProfileError``, ``InputLimitError``, ``EmptyMapError`` (``ValueError``): a file or
  object cannot be read, or holds nothing usable.
- ``CoverageError`` (``ValueError``): the map does not cover the area asked about.
- ``FetchError`` (``OSError``): a download failed or a release is not in the cache.
- ``MissingDependencyError`` (``ImportError``): an optional extra is not installed.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "CRSError",
    "CoverageError",
    "EmptyMapError",
    "FetchError",
    "FormatError",
    "InputLimitError",
    "LedgerError",
    "MapdiffError",
    "MapdiffWarning",
    "MissingCRSError",
    "MissingDependencyError",
    "ProfileError",
    "StaleReleaseWarning",
    "SwappedCoordinatesError",
    "UnknownLabelError",
    "UnknownPlaceError",
    "UnknownSideError",
    "UnknownSourceError",
]


class MapdiffError(Exception):
    """Base class of every error mapdiff raises on purpose."""


class MapdiffWarning(UserWarning):
    """A repair or a doubt the caller should know about (the result is still usable)."""


class StaleReleaseWarning(MapdiffWarning):
    """The release a claim was checked against is older than the allowed gap (a nearer one may exist)."""


class ArgumentError(MapdiffError, ValueError):
    """A function was called with a bad argument: wrong type, value out of range, unknown option.

    The message names the argument (in CLI syntax in the CLI, ``--tolerance``) and
    what it accepts.
    """


class FormatError(MapdiffError, ValueError):
    """A file or object cannot be read (a map, a ledger, a polygon file): missing, bad, empty."""


class LedgerError(FormatError):
    """A claims ledger row breaks the rules of a curated ledger (no source, a date out of reach, ...)."""


class CRSError(MapdiffError, ValueError):
    """A coordinate reference system is missing, wrong or incompatible."""


class MissingCRSError(CRSError):
    """The input carries no CRS and none was passed with ``crs=``."""


class SwappedCoordinatesError(CRSError):
    """Coordinates look like latitude/longitude given in the wrong order."""


class UnknownSourceError(MapdiffError, ValueError):
    """No profile is registered under that name, or a file matches no known source."""


class ProfileError(MapdiffError, ValueError):
    """A profile (built-in or user TOML) is malformed."""


class UnknownLabelError(MapdiffError, KeyError):
    """A label is asked for that the map does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnknownPlaceError(MapdiffError, KeyError):
    """A place name is not in the gazetteer (the message names the closest matches)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class CoverageError(MapdiffError, ValueError):
    """The map does not cover the area asked about."""


class EmptyMapError(MapdiffError, ValueError):
    """A map or area of interest holds no area at all."""


class InputLimitError(MapdiffError, ValueError):
    """An input exceeds a size or vertex limit (raise the limit to read it anyway)."""


class FetchError(MapdiffError, OSError):
    """A release could not be fetched, verified or found in the cache."""


class MissingDependencyError(MapdiffError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class UnknownSideError(ArgumentError):
    """A side the map (or maps) does not have; the message lists the sides it has."""
