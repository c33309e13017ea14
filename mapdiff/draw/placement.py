"""Label placement without collisions: a label moves until its box overlaps no other text,
and a leader line ties it to what it names when it had to move.

Greedy and measured: candidate offsets around the anchor are tried in order, each label's
box is measured by the renderer (not guessed from character counts), and the first that
overlaps no text already on the axes (and stays inside them) wins. Enough for the handful
of labels a map carries (place names, a corridor, a pocket).
"""

from __future__ import annotations

from .. import config

__all__ = ["place_label"]

#: Offsets (points) tried in order: beside the anchor first, then further out.
_OFFSETS = (
    (6, -12),
    (6, 8),
    (-6, 8),
    (-6, -12),
    (0, 22),
    (0, -26),
    (24, 24),
    (-24, 24),
    (24, -30),
    (-24, -30),
    (0, 44),
    (0, -48),
    (48, 0),
    (-48, 0),
)


def _boxes(ax, renderer, skip=()):
    out = []
    for t in ax.texts:
        if t in skip or not t.get_visible() or not t.get_text().strip():
            continue
        out.append(t.get_window_extent(renderer).padded(1.5))
    return out


def _settle(fig) -> None:
    """Place every label :func:`place_label` put on ``fig`` again, in the order they came,
    against the axes as the layout left them (a constrained layout shrinks the axes after the
    labels were first placed, which brings their anchors closer together)."""
    for ax in fig.axes:
        placed = getattr(ax, "_mapdiff_placed", None)
        if not placed:
            continue
        for ann, *_ in placed:
            if ann is not None and ann.axes is not None:
                ann.remove()
        ax._mapdiff_placed = []
        ax.apply_aspect()  # an equal-aspect map's box as it will be drawn (else the layout's box)
        for _ann, text, xy, leader, required, marks, kwargs in placed:
            place_label(ax, text, xy, leader=leader, required=required, marks=marks, **kwargs)


def _settling(fig) -> None:
    """Make ``fig``'s constrained layout settle the labels after each layout pass."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    if type(engine) is ConstrainedLayoutEngine:
        engine.__class__ = _settling_class()


@config.cached(maxsize=1)
def _settling_class():
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    class SettlingLayout(ConstrainedLayoutEngine):
        """Constrained layout, then the labels placed again where they overlap no text."""

        def execute(self, fig):
            info = super().execute(fig)
            _settle(fig)
            return info

    return SettlingLayout


def place_label(ax, text: str, xy, *, leader: bool = True, required: bool = True, marks=(), **kwargs):
    """Annotate ``xy`` (data coordinates) with ``text`` where it overlaps no other text.

    Parameters
    ----------
    ax : matplotlib Axes
    text : str
    xy : (x, y)
        The point the label names, in data coordinates.
    leader : bool, default True
        Draw a thin line from the label to ``xy`` when the label had to move away from it.
    required : bool, default True
        When no candidate position is free: keep the label at the last one (True), or leave
        it out and return None (False: a neighbour's name, not the subject's).
    marks : sequence of Artists
        What goes with the label (the town's dot): hidden when the label is left out.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.annotate` (fontsize, bbox, zorder...).

    Returns
    -------
    matplotlib Annotation (None when ``required`` is False and no place was free)

    In a figure with a constrained layout the labels are placed again after each layout
    pass (the axes shrink after the labels were first placed), so the saved figure has no
    label over another text either.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.text(0.5, 0.5, "Myrnohrad")
    >>> a = place_label(ax, "corridor 2.1 km", (0.5, 0.5))
    >>> fig.canvas.draw()
    >>> bool(a.get_window_extent().overlaps(ax.texts[0].get_window_extent()))
    False
    """
    fig = ax.figure
    ann = _place(ax, text, xy, leader, required, kwargs)
    for mark in marks:
        mark.set_visible(ann is not None)
    entry = (ann, text, xy, leader, required, tuple(marks), kwargs)
    ax._mapdiff_placed = [*getattr(ax, "_mapdiff_placed", []), entry]
    _settling(fig)
    return ann


def _place(ax, text, xy, leader, required, kwargs):
    fig = ax.figure
    renderer = fig._get_renderer()  # any canvas (a PDF or SVG one too)
    others = _boxes(ax, renderer)
    inside = ax.get_window_extent(renderer)
    ann = None
    for i, (dx, dy) in enumerate(_OFFSETS):
        if ann is not None:
            ann.remove()
        # a label moved away gets its leader line, measured with it (the line crosses no text either)
        arrow = {"arrowstyle": "-", "color": "#333333", "lw": 0.8, "shrinkA": 0, "shrinkB": 2}
        ann = ax.annotate(
            text,
            xy,
            xytext=(dx, dy),
            textcoords="offset points",
            ha="left" if dx > 0 else "right" if dx < 0 else "center",
            va="bottom" if dy > 0 else "top",
            arrowprops=arrow if leader and i >= 4 else None,
            **kwargs,
        )
        box = ann.get_window_extent(renderer)
        fits = box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0 and box.y1 <= inside.y1
        if fits and not any(box.overlaps(o) for o in others):
            return ann
    if not required:
        ann.remove()
        return None
    return ann  # nowhere free: the last candidate, furthest out
