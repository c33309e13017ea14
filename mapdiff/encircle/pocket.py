"""Where the encirclement looks: the pocket (one place, or several towns as one) and the rear."""

from __future__ import annotations

from dataclasses import replace

import shapely

from ..errors import ArgumentError, MapdiffError
from ..model.measure import area_km2
from ..places.footprints import as_footprint

__all__ = ["pocket_footprint", "resolve_rear"]


def pocket_footprint(places, *, kind: str | None = None):
    """One Footprint for one place, or for several places taken as one pocket.

    ``places`` is anything :func:`~mapdiff.places.footprints.as_footprint` takes, or a list
    or tuple of them ("Pokrovsk and Myrnohrad are surrounded"): their union, named
    ``"Pokrovsk and Myrnohrad"``, approximate when any of them is.

    Examples
    --------
    >>> fp = pocket_footprint(["Pokrovsk", "Myrnohrad"])
    >>> fp.name, fp.kind
    ('Pokrovsk and Myrnohrad', 'city_limits')
    """
    if not isinstance(places, list | tuple):
        return as_footprint(places, kind=kind)
    fps = [as_footprint(p, kind=kind) for p in dict.fromkeys(places)]
    if not fps:
        raise ArgumentError("no place given: pass --place NAME (repeat it for one pocket of several towns)")
    if len(fps) == 1:
        return fps[0]
    names = [f.name for f in fps]
    name = ", ".join(names[:-1]) + " and " + names[-1]
    kinds = list(dict.fromkeys(f.kind for f in fps))
    approx = [f for f in fps if f.approximate]
    geom = shapely.union_all([f.geometry for f in fps])
    return replace(
        approx[0] if approx else fps[0],  # approximate when any of them is
        name=name,
        geometry=geom,
        kind=approx[0].kind if approx else kinds[0],
        area_km2=float(area_km2(geom)),
        provenance="; ".join(f"{f.name}: {f.provenance}" for f in fps),
        aliases=(),
        centre=None,
        base=None,
    )


def resolve_rear(rear):
    """(lon/lat geometry, description) of a user-given rear."""
    if isinstance(rear, tuple | list) and len(rear) == 2 and all(isinstance(v, int | float) for v in rear):
        return shapely.Point(float(rear[0]), float(rear[1])), f"point {rear[0]:g}, {rear[1]:g}"
    if isinstance(rear, str) and "," in rear and not any(c.isalpha() for c in rear):
        try:
            lon, lat = (float(v) for v in rear.split(","))
        except ValueError:
            raise ArgumentError(f"cannot read the rear {rear!r}: write 'LON,LAT' or a place name") from None
        return shapely.Point(lon, lat), f"point {lon:g}, {lat:g}"
    try:
        fp = as_footprint(rear)
    except MapdiffError as exc:
        raise type(exc)(
            f"cannot use {rear!r} as the rear: {exc}; give a place, a polygon file or 'LON,LAT'"
        ) from None
    return fp.geometry, fp.name
