"""The every-side panel figure (mapdiff.draw.panels) and ``mapdiff claim MAP MAP ... --out``.

Figures are tested by what they contain: grid shape and page size, legend entries in
human words, sources' names and leans in the titles, the verdict in each panel, a stale
release marked, a caption of at most three lines, and no text overlapping another text's
box (measured by the renderer)."""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings

import pytest
import shapely
from conftest import GREY, RU, SHARED_DATA, UA

import mapdiff
from mapdiff.draw.context import CONTEXT_WORDS
from mapdiff.draw.panels import CAPTION_LINES, plot_claim_panels, plot_panels
from mapdiff.draw.plot import save_figure
from mapdiff.errors import StaleReleaseWarning

plt = pytest.importorskip("matplotlib.pyplot")

SQUARE = shapely.box(37.0, 48.0, 37.2, 48.2)


def _map(source, as_of, ru_east, grey_east=None):
    feats = [(RU, shapely.box(37.0, 48.0, ru_east, 48.2))]
    if grey_east is not None:
        feats.append((GREY, shapely.box(ru_east, 48.0, grey_east, 48.2)))
    return mapdiff.normalise(
        feats, coverage=SQUARE, background=UA, source=source, as_of=dt.date.fromisoformat(as_of)
    )


def _four(stale_days: int = 1):
    isw_date = (dt.date(2025, 11, 27) - dt.timedelta(days=stale_days)).isoformat()
    return {
        "deepstate_api": [_map("deepstate_api", "2025-11-27", 37.09, 37.15)],
        "creamy_caprice": [_map("creamy_caprice", "2025-11-26", 37.17)],
        "owl": [_map("owl", "2025-11-27", 37.1)],
        "isw": [_map("isw", isw_date, 37.02)],
    }


