"""Several places as one pocket (``encirclement(m, ["Pokrovsk", "Myrnohrad"])``,
``mapdiff encircle --place A --place B``), and the encirclement figure's labels and legend."""

from __future__ import annotations

import json

import pytest
import shapely

import mapdiff
from mapdiff.encircle.pocket import pocket_footprint
from mapdiff.model.measure import area_km2

plt = pytest.importorskip("matplotlib.pyplot")


def test_pocket_footprint_is_the_union_named_for_both():
    fp = pocket_footprint(["Pokrovsk", "Myrnohrad"])
    a, b = mapdiff.footprint("Pokrovsk"), mapdiff.footprint("Myrnohrad")
    assert fp.name == "Pokrovsk and Myrnohrad"
    assert fp.area_km2 == pytest.approx(area_km2(shapely.union(a.geometry, b.geometry)), rel=1e-9)
    assert fp.area_km2 == pytest.approx(a.area_km2 + b.area_km2, rel=1e-6)  # disjoint towns
    assert (
        pocket_footprint(["Pokrovsk"]).name == "Pokrovsk" and pocket_footprint("Pokrovsk").name == "Pokrovsk"
    )
    with pytest.raises(mapdiff.errors.UnknownPlaceError):
        pocket_footprint(["Pokrovsk", "Nowhereville"])
    with pytest.raises(mapdiff.errors.ArgumentError, match="--place"):
        pocket_footprint([])


def test_two_towns_one_pocket_holding_and_verdict():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    both = mapdiff.encirclement(m, ["Pokrovsk", "Myrnohrad"], by="RU")
    one = [mapdiff.encirclement(m, p, by="RU") for p in ("Pokrovsk", "Myrnohrad")]
    assert both.place == "Pokrovsk and Myrnohrad"
    assert both.holding_km2 == pytest.approx(sum(e.holding_km2 for e in one), rel=1e-6)
    # "completely surrounded" as worded: enclosed only when every town's holding is cut off
    assert both.enclosed == all(e.enclosed for e in one if e.enclosed is not None)
    assert both.to_dict()["source_name"] == "DeepStateMap"


def test_pocket_figure_labels_do_not_collide_and_corridor_swatch_matches():
    from matplotlib.text import Text

    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    ax = mapdiff.encirclement(m, ["Pokrovsk", "Myrnohrad"], by="RU").plot()
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    texts = [t for t in ax.findobj(Text) if t.get_visible() and t.get_text().strip() and t.axes is ax]
    texts = [t for t in texts if t.get_gid() != "caption"]
    boxes = [(t.get_text(), t.get_window_extent(r)) for t in dict.fromkeys(texts)]
    corridor = [b for t, b in boxes if t.startswith("corridor ")]
    assert len(corridor) == 1
    clash = [t for t, b in boxes if not t.startswith("corridor ") and b.overlaps(corridor[0])]
    assert clash == []
    handles = ax.get_legend().legend_handles
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    line = handles[next(i for i, t in enumerate(labels) if t.startswith("narrowest corridor"))]
    assert line.get_marker() == "o" and line.get_color() == "#000000"
    plt.close(fig)


def test_cli_encircle_two_places(cli, tmp_path):
    path = str(mapdiff.sample_path("2025-11-27"))
    out = tmp_path / "pocket.png"
    res = cli(
        "encircle",
        path,
        "--place",
        "Pokrovsk",
        "--place",
        "Myrnohrad",
        "--by",
        "RU",
        "--json",
        "--out",
        out,
        "--dpi",
        "60",
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["place"] == "Pokrovsk and Myrnohrad" and out.stat().st_size > 0


def test_cli_claim_two_towns_encircled_on_every_map(cli, tmp_path):
    a, b = (str(p) for p in mapdiff.sample_paths()[2:4])
    out = tmp_path / "pocket_every_side.png"
    res = cli(
        "claim",
        f"one={a}",
        f"two={b}",
        "--place",
        "Pokrovsk",
        "--place",
        "Myrnohrad",
        "--side",
        "RU",
        "--kind",
        "encircled",
        "--date",
        "2025-11-27",
        "--out",
        out,
        "--dpi",
        "50",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["place"] == "Pokrovsk and Myrnohrad" and out.stat().st_size > 0
    one = mapdiff.encirclement(mapdiff.read_map(b), ["Pokrovsk", "Myrnohrad"], by="RU")
    want = "supported" if one.enclosed else "not supported"
    assert doc["sources"]["two"]["verdict"] == want
    res = cli("claim", b, "--place", "Pokrovsk", "--place", "Myrnohrad", "--side", "RU", "--claimed", "70%")
    assert res.returncode == 2 and "--kind encircled" in res.stderr


def test_cli_encircle_several_maps_draws_the_panels(cli, tmp_path):
    a, b = (str(p) for p in mapdiff.sample_paths()[2:4])
    out = tmp_path / "pocket_panels.pdf"
    res = cli(
        "encircle",
        f"one={a}",
        f"two={b}",
        "--place",
        "Pokrovsk",
        "--place",
        "Myrnohrad",
        "--by",
        "RU",
        "--date",
        "2025-11-27",
        "--out",
        out,
        "--json",
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["type"] == "claim_across_maps" and doc["kind"] == "encircled" and out.stat().st_size > 0
    assert doc["sources"]["one"]["gap_days"] == 7
    res = cli(
        "encircle", f"one={a}", f"two={b}", "--place", "Myrnohrad", "--by", "RU", "--rear", "Kramatorsk"
    )
    assert res.returncode == 2 and "--rear applies to one map" in res.stderr
