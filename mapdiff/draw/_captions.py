"""What is written under a map: a caption of at most :data:`CAPTION_LINES` lines (the
sentences a reader must see first), the credits (one attribution line per source and
context layer), and the methods note that keeps what the caption had no room for.

A private module: its names are for :mod:`mapdiff.draw` only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import MapdiffError
from ..model.classes import source_label
from ..profiles import get_profile

_FOOTER_PT = 6.5


#: A caption runs to at most this many lines; the rest is the methods note.
CAPTION_LINES = 3


CAPTION_PT = 8.0


_METHODS_POINTER = "More in the methods note (the file's metadata)."


def attribution(maps) -> str:
    lines, seen = [], set()
    for m in maps:
        if m.source in seen:
            continue
        seen.add(m.source)
        try:
            text = get_profile(m.source).attribution
        except MapdiffError:
            text = ""
        title = source_label(m)
        text = text or "source as supplied by the user"
        lines.append(text if text.startswith(title) else f"{title}: {text}")
    return "\n".join(lines)


def _text_width_pt(text: str, fontsize: float) -> float:
    """The width of ``text`` in points in matplotlib's default font (measured, not guessed)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    w, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=fontsize), ismath=False)
    return w


def fit_lines(text: str, width_in: float, fontsize: float) -> list[str]:
    """``text`` wrapped on word boundaries to lines measured to fit ``width_in`` inches."""
    limit = width_in * 72.0 * 0.97
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width_pt(lines[-1] + " " + word, fontsize) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _caption_sentences(sentences, width_in: float, limit: int = CAPTION_LINES) -> list[str]:
    """The sentences (in order of priority) that fit together in ``limit`` wrapped lines."""
    kept: list[str] = []
    for s in sentences:
        if s and len(fit_lines(" ".join([*kept, s]), width_in, CAPTION_PT)) <= limit:
            kept.append(s)
    return kept


def caption_lines(sentences, width_in: float, limit: int = CAPTION_LINES) -> list[str]:
    """The sentences that fit in ``limit`` wrapped lines, in order of priority, as lines."""
    return fit_lines(" ".join(_caption_sentences(sentences, width_in, limit)), width_in, CAPTION_PT)


def methods_note(fig) -> str:
    """The methods note of a figure: every note its map figures left out of their captions.

    :func:`save_figure` writes it into the file's metadata (``Description``) unless given one.
    """
    return "\n".join(getattr(fig, "_mapdiff_methods", ()))


def _add_methods(fig, notes) -> None:
    have = list(getattr(fig, "_mapdiff_methods", ()))
    fig._mapdiff_methods = have + [n for n in notes if n and n not in have]


def add_footer(ax, caption, credits=(), methods=(), y=-0.01):
    """Under the map: a caption of at most :data:`CAPTION_LINES` lines and the credits
    (sources, context layers) in small grey type; returns their height in points.

    ``caption``: sentences in order of priority (what a reader must see first: an approximate
    footprint, a date shift); those that do not fit go to the figure's methods note
    (:func:`methods_note`, written into the file's metadata by :func:`save_figure`), and the
    caption says so; ``methods``: notes for the methods note only (scope, grey-zone classes).
    Lines are wrapped on word boundaries, measured by the font."""
    from matplotlib.transforms import ScaledTranslation

    sentences = [caption] if isinstance(caption, str) else [s for s in caption if s]
    credits = [line for c in credits if c for line in c.split("\n")]
    methods = [m for m in methods if m]
    width_in = max(ax.get_position().width * ax.figure.get_figwidth(), 2.0)
    kept = _caption_sentences(sentences, width_in)
    if len(kept) < len(sentences) or methods:

        def fits(k):
            return _caption_sentences([*k, _METHODS_POINTER], width_in) == [*k, _METHODS_POINTER]

        while len(kept) > 1 and not fits(kept):
            kept.pop()
        if fits(kept):
            kept.append(_METHODS_POINTER)
    _add_methods(ax.figure, [*sentences, *methods, *credits])
    lines = fit_lines(" ".join(kept), width_in, CAPTION_PT) if kept else []
    shift = ax.transAxes + ScaledTranslation(0, -2 / 72.0, ax.figure.dpi_scale_trans)
    height = 0.0
    if lines:
        ax.text(
            0.0,
            y,
            "\n".join(lines),
            transform=shift,
            ha="left",
            va="top",
            fontsize=CAPTION_PT,
            gid="caption",
        )
        height = len(lines) * CAPTION_PT * 1.3 + 2
    if credits:
        text = "\n".join(line for c in credits for line in fit_lines(c, width_in, _FOOTER_PT))
        shift = ax.transAxes + ScaledTranslation(0, -(2 + height) / 72.0, ax.figure.dpi_scale_trans)
        ax.text(
            0.0,
            y,
            text,
            transform=shift,
            ha="left",
            va="top",
            fontsize=_FOOTER_PT,
            color="#444444",
            gid="credits",
        )
        height += (text.count("\n") + 1) * _FOOTER_PT * 1.3
    return height + 4


def credit_lines(maps, context=()) -> list[str]:
    """The credits lines under a map: its sources' attributions and the context layers'."""
    out = ["Sources — " + attribution(maps)] if maps else []
    if context:
        out.append("Context: " + "; ".join(context) + ".")
    return out


def _file_date(path) -> dt.date | None:
    """A date written in a file name (2025-11-27, 20251127), if any."""
    import re

    if not path:
        return None
    m = re.search(r"(20\d\d)-?([01]\d)-?([0-3]\d)", Path(str(path)).name)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def date_notes(maps, short: bool = False) -> list[str]:
    """One caption line per map whose data date differs from the date in its file name
    (``short``: the sentence a three-line caption has room for; the long one is the methods')."""
    notes = []
    for m in maps:
        prov = getattr(m, "provenance", None)
        fdate = _file_date(getattr(prov, "path", None))
        as_of = getattr(m, "as_of", None)
        if fdate and as_of and fdate != as_of and short:
            notes.append(f"The {source_label(m)} file of {fdate:%d %b %Y} holds data to {as_of:%d %b %Y}.")
        elif fdate and as_of and fdate != as_of:
            how = {"file": "as the file itself states", "name": "from its name"}.get(
                getattr(prov, "as_of_from", None), ""
            )
            notes.append(
                f"Date: the {source_label(m)} file of {fdate:%d %b %Y} holds data to {as_of:%d %b %Y}"
                + (f" ({how})" if how else "")
                + f"; the map is dated {as_of.isoformat()}."
            )
    return notes


def scope_notes(maps) -> list[str]:
    seen = []
    for m in maps:
        for s in getattr(m, "scope", ()) or ():
            line = f"Scope, {source_label(m)}: {s}"
            if line not in seen:
                seen.append(line)
    return seen
