"""Label placement without collisions: a label moves until its box overlaps no other text,
and a leader line ties it to what it names when it had to move.

Greedy and measured: candidate offsets around the anchor are tried in order, each label's
box is measured by the renderer (not guessed from character counts), and the first that
overlaps no text already on the axes (and stays inside them) wins. Enough for the handful
of labels a map carries (place names, a corridor, a pocket).
"""

from __future__ import annotations

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


def place_label(ax, text: str, xy, *, leader: bool = True, **kwargs):
    """Annotate ``xy`` (data coordinates) with ``text`` where it overlaps no other text.

    Parameters
    ----------
    ax : matplotlib Axes
    text : str
    xy : (x, y)
        The point the label names, in data coordinates.
    leader : bool, default True
        Draw a thin line from the label to ``xy`` when the label had to move away from it.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.annotate` (fontsize, bbox, zorder...).

    Returns
    -------
    matplotlib Annotation

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
    renderer = fig.canvas.get_renderer()
    others = _boxes(ax, renderer)
    inside = ax.get_window_extent(renderer)
    ann = None
    for i, (dx, dy) in enumerate(_OFFSETS):
        if ann is not None:
            ann.remove()
        ann = ax.annotate(
            text,
            xy,
            xytext=(dx, dy),
            textcoords="offset points",
            ha="left" if dx > 0 else "right" if dx < 0 else "center",
            va="bottom" if dy > 0 else "top",
            **kwargs,
        )
        box = ann.get_window_extent(renderer)
        fits = box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0 and box.y1 <= inside.y1
        if fits and not any(box.overlaps(o) for o in others):
            if leader and i >= 4:
                ann.remove()
                ann = ax.annotate(
                    text,
                    xy,
                    xytext=(dx, dy),
                    textcoords="offset points",
                    ha="left" if dx > 0 else "right" if dx < 0 else "center",
                    va="bottom" if dy > 0 else "top",
                    arrowprops={"arrowstyle": "-", "color": "#333333", "lw": 0.8, "shrinkA": 0, "shrinkB": 2},
                    **kwargs,
                )
            return ann
    return ann  # nowhere free: the last candidate, furthest out
