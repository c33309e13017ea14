"""The release report: numbers (mapdiff.history.report), page (mapdiff.draw.report), CLI, and the page
as a person sees it in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from conftest import shared_file

import mapdiff
from mapdiff.cli import main
from mapdiff.draw.report import render_html
from mapdiff.history.report import build_report
from mapdiff.places.footprints import footprint

OLD, NEW = "2025-11-20", "2025-11-27"


@pytest.fixture(scope="module")
def maps():
    return tuple(mapdiff.read_map(mapdiff.sample_path(d)) for d in (OLD, NEW))


@pytest.fixture(scope="module")
def written(maps, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    code = main(["report", str(maps[0].provenance.path), str(maps[1].provenance.path), "--out", str(out)])
    assert code == 0
    return out


def test_report_numbers_come_from_the_analyses(maps):
    old, new = maps
    r = build_report(old, new)
    ch = mapdiff.changes(old, new)
    assert r.side == "RU"
    d = r.to_dict()
    assert d["type"] == "release_report" and d["days"] == 7
    assert d["sides"]["RU"]["gained_km2"] == pytest.approx(ch.sides["RU"]["gained_km2"], rel=1e-9)
    # the largest gained pieces, largest first, each placed near a named place
    sizes = [a["area_km2"] for a in d["areas"]]
    assert sizes == sorted(sizes, reverse=True)
    gained = sorted((c.area_km2 for c in ch.components if c.change == "gained"), reverse=True)
    assert sizes == pytest.approx(gained[: len(sizes)])
    assert all(a["near"] and a["near_km"] >= 0 and a["direction"] for a in d["areas"])
    # watched towns: shares are the claim checker's, on both maps
    pok = next(p for p in d["places"] if p["place"] == "Pokrovsk")
    assert pok["share_new"] == pytest.approx(mapdiff.check_claim(new, "Pokrovsk", "RU", "50%").share)
    assert pok["share_old"] == pytest.approx(mapdiff.check_claim(old, "Pokrovsk", "RU", "50%").share)
    assert pok["change_pp"] == pytest.approx(100 * (pok["share_new"] - pok["share_old"]))
    fp = footprint("Pokrovsk")
    assert pok["approximate"] is fp.approximate and pok["footprint_kind"] == fp.kind
    # claims dated after the old release and up to the new one are decided on the new map
    assert {c["date"] for c in d["claims"]} == {"2025-11-27"}
    assert all(c["release"] == NEW for c in d["claims"] if c["release"])
    share = next(c for c in d["claims"] if c["kind"] == "share")
    assert share["verdict"] == "not supported" and share["share"] == pytest.approx(pok["share_new"])
    json.dumps(d)  # plain JSON


def test_report_places_and_ledger_options(maps):
    old, new = maps
    r = build_report(old, new, places=["Myrnohrad"], ledger=False, top=2)
    assert [p["place"] for p in r.places] == ["Myrnohrad"] and len(r.areas) == 2 and r.claims == ()
    with pytest.raises(mapdiff.MapdiffError, match="swap OLD and NEW"):
        build_report(new, old)
    same = build_report(new, new, ledger=False)
    assert same.areas == () and same.changes.sides["RU"]["net_km2"] == 0.0


def test_page_escapes_every_string_and_reads_on_a_phone(maps):
    d = build_report(*maps, ledger=False).to_dict()
    d["places"][0]["place"] = "<script>alert(1)</script>"
    d["notes"].append('a "quoted" <b>note</b> & more')
    page = render_html(d, figures=[{"src": 'figures/x".png', "alt": "<img>", "caption": "<i>c</i>"}])
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;note&lt;/b&gt; &amp; more" in page and 'src="figures/x&quot;.png"' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width: 40rem)" in page and "http://" not in page and "https://" not in page
    with pytest.raises(ValueError, match="release report"):
        render_html({"type": "comparison"})


def test_cli_writes_page_figures_and_json(written, maps):
    d = json.loads((written / "report.json").read_text())
    assert d["type"] == "release_report"
    page = (written / "index.html").read_text()
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert srcs and all(not s.startswith(("/", "http")) and (written / s).is_file() for s in srcs)
    assert all((written / s).with_suffix(".svg").is_file() for s in srcs)
    s = d["sides"]["RU"]
    assert f"RU gained {s['gained_km2']:,.2f} km², lost {s['lost_km2']:,.2f} km²" in page


def test_cli_bad_input_exits_2(tmp_path, capsys, maps):
    code = main(
        ["report", str(maps[1].provenance.path), str(maps[0].provenance.path), "--out", str(tmp_path)]
    )
    assert code == 2 and "swap OLD and NEW" in capsys.readouterr().err


@pytest.mark.realdata
def test_report_on_two_deepstate_archive_releases(tmp_path):
    old = shared_file("deepstate/deepstatemap_data_20251120.geojson")
    new = shared_file("deepstate/deepstatemap_data_20251127.geojson")
    assert main(["report", str(old), str(new), "--out", str(tmp_path), "--top", "5"]) == 0
    d = json.loads((tmp_path / "report.json").read_text())
    ch = mapdiff.changes(mapdiff.read_map(old), mapdiff.read_map(new))
    assert d["sides"]["RU"]["net_km2"] == pytest.approx(ch.sides["RU"]["net_km2"], rel=1e-9)
    assert len(d["areas"]) == 5 and d["areas"][0]["area_km2"] > 10
    assert (tmp_path / "index.html").is_file()


# --------------------------------------------------------------------------- headless Chromium
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


def _chromium(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_chromium
@pytest.mark.parametrize("width", [1200, 400])
def test_report_in_headless_chromium(written, tmp_path, width):
    from PIL import Image

    page = written / "index.html"
    shot = tmp_path / "shot.png"
    run = _chromium(
        page,
        tmp_path / "profile",
        f"--window-size={width},{2400 if width > 800 else 5200}",
        f"--screenshot={shot}",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # no console message at all (the page has no script: any message is an error)
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    assert not console, console
    px = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert px.shape[1] == width and px.std() > 20  # not blank
    # the figures were loaded: the map colours are on screen
    rgb = np.round(px).astype(int)
    vermillion = (np.abs(rgb - np.array([0xD5, 0x5E, 0x00])).sum(axis=-1) <= 30).sum()
    assert vermillion > 1000, vermillion
    # the DOM holds the headline numbers of report.json
    dom = _chromium(page, tmp_path / "profile2", "--dump-dom").stdout
    d = json.loads((written / "report.json").read_text())
    s = d["sides"]["RU"]
    assert f"RU gained {s['gained_km2']:,.2f} km²" in dom and f"net {s['net_km2']:+,.2f} km²" in dom
    first = d["areas"][0]
    assert f"{first['area_km2']:,.2f} km²" in dom and first["near"] in dom
    assert footprint("Pokrovsk").name in dom


def test_an_internal_error_exits_3_without_a_traceback(tmp_path, capsys, maps, monkeypatch):
    # the watch recipe relies on it: 1 means "claim not supported", never "crashed"
    import mapdiff.cli.report as cli_report

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli_report, "write_report", boom)
    code = main(
        ["report", str(maps[0].provenance.path), str(maps[1].provenance.path), "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 3 and "internal error: RuntimeError: disk on fire" in err and "Traceback" not in err


def test_claims_between_the_releases_use_the_release_of_their_date(maps, tmp_path):
    # a claim dated between the two releases is checked on the old one (the map of its
    # date), a claim dated on the new release on the new one; the page words kinds humanly
    from mapdiff.draw.report import render_html

    old, new = maps
    csv = tmp_path / "claims.csv"
    csv.write_text(
        "who,claimant,date,place,side,kind,value,quote,language,source,source_url\n"
        "A,Kremlin,2025-11-22,Pokrovsk,RU,not_captured,,q,en,s,https://example.org/a\n"
        "B,Kremlin,2025-11-27,Pokrovsk,RU,share,70%,q,en,s,https://example.org/b\n",
        encoding="utf-8",
    )
    d = build_report(old, new, places=["Pokrovsk"], ledger=csv).to_dict()
    release = {c["date"]: c["release"] for c in d["claims"]}
    assert release == {"2025-11-22": old.as_of.isoformat(), "2025-11-27": new.as_of.isoformat()}
    page = render_html(d, figures=[])
    assert "not_captured" not in page and "Pokrovsk not captured by RU" in page
