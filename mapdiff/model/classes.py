"""The classes results are drawn and exported by, and the one palette they are coloured with.

Figures (:mod:`mapdiff.draw`), interactive maps and the QGIS styles embedded in
GeoPackage exports all read their colours from here, so a class has one colour
everywhere. The palette is Okabe–Ito (colour-blind safe). Nothing here imports
matplotlib.
"""

from __future__ import annotations

import numpy as np

from .._json import iso
from ..errors import MapdiffError
from ..labels import CONTESTED, HOLDING_STATUSES, NOT_COVERED
from ..profiles import get_profile

__all__ = [
    "CLASS_COLOURS",
    "CLASS_HATCHES",
    "PALETTE",
    "SIDE_COLOURS",
    "class_text",
    "classify_pieces",
    "comparison_sides",
    "label_colours",
    "map_sides",
    "source_label",
    "source_lean",
    "source_name",
    "source_title",
]

#: Okabe–Ito colours (colour-blind safe).
PALETTE = {
    "vermillion": "#D55E00",
    "blue": "#0072B2",
    "orange": "#E69F00",
    "purple": "#CC79A7",
    "green": "#009E73",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#C8C8C8",  # lighter than Okabe–Ito greys: apart from reddish purple under deuteranopia
    "light": "#EEEEEE",
}

#: Disagreement classes of a comparison, in legend order, with their fixed colours. Vermillion
#: and orange are too close for thin slivers (and under deuteranopia): "only map 1" is yellow.
CLASS_COLOURS = {
    "both_a": PALETTE["vermillion"],
    "both_b": PALETTE["blue"],
    "only_1_a": PALETTE["yellow"],
    "only_2_a": PALETTE["purple"],
    # the grey zone, split by what the other map says there: pale side A where the other
    # map says A, pale side B where it says B (map 2's grey hatched: CLASS_HATCHES)
    "grey_1_a": "#F2B596",
    "grey_2_a": "#F2B596",
    "grey_1_b": "#A9CBEA",
    "grey_2_b": "#A9CBEA",
    "grey_both": PALETTE["grey"],
    "grey": "#3A3A3A",  # grey on one map, a source-specific status on the other
    "other": PALETTE["green"],
    "out_of_scope": PALETTE["light"],
}

#: Hatches of the classes that share a colour with another (drawn over the fill) or
#: must read apart without colour (out of scope).
CLASS_HATCHES = {"grey_2_a": "////", "grey_2_b": "////", "out_of_scope": "///"}

#: Colours of sides, in the order a map names them.
SIDE_COLOURS = (PALETTE["vermillion"], PALETTE["blue"], PALETTE["green"], PALETTE["yellow"], PALETTE["sky"])

#: Colours of the parts of a claim check (``ClaimCheck.to_gdf()``'s ``class``).
CLAIM_COLOURS = {"footprint": PALETTE["light"], "held": PALETTE["vermillion"], "grey": PALETTE["grey"]}

#: Colours of the parts of an encirclement (``Encirclement.to_gdf()``'s ``class``).
ENCIRCLEMENT_COLOURS = {
    "footprint": PALETTE["light"],
    "holding": PALETTE["blue"],
    "enemy": PALETTE["vermillion"],
    "friendly": PALETTE["sky"],
    "grey": PALETTE["grey"],
    "corridor": PALETTE["black"],
}

#: Colours of gained and lost land (``Changes.to_gdf()``'s ``class``).
CHANGE_COLOURS = {"gained": PALETTE["vermillion"], "lost": PALETTE["blue"]}


def map_sides(m) -> list[str]:
    """The sides a map names, drawn labels first, then its background's."""
    sides = [lab.side for lab in m.labels if lab.side]
    if m.background is not None and m.background.side:
        sides.append(m.background.side)
    return list(dict.fromkeys(sides))


def comparison_sides(a, b, side_a=None, side_b=None) -> tuple[str | None, str | None]:
    """Side A and side B of a comparison of maps ``a`` and ``b`` (the first two they name)."""
    sides = list(dict.fromkeys(map_sides(a) + map_sides(b)))
    if side_a is None:
        side_a = sides[0] if sides else None
    if side_b is None:
        rest = [s for s in sides if s != side_a]
        side_b = rest[0] if rest else None
    return side_a, side_b


def label_colours(labels, sides=None) -> dict[str, str]:
    """``{str(label): colour}`` as a map is drawn: held land in its side's colour, the grey
    zone grey, ``not_covered`` light, a source's own statuses in the remaining colours.

    Examples
    --------
    >>> from mapdiff.labels import Label
    >>> label_colours([Label("controlled", "RU"), Label("contested", None)])
    {'controlled:RU': '#D55E00', 'contested': '#C8C8C8'}
    """
    labels = list(labels)
    sides = list(sides) if sides is not None else list(dict.fromkeys(lab.side for lab in labels if lab.side))
    side_colour = {s: SIDE_COLOURS[i % len(SIDE_COLOURS)] for i, s in enumerate(sides)}
    own = (PALETTE["yellow"], PALETTE["sky"], PALETTE["green"], PALETTE["orange"], PALETTE["purple"])
    out, n_own = {}, 0
    for lab in labels:
        if lab == NOT_COVERED:
            colour = PALETTE["light"]
        elif lab.status == CONTESTED or lab.side is None:
            colour = PALETTE["grey"]
        elif lab.status in HOLDING_STATUSES:
            colour = side_colour.get(lab.side, PALETTE["sky"])
        else:
            colour, n_own = own[n_own % len(own)], n_own + 1
        out[str(lab)] = colour
    return out


