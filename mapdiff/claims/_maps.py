"""One way to accept "some maps" for the claim analyses over several maps.

:func:`mapdiff.check_claim_all`, :func:`mapdiff.check_claims` and :func:`mapdiff.track`
take the same ``maps`` argument: ControlMaps, a folder, a glob, a list of files,
:class:`mapdiff.Releases`, a list of any of those, or a mapping ``source name -> any of
those``. :func:`by_source` reads it into ``{source: [part, ...]}`` (each part a ControlMap
or a Releases, nothing read yet); :func:`handles` and :func:`as_releases` then give each
caller the form it works on.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import ArgumentError
from ..model.control_map import ControlMap

__all__ = ["ACCEPTED", "as_releases", "by_source", "handles"]

#: What a ``maps`` argument may be (said by every error about one).
ACCEPTED = (
    "ControlMaps (from mapdiff.read_map), a folder, a glob or a list of files of releases, "
    "mapdiff.Releases, a list of those, or a mapping source name -> any of those "
    "(e.g. {'deepstate': 'data/deepstate'})"
)


def _is_releases(obj) -> bool:
    """A release series (:class:`mapdiff.Releases`): ``dates``, ``source`` and indexing."""
    return hasattr(obj, "dates") and hasattr(obj, "source") and hasattr(obj, "__getitem__")


def _releases(items, *, name=None, cache: bool = True):
    """``mapdiff.Releases(items)``, read with the profile ``name`` names if it names one
    (``deepstate=DIR``; otherwise the profile is recognised). Imported here: history.releases
    and the profiles import pandas, which reading or validating a ledger does not need."""
    from ..history.releases import Releases
    from ..profiles import available_profiles

    return Releases(items, source=name if name in available_profiles() else None, cache=cache)


def _refuse(what: str, obj) -> ArgumentError:
    return ArgumentError(f"{what} needs maps: {ACCEPTED}; got {type(obj).__name__}")


def _parts(name, value, what: str, cache: bool) -> list:
    """The parts of one source of a mapping: its Releases or its ControlMaps."""
    if isinstance(value, ControlMap) or _is_releases(value):
        return [value]
    if isinstance(value, str | Path):
        return [_releases(value, name=name, cache=cache)]
    if not hasattr(value, "__iter__"):
        raise _refuse(what, value)
    items = list(value)
    for item in items:
        if not (isinstance(item, ControlMap | str | Path) or _is_releases(item)):
            raise _refuse(what, item)
    if not any(isinstance(item, str | Path) for item in items):
        return items
    if any(_is_releases(item) for item in items):
        raise ArgumentError(f"{what}: give source {name!r} Releases or files, not both in one list")
    return [_releases(items, name=name, cache=cache)]


def by_source(maps, *, what: str, cache: bool = True, named: bool = False) -> dict[str, list]:
    """``{source: [ControlMap or Releases, ...]}`` from any accepted ``maps`` (nothing read).

    A mapping's keys name the sources, and a key naming a profile reads its files with that
    profile (otherwise the profile is recognised); without a mapping, maps and releases are
    grouped by their ``source``. Folders, globs and lists of files become
    :class:`mapdiff.Releases` (``cache`` as for it), read lazily.

    ``named=True`` asks for the mapping (a caller whose output names each source).

    Raises
    ------
    ArgumentError
        Naming what is accepted (:data:`ACCEPTED`), for anything else or for no map at all.
    """
    if named and not isinstance(maps, Mapping):
        raise ArgumentError(
            f"{what} needs maps as a mapping source name -> folder, glob, list of files or Releases, "
            "e.g. {'deepstate': 'data/deepstate'}"
        )
    if isinstance(maps, Mapping):
        groups = {str(k): _parts(k, v, what, cache) for k, v in maps.items()}
    else:
        if isinstance(maps, str | Path | ControlMap) or _is_releases(maps):
            maps = [maps]
        elif not hasattr(maps, "__iter__"):
            raise _refuse(what, maps)
        groups = {}
        for m in maps:
            if isinstance(m, str | Path):
                m = _releases(m, cache=cache)
            if _is_releases(m):
                groups.setdefault(str(m.source), []).append(m)
            elif isinstance(m, ControlMap):
                groups.setdefault(m.source, []).append(m)
            else:
                raise _refuse(what, m)
    if not groups:
        raise ArgumentError(f"{what} needs at least one map: {ACCEPTED}")
    return groups


def handles(parts: list) -> list[tuple]:
    """``[(as_of, loader)]`` of a source's parts: a Releases is read only when a loader is
    called (each call reads again)."""
    out = []
    for part in parts:
        if _is_releases(part):
            out += [(d, lambda i=i, s=part: s[i]) for i, d in enumerate(part.dates)]
        else:
            out.append((part.as_of, lambda m=part: m))
    return out


def as_releases(parts: list, *, cache: bool = True):
    """A source's parts as one :class:`mapdiff.Releases` (ControlMaps are put in one)."""
    if len(parts) == 1 and _is_releases(parts[0]):
        return parts[0]
    if all(isinstance(p, ControlMap) for p in parts):
        return _releases(parts, cache=cache)
    raise ArgumentError("give each source one folder, glob, list of files, list of ControlMaps or Releases")
