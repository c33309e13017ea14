"""Consensus across N maps: agreement counts, lone sources, pairwise km², the map of it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import shapely
from conftest import GREY, RU, UA

import mapdiff

COV = shapely.box(37.0, 48.0, 37.3, 48.2)


def strip(source, east, grey_to=None):
    feats = [(RU, shapely.box(37.0, 48.0, east, 48.2))]
    if grey_to:
        feats.append((GREY, shapely.box(east, 48.0, grey_to, 48.2)))
    return mapdiff.normalise(feats, coverage=COV, background=UA, source=source)


def km2(x0, x1):
    return mapdiff.area_km2(shapely.box(x0, 48.0, x1, 48.2))


def test_agreement_counts_lone_sources_and_pairwise():
    maps = [strip("a", 37.1, 37.15), strip("b", 37.1), strip("c", 37.2)]
    c = mapdiff.consensus(maps, aoi=COV)
    t = c.to_frame()
    assert t.loc["controlled:RU", 3] == pytest.approx(km2(37.0, 37.1), rel=1e-4)
    assert t.loc["controlled:RU", 1] == pytest.approx(km2(37.1, 37.2), rel=1e-4)
    assert t.loc["contested", 1] == pytest.approx(km2(37.1, 37.15), rel=1e-4)
    assert t.loc["controlled:UA", 3] == pytest.approx(km2(37.2, 37.3), rel=1e-4)
    # every source speaks once everywhere: sum of k x km² over the table = N x the AOI
    assert float((t * t.columns.to_numpy()).to_numpy().sum()) == pytest.approx(
        3 * mapdiff.area_km2(COV), rel=1e-6
    )
    alone = c.alone().set_index(["source", "label"]).km2
    assert alone["a", "contested"] == pytest.approx(km2(37.1, 37.15), rel=1e-4)
    assert alone["c", "controlled:RU"] == pytest.approx(km2(37.1, 37.2), rel=1e-4)
    # the pairwise matrix is compare's
    want = mapdiff.compare(maps[0], maps[2], aoi=COV).disagreement_km2["total"]
    assert c.pairwise.loc["a", "c"] == pytest.approx(want) and c.pairwise.loc["c", "a"] == pytest.approx(want)
    d = c.to_dict()
    assert d["type"] == "consensus" and d["sources"] == ["a", "b", "c"]
    assert {"n_controlled:RU", "geometry"} <= set(c.to_gdf().columns)


def test_agreement_map_legend_gives_the_km2_of_each_count():
    maps = {"x": strip("s", 37.1), "y": strip("s", 37.2)}
    c = mapdiff.consensus(maps, aoi=COV)
    assert c.sources == ("x", "y")
    ax = c.plot(places=False, context=False)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == [
        f"0 of 2 sources: {km2(37.2, 37.3):,.2f} km²",
        f"1 of 2 sources: {km2(37.1, 37.2):,.2f} km²",
        f"2 of 2 sources: {km2(37.0, 37.1):,.2f} km²",
    ]
    plt.close("all")


def test_an_approximate_footprint_is_said_in_every_output():
    """Kupiansk has no town limits here: its footprint is an approximate disc. Consensus and
    compare_many say so in the JSON, the HTML and the figure; a bare polygon names none."""
    from mapdiff.places.footprints import footprint

    fp = footprint("Kupiansk")
    assert fp.approximate
    lon, lat = fp.centre
    cov = shapely.box(lon - 0.3, lat - 0.3, lon + 0.3, lat + 0.3)
    ms = [
        mapdiff.normalise(
            [(RU, shapely.box(lon - 0.3, lat - 0.3, lon + d, lat + 0.3))],
            coverage=cov,
            background=UA,
            source=s,
        )
        for d, s in ((0.0, "a"), (0.02, "b"))
    ]
    for result in (mapdiff.consensus(ms, aoi="Kupiansk"), mapdiff.compare_many(ms, aoi="Kupiansk")):
        d = result.to_dict()
        assert d["approximate"] is True and d["aoi"]["name"] == "Kupiansk"
        assert d["aoi"]["footprint_kind"] == fp.kind
        assert "approximate footprint" in result._repr_html_()
        ax = result.plot()
        texts = " ".join(t.get_text() for t in ax.figure.findobj(plt.Text))
        assert "Approximate footprint: Kupiansk" in texts
        plt.close(ax.figure)
    plain = mapdiff.consensus(ms, aoi=fp.geometry)
    assert plain.to_dict()["approximate"] is False and plain.to_dict()["aoi"] is None
    ax = plain.plot()
    assert "Approximate footprint" not in " ".join(t.get_text() for t in ax.figure.findobj(plt.Text))
    plt.close(ax.figure)
