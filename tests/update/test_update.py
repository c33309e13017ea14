"""``mapdiff update``: the watch file, new releases day by day, a replayed archive, crashes.

The site must be a function of its inputs: built day by day or in one run, killed half
way and run again, it is the same bytes; a run with nothing new writes nothing; the
reports' numbers are those of ``mapdiff changes`` on the same pairs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_DATA
from test_sources import _Server

from mapdiff.cli import main

SAMPLES = ROOT / "data" / "samples"
SAMPLE = {d: SAMPLES / f"deepstatemap_data_{d.replace('-', '')}_pokrovsk.geojson" for d in (
    "2025-11-01", "2025-11-20", "2025-11-27", "2025-12-15")}  # fmt: skip


def _files(site: Path) -> dict[str, bytes]:
    """Every file of the site but the lock, by relative path."""
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.name != ".update.lock"
    }


def _watch(tmp: Path, body: str, site: str = "site", ledger: bool = True) -> Path:
    """A watch file; with the shipped ledger (claims decided and tracked) unless ledger=False."""
    w = tmp / f"watch_{site}.toml"
    head = f'site = "{site}"\nplaces = ["Pokrovsk"]\n' + ("" if ledger else "ledger = false\n")
    w.write_text(head + body, encoding="utf-8")
    return w


def _same_sides(report: dict, changes_json: str) -> None:
    """The report's km² per side are those `mapdiff changes --json` prints (it rounds to 1e-6)."""
    want = json.loads(changes_json)["sides"]
    assert report["sides"].keys() == want.keys()
    for side, v in want.items():
        assert report["sides"][side] == pytest.approx(v, abs=1e-6), side


def _update(cli, watch, *extra):
    return cli("update", str(watch), "--json", *extra)


