"""Images tested on content: legend texts, extent, pixels in the palette's colours (Agg)."""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import GREY, RU, UA
from matplotlib.colors import to_rgb

import mapdiff
from mapdiff import MapdiffError, normalise
from mapdiff.comparison.core import classify_pieces
from mapdiff.draw.plot import (
    CLASS_COLOURS,
    PALETTE,
    plot_changes,
    plot_comparison,
    plot_map,
    plot_series,
    save_figure,
)
from mapdiff.model.measure import area_km2, to_equal_area
from mapdiff.places.footprints import footprint

AOI = shapely.box(37.0, 48.0, 37.2, 48.2)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _maps():
    a = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.2)), (GREY, shapely.box(37.1, 48.0, 37.12, 48.2))],
        coverage=AOI,
        background=UA,
        source="deepstate",
        precedence=[RU, GREY],
        as_of=dt.date(2025, 11, 27),
    )
    b = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.14, 48.2))],
        coverage=shapely.box(37.0, 48.0, 37.18, 48.2),
        background=UA,
        source="nzz",
        as_of=dt.date(2025, 11, 28),
    )
    return a, b


def _standin(a, b, aoi):
    """The Comparison the figures draw (its ``class`` column is what they colour)."""
    return mapdiff.compare(a, b, aoi=aoi)


def _under(ax) -> str:
    """The caption and the credits under a map (gids ``caption`` and ``credits``), as one text."""
    return "\n".join(t.get_text() for t in ax.texts if t.get_gid() in ("caption", "credits"))


def _legend_classes(ax) -> list[str]:
    """The legend's entries before the context layers' (which come last, one per layer drawn)."""
    from mapdiff.draw.context import CONTEXT_WORDS

    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    ctx = [t for t in texts if t in CONTEXT_WORDS.values()]
    assert texts[len(texts) - len(ctx) :] == ctx
    return texts[: len(texts) - len(ctx)]


def _pixels(ax):
    """RGB array of the axes' area only."""
    fig = ax.figure
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    bb = ax.get_window_extent()
    h = img.shape[0]
    return img[int(h - bb.y1) + 2 : int(h - bb.y0) - 2, int(bb.x0) + 2 : int(bb.x1) - 2]


def _count(px, colour):
    rgb = np.round(np.asarray(to_rgb(colour)) * 255).astype(int)
    return int((np.abs(px.astype(int) - rgb).sum(axis=-1) <= 3).sum())


def test_classify_pieces_is_vectorised_and_complete():
    a, b = _maps()
    comp = _standin(a, b, AOI)
    classes = classify_pieces(comp.pieces, "RU", "UA")
    got = {c: float(comp.pieces["area_km2"][classes == c].sum()) for c in set(classes)}
    # the grey zone on map 1 is where map 2 says RU: "grey on DeepStateMap, RU on NZZ"
    assert set(got) == {"both_a", "grey_1_a", "only_2_a", "both_b", "out_of_scope"}
    width = {"both_a": 0.1, "grey_1_a": 0.02, "only_2_a": 0.02, "both_b": 0.04, "out_of_scope": 0.02}
    total = sum(got.values())
    assert total == pytest.approx(comp.aoi_km2, rel=1e-9)
    for cls, w in width.items():
        assert got[cls] == pytest.approx(total * w / 0.2, rel=0.01)


def test_grey_zone_split_by_what_the_other_map_says():
    # five strips: grey on 1 / RU on 2, grey on 2 / RU on 1, grey on 1 / UA on 2, grey on both, RU on both
    strip = [shapely.box(37.0 + 0.04 * i, 48.0, 37.04 + 0.04 * i, 48.2) for i in range(5)]
    a = normalise(
        [(GREY, strip[0]), (RU, strip[1]), (GREY, strip[2]), (GREY, strip[3]), (RU, strip[4])],
        coverage=AOI,
        background=UA,
        source="deepstate_api",
        as_of=dt.date(2025, 11, 27),
    )
    b = normalise(
        [(RU, strip[0]), (GREY, strip[1]), (GREY, strip[3]), (RU, strip[4])],
        coverage=AOI,
        background=UA,
        source="creamy_caprice",
        as_of=dt.date(2025, 11, 26),
    )
    c = mapdiff.compare(a, b, aoi=AOI)
    km2 = c.class_km2
    want = {"grey_1_a": 0, "grey_2_a": 1, "grey_1_b": 2, "grey_both": 3, "both_a": 4}
    for cls, i in want.items():
        assert km2[cls] == pytest.approx(area_km2(strip[i]), rel=1e-6), cls
    assert {k for k, v in km2.items() if v > 1e-6} == set(want), km2
    texts = [t.get_text().split(":")[0] for t in c.plot(places=False).get_legend().get_texts()]
    assert "grey on DeepStateMap, RU on Creamy Caprice" in texts
    assert "grey on Creamy Caprice, RU on DeepStateMap" in texts
    assert "grey on DeepStateMap, UA on Creamy Caprice" in texts and "grey zone on both maps" in texts