def _texts(fig):
    """Every visible, non-empty text of the figure with its box in display pixels."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    out, seen = [], set()
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and id(t) not in seen:
            seen.add(id(t))
            out.append((t, t.get_window_extent(r)))
    return out


def _overlaps(fig) -> list[tuple[str, str]]:
    boxes = _texts(fig)
    bad = []
    for i, (t1, b1) in enumerate(boxes):
        for t2, b2 in boxes[i + 1 :]:
            if b1.overlaps(b2) and b1.intersection(b1, b2).width > 1 and b1.intersection(b1, b2).height > 1:
                bad.append((t1.get_text()[:40], t2.get_text()[:40]))
    return bad


@pytest.fixture
def across():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleReleaseWarning)
        return mapdiff.check_claim_all(_four(30), SQUARE, "RU", "70%", date="2025-11-27")


def test_four_sources_make_a_2x2_grid_that_fits_a_page(across):
    axes = plot_claim_panels(across)
    fig = axes[0].figure
    fig.canvas.draw()
    assert len(axes) == 4
    x0s = sorted({round(ax.get_position().x0, 2) for ax in axes})
    y0s = sorted({round(ax.get_position().y0, 2) for ax in axes})
    assert len(x0s) == 2 and len(y0s) == 2
    w, h = fig.get_size_inches()
    assert w <= 8.5 and h <= 11.0  # a letter page
    assert axes[0].get_xlim() == axes[3].get_xlim() and axes[0].get_ylim() == axes[3].get_ylim()
    plt.close(fig)


def test_titles_name_sources_and_leans_and_stay_within_their_panels(across):
    axes = plot_claim_panels(across)
    fig = axes[0].figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    titles = [ax.get_title() for ax in axes]
    assert titles[0].startswith("DeepStateMap · Ukrainian OSINT\nrelease 2025-11-27")
    assert titles[1].startswith("Creamy Caprice · pro-Russian")
    assert titles[2].startswith("UA Control Map · independent")
    assert titles[3].startswith("ISW · think tank\nrelease 2025-10-28 (30 d before)")
    for ax in axes:
        box, panel = ax.title.get_window_extent(r), ax.get_window_extent(r)
        assert panel.x0 - 2 <= box.x0 and box.x1 <= panel.x1 + 2, ax.get_title()
    plt.close(fig)


def test_each_panel_states_share_and_verdict_and_marks_the_stale_release(across):
    axes = plot_claim_panels(across)
    boxes = [next(t.get_text() for t in ax.texts if t.get_gid() == "verdict") for ax in axes]
    # deepstate: RU 0.09/0.2 = 45%, grey 30%; creamy: 85% supported; owl: 50%
    assert boxes[0] == "RU 45%: NOT SUPPORTED\ngrey zone 30% of user polygon"
    assert boxes[1] == "RU 85%: SUPPORTED\ndraws no grey zone"
    assert boxes[2].startswith("RU 50%: NOT SUPPORTED")
    assert boxes[3].endswith("STALE: 30 d before the claim") and "STALE" not in "".join(boxes[:3])
    assert axes[3].spines["top"].get_edgecolor() != axes[0].spines["top"].get_edgecolor()
    plt.close(axes[0].figure)


def test_one_legend_in_human_words_and_no_grey_swatch_without_a_grey_zone():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleReleaseWarning)
        r = mapdiff.check_claim_all(_four(), SQUARE, "RU", "70%", date="2025-11-27")
    axes = plot_claim_panels(r)
    fig = axes[0].figure
    assert all(ax.get_legend() is None for ax in axes)
    legends = [leg for leg in fig.findobj(lambda a: type(a).__name__ == "Legend")]
    assert len(legends) == 1
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert labels[0] == "held by RU (the claimant's side)"
    assert "grey zone (DeepStateMap only)" in labels
    assert not any(re.search(r"\w:[A-Z]{2}\b", t) for t in labels), labels  # no raw controlled:RU
    plt.close(fig)
    no_grey = {k: v for k, v in _four().items() if k != "deepstate_api"}
    r = mapdiff.check_claim_all(no_grey, SQUARE, "RU", "70%", date="2025-11-27")
    fig = plot_claim_panels(r)[0].figure
    (legend,) = fig.findobj(lambda a: type(a).__name__ == "Legend")
    assert not any("grey" in t.get_text() for t in legend.get_texts())
    plt.close(fig)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_no_text_overlaps_another_and_the_caption_is_short(n):
    maps = dict(list(_four(30).items())[:n])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleReleaseWarning)
        r = mapdiff.check_claim_all(maps, SQUARE, "RU", "70%", date="2025-11-27")
    axes = plot_claim_panels(r, places=True)
    fig = axes[0].figure
    assert _overlaps(fig) == []
    (caption,) = [t for t in fig.findobj(lambda a: getattr(a, "get_gid", lambda: None)() == "caption")]
    assert 1 <= len(caption.get_text().splitlines()) <= CAPTION_LINES
    (credits,) = [t for t in fig.findobj(lambda a: getattr(a, "get_gid", lambda: None)() == "credits")]
    assert credits.get_text().count("\n") + 1 >= n  # one attribution per source at least
    # the footer texts stay inside the figure
    fig.canvas.draw()
    r_ = fig.canvas.get_renderer()
    fig_box = fig.bbox
    for t in (caption, credits):
        b = t.get_window_extent(r_)
        assert b.x0 >= fig_box.x0 - 1 and b.x1 <= fig_box.x1 + 1 and b.y0 >= fig_box.y0 - 1
    plt.close(fig)


def test_stale_release_warned_and_marked_in_text_and_json():
    with pytest.warns(StaleReleaseWarning, match=r"ISW \(think tank\)'s release used \(2025-10-28\) is 30 d"):
        r = mapdiff.check_claim_all(_four(30), SQUARE, "RU", "70%", date="2025-11-27")
    assert r.stale == {"isw": 30}
    d = r.to_dict()
    assert d["sources"]["isw"]["stale"] is True and d["sources"]["owl"]["stale"] is False
    assert (
        d["sources"]["owl"]["source_name"] == "UA Control Map"
        and d["sources"]["owl"]["lean"] == "independent"
    )
    assert d["max_gap_days"] == 7 and any("STALE" in n for n in d["notes"])
    assert "ISW (think tank)" in d["methods"] and "30 d before" in d["methods"]
    text = r.summary()
    assert "(30 d before, STALE)" in text and "Creamy Caprice (pro-Russian)" in text
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleReleaseWarning)
        assert (
            mapdiff.check_claim_all(_four(30), SQUARE, "RU", "70%", date="2025-11-27", max_gap_days=31).stale
            == {}
        )
    with pytest.raises(mapdiff.errors.ArgumentError, match="max_gap_days"):
        mapdiff.check_claim_all(_four(), SQUARE, "RU", "70%", max_gap_days=-1)


def test_without_a_date_every_output_says_the_newest_release_was_used():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleReleaseWarning)
        r = mapdiff.check_claim_all(_four(), SQUARE, "RU", "70%")
    assert r.newest and "no --date given: each source's newest release was used" in r.summary()
    assert "Creamy Caprice 2025-11-26" in r.to_dict()["notes"][-1]


def test_save_figure_takes_the_list_of_axes_and_writes_the_methods_note(tmp_path, across):
    from PIL import Image

    axes = plot_panels([_map("owl", "2025-11-27", 37.1)] * 2, aoi=SQUARE, context=False)
    assert save_figure(axes, tmp_path / "maps.png").stat().st_size > 0
    axes = plot_claim_panels(across)
    path = save_figure(axes, tmp_path / "every_side.png", dpi=60, metadata={"Description": across.methods()})
    assert Image.open(path).info["Description"].startswith("Claim (2025-11-27): RU holds 70% of")
    assert (
        "methods here"
        in save_figure(axes, tmp_path / "x.svg", metadata={"Description": "methods here"}).read_text()
    )
    plt.close("all")


# --------------------------------------------------------------------------- CLI
def test_cli_claim_every_side_out(cli, tmp_path):
    a, b = (str(p) for p in mapdiff.sample_paths()[2:4])
    out = tmp_path / "every_side.png"
    res = cli(
        "claim",
        f"one={a}",
        f"two={b}",
        "--place",
        "Pokrovsk",
        "--side",
        "RU",
        "--claimed",
        "70%",
        "--date",
        "2025-11-27",
        "--out",
        out,
        "--dpi",
        "60",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["sources"]["one"]["gap_days"] == 7 and doc["sources"]["one"]["stale"] is False
    assert doc["sources"]["two"]["source_name"] == "DeepStateMap"
    assert out.stat().st_size > 10_000


def test_cli_claim_stale_release_is_warned(cli):
    a = str(mapdiff.sample_paths()[1])  # 2025-11-01
    res = cli(
        "claim",
        f"one={a}",
        f"two={mapdiff.sample_paths()[3]}",
        "--place",
        "Pokrovsk",
        "--side",
        "RU",
        "--claimed",
        "70%",
        "--date",
        "2025-11-27",
    )
    assert res.returncode == 0
    assert "26 d before, STALE" in res.stdout and "STALE" in res.stderr


def test_cli_claim_one_file_does_not_ignore_the_date(cli):
    path = str(mapdiff.sample_paths()[3])  # 2025-11-27
    res = cli(
        "claim", path, "--place", "Pokrovsk", "--side", "RU", "--claimed", "70%", "--date", "2025-11-20"
    )
    assert (
        res.returncode == 2 and "after the claim's date 2025-11-20" in res.stderr and "--date" in res.stderr
    )
    res = cli(
        "claim",
        path,
        "--place",
        "Pokrovsk",
        "--side",
        "RU",
        "--claimed",
        "70%",
        "--date",
        "2025-12-20",
        "--json",
    )
    doc = json.loads(res.stdout)
    assert res.returncode == 0 and doc["gap_days"] == 23 and doc["stale"] is True and "STALE" in res.stderr
    assert doc["source_name"] == "DeepStateMap" and doc["lean"] == "Ukrainian OSINT"
    res = cli(
        "claim", path, "--place", "Pokrovsk", "--side", "RU", "--claimed", "70%", "--date", "2025-11-30"
    )
    assert (
        "Release 2025-11-27: 3 d before the claim's date 2025-11-30" in res.stdout
        and "STALE" not in res.stdout
    )


@pytest.mark.realdata
def test_every_side_panel_on_real_releases(tmp_path):
    paths = {
        "deepstate_api": SHARED_DATA / "deepstate_api" / "deepstatemap_data_20251127_polygons.geojson",
        "creamy_caprice": SHARED_DATA / "creamy_caprice" / "ControlZones" / "Control_25_11_26.kml",
        "owl": SHARED_DATA / "owl" / "20251127.json",
        "nzz": SHARED_DATA / "nzz" / "2025-11-27.json",
    }
    for p in paths.values():
        if not p.exists():
            pytest.skip(f"real data not available: {p} is absent")
    clip = mapdiff.footprint("Pokrovsk").buffer(3).geometry
    maps = [mapdiff.read_map(p, clip=clip) for p in paths.values()]
    r = mapdiff.check_claim_all(maps, "Pokrovsk", "RU", "70%", date="2025-11-27")
    verdicts = {s: c.verdict for s, c in r.checks.items()}
    assert verdicts == {
        "deepstate_api": "not supported",
        "creamy_caprice": "supported",
        "owl": "not supported",
        "nzz": "supported",
    }
    axes = r.plot()
    assert _overlaps(axes[0].figure) == []
    path = save_figure(axes, tmp_path / "p.png", dpi=80)
    assert path.stat().st_size < 300_000
    plt.close("all")


def test_plot_panels_of_maps_one_legend_in_words_no_overprint(tmp_path):
    maps = [
        _map("deepstate_api", "2025-11-27", 37.09, 37.15),
        _map("creamy_caprice", "2025-11-26", 37.17),
        _map("owl", "2025-11-27", 37.1),
    ]
    axes = plot_panels(maps, aoi=SQUARE, context=False, places=False)
    fig = axes[0].figure
    assert len(axes) == 3 and all(ax.get_legend() is None for ax in axes)
    assert len(fig.axes) == 5  # three maps, the legend's cell (the empty grid cell), the footer
    (legend,) = fig.findobj(lambda a: type(a).__name__ == "Legend")
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:3] == ["held by RU", "grey zone (contested)", "held by UA"]
    assert not any("no grey-zone class" in t or re.search(r"\w:[A-Z]{2}\b", t) for t in labels), labels
    assert [ax.get_title() for ax in axes][1] == "Creamy Caprice (pro-Russian) 2025-11-26"
    assert _overlaps(fig) == []
    assert save_figure(axes, tmp_path / "p.pdf").stat().st_size > 0
    plt.close(fig)


def test_label_words():
    from mapdiff.draw.panels import label_words

    assert label_words("advanced:RU") == "RU advance (control not assessed)"
    assert label_words(mapdiff.labels.NOT_COVERED) == "not covered by the map"
    assert label_words("encircled:UA") == "encircled, held by UA"


def test_a_narrow_place_keeps_the_verdict_clear_of_other_text():
    # a tall, narrow footprint (as Myrnohrad's is) left the verdict box on the north arrow
    narrow = shapely.box(37.0, 48.0, 37.03, 48.2)
    maps = {
        s: [
            mapdiff.normalise(
                [(RU, shapely.box(37.0, 48.0, 37.03, 48.05))],
                coverage=SQUARE,
                background=UA,
                source=s,
                as_of=dt.date(2025, 11, 27),
            )
        ]
        for s in ("deepstate_api", "owl", "nzz")
    }
    r = mapdiff.check_claim_all(maps, narrow, "RU", "70%", date="2025-11-27")
    fig = plot_claim_panels(r)[0].figure
    assert _overlaps(fig) == []
    (credits,) = [t for t in fig.findobj(lambda a: getattr(a, "get_gid", lambda: None)() == "credits")]
    assert credits.get_text().startswith("North is up in every panel.")
    plt.close(fig)


def test_single_claim_figure_honest_legend_and_title_inside():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))  # DeepState's archive: no grey zone
    ax = mapdiff.check_claim(m, "Pokrovsk", "RU", "70%").plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any("grey" in t for t in labels), labels
    labels = [t for t in labels if t not in CONTEXT_WORDS.values()]  # the context layers come last
    assert labels[-1].startswith("rest of footprint (not held by RU on this map)")
    footer = " ".join(t.get_text() for t in ax.texts if t.get_gid() == "caption").replace("\n", " ")
    assert "draws no grey zone: the grey-zone policies cannot differ" in footer
    fig = ax.figure
    fig.canvas.draw()
    box = ax.title.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1
    plt.close(fig)
