"""Captions of the single-map figures: at most three lines a reader needs, the rest in the
methods note (the file's metadata); the context layers drawn get a legend entry each."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import mapdiff
from mapdiff.draw.context import CONTEXT, CONTEXT_WORDS
from mapdiff.draw.plot import CAPTION_LINES, methods_note, save_figure


def _figures():
    old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-01", "2025-11-27"))
    yield "map", new.plot(aoi=mapdiff.footprint("Pokrovsk").buffer(3))
    yield "comparison", mapdiff.compare(old, new, aoi="Pokrovsk").plot()
    yield "claim", mapdiff.check_claim(new, "Pokrovsk", "RU", "70%").plot()
    yield "encirclement", mapdiff.encirclement(new, "Myrnohrad", by="RU").plot()
    yield "changes", mapdiff.changes(old, new, aoi="Pokrovsk").plot()


def _gid(ax, gid):
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def _check(ax):
    captions = _gid(ax, "caption")
    assert len(captions) <= 1
    if captions:
        assert 1 <= len(captions[0].split("\n")) <= CAPTION_LINES, captions[0]
    credits = "\n".join(_gid(ax, "credits"))
    assert "Sources — " in credits
    # every context layer drawn has its legend entry, drawn as the lines are
    legend = ax.get_legend()
    entries = dict(zip((t.get_text() for t in legend.get_texts()), legend.legend_handles, strict=True))
    for name, (_f, style, licence) in CONTEXT.items():
        drawn = licence in credits.replace("\n", " ") or licence.split(" ©")[0] in credits
        if name == "hromadas":
            assert drawn  # Pokrovsk lies in the shipped hromada layer
        if drawn:
            handle = entries[CONTEXT_WORDS[name]]
            assert to_rgb(handle.get_color()) == to_rgb(style["color"])
            assert handle.get_linewidth() == pytest.approx(style["lw"])


def test_single_map_captions_are_three_lines_and_context_has_legend_entries():
    for kind, ax in _figures():
        try:
            _check(ax)
        except AssertionError as err:
            raise AssertionError(f"{kind}: {err}") from err
        plt.close(ax.figure)


def test_methods_note_keeps_what_the_caption_leaves_out(tmp_path):
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    ax = m.plot(aoi=mapdiff.footprint("Pokrovsk").buffer(3))
    note = methods_note(ax.figure)
    scope = [f"Scope, DeepStateMap (Ukrainian OSINT): {s}" for s in m.scope]
    assert scope and all(s in note for s in scope)  # not in the caption: in the methods note
    caption = " ".join(" ".join(_gid(ax, "caption")).split())
    assert not any(s in caption for s in scope)
    assert "methods note" in caption
    png = save_figure(ax, tmp_path / "map.png", dpi=50)
    assert Image.open(png).text["Description"] == note
    # a methods note given to save_figure wins
    png = save_figure(ax, tmp_path / "map2.png", dpi=50, metadata={"Description": "mine"})
    assert Image.open(png).text["Description"] == "mine"
    plt.close(ax.figure)


@pytest.mark.realdata
def test_real_comparison_caption_drops_internal_notes():
    from conftest import shared_file

    a = mapdiff.read_map(shared_file("deepstate/deepstatemap_data_20251127.geojson"))
    b = mapdiff.read_map(shared_file("creamy_caprice/ControlZones/Control_25_11_26.kml"))
    c = mapdiff.compare(a, b, aoi="Pokrovsk")
    assert c.scope_notes and c.grey_notes
    ax = c.plot()
    _check(ax)
    caption = " ".join(" ".join(_gid(ax, "caption")).split())
    note = methods_note(ax.figure)
    for s in (*c.scope_notes, *c.grey_notes):
        assert s not in caption and s in note
    assert "#ru" not in caption and "#ru" in note
    plt.close(ax.figure)


def _clashes(ax) -> list[tuple[str, str]]:
    """Pairs of texts on the map whose boxes overlap, measured by the renderer after the layout."""
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), t.get_window_extent(r)) for t in texts]
    bad = []
    for i, (t1, b1) in enumerate(boxes):
        for t2, b2 in boxes[i + 1 :]:
            cut = b1.intersection(b1, b2)
            if cut is not None and cut.width > 1 and cut.height > 1:
                bad.append((t1[:30], t2[:30]))
    return bad


def test_town_labels_overlap_no_other_text_in_any_map_figure():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    _fig, small = plt.subplots(figsize=(4, 3.5), layout="constrained")
    figures = [
        *_figures(),
        # crowded: a small map of 20 km around, and a 35 km view of a dozen towns
        ("small map", m.plot(ax=small, aoi=mapdiff.footprint("Pokrovsk").buffer(20))),
        ("wide map", m.plot(aoi=mapdiff.footprint("Pokrovsk").buffer(35))),
    ]
    for kind, ax in figures:
        names = {t.get_text() for t in ax.texts}
        assert "Pokrovsk" in names or kind == "encirclement", (kind, names)
        assert _clashes(ax) == [], kind
        plt.close(ax.figure)
    # the panels: every panel's labels too, after the grid's layout
    from mapdiff.draw.panels import plot_panels

    maps = [mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-01", "2025-11-27")]
    axes = plot_panels(maps, aoi=mapdiff.footprint("Pokrovsk").buffer(8))
    for ax in axes:
        assert "Pokrovsk" in {t.get_text() for t in ax.texts}
        assert _clashes(ax) == []
    plt.close(axes[0].figure)


@pytest.mark.realdata
def test_a_fixed_size_figure_keeps_its_legend_inside():
    """A map keeps its aspect and its labels are placed again after the layout, so a
    constrained layout left the widest grey-split legend line of DeepStateMap vs Creamy Caprice
    past the edge of a 9 x 7 in figure (mapdiff render): save_figure shrinks the layout until
    everything lies inside."""
    from conftest import shared_file

    from mapdiff.draw.plot import fit_inside, plot_comparison

    a = mapdiff.read_map(shared_file("deepstate_api/deepstatemap_data_20251127_polygons.geojson"))
    b = mapdiff.read_map(shared_file("creamy_caprice/ControlZones/Control_25_11_26.kml"))
    aoi = mapdiff.footprint("Pokrovsk").buffer(3)
    fig, ax = plt.subplots(figsize=(9, 7), layout="constrained")
    plot_comparison(mapdiff.compare(a, b, aoi=aoi), ax=ax, footprint=aoi)

    def right_edge() -> float:
        fig.canvas.draw()
        return fig.get_tightbbox(fig.canvas.get_renderer()).x1

    assert right_edge() > 9.0  # what render cut before
    fit_inside(fig)
    assert right_edge() <= 9.0
    assert any("RU on Creamy Caprice" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(fig)
