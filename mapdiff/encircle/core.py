"""Encirclement: is a place's holding cut off from the rear, and how wide is the way out?

Design
------
The question is topological, so it is answered on polygons, not on a grid:

*Passable* land is land the defending side holds (``controlled`` or ``encircled``), plus
the grey zone when the policy says it is passable (``grey="passable"``, the default: a
grey zone is land nobody controls; ``grey="blocking"`` treats it as closed). Land held by
the encircling side (or by any third side) blocks, and so does everything outside the
map's coverage: a map says nothing there.

*Holding*: the defender's land inside the place's footprint. *Rear*: by default the
defender's largest connected area on the map; or a place, point or polygon the caller
gives. The holding is **enclosed** when none of its pieces lies in the same connected
component of passable land as the rear (two pieces that touch only at a point do not
connect: a corridor of zero width is closed).

*Corridor*: when the holding is open, the width of the narrowest point on the widest way
out: the diameter of the largest disc that can travel from a position centred in the
holding to the rear without overlapping blocking land (the "widest path" on clearance,
the distance to blocking land). It is found by bisection on *r*: passable land eroded by
*r* (``passable - blocking.buffer(r)``) still joins the holding to the rear when the way
is wider than ``2 r``. The start counts: when the holding itself is a strip narrower
than the way beyond it, the narrowest point lies in the holding and a note says so. The
erosion is computed in a local equal-area projection (metres) inside a window of
``search_km`` around the footprint; the rear then is the part of the rear's component
at the window's edge (or, when the rear lies wholly inside the window, the largest
eroded piece). Land outside the map's coverage is not passable and narrows a corridor
like blocking land (on DeepState the coverage edge is the state border; on a clipped
map it is the clip, and a note says when the narrowest point is against it). The
narrowest point is drawn as a line between the blocking land on either side. Precision:
``resolution_m`` (default 10 m).

*Fire control*: with ``fire_range_km``, a corridor narrower than twice that range is
reported as "enclosed under fire control at X km".

*Perimeter*: the share of the holding's outline within ``radius_km`` of the footprint
that borders the encircling side (and the grey zone), snapped at ``snap_m`` (default
50 m: two features drawn by one hand rarely share vertices).

Areas labelled ``encircled`` by a source are that source's claim; :func:`check_encircled_labels`
runs the same analysis on each of them.

Here are the result and the entry point; the steps live by concept: :mod:`.pocket` (the
place, or several towns as one pocket, and the rear), :mod:`.passable` (each map's passable
and blocking land and its connected pieces), :mod:`.corridor` (the way out's width and line)
and :mod:`._geometry` (set operations that survive real fronts, the local frame).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso, jsonable
from ..errors import ArgumentError, CoverageError
from ..io.write import one_map_provenance
from ..labels import ENCIRCLED, canonical_side, resolve_side
from ..model.classes import ENCIRCLEMENT_COLOURS, source_lean, source_name
from ..model.control_map import ControlMap
from ..model.measure import area_km2
from ..places.footprints import Footprint
from ..places.shapes import OfFootprint
from ._geometry import Frame, clip, difference, intersection, polygons, union
from .corridor import measure_corridor
from .passable import component_index, largest_area, map_layers, passable_pieces
from .pocket import pocket_footprint, resolve_rear

__all__ = ["GREY_POLICIES", "Encirclement", "check_encircled_labels", "encirclement", "pocket_footprint"]

#: How the grey zone is treated on the way out, the default first.
GREY_POLICIES = ("passable", "blocking")


# ---------------------------------------------------------------------- result
@dataclass(frozen=True)
class Encirclement(OfFootprint, GeoResult):
    """Whether a side's holding in a place is cut off, and how wide the way out is (immutable).

    Attributes
    ----------
    footprint : Footprint
        The place examined (one place, or several as one pocket).
    place, footprint_kind, approximate, footprint_geometry
        The footprint's name, kind, approximate flag and lon/lat geometry (derived).
    by, defender : str
        The encircling side and the side whose holding is examined.
    grey : str
        Grey-zone policy: ``passable`` or ``blocking``.
    enclosed : bool or None
        True when no piece of the holding connects to the rear through passable land;
        None when the defender holds nothing in the place.
    fire_controlled : bool
        True when open but the corridor is narrower than ``2 * fire_range_km``.
    verdict : str
        ``"enclosed"``, ``"enclosed under fire control at X km (corridor Y km)"``,
        ``"open: corridor Y km"``, ``"open: corridor wider than Y km"`` or
        ``"no holding: ..."``.
    corridor_km : float or None
        Width of the narrowest point on the best way out (None when enclosed or no holding).
    corridor_lower_bound : bool
        True when the corridor is at least ``corridor_km`` wide (wider than the search
        window lets the bisection see).
    fire_range_km : float or None
    holding_km2, enclosed_km2 : float
        The defender's land in the footprint, and the part of it that is cut off.
    perimeter_share, grey_perimeter_share : float or None
        Share of the holding's outline (within ``radius_km``) bordering the encircling
        side, and the grey zone.
    radius_km : float
    touches_edge : bool
        True when an enclosed piece reaches the edge of the map's coverage (a way out
        may lie beyond what the map shows).
    rear : str
        What the rear is ("largest connected area of UA", a place name, ...).
    source, as_of, notes
        The map the answer comes from, and caveats.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> e = mapdiff.encirclement(m, "Myrnohrad", by="RU")
    >>> type(e).__name__, e.defender, e.enclosed, e.verdict.split(":")[0]
    ('Encirclement', 'UA', False, 'open')
    """

    footprint: Footprint = field(repr=False)
    by: str
    defender: str
    grey: str
    enclosed: bool | None
    fire_controlled: bool
    verdict: str
    corridor_km: float | None
    corridor_lower_bound: bool = False
    fire_range_km: float | None = None
    holding_km2: float = 0.0
    enclosed_km2: float = 0.0
    perimeter_share: float | None = None
    grey_perimeter_share: float | None = None
    radius_km: float = 5.0
    touches_edge: bool = False
    rear: str = ""
    source: str = ""
    as_of: dt.date | None = None
    notes: tuple = ()
    # lon/lat geometries for plotting; not part of equality or the dict
    holding_geometry: object = field(default=None, compare=False, repr=False)
    enemy_geometry: object = field(default=None, compare=False, repr=False)
    grey_geometry: object = field(default=None, compare=False, repr=False)
    friendly_geometry: object = field(default=None, compare=False, repr=False)
    corridor_line: object = field(default=None, compare=False, repr=False)
    view: object = field(default=None, compare=False, repr=False)
    #: the map's Provenance (file, sha256), stated in exports with the footprint
    map_provenance: object = field(default=None, compare=False, repr=False)

    @property
    def closed(self) -> bool:
        """True when enclosed, or open only through a corridor under fire control."""
        return bool(self.enclosed) or self.fire_controlled

    def to_dict(self) -> dict:
        """JSON-ready dict (``schema_version`` 1); ``corridor_line`` as a GeoJSON LineString (lon/lat)."""
        line = self.corridor_line
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "encirclement",
            "place": self.place,
            "by": self.by,
            "defender": self.defender,
            "grey": self.grey,
            "enclosed": self.enclosed,
            "fire_controlled": self.fire_controlled,
            "closed": self.closed,
            "verdict": self.verdict,
            "corridor_km": self.corridor_km,
            "corridor_lower_bound": self.corridor_lower_bound,
            "corridor_line": None if line is None or line.is_empty else jsonable(line),
            "fire_range_km": self.fire_range_km,
            "holding_km2": self.holding_km2,
            "enclosed_km2": self.enclosed_km2,
            "perimeter_share": self.perimeter_share,
            "grey_perimeter_share": self.grey_perimeter_share,
            "radius_km": self.radius_km,
            "touches_edge": self.touches_edge,
            "rear": self.rear,
            "source": self.source,
            "source_name": source_name(self.source),
            "lean": source_lean(self.source),
            "as_of": iso(self.as_of),
            "footprint_kind": self.footprint_kind,
            "approximate": self.approximate,
            "notes": list(self.notes),
        }

    def to_gdf(self):
        """The layers of the answer (EPSG:4326), as :meth:`plot` draws them.

        Columns: ``class`` (``footprint``, ``holding``, ``enemy``, ``friendly``, ``grey``,
        ``corridor``), ``place``, ``verdict``, ``area_km2`` (0 for the corridor line),
        ``corridor_km`` (the corridor's width, on its row only), ``geometry``. Layers
        other than the footprint and the holding are clipped to the view around the place.
        """
        import geopandas as gpd

        layers = [
            ("footprint", self.footprint_geometry),
            ("holding", self.holding_geometry),
            ("enemy", self.enemy_geometry),
            ("friendly", self.friendly_geometry),
            ("grey", self.grey_geometry),
            ("corridor", self.corridor_line),
        ]
        layers = [(k, g) for k, g in layers if g is not None and not g.is_empty]
        geoms = np.asarray([g for _, g in layers], dtype=object)
        return gpd.GeoDataFrame(
            {
                "class": [k for k, _ in layers],
                "place": [self.place] * len(layers),
                "verdict": [self.verdict] * len(layers),
                "area_km2": area_km2(geoms) if len(geoms) else [],
                "corridor_km": [self.corridor_km if k == "corridor" else None for k, _ in layers],
            },
            geometry=list(geoms),
            crs="EPSG:4326",
        )

    def _export_provenance(self) -> dict:
        return one_map_provenance("encirclement", self)

    def _class_style(self) -> dict:
        text = {
            "footprint": f"{self.place} ({self.footprint_kind})",
            "holding": f"{self.defender} holding",
            "enemy": f"held by {self.by}",
            "friendly": f"held by {self.defender} around",
            "grey": f"grey zone ({self.grey})",
            "corridor": "narrowest corridor",
        }
        kinds = {"corridor": "line"}
        return {k: (c, text[k], kinds.get(k, "fill")) for k, c in ENCIRCLEMENT_COLOURS.items()}

    def to_frame(self):
        """The result as a one-row DataFrame (handy to stack many places or dates)."""
        import pandas as pd

        row = self.to_dict()
        row.pop("notes")
        row["corridor_line"] = None if row["corridor_line"] is None else self.corridor_line.wkt
        return pd.DataFrame([row])

    def summary(self) -> str:
        """A few lines of plain text: verdict, corridor, perimeter, caveats."""
        date = iso(self.as_of, "undated")
        flag = "  [APPROXIMATE footprint]" if self.approximate else ""
        lines = [
            f"{self.place}: {self.defender} holding, encircling side {self.by}, grey zone {self.grey}",
            f"Map: {self.source} {date}; footprint {self.footprint_kind}{flag}",
            f"Verdict: {self.verdict}",
            f"Holding: {self.holding_km2:,.2f} km² ({self.enclosed_km2:,.2f} km² cut off); rear: {self.rear}",
        ]
        if self.perimeter_share is not None:
            lines.append(
                f"Perimeter within {self.radius_km:g} km bordering {self.by}: "
                f"{self.perimeter_share:.1%} (grey zone {self.grey_perimeter_share:.1%})"
            )
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in self.to_dict().items()
            if k not in ("notes", "corridor_line")
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<b>Encirclement</b> of {html.escape(self.place)}: <b>{html.escape(self.verdict)}</b>"
            f"<table>{rows}</table><ul>{notes}</ul>"
        )

    def plot(self, ax=None, **kwargs):
        """Holding, encircling side, grey zone and corridor (:func:`mapdiff.draw.plot.plot_encirclement`)."""
        from ..draw.plot import plot_encirclement

        return plot_encirclement(self, ax=ax, **kwargs)


# ---------------------------------------------------------------------- inputs
def _sides(cmap) -> list[str]:
    return list(dict.fromkeys(lab.side for lab in cmap.all_labels if lab.side))


def _check_inputs(cmap, by, defender, grey, fire_range_km, radius_km, search_km, resolution_m):
    if not isinstance(cmap, ControlMap):
        raise ArgumentError(
            f"encirclement needs a ControlMap (from mapdiff.read_map), got {type(cmap).__name__}"
        )
    sides = _sides(cmap)
    by = resolve_side(by, sides, what=f"the {cmap.source} map")
    if defender is not None:
        defender = canonical_side(defender) if isinstance(defender, str) and defender.strip() else defender
    if defender is not None and (defender not in sides or defender == by):
        raise ArgumentError(
            f"defender {defender!r} must be another side of the map "
            f"({', '.join(s for s in sides if s != by) or 'none'})"
        )
    if grey not in GREY_POLICIES:
        raise ArgumentError(f"unknown grey-zone policy {grey!r}; use one of: {', '.join(GREY_POLICIES)}")
    for name, value, lo in (
        ("fire_range_km", fire_range_km, 0.0),
        ("radius_km", radius_km, 0.0),
        ("search_km", search_km, 0.0),
    ):
        if value is None and name == "fire_range_km":
            continue
        if (
            not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < lo
            or (name == "search_km" and value == 0)
        ):
            raise ArgumentError(f"{name} must be a finite number of km ≥ {lo:g}, got {value!r}")
    if not (isinstance(resolution_m, int | float) and resolution_m > 0):
        raise ArgumentError(f"resolution_m must be a positive number of metres, got {resolution_m!r}")
    return by, defender


# ---------------------------------------------------------------------- perimeter
def _perimeter(own_m, enemy_m, grey_m, area_m, snap_m: float):
    """Share of the outline of the holding within ``area_m`` bordering the enemy and the grey zone.

    The outline includes where ``area_m`` cuts the defender's land (the way the holding
    continues towards the rear), so a holding joined to its rear by a wide front scores
    low and a ring scores 1.
    """
    local = intersection(own_m, area_m)
    if local.is_empty:
        return None, None
    outline = shapely.boundary(local)
    total = shapely.length(outline)
    if total <= 0:
        return None, None
    enemy_len = shapely.length(intersection(outline, shapely.buffer(enemy_m, snap_m)))
    grey_len = shapely.length(
        intersection(difference(outline, shapely.buffer(enemy_m, snap_m)), shapely.buffer(grey_m, snap_m))
    )
    return min(1.0, enemy_len / total), min(1.0, grey_len / total)


# ---------------------------------------------------------------------- main entry
def encirclement(
    map,
    place,
    *,
    by: str,
    rear=None,
    fire_range_km: float | None = None,
    grey: str = "passable",
    defender: str | None = None,
    radius_km: float = 5.0,
    search_km: float = 40.0,
    footprint_kind: str | None = None,
    resolution_m: float = 10.0,
    snap_m: float = 50.0,
) -> Encirclement:
    """Is the defender's holding in ``place`` cut off by side ``by``, and how wide is the way out?

    Parameters
    ----------
    map : ControlMap
    place : str, Footprint, path or shapely geometry, or a list of them
        A gazetteer name or alias, a Footprint, a polygon file or a lon/lat polygon; a
        list (``["Pokrovsk", "Myrnohrad"]``) is one pocket of several places: "enclosed"
        only when the defender's holding in all of them is cut off.
    by : str
        The encircling side ("RU").
    rear : str, (lon, lat), Footprint or geometry, optional
        Where the way out must lead; default the defender's largest connected area.
    fire_range_km : float, optional
        A corridor narrower than twice this range counts as closed under fire control.
    grey : {"passable", "blocking"}, default "passable"
        Whether the grey zone can be used on the way out.
    defender : str, optional
        The side whose holding is examined; default the map's other side holding the
        most land around the place.
    radius_km : float, default 5
        How far around the footprint the perimeter share looks.
    search_km : float, default 40
        Size of the window around the footprint in which the corridor is measured;
        wider corridors are reported as "wider than 2 × search_km".
    footprint_kind : str, optional
        Which footprint of the place (``city_limits``, ``approximate+2km``, ...).
    resolution_m : float, default 10
        Precision of the corridor width.
    snap_m : float, default 50
        Outline within this distance of the encircler counts as bordering it.

    Returns
    -------
    Encirclement

    Raises
    ------
    MapdiffError
        For a bad side, policy or number; :class:`~mapdiff.errors.UnknownPlaceError` for
        an unknown place.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> e = encirclement(m, "Myrnohrad", by="RU")
    >>> e.enclosed, e.corridor_km > 0
    (False, True)
    """
    by, defender = _check_inputs(map, by, defender, grey, fire_range_km, radius_km, search_km, resolution_m)
    fp = pocket_footprint(place, kind=footprint_kind)
    frame = Frame(fp.geometry)
    fp_m = frame.to_m(fp.geometry)
    around_m = shapely.buffer(fp_m, radius_km * 1000.0)
    if defender is None:
        defender = _pick_defender(map, by, frame.to_lonlat(around_m))
    own, enemy, grey_geom, passable = map_layers(map, by, defender, grey)
    notes = _caveats(map, fp)
    holding = intersection(own, fp.geometry)
    holding_km2 = float(area_km2(holding)) if not holding.is_empty else 0.0
    common = {
        "footprint": fp,
        "by": by,
        "defender": defender,
        "grey": grey,
        "fire_range_km": fire_range_km,
        "radius_km": radius_km,
        "source": map.source,
        "as_of": map.as_of,
        "holding_geometry": holding,
        "map_provenance": map.provenance,
    }
    plot_layers = (frame, fp_m, radius_km, own, enemy, grey_geom)
    if holding_km2 <= 1e-6:
        verdict = f"no holding: {defender} holds nothing in {fp.name}"
        return Encirclement(
            enclosed=None, fire_controlled=False, verdict=verdict, corridor_km=None, notes=tuple(notes),
            **common, **_plot_layers(*plot_layers, None),
        )  # fmt: skip
    pocket = _cut_off(map, passable, own, rear, defender, holding, holding_km2)
    notes += pocket.notes
    perim, grey_perim = _perimeter_near(frame, fp_m, around_m, own, enemy, grey_geom, radius_km, snap_m)
    if pocket.enclosed:
        way = _Way("enclosed" + (" (reaches the map's edge)" if pocket.touches_edge else ""))
    else:
        way = _way_out(map, frame, fp_m, passable, pocket, rear, fire_range_km, search_km, resolution_m)
    return Encirclement(
        enclosed=pocket.enclosed,
        fire_controlled=way.fire_controlled,
        verdict=way.verdict,
        corridor_km=way.corridor_km,
        corridor_lower_bound=way.lower_bound,
        holding_km2=holding_km2,
        enclosed_km2=pocket.enclosed_km2,
        perimeter_share=perim,
        grey_perimeter_share=grey_perim,
        touches_edge=pocket.touches_edge,
        rear=pocket.rear_text,
        notes=tuple(notes + way.notes),
        corridor_line=way.line,
        **common,
        **_plot_layers(*plot_layers, way.line_m),
    )


def _caveats(cmap, fp) -> list[str]:
    """Notes true of every answer on this map and footprint."""
    notes = []
    if fp.approximate:
        notes.append(f"approximate footprint: {fp.provenance}")
    if cmap.grey_absence:
        notes.append(f"{cmap.grey_absence}: grey passable and blocking cannot differ")
    return notes


@dataclass(frozen=True)
class _Pocket:
    """Which of the holding is cut off from the rear (:func:`_cut_off`)."""

    rear_geom: object
    rear_text: str
    parts: np.ndarray  # the pieces of passable land
    rear_parts: set  # the indices of those the rear lies in
    enclosed: bool
    holding: object  # the defender's land in the footprint (lon/lat)
    holding_km2: float
    enclosed_km2: float
    touches_edge: bool
    notes: list


def _cut_off(cmap, passable, own, rear, defender, holding, holding_km2: float) -> _Pocket:
    """The rear, and the pieces of the holding in no connected piece of passable land with it."""
    parts, tree = passable_pieces(cmap, passable)
    if rear is None:
        rear_geom, rear_text = largest_area(cmap, own), f"largest connected area of {defender}"
    else:
        rear_geom, rear_text = resolve_rear(rear)
        if not shapely.intersects(rear_geom, cmap.footprint):
            raise CoverageError(f"the rear ({rear_text}) lies outside the {cmap.source} map's coverage")
        if not shapely.intersects(rear_geom, passable):
            raise ArgumentError(f"the rear ({rear_text}) is not on land {defender} can use on this map")
    rear_parts = component_index(tree, rear_geom)
    hold_parts = polygons(holding)
    cut_off_comps, open_km2 = set(), 0.0
    hold_areas = area_km2(hold_parts)
    for piece, a in zip(hold_parts, hold_areas, strict=True):
        comps = component_index(tree, shapely.point_on_surface(piece)) or component_index(tree, piece)
        if comps & rear_parts:
            open_km2 += float(a)
        else:
            cut_off_comps |= comps
    touches, notes = False, []
    if cut_off_comps and cmap.coverage is not None:
        edge = shapely.boundary(cmap.coverage)
        touches = any(shapely.distance(parts[i], edge) < 1e-7 for i in cut_off_comps)
        if touches:
            notes.append(
                "the cut-off holding reaches the edge of the map's coverage: a way out may "
                "lie beyond what the map shows"
            )
    enclosed_km2 = holding_km2 - open_km2
    return _Pocket(
        rear_geom=rear_geom, rear_text=rear_text, parts=parts, rear_parts=rear_parts,
        enclosed=open_km2 <= 1e-9, holding=holding, holding_km2=holding_km2, enclosed_km2=enclosed_km2,
        touches_edge=touches, notes=notes,
    )  # fmt: skip


def _perimeter_near(frame, fp_m, around_m, own, enemy, grey_geom, radius_km: float, snap_m: float):
    """:func:`_perimeter` on the layers clipped near the footprint, in metres."""
    near = frame.to_lonlat(shapely.buffer(fp_m, (radius_km + 1) * 1000.0))
    own_m, enemy_m, grey_m = (frame.to_m(clip(g, near)) for g in (own, enemy, grey_geom))
    return _perimeter(own_m, enemy_m, grey_m, around_m, snap_m)


@dataclass(frozen=True)
class _Way:
    """The verdict on the way out, the corridor and its notes (:func:`_way_out`)."""

    verdict: str
    corridor_km: float | None = None
    lower_bound: bool = False
    fire_controlled: bool = False
    line: object = None  # lon/lat
    line_m: object = None  # metres, in the place's frame
    notes: list = field(default_factory=list)


def _way_out(cmap, frame, fp_m, passable, pocket: _Pocket, rear, fire_range_km, search_km, resolution_m):
    """The corridor of an open holding: its width, line, verdict and caveats."""
    holding = pocket.holding
    width_m, lower, line_m = measure_corridor(
        frame, fp_m, passable, pocket.rear_geom, rear, pocket.parts, pocket.rear_parts, holding, search_km,
        resolution_m,
    )  # fmt: skip
    corridor_km = round(width_m / 1000.0, 3)
    line_ll = frame.to_lonlat(line_m) if line_m is not None else None
    fire = fire_range_km is not None and not lower and corridor_km < 2 * fire_range_km
    if fire:
        verdict = f"enclosed under fire control at {fire_range_km:g} km (corridor {corridor_km:.2f} km)"
    elif lower:
        verdict = f"open: corridor wider than {corridor_km:g} km"
    else:
        verdict = f"open: corridor {corridor_km:.2f} km"
    notes = []
    if line_ll is not None and shapely.intersects(line_ll, holding):
        notes.append(
            "the narrowest point lies in the holding itself: it is a strip narrower than the way beyond it"
        )
    if (
        line_ll is not None
        and cmap.coverage is not None
        and shapely.distance(shapely.boundary(cmap.coverage), line_ll) < 1e-6
    ):
        notes.append("the narrowest point is against the edge of the map's coverage")
    if pocket.enclosed_km2 > 1e-6:
        notes.append(
            f"{pocket.enclosed_km2:,.2f} of {pocket.holding_km2:,.2f} km² of the holding are cut off"
        )
    return _Way(verdict, corridor_km, lower, fire, line_ll, line_m, notes)


def _plot_layers(frame, fp_m, radius_km, own, enemy, grey_geom, line_m) -> dict:
    """The view (footprint + radius, and the corridor) and each layer clipped to it (lon/lat)."""
    view_m = shapely.buffer(fp_m, max(radius_km, 3.0) * 1000.0 * 1.6)
    if line_m is not None and not line_m.is_empty:
        view_m = union(view_m, shapely.buffer(line_m, 2000.0))
    view = frame.to_lonlat(shapely.envelope(view_m))
    return {
        "view": view,
        "enemy_geometry": clip(enemy, view),
        "grey_geometry": intersection(grey_geom, view),
        "friendly_geometry": intersection(own, view),
    }


def _pick_defender(cmap, by: str, around) -> str:
    """The side other than ``by`` holding the most land around the place (else on the map)."""
    areas = _other_sides_km2(cmap, by, aoi=around)
    if areas and max(areas.values()) > 0:
        return max(areas, key=areas.get)
    return _main_other_side(cmap, by)


def check_encircled_labels(map, *, by: str | None = None, **kwargs) -> tuple[Encirclement, ...]:
    """Check a source's own ``encircled`` areas: is each really cut off on the same map?

    A map that labels land ``encircled`` (for example a profile reading a source's
    "encirclement" layer) claims it is cut off. Each connected piece is examined as a
    place with :func:`encirclement`: the holder is the label's side, the encircler
    ``by`` (default the map's other side with the most land).

    Returns
    -------
    tuple of Encirclement
        One per labelled piece, largest first; empty when the map labels nothing encircled.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> check_encircled_labels(m)
    ()
    """
    out = []
    for lab in map.all_labels:
        if lab.status != ENCIRCLED or not lab.side:
            continue
        enemy = by or _main_other_side(map, lab.side)
        pieces = polygons(map.geometry(lab))
        for piece in sorted(pieces, key=lambda p: -float(area_km2(p))):
            out.append(encirclement(map, piece, by=enemy, defender=lab.side, **kwargs))
    return tuple(out)


def _other_sides_km2(cmap, side: str, aoi=None) -> dict[str, float]:
    """km² held by each side other than ``side`` (optionally within an area)."""
    areas = {}
    for lab in cmap.all_labels:
        if lab.side and lab.side != side and lab.holds:
            areas[lab.side] = areas.get(lab.side, 0.0) + cmap.area(lab, aoi=aoi)
    return areas


def _main_other_side(cmap, side: str) -> str:
    areas = _other_sides_km2(cmap, side)
    if not areas:
        raise ArgumentError(f"the {cmap.source} map has no side other than {side} to encircle it")
    return max(areas, key=areas.get)