def test_comparison_map_content():
    a, b = _maps()
    comp = _standin(a, b, AOI)
    ax = plot_comparison(comp, places=False)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    classes = classify_pieces(comp.pieces, "RU", "UA")
    both_a = comp.pieces["area_km2"][classes == "both_a"].sum()
    assert texts[0] == f"both say RU: {both_a:,.1f} km²"
    assert any(t.startswith("only Liveuamap") or t.startswith("only NZZ") for t in texts), texts
    assert any(t.startswith("grey on DeepStateMap, RU on NZZ / Liveuamap:") for t in texts), texts
    assert any(t.startswith("out of scope / not covered") for t in texts)
    assert not any(t.startswith("only DeepStateMap") for t in texts)  # that class is absent
    assert "DeepStateMap (Ukrainian OSINT) 2025-11-27 vs" in ax.get_title().replace("\n", " ")
    assert "(Ukrainian OSINT)" in ax.get_title()  # a bracket is never wrapped
    # the view covers the AOI, drawn in the local equal-area projection
    xmin, ymin, xmax, ymax = shapely.bounds(to_equal_area(AOI, (37.1, 48.1)))
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 <= xmin and x1 >= xmax and y0 <= ymin and y1 >= ymax
    assert (x1 - x0) < 1.2 * (xmax - xmin)
    # pixels in the palette colours, in proportion to the areas
    px = _pixels(ax)
    n = {c: _count(px, CLASS_COLOURS[c]) for c in ("both_a", "both_b", "only_2_a", "grey_1_a", "only_1_a")}
    assert n["only_1_a"] == 0
    assert min(n["both_a"], n["both_b"], n["only_2_a"], n["grey_1_a"]) > 500
    assert n["both_a"] / n["both_b"] == pytest.approx(0.1 / 0.04, rel=0.1)
    # attribution of both sources under the map
    footer = " ".join(t.get_text() for t in ax.texts)
    assert "cyterat/deepstate-map-data" in footer and "NZZ" in footer and "km" in footer


def test_comparison_flags_an_approximate_footprint():
    a, b = _maps()
    fp = footprint("Pokrovsk", kind="approximate")
    comp = _standin(a, b, fp)
    ax = plot_comparison(comp)
    footer = " ".join(t.get_text() for t in ax.texts)
    assert "Approximate footprint" in footer and "Pokrovsk" in ax.get_title()
    assert ax.get_legend().get_title().get_text().startswith("Pokrovsk (approximate):")


def test_plot_map_via_controlmap():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    fp = footprint("Pokrovsk").buffer(5)
    ax = m.plot(aoi=fp)
    texts = _legend_classes(ax)
    areas = m.areas(aoi=fp.geometry)
    assert texts[: len(areas)] == [f"{lab}: {areas[lab]:,.1f} km²" for lab in areas]
    # then the outlines: the town (its kind) and the buffer, named as the buffer
    base = fp.base
    kind = base.kind + (", approximate" if base.approximate and "approx" not in base.kind else "")
    grey = ["no grey-zone class in this source"] if m.grey_note else []  # DeepState draws no grey zone
    assert texts[len(areas) :] == [
        *grey,
        f"Pokrovsk ({kind}): {base.area_km2:,.1f} km²",
        f"Pokrovsk +5 km (area of interest): {fp.area_km2:,.1f} km²",
    ]
    assert ax.get_legend().get_title().get_text().startswith("area of interest Pokrovsk +5 km:")
    px = _pixels(ax)
    assert _count(px, PALETTE["vermillion"]) > 1000 and _count(px, PALETTE["blue"]) > 1000
    shown = [t.get_text() for t in ax.texts]
    assert "Pokrovsk" in shown and "Myrnohrad" in shown
    assert any(t.endswith("km") for t in shown)  # scale bar


