"""Coverage: where a map speaks, as one immutable value.

A map's coverage is either a geometry given whole (or none: the map speaks wherever it
draws), or, for a map read onto a land outline (every map read with ``coverage =
"ukraine"``), that land plus what the map draws beyond it. The second kind keeps its two
parts: a whole-front comparison needs only them, and the union, which costs more than
reading the file, is made only when someone asks for :attr:`Coverage.geometry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import shapely

from .shapes import polygonal

__all__ = ["Coverage"]


@dataclass(frozen=True, eq=False)
class Coverage:
    """Where a map speaks: a geometry, or a land outline ∪ what the map draws beyond it.

    Build one with :meth:`whole` or :meth:`on_land`; :attr:`geometry` is made (once) when
    first read. A map keeps its Coverage through ``dataclasses.replace``, so a map re-dated
    keeps whatever was made or given.

    Attributes
    ----------
    land : shapely geometry or None
        The land outline the map speaks on (:meth:`on_land`), else None.
    beyond : shapely geometry or None
        What the map draws past ``land`` (None when nothing).

    Examples
    --------
    >>> import shapely
    >>> c = Coverage.on_land(shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1))
    >>> c.parts is not None, round(c.geometry.area, 1)
    (True, 2.0)
    >>> Coverage.whole(shapely.box(0, 0, 1, 1)).parts is None
    True
    """

    land: object = None
    beyond: object = None
    _given: object = field(default=None, repr=False)
    #: the drawing this coverage was made from and that drawing cut to it (the reading
    #: pipeline's; it lies inside land ∪ beyond by construction), or None
    _drawing: tuple | None = field(default=None, repr=False)

    @classmethod
    def whole(cls, geometry) -> Coverage:
        """A coverage given as one geometry (None: the map speaks wherever it draws)."""
        return cls(_given=geometry)

    @classmethod
    def on_land(cls, land, beyond=None, *, drawing: tuple | None = None) -> Coverage:
        """``land`` ∪ ``beyond`` (what the map draws past ``land``; None when nothing).

        ``drawing``: (geometries, the same cut to this coverage), when already known.
        """
        return cls(land, beyond, None, drawing)

    @property
    def parts(self) -> tuple | None:
        """(land, beyond) for a coverage made on a land outline; None for one given whole."""
        return None if self.land is None else (self.land, self.beyond)

    @property
    def drawn_from(self) -> tuple | None:
        """The drawing (geometries) this coverage was made from, when known."""
        return None if self._drawing is None else self._drawing[0]

    @property
    def geometry(self):
        """The coverage as one geometry (lon/lat), or None; a union is made on first read."""
        if self.land is None:
            return self._given
        made = self.__dict__.get("_made")
        if made is None:
            if self.beyond is None:
                made = self.land  # the outline itself: maps of one region share it
            else:
                made = shapely.union(self.land, self.beyond)
                shapely.prepare(made)
            self.__dict__["_made"] = made  # a cache, not state: the value is land ∪ beyond
        return made

    def cut(self, geometries: tuple) -> tuple:
        """``geometries`` cut to the coverage, polygons only (a drawing that touches the
        coverage's edge from outside leaves lines and points in the intersection)."""
        if self._drawing is not None and self._drawing[0] is geometries:
            return self._drawing[1]
        cov = self.geometry
        if cov is None:
            return geometries
        shapely.prepare(cov)
        return tuple(
            g if shapely.covers(cov, g) else polygonal(shapely.intersection(g, cov)) for g in geometries
        )