def classify_pieces(pieces, side_a: str | None, side_b: str | None) -> np.ndarray:
    """The disagreement class of each piece of a Comparison (vectorised).

    Classes: ``both_a``, ``both_b``, ``only_1_a``, ``only_2_a``; the grey zone split by what
    the other map says there: ``grey_1_a`` (grey on map 1, side A on map 2), ``grey_2_a``,
    ``grey_1_b``, ``grey_2_b``, ``grey_both`` (grey on both), ``grey`` (grey on one, a
    source-specific status on the other); ``other`` (any other disagreement, e.g. a
    source's own status such as ISW's ``advanced:RU`` or NZZ's ``lost:RU``), ``out_of_scope``
    (either map does not cover it, or the comparison blames scope). A map "says A" where its status holds
    land (``controlled``/``encircled``) for side A.

    Parameters
    ----------
    pieces : DataFrame (or dict of arrays) with a_status, a_side, b_status, b_side (and optionally cause)
    side_a, side_b : str or None

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a_status": ["controlled", "controlled", "contested"],
    ...                    "a_side": ["RU", "RU", None],
    ...                    "b_status": ["controlled", "contested", "contested"],
    ...                    "b_side": ["RU", None, None]})
    >>> classify_pieces(df, "RU", "UA").tolist()
    ['both_a', 'grey_2_a', 'grey_both']
    """
    a_st = np.asarray(pieces["a_status"], dtype=object)  # a DataFrame's columns or arrays
    b_st = np.asarray(pieces["b_status"], dtype=object)
    a_sd = np.asarray(pieces["a_side"], dtype=object)
    b_sd = np.asarray(pieces["b_side"], dtype=object)
    scope = (a_st == NOT_COVERED.status) | (b_st == NOT_COVERED.status)
    if "cause" in pieces:
        scope |= np.asarray(pieces["cause"], dtype=object) == "scope"
    grey = (a_st == CONTESTED) | (b_st == CONTESTED)
    hold1 = np.isin(a_st, list(HOLDING_STATUSES))
    hold2 = np.isin(b_st, list(HOLDING_STATUSES))
    a1, a2 = hold1 & (a_sd == side_a), hold2 & (b_sd == side_a)
    b1, b2 = hold1 & (a_sd == side_b), hold2 & (b_sd == side_b)
    g1, g2 = a_st == CONTESTED, b_st == CONTESTED
    out = np.select(
        [scope, g1 & g2, g1 & a2, g2 & a1, g1 & b2, g2 & b1, grey, a1 & a2, b1 & b2, a1 & ~a2, a2 & ~a1],
        [
            *("out_of_scope", "grey_both", "grey_1_a", "grey_2_a", "grey_1_b", "grey_2_b", "grey"),
            *("both_a", "both_b", "only_1_a", "only_2_a"),
        ],
        default="other",
    )
    return out.astype(object)


def source_title(m) -> str:
    """The title of a map's source from its profile (``DeepStateMap``), else its source name."""
    prof = _profile(m.source)
    return (prof.title if prof is not None else None) or m.source


def _source_id(source) -> str:
    return getattr(source, "source", source) or ""


def _profile(name):
    """The profile registered under a source name, or None."""
    try:
        return get_profile(name)
    except MapdiffError:
        return None


def source_name(source) -> str:
    """What readers call a source (its profile's ``source_name``), else the name as given.

    ``source`` is a source name or anything with a ``.source`` (a map, a claim check).

    Examples
    --------
    >>> source_name("owl"), source_name("my_map")
    ('UA Control Map', 'my_map')
    """
    name = _source_id(source)
    prof = _profile(name)
    return (prof.source_name if prof is not None else None) or name


def source_lean(source) -> str:
    """A source's lean as readers should be told it (its profile's ``lean``), else ``""``.

    Examples
    --------
    >>> source_lean("creamy_caprice"), source_lean("my_map")
    ('pro-Russian', '')
    """
    prof = _profile(_source_id(source))
    return "" if prof is None else prof.lean


def source_label(source) -> str:
    """``"DeepStateMap (Ukrainian OSINT)"``: a source's name with its lean, for every text.

    Examples
    --------
    >>> source_label("deepstate_api"), source_label("my_map")
    ('DeepStateMap (Ukrainian OSINT)', 'my_map')
    """
    lean = source_lean(source)
    return f"{source_name(source)} ({lean})" if lean else source_name(source)


def class_text(cls: str, a, b, side_a, side_b) -> str:
    """The legend text of a comparison class (``"only DeepStateMap says RU"``)."""
    n1, n2 = source_name(a), source_name(b)
    if n1 == n2:
        n1, n2 = (iso(m.as_of, "undated") for m in (a, b))
    return {
        "both_a": f"both say {side_a}",
        "both_b": f"both say {side_b}",
        "only_1_a": f"only {n1} says {side_a}",
        "only_2_a": f"only {n2} says {side_a}",
        "grey_1_a": f"grey on {n1}, {side_a} on {n2}",
        "grey_2_a": f"grey on {n2}, {side_a} on {n1}",
        "grey_1_b": f"grey on {n1}, {side_b} on {n2}",
        "grey_2_b": f"grey on {n2}, {side_b} on {n1}",
        "grey_both": "grey zone on both maps",
        "grey": "grey on one map, a source's own status on the other",
        "other": "other statuses (source-specific)",
        "out_of_scope": "out of scope / not covered",
    }[cls]