def test_plot_changes_panels():
    old = mapdiff.read_map(mapdiff.sample_path("2025-11-01"))
    new = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    fp = footprint("Pokrovsk").buffer(5)
    axes = plot_changes(old, new, fp, places=False)
    assert len(axes) == 3
    gained = shapely.difference(new.geometry(RU), old.geometry(RU)).intersection(fp.geometry)
    texts = [t.get_text() for t in axes[2].get_legend().get_texts()]
    assert texts[1] == f"gained by RU: {area_km2(gained):,.2f} km²"
    assert _count(_pixels(axes[2]), PALETTE["vermillion"]) > 500


def test_plot_series():
    df = pd.DataFrame(
        {"Pokrovsk": [0.2, 0.45, 0.6], "Myrnohrad": [0.0, 0.05, 0.1]},
        index=pd.to_datetime(["2025-11-01", "2025-11-20", "2025-11-27"]),
    )
    ax = plot_series(df, threshold=0.7, title="share held by RU")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Pokrovsk", "Myrnohrad"]
    assert len(ax.lines) == 3 and ax.get_ylim() == (0.0, 1.0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.2, 0.45, 0.6])


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_save_figure_formats(tmp_path, suffix, magic):
    a, b = _maps()
    ax = plot_comparison(_standin(a, b, AOI), places=False)
    out = save_figure(ax, tmp_path / f"map{suffix}", dpi=50, size=(6, 4))
    assert out.read_bytes()[:5].startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # nothing half-written beside it
    if suffix == ".png":
        img = plt.imread(out)
        assert img.shape[1] <= 6 * 50 + 200 and img.shape[0] >= 4 * 50 - 50


