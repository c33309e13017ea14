"""Images: one consistent, publishable look for every mapdiff figure.

Design
------
* **Fixed colour-blind-safe palette** (Okabe–Ito): the same disagreement class always has
  the same colour, whatever the sources or sides. Sides are data: "side A" is the side
  the maps draw (e.g. RU on DeepState), "side B" the other one (the background side).
* **True to scale.** Maps are drawn in the local Lambert azimuthal equal-area projection
  mapdiff measures in (:func:`mapdiff.model.measure.to_equal_area`, centred on the area of
  interest), so the scale bar is exact and shapes are not stretched as lon/lat would be.
* **Building blocks** shared by every map figure: legend with km² per class, scale bar,
  title with sources and dates, one attribution line per source (from its profile),
  footprint outline and place labels from the gazetteer, and a visible flag when an
  approximate footprint is used.
* **Atomic saving** (:func:`save_figure`): PNG, SVG or PDF at a chosen size and DPI,
  written through :func:`mapdiff.io.atomic.atomic_path`.
* **Context that works offline** (:func:`context_layers`): the national border, oblast
  outlines, hromada outlines and town limits where ``data/geo/`` ships them, rivers
  (GSHHG), named settlements (GeoNames) and any line/polygon file the caller passes as
  ``context=``; web tiles only when asked (``tiles=``, needs contextily and a network).
  A north arrow and a true scale bar on every map.
* **Slivers stay visible**: a class under :data:`SLIVER_SHARE` of the view is outlined in
  its own colour at a minimum line width, so a 0.3 km² strip does not vanish.

Examples
--------
>>> import mapdiff
>>> from mapdiff.places.footprints import footprint
>>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
>>> ax = plot_map(m, aoi=footprint("Pokrovsk").buffer(5))
>>> [t.get_text().split(" km²")[0].split(": ")[0] for t in ax.get_legend().get_texts()]
['controlled:RU', 'controlled:UA', 'no grey-zone class in this source',
 'Pokrovsk (city_limits)', 'Pokrovsk +5 km (area of interest)', 'hromada outlines', 'town limits (OSM)']

Where each figure lives
-----------------------
This module is the one import for every figure (results' ``plot()`` methods delegate
here); the code is split by concept: :mod:`mapdiff.draw.maps` (one release, its changes,
a footprint), :mod:`mapdiff.draw.comparisons` (several sources over one area),
:mod:`mapdiff.draw.claims` (a claim or an encirclement on one map),
:mod:`mapdiff.draw.charts` (charts over time), :mod:`mapdiff.draw.panels` (one panel per
source), :mod:`mapdiff.draw.context` (context layers and place labels), and the shared
furniture and captions (``draw/_base.py``, ``draw/_captions.py``).
"""

from __future__ import annotations

from ..model.classes import CLASS_COLOURS, PALETTE
from ._base import SLIVER_SHARE, fit_inside, literal_text, save_figure
from ._captions import CAPTION_LINES, methods_note
from .charts import TRACK_MARKERS, plot_change_table, plot_claims_report, plot_lag, plot_series, plot_tracking
from .claims import plot_claim, plot_encirclement
from .comparisons import class_entries, plot_agreement, plot_comparison, plot_consensus
from .context import context_layers
from .maps import plot_changes, plot_changes_map, plot_footprint, plot_map
from .panels import plot_claim_panels, plot_panels

__all__ = [
    "CAPTION_LINES",
    "CLASS_COLOURS",
    "PALETTE",
    "SLIVER_SHARE",
    "TRACK_MARKERS",
    "class_entries",
    "context_layers",
    "fit_inside",
    "literal_text",
    "methods_note",
    "plot_agreement",
    "plot_change_table",
    "plot_changes",
    "plot_changes_map",
    "plot_claim",
    "plot_claim_panels",
    "plot_claims_report",
    "plot_comparison",
    "plot_consensus",
    "plot_encirclement",
    "plot_footprint",
    "plot_lag",
    "plot_map",
    "plot_panels",
    "plot_series",
    "plot_tracking",
    "save_figure",
]
