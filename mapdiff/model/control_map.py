"""ControlMap: one release of one source, normalised.

A :class:`ControlMap` holds labelled polygons that do not overlap (one dissolved
geometry per label, lon/lat EPSG:4326), the map's coverage (where it speaks at all),
the background label (what it implies where it draws nothing, inside its coverage),
scope notes (what the source never draws), provenance, and the
:class:`NormalisationReport` of what was repaired on the way in.

Design note: drawn geometries are kept as the source drew them (made valid, overlaps
resolved) and are clipped to the coverage lazily, when first measured or partitioned.
Clipping a whole front against a national boundary costs more than reading the file;
most analyses only need the part inside a small area of interest, which is clipped
first and costs little.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso
from ..errors import ArgumentError, EmptyMapError, UnknownLabelError
from ..labels import NOT_COVERED, Label, as_label
from .measure import area_km2

__all__ = ["ControlMap", "NormalisationReport", "Provenance", "Repair", "normalise"]


@dataclass(frozen=True)
class Repair:
    """One kind of repair made while normalising: how many features, how much area.

    Attributes
    ----------
    kind : str
        What was repaired (``overlap_resolved``, ``invalid_geometry``, ...).
    count : int
        Features (or overlaps) repaired.
    area_km2 : float
        Area the repair touched, km².
    detail : str
        A sentence saying what was done.

    Examples
    --------
    >>> import shapely
    >>> from mapdiff import normalise
    >>> from mapdiff.labels import Label
    >>> ru, grey = Label("controlled", "RU"), Label("contested", None)
    >>> m = normalise([(ru, shapely.box(0, 0, 2, 2)), (grey, shapely.box(1, 0, 3, 2))], source="x")
    >>> r = m.report.repairs[0]
    >>> r.kind, r.count, round(r.area_km2)
    ('overlap_resolved', 1, 24613)
    """

    kind: str
    count: int
    area_km2: float = 0.0
    detail: str = ""

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"repair": self.kind, "count": self.count, "area_km2": self.area_km2, "detail": self.detail}


@dataclass(frozen=True)
class NormalisationReport:
    """What normalisation found and repaired.

    Attributes
    ----------
    n_features : int
        Features read from the input.
    n_used : int
        Features that contributed area to a label.
    repairs : tuple of Repair
        One entry per kind of repair (``invalid_geometry``, ``z_dropped``,
        ``non_areal_dropped``, ``outside_coverage_dropped``, ``unlabelled_dropped``,
        ``overlap_resolved``, ``outside_coverage_clipped``).

    Examples
    --------
    >>> import mapdiff
    >>> rep = mapdiff.read_map(mapdiff.sample_path("2025-11-27")).report
    >>> type(rep).__name__, rep.n_features, rep.n_used, rep.repairs
    ('NormalisationReport', 1, 1, ())
    """

    n_features: int
    n_used: int
    repairs: tuple[Repair, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "n_features": self.n_features,
            "n_used": self.n_used,
            "repairs": [r.to_dict() for r in self.repairs],
        }

    def to_frame(self):
        """The repairs as a DataFrame (repair, count, area_km2, detail)."""
        import pandas as pd

        return pd.DataFrame(
            [r.to_dict() for r in self.repairs], columns=["repair", "count", "area_km2", "detail"]
        )

    def __str__(self) -> str:
        lines = [f"{self.n_features} features read, {self.n_used} used"]
        lines += [f"  {r.kind}: {r.count} ({r.area_km2:.3f} km²) {r.detail}".rstrip() for r in self.repairs]
        return "\n".join(lines)


@dataclass(frozen=True)
class Provenance:
    """Where a map came from: source, profile, file, content hash, date and how it was known.

    Attributes
    ----------
    source : str
        The source's name (``deepstate``, ``nzz``, ...).
    profile : str
        The profile that read the file.
    path : str or None
        The file read (None for a map built in memory).
    sha256 : str or None
        The file's content hash.
    as_of_from : str or None
        Where the release date came from: ``file``, ``name``, ``caller`` or None.

    Examples
    --------
    >>> import mapdiff
    >>> pv = mapdiff.read_map(mapdiff.sample_path("2025-11-27")).provenance
    >>> pv.source, pv.profile, pv.as_of_from, len(pv.sha256)
    ('deepstate', 'deepstate', 'file', 64)
    """

    source: str
    profile: str
    path: str | None = None
    sha256: str | None = None
    as_of_from: str | None = None  # "file", "name", "caller" or None

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "source": self.source,
            "profile": self.profile,
            "path": self.path,
            "sha256": self.sha256,
            "as_of_from": self.as_of_from,
        }


class _Union:
    """``shapely.union(a, b)``, made when first asked (picklable): a deferred coverage."""

    __slots__ = ("parts",)

    def __init__(self, a, b):
        self.parts = (a, b)

    def __call__(self):
        cov = shapely.union(*self.parts)
        shapely.prepare(cov)
        return cov

    def __getstate__(self):
        return self.parts

    def __setstate__(self, parts):
        self.parts = parts


class _Deferrable:
    """A dataclass field whose value may be given as a :class:`_Union`, made on first read.

    The reading pipeline gives a map's coverage as land ∪ what it draws beyond the land;
    a whole-front comparison never needs that union, so it is made only when read.
    """

    def __set_name__(self, owner, name):
        self._slot = f"_{name}_value"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return None  # the field's default
        value = obj.__dict__[self._slot]
        if isinstance(value, _Union):
            value = obj.__dict__[self._slot] = value()
        return value

    def __set__(self, obj, value):
        obj.__dict__[self._slot] = value
        # what the value was made of, kept once it is made: a coverage set any other way
        # (dataclasses.replace(m, coverage=...)) has no parts
        obj.__dict__[self._slot + "_parts"] = value.parts if isinstance(value, _Union) else None

    def made_of(self, obj, parts: tuple) -> bool:
        """True when ``obj``'s value is the union of ``parts`` (a, b) as it was set (made
        since or not), or, with ``b`` None, is ``a`` itself: nothing read or made here."""
        a, b = parts
        if b is None:
            return obj.__dict__.get(self._slot) is a
        given = obj.__dict__.get(self._slot + "_parts")
        return given is not None and given[0] is a and given[1] is b


def _speaks_on_land(m) -> bool:
    """True when ``m``'s coverage is still its ``_land`` outline ∪ what it draws beyond it
    (as the reading pipeline set it), so an analysis may use the two parts instead."""
    return m._land is not None and _COVERAGE.made_of(m, m._land)


_COVERAGE = _Deferrable()  # ControlMap.coverage


@dataclass(frozen=True, eq=False)
class ControlMap(GeoResult):
    """One release of one source after normalisation (immutable).

    Build one with :func:`mapdiff.read_map` or :func:`normalise`.

    Attributes
    ----------
    labels : tuple of Label
        Drawn labels, in precedence order (highest first).
    geometries : tuple of shapely geometries
        One dissolved (Multi)Polygon per label, lon/lat, not overlapping each other.
    coverage : shapely geometry or None
        Where the map speaks; None means "wherever it draws".
    background : Label or None
        What the map implies inside its coverage where it draws nothing.
    source : str
        Short source name ("deepstate", "nzz", "isw", a user's name).
    as_of : datetime.date or None
        Date of the release.
    scope : tuple of str
        What the source never draws (notes shown with comparisons).
    provenance : Provenance
    report : NormalisationReport

    Examples
    --------
    >>> import shapely
    >>> from mapdiff import normalise
    >>> from mapdiff.labels import Label
    >>> m = normalise([(Label("controlled", "RU"), shapely.box(37.0, 48.0, 37.1, 48.1))],
    ...               coverage=shapely.box(36.9, 47.9, 37.2, 48.2),
    ...               background=Label("controlled", "UA"), source="demo")
    >>> round(m.area("controlled:RU"), 1)
    82.9
    """

    labels: tuple[Label, ...]
    geometries: tuple
    coverage: object = _COVERAGE
    background: Label | None = None
    source: str = "unknown"
    as_of: dt.date | None = None
    scope: tuple[str, ...] = ()
    provenance: Provenance = field(default_factory=lambda: Provenance("unknown", "unknown"))
    report_base: NormalisationReport = field(default_factory=lambda: NormalisationReport(0, 0))
    #: (land, beyond) when the coverage was built as ``land ∪ beyond``, ``beyond`` being what
    #: the map draws past ``land`` (None if nothing): lets :func:`mapdiff.compare` overlay only
    #: what is drawn. Set by the reading pipeline; anything that changes the coverage drops it.
    _land: tuple | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ geometry
    @cached_property
    def _clipped(self) -> tuple:
        if self.coverage is None:
            return self.geometries
        cov = self.coverage
        shapely.prepare(cov)
        out = []
        for g in self.geometries:
            # polygons only: a drawing that touches the coverage's edge from outside leaves
            # lines and points in the intersection (Creamy Caprice's #ru, Russia included)
            out.append(g if shapely.covers(cov, g) else _polygonal(shapely.intersection(g, cov)))
        return tuple(out)

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides the map speaks of: its drawn labels' sides, then its background's."""
        sides = [lab.side for lab in self.labels if lab.side]
        if self.background is not None and self.background.side:
            sides.append(self.background.side)
        return tuple(dict.fromkeys(sides))

    @cached_property
    def drawn_union(self):
        """Union of everything the map draws, inside its coverage (lon/lat)."""
        return shapely.union_all(np.asarray(self._clipped, dtype=object))

    @cached_property
    def footprint(self):
        """The map's extent: its coverage, or the union of what it draws when it has none."""
        return self.coverage if self.coverage is not None else self.drawn_union

    @cached_property
    def _declared_classes(self) -> tuple[str, ...] | None:
        from ..errors import UnknownSourceError
        from ..profiles import get_profile

        try:
            return get_profile(self.provenance.profile).classes
        except UnknownSourceError:
            return None

    @property
    def classes(self) -> tuple[str, ...]:
        """The classes the source has (its profile's ``classes``; else the statuses drawn).

        A grey zone drawn by a map whose profile does not list ``contested`` still counts.
        """
        declared = self._declared_classes
        cls = list(declared) if declared is not None else sorted({lab.status for lab in self.all_labels})
        if "contested" not in cls and any(lab.status == "contested" for lab in self.labels):
            cls.append("contested")
        return tuple(cls)

    @property
    def has_grey(self) -> bool:
        """True when the source has a grey-zone class (``contested``), drawn here or not."""
        return "contested" in self.classes

    @property
    def grey_note(self) -> str | None:
        """None when the source has a grey zone; else the sentence every output shows instead."""
        missing = self._no_grey
        return None if missing is None else f"{missing}: the policies cannot differ"

    @property
    def _no_grey(self) -> str | None:
        """ "<source>: this source has no grey-zone class" (or "this map draws no grey zone"),
        None when it has one: the fact each output words for its own question."""
        if self.has_grey:
            return None
        if self._declared_classes is not None:
            return f"{self.source}: this source has no grey-zone class"
        return f"{self.source}: this map draws no grey zone"

    @property
    def all_labels(self) -> tuple[Label, ...]:
        """Drawn labels, then the background label if any."""
        if self.background is not None and self.background not in self.labels:
            return (*self.labels, self.background)
        return self.labels

    def geometry(self, label) -> object:
        """The (Multi)Polygon of ``label`` inside the coverage, lon/lat.

        The background label's geometry is the coverage minus everything drawn.
        A label the map does not know raises :class:`UnknownLabelError`.
        """
        label = as_label(label)
        if label in self.labels:
            drawn = self._clipped[self.labels.index(label)]
            if label == self.background:  # drawn and implied: both are that label's land
                return _polygonal(shapely.union(drawn, self._background_geometry))
            return drawn
        if label == self.background:
            return self._background_geometry
        known = ", ".join(str(x) for x in self.all_labels) or "none"
        raise UnknownLabelError(f"{self.source} map has no label {label}; it knows: {known}")

    @cached_property
    def _background_geometry(self):
        if self.background is None or self.coverage is None:
            return shapely.Polygon()
        return shapely.difference(self.coverage, self.drawn_union)

    def _drawn_parts(self, aoi, inside) -> tuple[list, list]:
        """(labels, polygonal parts) of the drawn labels meeting ``aoi``, each cut to
        ``inside`` (``aoi`` within the coverage); labels with nothing there left out."""
        labels, geoms = [], []
        for lab, g in zip(self.labels, self.geometries, strict=True):
            if not shapely.intersects(aoi, g):
                continue
            part = shapely.intersection(g, inside)
            if not part.is_empty:
                labels.append(lab)
                geoms.append(_polygonal(part))
        return labels, geoms

    def partition(self, aoi=None) -> tuple[tuple[Label, ...], np.ndarray]:
        """Split an area of interest into what this map says of each part.

        Parameters
        ----------
        aoi : shapely geometry (lon/lat) or object with ``.geometry``, optional
            Defaults to the map's extent.

        Returns
        -------
        labels, geometries
            Labels (drawn ones, then the background, then ``NOT_COVERED``) and one
            geometry per label; together they tile ``aoi`` without overlap. Labels with
            nothing inside ``aoi`` are left out.
        """
        aoi = self.footprint if aoi is None else _as_geometry(aoi)
        shapely.prepare(aoi)
        covered = True  # is the whole aoi inside the coverage?
        if self.coverage is not None:
            cov = self.coverage
            covered = aoi is cov or bool(shapely.covers(cov, aoi))
            inside = aoi if covered else shapely.intersection(aoi, cov)
        else:
            inside = aoi
        labels, geoms = self._drawn_parts(aoi, inside)
        if self.background is not None:
            drawn = (
                None
                if not geoms
                else geoms[0]
                if len(geoms) == 1
                else shapely.union_all(np.asarray(geoms, dtype=object))
            )
            bg = inside if drawn is None else shapely.difference(inside, drawn)
            bg = _polygonal(bg)
            if bg.is_empty:
                pass
            elif self.background in labels:  # also drawn explicitly: one piece per label
                i = labels.index(self.background)
                geoms[i] = _polygonal(shapely.union(geoms[i], bg))
            else:
                labels.append(self.background)
                geoms.append(bg)
        if not covered:
            outside = _polygonal(shapely.difference(aoi, self.coverage))
            if not outside.is_empty and area_km2(outside) > 0:
                labels.append(NOT_COVERED)
                geoms.append(outside)
        return tuple(labels), np.asarray(geoms, dtype=object)

    # ---------------------------------------------------------------- measuring
    def area(self, label, *, aoi=None) -> float:
        """Area (km²) of ``label``, optionally within an area of interest.

        Parameters
        ----------
        label : Label, (status, side) or "status:side"
        aoi : shapely geometry (lon/lat) or object with ``.geometry``, optional

        Examples
        --------
        >>> import shapely
        >>> from mapdiff import normalise
        >>> from mapdiff.labels import Label
        >>> m = normalise([(Label("controlled", "RU"), shapely.box(0, 0, 1, 1))], source="x")
        >>> round(m.area("controlled:RU", aoi=shapely.box(0, 0, 0.5, 1)), 1)
        6154.2
        """
        label = as_label(label)
        if aoi is not None and label == self.background and self.coverage is None:
            # no coverage: the background speaks wherever the AOI goes, as in partition()
            return self.areas(aoi=aoi).get(label, 0.0)
        geom = self.geometry(label)
        if aoi is not None:
            geom = shapely.intersection(geom, _as_geometry(aoi))
        return float(area_km2(geom))

    def areas(self, *, aoi=None) -> dict[Label, float]:
        """Area (km²) of every label (background included), optionally within an AOI.

        All parts are measured in one projection, so they add up to the area of
        ``aoi`` (or of the map's extent).
        """
        labels, geoms = self.partition(aoi)
        sizes = area_km2(geoms) if len(geoms) else []
        return {lab: float(a) for lab, a in zip(labels, sizes, strict=True)}

    @cached_property
    def report(self) -> NormalisationReport:
        """The normalisation report, with the area clipped off outside the coverage."""
        base = self.report_base
        if not _speaks_on_land(self) and self.coverage is None:  # no coverage made to ask
            return base
        moved = [(g, c) for g, c in zip(self.geometries, self._clipped, strict=True) if g is not c]
        if not moved:
            return base
        outside = float(sum(area_km2(g) - area_km2(c) for g, c in moved))
        extra = Repair(
            "outside_coverage_clipped",
            len(moved),
            max(outside, 0.0),
            "drawn area beyond the coverage, left out of every measure",
        )
        return NormalisationReport(base.n_features, base.n_used, (*base.repairs, extra))

    # ---------------------------------------------------------------- exporting
    def to_gdf(self, *, background: bool = True):
        """A GeoDataFrame with columns ``class`` (the label, e.g. ``controlled:RU``),
        ``status``, ``side``, ``area_km2``, ``geometry`` (EPSG:4326).

        Parameters
        ----------
        background : bool, default True
            Include the background label's geometry (coverage minus drawn).
        """
        import geopandas as gpd

        labels = self.all_labels if background else self.labels
        geoms = [self.geometry(lab) for lab in labels]
        return gpd.GeoDataFrame(
            {
                "class": [str(lab) for lab in labels],
                "status": [lab.status for lab in labels],
                "side": [lab.side for lab in labels],
                "area_km2": area_km2(np.asarray(geoms, dtype=object)) if geoms else [],
            },
            geometry=geoms,
            crs="EPSG:4326",
        )

    def _export_provenance(self) -> dict:
        from ..io.write import export_provenance

        return export_provenance("map_info", maps=[("map", self)])

    def _class_style(self) -> dict:
        from .classes import label_colours, map_sides

        colours = label_colours(self.all_labels, sides=map_sides(self))
        return {
            k: (c, k + (" (background)" if k == str(self.background) else "")) for k, c in colours.items()
        }

    def to_dict(self) -> dict:
        """Summary as a JSON-ready dict: source, as_of, labels with areas, repairs."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "map_info",
            "source": self.source,
            "as_of": iso(self.as_of),
            "background": self.background.to_dict() if self.background else None,
            "labels": [
                {**lab.to_dict(), "area_km2": round(self.area(lab), 6), "drawn": lab in self.labels}
                for lab in self.all_labels
            ],
            "scope": list(self.scope),
            "classes": list(self.classes),
            "has_grey": self.has_grey,
            "grey_note": self.grey_note,
            "provenance": self.provenance.to_dict(),
            "report": self.report.to_dict(),
        }

    def to_frame(self):
        """Areas per label as a DataFrame (status, side, area_km2, drawn)."""
        import pandas as pd

        return pd.DataFrame(self.to_dict()["labels"])

    def plot(self, ax=None, **kwargs):
        """Draw the labelled polygons (:func:`mapdiff.draw.plot.plot_map`); returns the Axes."""
        from ..draw.plot import plot_map

        return plot_map(self, ax=ax, **kwargs)

    def clip(self, aoi) -> ControlMap:
        """The same map restricted to an area of interest (coverage ∩ aoi)."""
        aoi = _as_geometry(aoi)
        geoms = tuple(_polygonal(shapely.intersection(g, aoi)) for g in self.geometries)
        cov = aoi if self.coverage is None else shapely.intersection(self.coverage, aoi)
        return ControlMap(
            self.labels,
            geoms,
            cov,
            self.background,
            self.source,
            self.as_of,
            self.scope,
            self.provenance,
            self.report_base,
        )

    def __repr__(self) -> str:
        date = iso(self.as_of, "undated")
        labels = ", ".join(str(x) for x in self.labels)
        return f"<ControlMap {self.source} {date}: {labels}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(r['status']))}</td><td>{html.escape(str(r['side']))}</td>"
            f"<td style='text-align:right'>{r['area_km2']:,.1f}</td></tr>"
            for r in self.to_dict()["labels"]
        )
        date = iso(self.as_of, "undated")
        return (
            f"<b>ControlMap</b> {html.escape(self.source)} {date}"
            f"<table><tr><th>status</th><th>side</th><th>km²</th></tr>{rows}</table>"
        )


def _as_geometry(obj):
    geom = getattr(obj, "geometry", obj)
    if not isinstance(geom, shapely.Geometry):
        raise ArgumentError(
            f"expected a shapely geometry in lon/lat (or an object with .geometry), got {type(obj).__name__}"
        )
    return geom


def _polygonal(geom):
    """Keep only the polygonal parts of ``geom`` (overlay results may carry lines/points)."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    t = geom.geom_type
    if t in ("Polygon", "MultiPolygon"):
        return geom
    if t == "GeometryCollection":  # nested collections too: a polygon two levels down is kept
        parts = [q for q in (_polygonal(p) for p in shapely.get_parts(geom)) if not q.is_empty]
        if not parts:
            return shapely.Polygon()
        return shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return shapely.Polygon()


def polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Vectorised :func:`_polygonal` over an array; non-polygonal results become empty polygons."""
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    bad = (types != 3) & (types != 6)  # not a Polygon or MultiPolygon (np.isin: 20x slower here)
    for i in np.flatnonzero(bad):
        out[i] = _polygonal(geoms[i])
    return out


def _dissolve_label(parts: np.ndarray):
    """One (Multi)Polygon of a label's valid parts. Parts whose bounding boxes lie apart
    (a front cut to the boxes round separate places) cannot overlap or share an edge: their
    polygons make a valid MultiPolygon as they are; others are unioned."""
    if parts.size == 1:
        return parts[0]
    types = shapely.get_type_id(parts)
    if ((types == 3) | (types == 6)).all():
        if len(parts) > _PAIRWISE_MAX:  # pairs would be quadratic (20,000 squares: 6.5 GB)
            return _union_touching(parts)
        b = shapely.bounds(parts)
        i, j = np.triu_indices(len(parts), k=1)
        apart = (b[i, 2] < b[j, 0]) | (b[j, 2] < b[i, 0]) | (b[i, 3] < b[j, 1]) | (b[j, 3] < b[i, 1])
        if apart.all():
            return shapely.multipolygons(shapely.get_parts(parts))
    return _polygonal(shapely.union_all(parts))


_PAIRWISE_MAX = 1000


def _union_touching(geoms: np.ndarray):
    """The union of valid polygonal ``geoms``, in time and memory near-linear in their
    number: an STRtree finds the geometries that touch or overlap another, in chunks, and
    stops counting pairs past 32 a geometry (then everything is unioned); only those that
    meet another are unioned, the others are kept as they are (valid geometries that touch
    nothing make a valid MultiPolygon)."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~shapely.is_empty(geoms)]
    if len(geoms) == 0:
        return shapely.Polygon()
    if len(geoms) == 1:
        return geoms[0]
    tree = shapely.STRtree(geoms)
    touching = np.zeros(len(geoms), dtype=bool)
    pairs = 0
    for start in range(0, len(geoms), 4096):
        a, b = tree.query(geoms[start : start + 4096], predicate="intersects")
        pairs += len(a)
        if pairs > 32 * len(geoms):  # crowded: pairs would grow quadratically
            touching[:] = True
            break
        touching[a[a + start != b] + start] = True
    kept = list(shapely.get_parts(geoms[~touching]))
    if touching.any():
        kept += list(shapely.get_parts(_polygonal(shapely.union_all(geoms[touching]))))
    return kept[0] if len(kept) == 1 else shapely.multipolygons(kept)


def _make_valid(geoms: np.ndarray) -> np.ndarray:
    """``make_valid`` (structure) of polygonal ``geoms``, polygonal parts kept. A
    MultiPolygon of many parts is repaired part by part and the parts joined by
    :func:`_union_touching` (GEOS on the whole: ~1 ms a part, 20,000 bow-ties 18 s)."""
    geoms = np.asarray(geoms, dtype=object)
    many = shapely.get_num_geometries(geoms) > _PARTWISE_MIN
    out = np.empty(len(geoms), dtype=object)
    if (~many).any():
        repaired = shapely.make_valid(geoms[~many], method="structure", keep_collapsed=False)
        out[~many] = polygonal_parts(repaired)
    for i in np.flatnonzero(many):
        parts = shapely.get_parts(geoms[i])
        bad = ~shapely.is_valid(parts)
        parts[bad] = polygonal_parts(shapely.make_valid(parts[bad], method="structure", keep_collapsed=False))
        out[i] = _union_touching(parts)
    return out


_PARTWISE_MIN = 256


def _area_before_repair(geoms: np.ndarray) -> np.ndarray:
    """km² of invalid geometries; rings collapsed to one point (which GEOS cannot densify
    for projecting) are measured after repair, one by one, on this rare path only."""
    try:
        return area_km2(geoms)
    except shapely.errors.GEOSException:
        out = np.empty(len(geoms))
        for i, g in enumerate(geoms):
            try:
                out[i] = area_km2(g)
            except shapely.errors.GEOSException:
                out[i] = area_km2(shapely.make_valid(g, method="structure", keep_collapsed=False))
        return out


def _mostly_outside(geoms: np.ndarray, coverage) -> np.ndarray:
    """Which of ``geoms`` lie mostly outside ``coverage`` (the rule :func:`normalise` drops by).

    Representative point outside and under half the area inside: a political polygon
    over a neighbouring country that grazes the border. Only those whose point lies
    outside are measured; an invalid one is repaired first (reading clipped to an area
    decides on whole features before cutting them).
    """
    geoms = np.asarray(geoms, dtype=object)
    result = np.zeros(len(geoms), dtype=bool)
    if not len(geoms):
        return result
    shapely.prepare(coverage)
    suspects = np.flatnonzero(~shapely.contains(coverage, shapely.point_on_surface(geoms)))
    if suspects.size:
        g = geoms[suspects]
        bad = ~shapely.is_valid(g)
        if bad.any():
            g = g.copy()
            g[bad] = polygonal_parts(shapely.make_valid(g[bad], method="structure", keep_collapsed=False))
        share = area_km2(shapely.intersection(g, coverage)) / np.maximum(area_km2(g), 1e-12)
        result[suspects[share < 0.5]] = True
    return result


def normalise(
    features: Iterable[tuple[Label, object]],
    *,
    precedence: Sequence[Label] | None = None,
    coverage=None,
    background: Label | None = None,
    source: str = "unknown",
    as_of: dt.date | None = None,
    scope: Sequence[str] = (),
    provenance: Provenance | None = None,
    repairs: Sequence[Repair] = (),
    n_features: int | None = None,
    drop_mostly_outside: bool = True,
) -> ControlMap:
    """Build a :class:`ControlMap` from labelled lon/lat geometries.

    Steps: drop empty geometries; drop Z; keep polygonal parts; repair invalid
    geometries with ``make_valid``; drop features that lie outside the coverage; resolve
    overlaps between labels by ``precedence`` (first wins); dissolve per label. Each
    step that changes anything is recorded in the report with the area it moved.

    Parameters
    ----------
    features : iterable of (Label, geometry)
        Geometries in EPSG:4326 (lon/lat).
    precedence : sequence of Label, optional
        Which label wins where labels overlap, highest first; labels not listed come
        after, in order of first appearance.
    coverage : geometry, optional
        Where the map speaks; features entirely outside it are dropped (the rest is
        clipped to it when measured, and the area clipped off is reported).
    background : Label, optional
        What the map implies where it draws nothing, inside ``coverage``.
    source, as_of, scope, provenance
        Carried into the map.
    repairs : sequence of Repair
        Repairs already made upstream (reading), to carry into the report.
    n_features : int, optional
        Features read upstream (defaults to the number given here).
    drop_mostly_outside : bool, default True
        Also drop features whose representative point lies outside ``coverage`` and of
        which less than half lies inside (political polygons over a neighbouring country
        that graze the border). Turn off for sources that draw no such polygons but do
        draw features straddling the border, so that their inside part counts.

    Returns
    -------
    ControlMap

    Raises
    ------
    EmptyMapError
        When no feature with area is left.

    Examples
    --------
    >>> import shapely
    >>> from mapdiff.labels import Label
    >>> ru, grey = Label("controlled", "RU"), Label("contested", None)
    >>> m = normalise([(ru, shapely.box(0, 0, 2, 2)), (grey, shapely.box(1, 0, 3, 2))],
    ...               precedence=[grey, ru], source="demo")
    >>> m.labels
    (Label('contested', None), Label('controlled', 'RU'))
    >>> [r.kind for r in m.report.repairs]
    ['overlap_resolved']
    """
    feats = list(features)
    n_in = len(feats) if n_features is None else n_features
    repairs = list(repairs)
    if not feats:
        raise EmptyMapError(f"{source}: the input holds no labelled feature")
    labels = [as_label(lab) for lab, _ in feats]
    geoms = np.asarray([g for _, g in feats], dtype=object)

    empty = shapely.is_missing(geoms)
    empty[~empty] = shapely.is_empty(geoms[~empty])
    if empty.any():
        repairs.append(Repair("empty_dropped", int(empty.sum()), 0.0, "features without geometry"))

    has_z = np.zeros(len(geoms), dtype=bool)
    has_z[~empty] = shapely.has_z(geoms[~empty])
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        repairs.append(Repair("z_dropped", int(has_z.sum()), 0.0, "Z coordinates removed"))

    keep = ~empty
    types = np.full(len(geoms), -1)
    types[keep] = shapely.get_type_id(geoms[keep])
    collection = types == 7
    if collection.any():
        geoms[collection] = polygonal_parts(geoms[collection])
        types[collection] = shapely.get_type_id(geoms[collection])
        types[collection & shapely.is_empty(geoms)] = -2
    non_areal = keep & (types != 3) & (types != 6)
    if non_areal.any():
        repairs.append(
            Repair(
                "non_areal_dropped",
                int(non_areal.sum()),
                0.0,
                "points, lines and empty collections carry no area",
            )
        )
        keep &= ~non_areal

    idx = np.flatnonzero(keep)
    if idx.size:
        invalid = idx[~shapely.is_valid(geoms[idx])]
        if invalid.size:
            before = _area_before_repair(geoms[invalid])
            geoms[invalid] = _make_valid(geoms[invalid])
            for i in invalid[~shapely.is_valid(geoms[invalid])]:
                # GEOS can return parts sharing an edge (a ring that doubles back): dissolve
                geoms[i] = _polygonal(shapely.make_valid(shapely.union_all(shapely.get_parts(geoms[i]))))
            after = area_km2(geoms[invalid])
            repairs.append(
                Repair(
                    "invalid_geometry",
                    int(invalid.size),
                    float(np.abs(after - before).sum()),
                    "repaired with make_valid (structure); area is |after - before|",
                )
            )
            keep[invalid[shapely.is_empty(geoms[invalid])]] = False

    if coverage is not None:
        idx = np.flatnonzero(keep)
        shapely.prepare(coverage)
        out = idx[~shapely.intersects(coverage, geoms[idx])]
        # Mostly outside (e.g. a political polygon over a neighbouring country that grazes
        # the border): representative point outside and under half its area inside.
        rest = np.setdiff1d(idx, out) if drop_mostly_outside else idx[:0]
        out = np.concatenate([out, rest[_mostly_outside(geoms[rest], coverage)]])
        if out.size:
            repairs.append(
                Repair(
                    "outside_coverage_dropped",
                    int(out.size),
                    float(area_km2(geoms[out]).sum()),
                    "features (mostly) outside the map's coverage",
                )
            )
            keep[out] = False

    if not keep.any():
        raise EmptyMapError(
            f"{source}: no polygon with area is left after normalisation "
            f"({n_in} features read); check the file holds polygons inside the map's coverage"
        )

    # dissolve per label, in precedence order
    order: list[Label] = []
    for lab in list(precedence or []) + labels:
        lab = as_label(lab)
        if lab not in order:
            order.append(lab)
    kept_labels = [labels[i] for i in np.flatnonzero(keep)]
    kept_geoms = geoms[keep]
    dissolved = []
    for lab in order:
        parts = kept_geoms[[k == lab for k in kept_labels]]
        if parts.size:
            dissolved.append((lab, _dissolve_label(parts)))

    # resolve overlaps: a lower label loses what higher ones hold (sequential differences
    # against each intersecting higher label; cheaper than growing a union)
    final_labels, final_geoms, moved, n_moved = [], [], 0.0, 0
    for lab, g in dissolved:
        hits = [h for h in final_geoms if shapely.intersects(h, g)]
        if hits:
            before = area_km2(g)
            for h in hits:
                g = _polygonal(shapely.difference(g, h))
            delta = before - area_km2(g)
            if delta > 0:
                moved += delta
                n_moved += 1
        if g.is_empty:
            continue
        final_labels.append(lab)
        final_geoms.append(g)
    if n_moved:
        repairs.append(
            Repair(
                "overlap_resolved",
                n_moved,
                moved,
                "area drawn under several labels kept by the higher one: "
                + " > ".join(str(x) for x in final_labels),
            )
        )

    report = NormalisationReport(n_in, int(keep.sum()), tuple(repairs))
    prov = provenance or Provenance(source, "custom")
    return ControlMap(
        tuple(final_labels),
        tuple(final_geoms),
        coverage,
        background,
        source,
        as_of,
        tuple(scope),
        prov,
        report,
    )