def test_save_figure_refuses_bad_requests(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(mapdiff.errors.ArgumentError, match=r"\.png, \.svg or \.pdf"):
        save_figure(fig, tmp_path / "x.jpg")
    with pytest.raises(mapdiff.errors.ArgumentError, match="positive"):
        save_figure(fig, tmp_path / "x.png", dpi=0)
    assert not list(tmp_path.iterdir())


def test_plot_series_of_a_share_series(_cli):
    s = mapdiff.Releases(mapdiff.sample_paths())
    approx = [footprint(p, kind="approximate") for p in ("Pokrovsk", "Myrnohrad")]
    sh = s.shares(approx, "RU", cache=False, workers=1, quiet=True)
    ax = plot_series(sh, threshold=0.7)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Pokrovsk", "Myrnohrad"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), sh.frame["Pokrovsk"].to_numpy())
    footer = " ".join(t.get_text() for t in ax.texts)
    # DeepState draws no grey zone: the grey-zone policy cannot matter, and the note says so
    assert "approximate footprints: Pokrovsk, Myrnohrad" in footer and "no grey-zone class" in footer
    assert "RU" in ax.get_title()


# ------------------------------------------------------------------ mapdiff render (in process)
@pytest.fixture
def _cli(cli):
    return cli


def test_render_cli(tmp_path, _cli):
    import json

    a, b = mapdiff.sample_path("2025-11-01"), mapdiff.sample_path("2025-11-27")
    out = tmp_path / "pokrovsk.png"
    r = _cli(
        "render",
        a,
        b,
        "--place",
        "Pokrovsk",
        "--buffer-km",
        "3",
        "--out",
        out,
        "--dpi",
        "60",
        "--width-in",
        "8",
        "--height-in",
        "6",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["out"] == str(out) and d["approximate_footprint"] is False and d["aoi"] == "Pokrovsk"
    img = plt.imread(out)
    assert img.shape[:2] == (6 * 60, 8 * 60)
    rgb = np.round(img[..., :3] * 255).astype(int)
    for colour in (CLASS_COLOURS["both_a"], CLASS_COLOURS["both_b"], CLASS_COLOURS["only_2_a"]):
        target = np.round(np.asarray(to_rgb(colour)) * 255).astype(int)
        assert (np.abs(rgb - target).sum(axis=-1) <= 3).sum() > 100, colour
    svg = tmp_path / "x.svg"
    r = _cli("render", a, b, "--place", "Pokrovsk", "--out", svg, "--title", "My title")
    assert r.returncode == 0, r.stderr
    assert "My title" in svg.read_text() or "My" in svg.read_text()


def test_render_cli_bad_input(tmp_path, _cli):
    a = mapdiff.sample_path("2025-11-27")
    r = _cli("render", a, tmp_path / "missing.geojson", "--out", tmp_path / "x.png")
    assert r.returncode == 2 and "missing.geojson" in r.stderr
    r = _cli("render", a, a, "--out", tmp_path / "x.jpg")
    assert r.returncode == 2 and ".png, .svg or .pdf" in r.stderr
    r = _cli("render", a, a, "--place", "Nowhereville", "--out", tmp_path / "x.png")
    assert r.returncode == 2 and "Nowhereville" in r.stderr
    assert not list(tmp_path.iterdir())


def test_source_specific_statuses_are_not_holding():
    df = pd.DataFrame(
        {
            "a_status": ["lost", "controlled", "advanced"],
            "a_side": ["RU", "RU", "RU"],
            "b_status": ["controlled", "lost", "controlled"],
            "b_side": ["UA", "RU", "RU"],
        }
    )
    assert classify_pieces(df, "RU", "UA").tolist() == ["other", "only_1_a", "only_2_a"]


def test_interactive_comparison():
    pytest.importorskip("folium")
    from mapdiff.draw.interactive import explore_comparison

    a, b = _maps()
    comp = _standin(a, b, AOI)
    html = explore_comparison(comp).get_root().render()
    classes = classify_pieces(comp.pieces, "RU", "UA")
    both_a = comp.pieces["area_km2"][classes == "both_a"].sum()
    assert f"both say RU: {both_a:,.1f} km²" in html
    assert CLASS_COLOURS["only_2_a"] in html and "out of scope / not covered" in html
    assert "tile.openstreetmap" not in html  # no network by default


def test_plot_claim():
    from mapdiff.draw.plot import plot_claim

    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    c = mapdiff.check_claim(m, "Pokrovsk", "RU", claimed="70%", footprint_kind="approximate")
    ax = plot_claim(c)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == f"held by RU: {c.held_km2:,.2f} km²"
    assert "NOT SUPPORTED" in ax.get_title() and "70% of Pokrovsk" in ax.get_title()
    assert "Approximate footprint" in " ".join(t.get_text() for t in ax.texts)
    bars = ax.child_axes[0]
    widths = [p.get_width() for p in bars.patches]
    np.testing.assert_allclose(widths, [c.policies[p] for p in c.policies])
    px = _pixels(ax)
    held_px, rest_px = _count(px, PALETTE["vermillion"]), _count(px, PALETTE["light"])
    assert held_px / (held_px + rest_px) == pytest.approx(c.held_km2 / c.footprint_km2, abs=0.03)


def test_plot_of_a_real_comparison():
    from mapdiff import compare

    a, b = _maps()
    c = compare(a, b, aoi=AOI)
    ax = c.plot(places=False)  # Comparison.plot draws with plot_comparison
    texts = _legend_classes(ax)
    classes = classify_pieces(c.pieces, "RU", "UA")
    for cls in ("both_a", "both_b", "only_2_a", "grey_1_a", "out_of_scope"):
        km2 = c.pieces["area_km2"][classes == cls].sum()
        assert any(t.endswith(f": {km2:,.1f} km²") for t in texts), (cls, texts)
    total = sum(float(t.rsplit(": ", 1)[1].split(" ")[0].replace(",", "")) for t in texts)
    assert total == pytest.approx(c.aoi_km2, abs=0.1 * len(texts))
    px = _pixels(ax)
    ratio = _count(px, CLASS_COLOURS["both_a"]) / _count(px, CLASS_COLOURS["both_b"])
    assert ratio == pytest.approx(2.5, rel=0.1)


def test_other_class_names_the_statuses():
    a, _ = _maps()
    lost = normalise(
        [
            (RU, shapely.box(37.0, 48.0, 37.1, 48.2)),
            (mapdiff.labels.Label("lost", "RU"), shapely.box(37.1, 48.0, 37.15, 48.2)),
        ],
        coverage=AOI,
        background=UA,
        source="nzz",
        as_of=dt.date(2025, 11, 28),
    )
    ax = plot_comparison(_standin(a, lost, AOI), places=False)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("other: NZZ / Liveuamap lost:RU:") for t in texts), texts


def test_render_cli_with_an_aoi_file(tmp_path, _cli):
    import json

    aoi = tmp_path / "area.geojson"
    aoi.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Study area"},
                        "geometry": json.loads(shapely.to_geojson(shapely.box(37.1, 48.22, 37.25, 48.32))),
                    }
                ],
            }
        )
    )
    a, b = mapdiff.sample_path("2025-11-20"), mapdiff.sample_path("2025-11-27")
    out = tmp_path / "map.pdf"
    r = _cli("render", a, b, "--aoi", aoi, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["aoi"] == "Study area" and not d["approximate_footprint"]  # its name property, not the file name
    assert d["aoi_km2"] == pytest.approx(area_km2(shapely.box(37.1, 48.22, 37.25, 48.32)), rel=1e-3)
    assert out.read_bytes()[:4] == b"%PDF"


# --------------------------------------------------------------------------- publishable figures
_CVD = {  # Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
    "normal": np.eye(3).tolist(),
}


def _lab(rgb, matrix):
    c = np.asarray(rgb)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lin = np.clip(np.asarray(matrix) @ lin, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("vision", sorted(_CVD))
def test_class_palette_is_colour_blind_safe(vision):
    # every pair of filled classes stays apart (CIE76 ΔE >= 15) under each simulated
    # colour-vision deficiency; out_of_scope is hatched as well as coloured
    # classes that share a colour are told apart by their hatch (CLASS_HATCHES): one of each
    names = [c for c in CLASS_COLOURS if c not in ("out_of_scope", "grey_2_a", "grey_2_b")]
    labs = {n: _lab(to_rgb(CLASS_COLOURS[n]), _CVD[vision]) for n in names}
    worst = min(
        (float(np.linalg.norm(labs[a] - labs[b])), a, b) for i, a in enumerate(names) for b in names[i + 1 :]
    )
    assert worst[0] >= 15.0, worst


def _fill_alphas(ax) -> set:
    out = {round(float(a), 2) for c in ax.collections for a in np.atleast_2d(c.get_facecolor())[:, 3]}
    return out | {round(p.get_alpha(), 2) for p in ax.patches if p.get_alpha() is not None}


def test_style_passes_through_every_plot():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    ax = m.plot(alpha=0.5, places=False, context=False)  # raised TypeError before
    assert 0.5 in _fill_alphas(ax)
    a, b = _maps()
    ax = mapdiff.compare(a, b, aoi=AOI).plot(alpha=0.4, places=False)
    assert 0.4 in _fill_alphas(ax)
    chk = mapdiff.check_claim(m, "Pokrovsk", "RU", claimed="70%")
    assert chk.plot(alpha=0.7, context=False).get_title().startswith("Claim:")
    assert footprint("Kupiansk").buffer(5).plot().get_title().startswith("Kupiansk +5 km")


def test_north_arrow_context_and_named_settlements():
    import csv

    from mapdiff._resources import data_dir
    from mapdiff.draw.context import RIVER, context_layers

    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    fp = footprint("Pokrovsk").buffer(12)
    ax = plot_map(m, aoi=fp)
    texts = {t.get_text() for t in ax.texts}
    assert any(t.get_gid() == "north-arrow" and t.get_text() == "N" for t in ax.texts)
    # settlements of the shipped GeoNames layer inside the view are named, largest first
    with open(data_dir() / "geo" / "settlements.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)]
    x0, y0, x1, y1 = shapely.bounds(fp.geometry)
    inside = sorted(
        (r for r in rows if x0 < float(r["lon"]) < x1 and y0 < float(r["lat"]) < y1),
        key=lambda r: -int(r["population"]),
    )
    assert inside
    named = [r["name"] for r in inside if r["name"] in texts]
    assert named and named[0] == next(r["name"] for r in inside if r["name"] in texts)
    assert {"Pokrovsk", "Myrnohrad", "Rodynske"} <= texts  # and the gazetteer's towns
    caption = _under(ax)
    assert "GeoNames" in caption
    # the Oskil runs through Kupiansk: the shipped rivers draw it, its licence is in the caption
    assert "rivers" in context_layers()
    box = shapely.box(37.5, 49.6, 37.75, 49.8)
    kup = normalise(
        [(RU, shapely.box(37.5, 49.7, 37.75, 49.8))], coverage=box, background=UA, source="deepstate"
    )
    ax = plot_map(kup, aoi=footprint("Kupiansk").buffer(5))
    assert any(to_rgb(line.get_color()) == to_rgb(RIVER) for line in ax.lines)
    caption = _under(ax)
    assert "GSHHG" in caption
    assert "Kivsharivka" in {t.get_text() for t in ax.texts}
    # switched off: no context, no settlements
    ax = plot_map(m, aoi=fp, context=False, places=False)
    assert not any(to_rgb(line.get_color()) == to_rgb(RIVER) for line in ax.lines)


def test_a_user_context_layer(tmp_path):
    import json

    line = shapely.LineString([(37.0, 48.05), (37.2, 48.15)])
    path = tmp_path / "roads.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(line))}
                ],
            }
        )
    )
    a, b = _maps()
    ax = mapdiff.compare(a, b, aoi=AOI).plot(context=path, places=False)
    assert any(to_rgb(ln.get_color()) == to_rgb("#222222") and len(ln.get_xdata()) >= 2 for ln in ax.lines)
    assert "roads.geojson (supplied by the user)" in " ".join(t.get_text() for t in ax.texts)
    with pytest.raises(MapdiffError, match="not found"):
        mapdiff.compare(a, b, aoi=AOI).plot(context=tmp_path / "missing.geojson")


