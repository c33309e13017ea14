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
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso
from ..errors import ArgumentError, UnknownLabelError, UnknownSourceError
from ..io.write import export_provenance
from ..labels import NOT_COVERED, Label, as_label
from ..profiles import get_profile
from .classes import label_colours, map_sides
from .coverage import Coverage
from .measure import area_km2
from .shapes import polygonal

__all__ = ["ControlMap", "NormalisationReport", "Provenance", "Repair"]


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
    domain : Coverage
        Where the map speaks, as a value: a geometry given whole, or a land outline plus
        what the map draws beyond it (the reading pipeline's), whose union is made only
        when :attr:`coverage` is read. ``dataclasses.replace`` keeps it.
    coverage : shapely geometry or None
        Where the map speaks; None means "wherever it draws" (``domain.geometry``).
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
    domain: Coverage = field(default_factory=Coverage)
    background: Label | None = None
    source: str = "unknown"
    as_of: dt.date | None = None
    scope: tuple[str, ...] = ()
    provenance: Provenance = field(default_factory=lambda: Provenance("unknown", "unknown"))
    report_base: NormalisationReport = field(default_factory=lambda: NormalisationReport(0, 0))

    def __post_init__(self):
        # land ∪ what a drawing draws beyond it, given another drawing (dataclasses.replace
        # of the geometries): the beyond is no longer this map's, so the coverage is given whole
        d = self.domain
        if d.beyond is not None and d.drawn_from is not None and d.drawn_from is not self.geometries:
            object.__setattr__(self, "domain", Coverage.whole(d.geometry))

    # ------------------------------------------------------------------ geometry
    @property
    def coverage(self):
        """Where the map speaks (lon/lat), or None: wherever it draws (``domain.geometry``)."""
        return self.domain.geometry

    @cached_property
    def clipped(self) -> tuple:
        """The drawn geometries cut to the coverage, one (Multi)Polygon per label."""
        return self.domain.cut(self.geometries)

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
        return shapely.union_all(np.asarray(self.clipped, dtype=object))

    @cached_property
    def footprint(self):
        """The map's extent: its coverage, or the union of what it draws when it has none."""
        return self.coverage if self.coverage is not None else self.drawn_union

    @cached_property
    def _declared_classes(self) -> tuple[str, ...] | None:
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
        missing = self.grey_absence
        return None if missing is None else f"{missing}: the policies cannot differ"

    @property
    def grey_absence(self) -> str | None:
        """ "<source>: this source has no grey-zone class" (or "this map draws no grey zone"),
        None when it has one: the fact each output words for its own question
        (:attr:`grey_note` is the sentence for the grey-zone policies)."""
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
            drawn = self.clipped[self.labels.index(label)]
            if label == self.background:  # drawn and implied: both are that label's land
                return polygonal(shapely.union(drawn, self._background_geometry))
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

    def drawn_parts(self, aoi, inside) -> tuple[list, list]:
        """(labels, polygonal parts) of the drawn labels meeting ``aoi``, each cut to
        ``inside`` (``aoi`` within the coverage); labels with nothing there left out."""
        labels, geoms = [], []
        for lab, g in zip(self.labels, self.geometries, strict=True):
            if not shapely.intersects(aoi, g):
                continue
            part = shapely.intersection(g, inside)
            if not part.is_empty:
                labels.append(lab)
                geoms.append(polygonal(part))
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
        labels, geoms = self.drawn_parts(aoi, inside)
        if self.background is not None:
            drawn = (
                None
                if not geoms
                else geoms[0]
                if len(geoms) == 1
                else shapely.union_all(np.asarray(geoms, dtype=object))
            )
            bg = inside if drawn is None else shapely.difference(inside, drawn)
            bg = polygonal(bg)
            if bg.is_empty:
                pass
            elif self.background in labels:  # also drawn explicitly: one piece per label
                i = labels.index(self.background)
                geoms[i] = polygonal(shapely.union(geoms[i], bg))
            else:
                labels.append(self.background)
                geoms.append(bg)
        if not covered:
            outside = polygonal(shapely.difference(aoi, self.coverage))
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
        if self.domain.parts is None and self.coverage is None:  # no coverage made to ask
            return base
        moved = [(g, c) for g, c in zip(self.geometries, self.clipped, strict=True) if g is not c]
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
        return export_provenance("map_info", maps=[("map", self)])

    def _class_style(self) -> dict:
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
        geoms = tuple(polygonal(shapely.intersection(g, aoi)) for g in self.geometries)
        cov = aoi if self.coverage is None else shapely.intersection(self.coverage, aoi)
        return ControlMap(
            self.labels,
            geoms,
            Coverage.whole(cov),
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