@pytest.fixture(scope="module", autouse=True)
def _measure_cache(tmp_path_factory):
    """The engine's results cache of these tests (the share history), not the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MAPDIFF_CACHE_DIR", str(tmp_path_factory.mktemp("measures")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def built(tmp_path_factory, _measure_cache):
    """Three sample releases of DeepState in a folder, and the site one clean run makes of them."""
    root = tmp_path_factory.mktemp("built")
    d = root / "ds"
    d.mkdir()
    for day in ("2025-11-20", "2025-11-27", "2025-12-15"):
        shutil.copy(SAMPLE[day], d)
    w = _watch(root, '[sources.deepstate]\npath = "ds"\n', "clean")
    assert main(["update", str(w), "--json"]) == 0
    return root


@pytest.fixture
def folder(built, tmp_path):
    """The sample folder, reachable from tmp_path as ``ds`` (watch files name it relatively)."""
    (tmp_path / "ds").symlink_to(built / "ds")
    return built / "ds"


# --------------------------------------------------------------------------- watch file
@pytest.mark.parametrize(
    "body, says",
    [
        ('[sources.ds]\npath = "ds"\ncolour = "red"\n', "known keys: path, archive, source, start, base_url"),
        ('[sources.ds]\narchive = "nowhere"\nstart = "2025-11-01"\n', "known archives: creamy_caprice"),
        ('[sources.ds]\npath = "ds"\narchive = "owl"\n', "exactly one of path"),
        ('[sources.ds]\narchive = "owl"\n', "needs start"),
        ('[sources.ds]\npath = "missing"\n', "is not a folder"),
        ('[sources.ds]\npath = "ds"\nsource = "nope"\n', "nope"),
        ("", "no [sources.NAME]"),
        ('sites = "x"\n[sources.ds]\npath = "ds"\n', "known keys: site, places"),
        ('[sources.ds]\npath = "."\n', "overlap"),
    ],
)
def test_bad_watch_file_exits_2_naming_the_fix(cli, tmp_path, folder, body, says):
    res = _update(cli, _watch(tmp_path, body))
    assert res.returncode == 2, res
    assert says in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_place_is_refused(cli, tmp_path, folder):
    w = tmp_path / "w.toml"
    w.write_text('site = "s"\nplaces = ["Nowhereville"]\n[sources.ds]\npath = "ds"\n', encoding="utf-8")
    res = _update(cli, w)
    assert res.returncode == 2 and "places:" in res.stderr and "Nowhereville" in res.stderr


# --------------------------------------------------------------------------- a folder, day by day
def test_day_by_day_equals_one_run_and_the_numbers_of_changes(cli, tmp_path, folder, built):
    clean = built / "watch_clean.toml"
    daily = _watch(tmp_path, '[sources.deepstate]\npath = "ds"\n', "daily")
    state = json.loads((built / "clean" / "state.json").read_text())
    assert [r["date"] for r in state["sources"]["deepstate"]["history"]] == [
        "2025-11-20", "2025-11-27", "2025-12-15"]  # fmt: skip
    for day in ("2025-11-20", "2025-11-21", "2025-11-27", "2025-12-15"):
        assert _update(cli, daily, "--until", day).returncode == 0
    a, b = _files(built / "clean"), _files(tmp_path / "daily")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert {"index.html", "index.json", "archive.html", "feed.xml", "state.json"} <= set(a)
    # a second run: nothing new, not a byte written
    mtimes = {p: p.stat().st_mtime_ns for p in (built / "clean").rglob("*")}
    again = _update(cli, clean)
    assert again.returncode == 0 and json.loads(again.stdout)["nothing_new"] is True
    assert not json.loads(again.stdout)["rewritten"]
    assert {p: p.stat().st_mtime_ns for p in (built / "clean").rglob("*")} == mtimes
    assert _files(built / "clean") == a
    # each report's numbers are those of `mapdiff changes` on the same pair
    for old, new in (("2025-11-20", "2025-11-27"), ("2025-11-27", "2025-12-15")):
        rep = json.loads(a[f"deepstate/{new}/report.json"])
        ch = cli("changes", str(folder / SAMPLE[old].name), str(folder / SAMPLE[new].name), "--json")
        assert ch.returncode == 0
        _same_sides(rep, ch.stdout)
    index = json.loads(a["index.json"])
    assert index["sources"][0]["display"] == "DeepStateMap" and index["sources"][0]["lean"]
    assert index["sources"][0]["newest"] == "2025-12-15"
    shares = index["summary"]["shares"]
    assert shares[0]["place"] == "Pokrovsk" and 0 < shares[0]["held"] <= 1
    assert 0.999 < shares[0]["held"] + (shares[0]["grey"] or 0) + shares[0]["other"] < 1.001
    # the share history (engine's cache) is that of `mapdiff history` on the same files
    hist = index["summary"]["history"]["deepstate"]
    assert hist["dates"] == ["2025-11-20", "2025-11-27", "2025-12-15"]
    h = cli("history", str(folder), "--place", "Pokrovsk", "--side", "RU", "--json")
    assert h.returncode == 0, h.stderr
    assert json.loads(h.stdout)["shares"]["Pokrovsk"] == hist["shares"]["Pokrovsk"]
    # the claims tracked through the releases: tracking.json, its claimant summary on the page
    track = json.loads(a["tracking.json"])
    assert track["type"] == "tracking" and "seconds" not in track and track["rows"]
    assert index["summary"]["tracking"] and b"who said it first" in a["index.html"]
    # no wall clock anywhere: the SVGs carry no date of today
    today = time.strftime("%Y-%m-%d").encode()
    svgs = [v for k, v in a.items() if k.endswith(".svg")]
    assert svgs and not any(today in v for v in svgs)
    # --since rebuilds the window and gives the same bytes
    assert _update(cli, daily, "--since", "2025-11-27").returncode == 0
    assert _files(tmp_path / "daily") == a


def test_the_pages_escape_and_link(built):
    from mapdiff.draw.site import render_archive, render_feed, render_index

    site = built / "clean"
    page = (site / "index.html").read_text(encoding="utf-8")
    assert '<meta name="viewport"' in page and 'href="deepstate/2025-12-15/index.html"' in page
    assert 'src="figures/panels.png"' in page and (site / "figures" / "panels.svg").is_file()
    release = (site / "deepstate" / "2025-12-15" / "index.html").read_text(encoding="utf-8")
    assert release.count('href="../../index.html"') == 1  # back to the front page
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert feed.count("<id>tag:mapdiff,2025:release/deepstate/") == 2 and "2025-12-15T00:00:00Z" in feed
    assert feed.count("<id>tag:mapdiff,2025:claim/") == len(
        json.loads((site / "index.json").read_text())["all_claims"]
    )
    doc = json.loads((site / "index.json").read_text())
    # each decided claim names the map it was checked on (its report's own row), not the report's date
    for c in doc["all_claims"]:
        rows = json.loads((site / c["page"].replace("index.html", "report.json")).read_text())["claims"]
        used = {
            r["release"]
            for r in rows
            if (r["who"], r["date"], r["place"]) == (c["who"], c["date"], c["place"])
        }
        assert used == {c["release"]} and c["report"] in c["page"]
    assert "not_captured" not in page and "not_encircled" not in page  # claim kinds in words
    evil = "<script>alert(1)</script>&"
    doc["title"] = evil
    doc["sources"][0]["display"] = evil
    doc["sources"][0]["stale"] = {"since": "2025-12-15", "reason": evil}
    doc["notes"].append(evil)
    for text in (render_index(doc), render_archive(doc), render_feed(doc)):
        assert "<script>" not in text and "&lt;script&gt;" in text


def test_release_figures_are_drawn_once_and_nothing_new_draws_nothing(built):
    """A release page shows each figure as one SVG (no PNG drawn beside it); a run with
    nothing new does not even import matplotlib."""
    rel = built / "clean" / "deepstate" / "2025-12-15"
    figs = sorted(p.name for p in (rel / "figures").iterdir())
    assert figs and all(f.endswith(".svg") for f in figs), figs
    page = (rel / "index.html").read_text(encoding="utf-8")
    assert page.count('<img src="figures/') == len(figs) and ".png" not in page
    code = (
        "import sys; from mapdiff.cli import main; "
        f"rc = main(['update', {str(built / 'watch_clean.toml')!r}, '--json']); "
        "print(rc, 'matplotlib' in sys.modules)"
    )
    before = _files(built / "clean")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["0", "False"], out.stdout + out.stderr
    assert '"nothing_new": true' in out.stdout and _files(built / "clean") == before


def test_write_report_formats(tmp_path):
    from mapdiff import read_map
    from mapdiff.cli.report import write_report
    from mapdiff.errors import MapdiffError

    old, new = (read_map(SAMPLE[d]) for d in ("2025-11-20", "2025-11-27"))
    res = write_report(old, new, tmp_path / "both", places=["Pokrovsk"], ledger=False)
    assert {p.suffix for p in res["figures"]} == {".png", ".svg"}  # mapdiff report: PNG + an SVG link
    assert "SVG</a>" in res["html"].read_text(encoding="utf-8")
    with pytest.raises(MapdiffError, match="png"):
        write_report(old, new, tmp_path / "bad", ledger=False, formats=("pdf",))


def test_a_changed_watch_file_rewrites_the_front_page_only(cli, tmp_path, folder, built):
    shutil.copytree(built / "clean", tmp_path / "site")
    w = tmp_path / "w.toml"
    w.write_text('site = "site"\nplaces = ["Pokrovsk", "Myrnohrad"]\n[sources.deepstate]\npath = "ds"\n')
    page = tmp_path / "site" / "deepstate" / "2025-12-15" / "index.html"
    mtime = page.stat().st_mtime_ns
    res = _update(cli, w)
    out = json.loads(res.stdout)
    assert res.returncode == 0 and out["nothing_new"] and out["rewritten"]
    index = json.loads((tmp_path / "site" / "index.json").read_text())
    assert index["places"] == ["Pokrovsk", "Myrnohrad"]
    assert {r["place"] for r in index["summary"]["shares"]} == {"Pokrovsk", "Myrnohrad"}
    assert page.stat().st_mtime_ns == mtime  # a release's page is rebuilt only with --since


# --------------------------------------------------------------------------- an archive on loopback
@pytest.fixture
def archive(tmp_path, monkeypatch):
    served = tmp_path / "served"
    (served / "deepstate").mkdir(parents=True)
    monkeypatch.setenv("MAPDIFF_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MAPDIFF_FETCH_BASE_URL", raising=False)
    srv = _Server(served)

    def publish(day: str, sample: str | None = None, data: bytes | None = None):
        target = served / "deepstate" / f"deepstatemap_data_{day.replace('-', '')}.geojson"
        target.write_bytes(data if data is not None else SAMPLE[sample].read_bytes())

    srv.publish = publish
    srv.watch = _watch(
        tmp_path,
        '[sources.deepstate]\narchive = "deepstate"\nstart = "2025-11-20"\n'
        f'base_url = "{srv.url}{{source}}/"\n',
        ledger=False,
    )
    yield srv
    srv.close()


def test_archive_with_a_late_a_missing_and_a_damaged_release(cli, tmp_path, archive):
    site = tmp_path / "site"
    archive.publish("2025-11-20", "2025-11-20")
    res = _update(cli, archive.watch, "--until", "2025-11-20")
    assert res.returncode == 0 and json.loads(res.stdout)["processed"]["deepstate"] == ["2025-11-20"]
    # 21..26 Nov are never published (missing); 27 Nov is late: not there on its day
    before = _files(site)
    res = _update(cli, archive.watch, "--until", "2025-11-27")
    assert res.returncode == 0 and json.loads(res.stdout)["nothing_new"] and _files(site) == before
    archive.publish("2025-11-27", "2025-11-27")
    res = _update(cli, archive.watch, "--until", "2025-11-28")
    assert res.returncode == 0 and json.loads(res.stdout)["processed"]["deepstate"] == ["2025-11-27"]
    # 29 Nov is damaged (an error page served with 200): the source is stale, the run partial
    archive.publish("2025-11-29", data=b"<html>Bad gateway</html>")
    res = _update(cli, archive.watch, "--until", "2025-11-29")
    assert res.returncode == 5, res
    out = json.loads(res.stdout)
    assert out["partial"] and out["failed"]["deepstate"][0]["date"] == "2025-11-29"
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "stale since 2025-11-27" in page
    # 15 Dec is fine: processed; 29 Nov is said to be skipped; the source is no longer stale
    archive.publish("2025-12-15", "2025-12-15")
    res = _update(cli, archive.watch, "--until", "2025-12-15")
    assert json.loads(res.stdout)["processed"]["deepstate"] == ["2025-12-15"]
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "stale since" not in page and "2025-11-29 was skipped" in page
    rep = json.loads((site / "deepstate" / "2025-12-15" / "report.json").read_text())
    assert rep["old"]["as_of"] == "2025-11-27" and rep["new"]["as_of"] == "2025-12-15"
    ch = cli("changes", str(SAMPLE["2025-11-27"]), str(SAMPLE["2025-12-15"]), "--json")
    _same_sides(rep, ch.stdout)
    # then nothing new: exit 0, not a byte changed (the damaged day is not asked again)
    before = _files(site)
    asked = len(archive.requests)
    res = _update(cli, archive.watch, "--until", "2025-12-15")
    assert res.returncode == 0 and json.loads(res.stdout)["nothing_new"] and _files(site) == before
    assert len(archive.requests) == asked


def test_unreachable_archive_is_partial_and_said(cli, tmp_path, archive):
    archive.publish("2025-11-20", "2025-11-20")
    assert _update(cli, archive.watch, "--until", "2025-11-20").returncode == 0
    archive.close()  # the host goes away
    res = _update(cli, archive.watch, "--until", "2025-11-22")
    assert res.returncode == 5
    assert "stale since 2025-11-20" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    archive.close = lambda: None


# --------------------------------------------------------------------------- crashes and the lock
@pytest.mark.slow
def test_a_fault_between_any_two_writes_then_a_rerun_equals_a_clean_build(
    tmp_path, folder, built, monkeypatch, cli
):
    import mapdiff.io.atomic as atomic

    want = _files(built / "clean")
    n_writes = len(want)
    real = os.replace

    class Crash(BaseException):  # not an Exception: nothing may catch it on the way out
        pass

    for stop in (n_writes // 2,):  # mid-way: some release pages written, not the front page
        site = f"crash{stop}"
        w = _watch(tmp_path, '[sources.deepstate]\npath = "ds"\n', site)

        class FaultyOs:
            count = 0

            def __getattr__(self, name):
                return getattr(os, name)

            def replace(self, a, b, _stop=stop):
                self.count += 1
                if self.count == _stop:
                    raise Crash()
                return real(a, b)

        monkeypatch.setattr(atomic, "os", FaultyOs())
        with pytest.raises(Crash):
            main(["update", str(w)])
        monkeypatch.setattr(atomic, "os", os)
        assert not (tmp_path / site / "state.json").exists()  # the state is written last
        assert _update(cli, w).returncode == 0
        assert _files(tmp_path / site) == want, stop


@pytest.mark.slow
def test_sigkill_at_several_points_then_a_rerun_equals_a_clean_build(tmp_path, folder, built, cli):
    want = _files(built / "clean")
    w = _watch(tmp_path, '[sources.deepstate]\npath = "ds"\n', "killed")
    for delay in (3.0, 6.0):  # at whatever point each run dies
        proc = subprocess.Popen(
            [sys.executable, "-m", "mapdiff", "update", str(w)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    assert _update(cli, w).returncode == 0
    assert _files(tmp_path / "killed") == want


def test_a_second_run_waits_or_says_the_site_is_busy(tmp_path, folder, cli):
    from mapdiff.update.state import lock

    w = _watch(tmp_path, '[sources.deepstate]\npath = "ds"\n')
    with lock(tmp_path / "site"):
        res = _update(cli, w)
        assert (
            res.returncode == 2
            and "another mapdiff update is running" in res.stderr
            and "--wait" in res.stderr
        )
    assert not (tmp_path / "site" / "state.json").exists()


# --------------------------------------------------------------------------- real releases
@pytest.mark.slow
def test_three_sources_day_by_day_over_real_releases(cli, tmp_path):
    wanted = {
        "deepstate": [f"deepstate/deepstatemap_data_202511{d:02d}.geojson" for d in (4, 5)],
        "creamy_caprice": ["creamy_caprice/ControlZones/Control_25_11_02.kml",
                           "creamy_caprice/ControlZones/Control_25_11_06.kml"],
        "owl": ["owl/20251104.json", "owl/20251105.json"],
    }  # fmt: skip
    body = ""
    for name, files in wanted.items():
        (tmp_path / name).mkdir()
        for rel in files:
            src = SHARED_DATA / rel
            if not src.is_file():
                pytest.skip(f"real data not available: {src} is absent (needs ../shared/data)")
            shutil.copy(src, tmp_path / name)
        body += f'[sources.{name}]\npath = "{name}"\n'
    w = _watch(tmp_path, body, ledger=False)
    for day in ("2025-11-04", "2025-11-06"):
        res = _update(cli, w, "--until", day)
        assert res.returncode == 0, res.stderr
    site = tmp_path / "site"
    index = json.loads((site / "index.json").read_text())
    got = {s["name"]: (s["newest"], s["display"], s["lean"]) for s in index["sources"]}
    assert got["deepstate"][0] == "2025-11-05" and got["creamy_caprice"][0] == "2025-11-06"
    assert got["owl"][0] == "2025-11-05" and all(v[1] and v[2] for v in got.values())
    cons = index["summary"]["consensus"]
    assert len(cons["pairwise_km2"]) == 3 and all(p["km2"] >= 0 for p in cons["pairwise_km2"])
    grey = {r["source"]: r["grey"] for r in index["summary"]["shares"]}
    assert grey["owl"] is None  # owl has no grey-zone class: said, not a 0% grey zone
    note = {r["source"]: r["note"] for r in index["summary"]["shares"]}["owl"]
    assert "no grey" in note and note in (site / "index.html").read_text(encoding="utf-8")
    rep = json.loads((site / "owl" / "2025-11-05" / "report.json").read_text())
    ch = cli("changes", *(str(tmp_path / "owl" / f) for f in ("20251104.json", "20251105.json")), "--json")
    _same_sides(rep, ch.stdout)


# --------------------------------------------------------------------------- headless Chromium
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1200, 400])
def test_site_in_headless_chromium(tmp_path, built, width):
    from test_report import _chromium

    site = built / "clean"
    for page in (site / "index.html", site / "deepstate" / "2025-12-15" / "index.html"):
        run = _chromium(
            page, tmp_path / f"p{width}", f"--window-size={width},3000", f"--screenshot={tmp_path / 's.png'}"
        )
        assert run.returncode == 0, run.stderr[-2000:]
        console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
        assert not console, console
    dom = _chromium(site / "index.html", tmp_path / "dom", "--dump-dom").stdout
    index = json.loads((site / "index.json").read_text())
    held = index["summary"]["shares"][0]["held"]
    assert f"{100 * held:.1f}%" in dom
    rep = json.loads((site / "deepstate" / "2025-12-15" / "report.json").read_text())
    dom = _chromium(site / "deepstate" / "2025-12-15" / "index.html", tmp_path / "dom2", "--dump-dom").stdout
    assert f"net {rep['sides']['RU']['net_km2']:+,.2f} km²" in dom