def test_thin_classes_are_outlined():
    # a 0.1%-wide strip of "only NZZ says RU" keeps a minimum line width in its colour
    a = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.2))], coverage=AOI, background=UA, source="deepstate"
    )
    b = normalise([(RU, shapely.box(37.0, 48.0, 37.1002, 48.2))], coverage=AOI, background=UA, source="nzz")
    c = mapdiff.compare(a, b, aoi=AOI, noise_m=0)
    assert c.class_km2["only_2_a"] < 0.01 * c.aoi_km2
    ax = c.plot(places=False, context=False)
    from mapdiff.draw._base import SLIVER_LW

    colours = [to_rgb(CLASS_COLOURS["only_2_a"])]
    edges = [
        (tuple(np.round(coll.get_edgecolor()[i][:3], 3)), coll.get_linewidths()[i])
        for coll in ax.collections
        if hasattr(coll, "get_edgecolor") and len(coll.get_edgecolor())
        for i in range(len(coll.get_edgecolor()))
    ]
    assert any(e == tuple(np.round(colours[0], 3)) and lw >= SLIVER_LW for e, lw in edges), edges
    assert "outlined in their colour" in " ".join(t.get_text() for t in ax.texts)


def test_caption_wraps_on_word_boundaries_and_explains_a_date_shift():
    import dataclasses

    a, b = _maps()
    prov = dataclasses.replace(b.provenance, path="/data/nzz/2025-11-29.json", as_of_from="file")
    b = dataclasses.replace(b, provenance=prov)
    ax = mapdiff.compare(a, b, aoi=AOI).plot(places=False, context=False)
    caption = _under(ax)
    assert "file of 29 Nov 2025 holds data to 28 Nov 2025" in " ".join(caption.split())
    words = set(" ".join(caption.split("\n")).split())
    for line in caption.split("\n"):
        for w in line.split():
            assert w in words
    # no word was cut: every wrapped line ends at a whole word of the original lines
    assert "cyterat/deepstate-map-data" in caption.replace("\n", " ")


