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
    "DownloadError",
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
    """Base class of every error mapdiff raises on purpose.

    Its text is bounded (:func:`bounded_text`): a message that quotes input (a 50 MB
    property name) stays a short line.
    """

    def __str__(self) -> str:
        return bounded_text(super().__str__())


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
        return bounded_text(str(self.args[0])) if self.args else ""


class UnknownPlaceError(MapdiffError, KeyError):
    """A place name is not in the gazetteer (the message names the closest matches)."""

    def __str__(self) -> str:
        return bounded_text(str(self.args[0])) if self.args else ""


class CoverageError(MapdiffError, ValueError):
    """The map does not cover the area asked about."""


class EmptyMapError(MapdiffError, ValueError):
    """A map or area of interest holds no area at all."""


class InputLimitError(MapdiffError, ValueError):
    """An input exceeds a size or vertex limit (raise the limit to read it anyway)."""


class FetchError(MapdiffError, OSError):
    """A source cannot be reached, or has not published what was asked (a 404, a timeout,
    no network, offline without a cached copy): try again later. The command line exits
    with 4. Content that arrived but is wrong is a :class:`DownloadError` instead."""


class MissingDependencyError(MapdiffError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class DownloadError(FormatError):
    """A source answered, but with content that is not what was asked: a damaged or
    truncated body, an HTML page, a release of another date, an unreadable cache registry
    or a cached copy that no longer matches its hash. Bad input (exit 2), never retried
    silently."""


class UnknownSideError(ArgumentError):
    """A side the map (or maps) does not have; the message lists the sides it has."""


# ------------------------------------------------------------------ quoting input in messages
import re as _re  # noqa: E402  (appended helpers: keep the hierarchy above first)

MAX_MESSAGE = 2000
MAX_QUOTED = 80
# C0/C1 controls, line and paragraph separators, bidi overrides: nothing that moves a terminal
_UNPRINTABLE = _re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def quote(value, limit: int = MAX_QUOTED) -> str:
    """``value`` quoted for a message: its ``repr`` for a string (control characters and
    line breaks escaped), cut to ``limit`` characters with the length said. Every message
    that quotes input uses it, so no input makes a message long or multi-line.

    Examples
    --------
    >>> quote("Pokrovsk")
    "'Pokrovsk'"
    >>> quote("x" * 1000, limit=10)
    "'xxxxxxxxxx…' (1,000 characters)"
    >>> quote(["RU", "UA"])
    "['RU', 'UA']"
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        cut = repr(value[:limit])
        return f"{cut[:-1]}…{cut[-1]} ({len(value):,} characters)"
    text = repr(value) if not isinstance(value, bytes) else repr(value[: limit + 1])
    text = _UNPRINTABLE.sub("?", text)
    return text if len(text) <= limit else text[:limit] + "…"


def bounded_text(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line, without control characters, at most ``limit`` characters
    (the middle cut, its length said): the last bound on any message mapdiff prints.

    Examples
    --------
    >>> bounded_text("a\\nb")
    'a b'
    >>> len(bounded_text("x" * 10_000)) < 2100
    True
    """
    text = str(text)
    if len(text) > limit:
        keep = limit // 2
        text = f"{text[:keep]} …[{len(text) - 2 * keep:,} characters cut]… {text[-keep:]}"
    if _UNPRINTABLE.search(text):
        text = _UNPRINTABLE.sub(lambda m: " " if m.group() in "\t\n\r\u2028\u2029" else "", text)
    return text