def test_plot_panels_share_extent_and_palette():
    from mapdiff.draw.panels import plot_panels

    maps = [mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-01", "2025-11-20", "2025-11-27")]
    fp = footprint("Pokrovsk").buffer(3)
    axes = plot_panels(maps, aoi=fp, context=False)
    assert len(axes) == 3
    assert len({ax.get_xlim() for ax in axes}) == 1 and len({ax.get_ylim() for ax in axes}) == 1
    want = [f"DeepStateMap (Ukrainian OSINT) {m.as_of.isoformat()}" for m in maps]
    assert [ax.get_title() for ax in axes] == want
    for ax in axes:
        assert _count(_pixels(ax), PALETTE["vermillion"]) > 100
    checks = [mapdiff.check_claim(m, "Pokrovsk", "RU", claimed="70%") for m in maps]
    axes = plot_panels(checks, context=False, ncols=2)
    assert len(axes) == 3 and all(c.verdict in ax.get_title() for c, ax in zip(checks, axes, strict=True))
    with pytest.raises(MapdiffError, match="aoi="):
        plot_panels(maps)


def test_consensus_map_draws_agreement_in_km2():
    a, b = _maps()
    c = normalise([(RU, shapely.box(37.0, 48.0, 37.1, 48.2))], coverage=AOI, background=UA, source="isw")
    many = mapdiff.compare_many([a, b, c], aoi=AOI)
    ax = many.plot()
    texts = _legend_classes(ax)
    by = many.to_frame().set_index("n_top")["area_km2"]
    assert texts == [f"{k} of 3 agree: {by[k]:,.1f} km²" for k in sorted(by.index, reverse=True)]
    assert any(t.get_gid() == "north-arrow" for t in ax.texts)


@pytest.mark.realdata
def test_kupiansk_deepstate_vs_nzz_is_publishable():
    from conftest import shared_file

    from mapdiff.draw.context import RIVER

    a = mapdiff.read_map(shared_file("deepstate/deepstatemap_data_20251127.geojson"))
    b = mapdiff.read_map(shared_file("nzz/2025-11-27.json"))
    fp = footprint("Kupiansk").buffer(5)
    c = mapdiff.compare(a, b, aoi=fp)
    ax = c.plot()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    # the town's outline with its kind, and the buffer named as the buffer (not the town)
    assert f"Kupiansk (approximate): {fp.base.area_km2:,.1f} km²" in texts
    assert f"Kupiansk +5 km (area of interest): {fp.area_km2:,.1f} km²" in texts
    assert ax.get_legend().get_title().get_text().startswith("area of interest Kupiansk +5 km")
    shown = {t.get_text() for t in ax.texts}
    assert {"Kupiansk", "Kivsharivka", "N"} <= shown  # the town, a neighbour (GeoNames), the north arrow
    assert any(to_rgb(line.get_color()) == to_rgb(RIVER) for line in ax.lines)  # the Oskil
    caption = " ".join(_under(ax).split())
    assert "NZZ / Liveuamap (newspaper) file of 27 Nov 2025 holds data to 26 Nov 2025" in caption
    assert "GSHHG" in caption and "OpenStreetMap" in caption


def test_web_tiles_only_when_asked():
    import importlib.util

    a, b = _maps()
    c = mapdiff.compare(a, b, aoi=AOI)
    ax = c.plot(places=False)  # default: no tiles, no network
    assert not ax.images
    if importlib.util.find_spec("contextily") is None:
        with pytest.raises(mapdiff.errors.MissingDependencyError, match="mapdiff\\[tiles\\]"):
            c.plot(tiles="OpenStreetMap.Mapnik")


def test_a_long_title_wraps_inside_the_figure():
    """Two source names, dates and a buffered place make a title wider than a small map:
    it wraps on word boundaries and stays inside the figure."""
    import matplotlib.pyplot as plt

    import mapdiff

    a = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    b = mapdiff.read_map(mapdiff.sample_path("2025-12-15"))
    c = mapdiff.compare(a, b, aoi=mapdiff.footprint("Pokrovsk").buffer(3))
    fig, ax = plt.subplots(figsize=(4, 4))
    c.plot(ax=ax)
    fig.canvas.draw()
    box = ax.title.get_window_extent(fig.canvas.get_renderer())
    assert "\n" in ax.get_title()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width
    plt.close(fig)


def test_what_a_map_drew_is_returned_not_kept_on_the_axes():
    """finish_map returns the context it drew (credits, legend lines); the panel figures take
    it from draw_map & co., not from the Axes."""
    from mapdiff.draw.context import MapContext
    from mapdiff.draw.maps import draw_map

    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    ax, ctx = draw_map(m, aoi=footprint("Pokrovsk").buffer(5))
    assert isinstance(ctx, MapContext)
    assert any("OpenStreetMap" in c for c in ctx.credits)
    words = [line[0] for line in ctx.lines]
    assert "hromada outlines" in words
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(w in legend for w in words)
    assert not [k for k in vars(ax) if k.startswith("_mapdiff_context")]
    _, none = draw_map(m, aoi=footprint("Pokrovsk"), context=False, places=False)
    assert none == MapContext()


def test_plot_module_is_the_one_import_for_every_figure():
    from mapdiff.draw import charts, claims, comparisons, maps, panels, plot

    for mod in (charts, claims, comparisons, maps, panels):
        for name in (n for n in mod.__all__ if n.startswith("plot_")):
            assert getattr(plot, name) is getattr(mod, name), name
            assert name in plot.__all__, name
