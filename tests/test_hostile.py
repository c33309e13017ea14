"""Hostile files, faults and misuse (issue 14) beyond the corpus table: a loopback server
that must receive nothing, exit codes, broken pipes, HTML and terminal escaping, the
cache, and damaged downloads. Each test is bounded by an alarm; inputs are hashed before
and after."""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

import mapdiff
from mapdiff import errors
from mapdiff.io import cache
from mapdiff.cli import main

_SECONDS = 60


pytestmark = pytest.mark.usefixtures("bounded")  # conftest: a hang fails the test


def _digest(folder: Path) -> dict:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


# ------------------------------------------------------------------ a server that must hear nothing
class _Server:
    """A loopback HTTP server; ``handler(request)`` writes the answer, ``requests`` records paths."""

    def __init__(self, handler=None):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.path)
                if handler is None:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                else:
                    handler(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


def _vrt(port: int) -> str:
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="secret"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
        '</OGRVRTLayer><OGRVRTLayer name="net"><SrcDataSource>'
        f"/vsicurl/http://127.0.0.1:{port}/leak.csv</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>\n"
    )


def _crafted(folder: Path, port: int) -> list[Path]:
    """An OGR VRT in every disguise: .shp, .gpkg, .fgb (behind a byte), zipped .shp, a .dbf."""
    folder.mkdir(parents=True, exist_ok=True)
    vrt = _vrt(port).encode()
    out = []
    for name, body in (("a.shp", vrt), ("b.gpkg", b"\x00" + vrt), ("c.fgb", b"x" + vrt), ("d.gpkg", vrt)):
        (folder / name).write_bytes(body)
        out.append(folder / name)
    with zipfile.ZipFile(folder / "e.zip", "w") as zf:
        zf.writestr("e.shp", vrt)
    out.append(folder / "e.zip")
    return out


def test_ogr_vrt_never_reaches_gdal(tmp_path, server, capsys):
    """Through read_map, --aoi, --place FILE, --rear and a history folder: refused, the server
    hears nothing, nothing of /etc/passwd appears."""
    files = _crafted(tmp_path / "evil", server.port)
    before = _digest(tmp_path)
    messages = []
    for f in files:
        with pytest.raises(errors.FormatError) as info:
            mapdiff.read_map(f)
        messages.append(str(info.value))
        with pytest.raises(errors.MapdiffError) as info:
            mapdiff.footprint_from_file(f)
        messages.append(str(info.value))
    s1 = tmp_path / "s1.geojson"
    shutil.copy(mapdiff.sample_path("2025-11-27"), s1)
    for argv in (
        ["info", str(files[0])],
        ["compare", str(s1), str(s1), "--aoi", str(files[1])],
        ["claim", str(s1), "--place", str(files[2]), "--side", "RU", "--claimed", "50%"],
        ["encircle", str(s1), "--place", "Myrnohrad", "--by", "RU", "--rear", str(files[0])],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.count("\n") == 1, err
        messages.append(err)
    releases = tmp_path / "releases"
    releases.mkdir()
    shutil.copy(mapdiff.sample_path("2025-11-27"), releases)
    shutil.copy(files[0], releases / "deepstatemap_data_20251130.shp")
    assert main(["history", str(releases), "--place", "Pokrovsk", "--workers", "1", "--no-cache"]) == 2
    messages.append(capsys.readouterr().err)
    time.sleep(0.2)  # a request GDAL might have sent would have arrived by now
    assert server.requests == []
    text = "\n".join(messages)
    assert "root:" not in text and "/bin/" not in text and "leak.csv" not in text
    after = _digest(tmp_path)
    assert all(after[k] == v for k, v in before.items())  # no input changed


def test_gdal_config_blocks_network_even_if_a_vrt_got_through(tmp_path, server):
    """Belt and braces: the GDAL options mapdiff sets refuse /vsicurl/ themselves."""
    import pyogrio

    from mapdiff.io import gate

    (tmp_path / "x.vrt").write_text(_vrt(server.port).replace("CSV:/etc/passwd", "/nonexistent.csv"))
    with gate.safe_gdal() as safe, contextlib.suppress(Exception):
        safe.read_dataframe(tmp_path / "x.vrt", layer="net")
    assert server.requests == []
    # outside mapdiff's reads the caller's GDAL settings are untouched
    assert pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_FILENAME") is None
    mapdiff.read_map(_gpkg_square(tmp_path))
    assert pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_FILENAME") is None


def _gpkg_square(folder: Path) -> Path:
    import geopandas as gpd
    import shapely

    p = folder / "square.gpkg"
    square = shapely.box(37.1, 48.2, 37.2, 48.3)
    gdf = gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[square])
    gdf.set_crs(4326).to_file(p, driver="GPKG")  # test fixture
    return p


# ------------------------------------------------------------------ exit codes
def test_internal_error_is_exit_3_one_line(tmp_path, monkeypatch, capsys):
    from mapdiff.cli import info

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(info, "read_map", broken)
    s1 = mapdiff.sample_path("2025-11-27")
    assert main(["info", str(s1)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: boom" in err and "--debug" in err
    assert "Traceback" not in err
    assert main(["info", str(s1), "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err
    assert main(["info", str(s1), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["schema_version"] == 1 and out["type"] == "error" and out["exit_code"] == 3


def test_errors_under_json_are_json_on_stdout(capsys):
    assert main(["info", str(ROOT / "tests/data/bad/empty.geojson"), "--json"]) == 2
    cap = capsys.readouterr()
    d = json.loads(cap.out)
    assert d == {
        "schema_version": 1,
        "type": "error",
        "exit_code": 2,
        "error": "FormatError",
        "message": d["message"],
    }
    assert "empty.geojson" in d["message"] and "empty.geojson" in cap.err


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        PermissionError(errno.EACCES, "Permission denied"),
        OSError(errno.EROFS, "Read-only file system"),
    ],
    ids=["full disk", "no permission", "read-only"],
)
def test_os_errors_on_outputs_exit_2_with_the_path(tmp_path, monkeypatch, capsys, exc):
    s1, s2 = tmp_path / "a.geojson", tmp_path / "b.geojson"
    shutil.copy(mapdiff.sample_path("2025-11-20"), s1)
    shutil.copy(mapdiff.sample_path("2025-11-27"), s2)
    before = _digest(tmp_path)
    out = tmp_path / "out" / "diff.gpkg"

    def failing(*args, **kwargs):
        exc.filename = str(out)
        raise exc

    monkeypatch.setattr("mapdiff.io.atomic.tempfile.mkstemp", failing)
    assert main(["compare", str(s1), str(s2), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and exc.strerror in err and "Traceback" not in err
    assert _digest(tmp_path) == before


def test_output_onto_an_input_refused_everywhere(tmp_path, capsys):
    s1, s2 = tmp_path / "a.geojson", tmp_path / "b.geojson"
    shutil.copy(mapdiff.sample_path("2025-11-20"), s1)
    shutil.copy(mapdiff.sample_path("2025-11-27"), s2)
    (tmp_path / "alias.geojson").symlink_to(s2)
    before = _digest(tmp_path)
    for argv in (
        ["compare", str(s1), str(s2), "--out", str(s1)],
        ["compare", str(s1), str(s2), "--out", str(tmp_path / "alias.geojson")],
        ["render", str(s1), str(s2), "--out", str(s2)],  # refused before the suffix check
        ["history", str(tmp_path / "*.geojson"), "--place", "Pokrovsk", "--csv", str(s1), "--workers", "1"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "is an input of this run" in err, err
    a, b = mapdiff.read_map(s1), mapdiff.read_map(s2)
    with pytest.raises(errors.ArgumentError, match="is an input of this run"):
        mapdiff.compare(a, b).to_file(tmp_path / "alias.geojson")
    with pytest.raises(errors.ArgumentError, match="is an input of this run"):
        a.to_file(s1)
    assert _digest(tmp_path) == before


def test_broken_pipe_is_quiet(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapdiff", "place", "--list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc.stdout.read(10)
    proc.stdout.close()  # the reader goes away, as `| head -c 10` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=_SECONDS) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err


# ------------------------------------------------------------------ escaping
def test_html_from_map_content_is_escaped():
    hostile = "<img src=x onerror=alert(1)>"
    m = mapdiff.read_map(ROOT / "tests/data/bad/side_html.geojson")
    assert hostile in [lab.side for lab in m.labels]  # kept as data
    other = mapdiff.read_map(ROOT / "tests/data/bad/duplicate_features.geojson")
    pages = [m._repr_html_(), mapdiff.compare(other, m)._repr_html_()]
    folium = pytest.importorskip("folium")
    from mapdiff.draw.interactive import explore_comparison

    fmap = explore_comparison(mapdiff.compare(other, m), side_b=hostile)
    assert isinstance(fmap, folium.Map)
    pages.append(fmap.get_root().render())
    pytest.importorskip("mapclassify")
    for result in (m, mapdiff.compare(other, m)):  # every result's explore(): legend and tooltips
        pages.append(result.explore().get_root().render())
    for page in pages:
        assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0]


def test_terminal_control_characters_are_stripped(capsys):
    path = ROOT / "tests/data/bad/side_terminal_escape.geojson"
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "RU[2J" in out
    assert main(["info", str(path), "--json"]) == 0
    assert "\x1b" not in capsys.readouterr().out  # JSON escapes it: \u001b


# ------------------------------------------------------------------ the cache
def _profile(path: Path, side: str) -> Path:
    path.write_text(
        f'name = "mine"\n[as_of]\nfile_name = "front_(\\\\d{{8}})"\n'
        f'[[rules]]\nproperty = "status"\nvalues = ["held"]\nlabel = "controlled:{side}"\n'
        '[[rules]]\nproperty = "status"\nvalues = ["far"]\nlabel = "controlled:RU"\n'
    )
    return path


def test_cache_follows_the_profile_content_and_survives_a_flipped_bit(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    rel = tmp_path / "rel"
    rel.mkdir()
    feat = {
        "type": "Feature",
        "properties": {"status": "held"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[37.1, 48.2], [37.3, 48.2], [37.3, 48.4], [37.1, 48.4], [37.1, 48.2]]],
        },
    }
    for day in ("20251101", "20251108"):
        far = json.loads(json.dumps(feat).replace("37.", "36.").replace('"held"', '"far"'))
        body = {"type": "FeatureCollection", "features": [feat, far]}  # RU holds land far away too
        (rel / f"front_{day}.geojson").write_text(json.dumps(body))
    prof = _profile(tmp_path / "mine.toml", "RU")
    dates = ["2025-11-01", "2025-11-08"]

    def share():
        s = mapdiff.Releases(sorted(rel.iterdir()), source=str(prof), dates=dates)
        return s.shares(["Pokrovsk"], "RU", workers=1, quiet=True, cache=True).frame.iloc[:, 0].tolist()

    first = share()
    assert all(v > 0.5 for v in first), first
    entries = lambda: sorted(p for p in (tmp_path / "cache").rglob("*") if p.is_file())  # noqa: E731
    assert entries()
    _profile(prof, "UA")  # edit the rules: the cache must not answer with the old result
    assert share() == [0.0, 0.0]
    _profile(prof, "RU")
    assert share() == first  # and back: the first entries serve again
    for entry in entries():
        data = bytearray(entry.read_bytes())
        data[len(data) // 2] ^= 0x01  # one flipped bit
        entry.write_bytes(bytes(data))
    assert share() == first  # a miss, not a crash nor a wrong number
    # the same through the command line
    argv = ["history", str(rel), "--place", "Pokrovsk", "--source", str(prof), "--workers", "1", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["shares"]["Pokrovsk"] == first
    _profile(prof, "UA")
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["shares"]["Pokrovsk"] == [0.0, 0.0]
    _profile(prof, "RU")
    for entry in entries():
        entry.write_bytes(entry.read_bytes()[:100])  # torn by a crash without fsync
    assert share() == first


# ------------------------------------------------------------------ downloads
DAY, DS_NAME = "2025-11-27", "deepstatemap_data_20251127.geojson"


def _serve(handler):
    srv = _Server(handler)
    return srv, srv.url + "{source}/"


def _answer(body: bytes, *, length: int | None = None, headers: dict | None = None):
    def handler(req):
        req.send_response(200)
        req.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(body)
        req.wfile.flush()
        req.close_connection = True

    return handler


_SAMPLE = mapdiff.sample_path(DAY).read_bytes()


@pytest.mark.parametrize(
    ("handler", "fragment"),
    [
        (_answer(_SAMPLE[:-500], length=len(_SAMPLE)), "announced"),
        (
            _answer(b"<!DOCTYPE html><html><body>rate limited</body></html>"),
            "not a readable deepstate release",
        ),
        (_answer(gzip.compress(_SAMPLE)), "not a readable deepstate release"),
        (_answer(gzip.compress(_SAMPLE), headers={"Content-Encoding": "gzip"}), "gzip-encoded"),
        (_answer(b'{"type": "FeatureCollection", "features": ['), "not a readable"),
        (_answer(mapdiff.sample_path("2025-11-20").read_bytes()), "release of 2025-11-20"),
    ],
    ids=[
        "short body",
        "HTML error page with 200",
        "gzip bytes as .geojson",
        "gzip encoding",
        "truncated JSON",
        "another date's release",
    ],
)
def test_damaged_downloads_are_never_recorded(tmp_path, monkeypatch, capsys, handler, fragment):
    monkeypatch.setenv("MAPDIFF_DATA_DIR", str(tmp_path / "data"))
    srv, base = _serve(handler)
    try:
        with pytest.raises(errors.DownloadError, match=fragment):  # content, not reachability: exit 2
            mapdiff.fetch("deepstate", DAY, base_url=base)
        assert not (tmp_path / "data" / "deepstate" / DS_NAME).exists()
        assert not (tmp_path / "data" / "registry.json").exists()
        monkeypatch.setenv("MAPDIFF_FETCH_BASE_URL", base)
        assert main(["fetch", "deepstate", DAY]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.count("\n") == 1
    finally:
        srv.close()


def _trickler(stop: threading.Event, every_s: float):
    """A handler that promises 1,000 bytes and sends one byte every ``every_s`` seconds
    until ``stop`` is set."""

    def trickle(req):
        req.send_response(200)
        req.send_header("Content-Length", "1000")
        req.end_headers()
        while not stop.is_set():
            try:
                req.wfile.write(b" ")
                req.wfile.flush()
            except OSError:
                return
            stop.wait(every_s)

    return trickle


def test_a_trickling_server_fails_within_the_deadline(tmp_path, monkeypatch):
    stop = threading.Event()
    trickle = _trickler(stop, every_s=2.0)

    monkeypatch.setenv("MAPDIFF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(mapdiff.sources.archives, "_DEADLINE_S", 3)
    srv, base = _serve(trickle)
    try:
        with pytest.raises(errors.FetchError, match="not complete after 3 s"):
            mapdiff.fetch("deepstate", DAY, base_url=base)
    finally:
        stop.set()
        srv.close()
    assert not (tmp_path / "data" / "deepstate" / DS_NAME).exists()


def test_refresh_downloads_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MAPDIFF_DATA_DIR", str(tmp_path / "data"))
    srv, base = _serve(_answer(_SAMPLE))
    try:
        path = mapdiff.fetch("deepstate", DAY, base_url=base)
        assert mapdiff.fetch("deepstate", DAY, base_url=base) == path and len(srv.requests) == 1
        assert mapdiff.fetch("deepstate", DAY, base_url=base, refresh=True) == path
        assert len(srv.requests) == 2
        monkeypatch.setenv("MAPDIFF_FETCH_BASE_URL", base)
        assert main(["fetch", "deepstate", DAY, "--refresh"]) == 0
        assert len(srv.requests) == 3
        assert main(["fetch", "deepstate", DAY, "--refresh", "--offline"]) == 2
        assert "--refresh needs the network" in capsys.readouterr().err
    finally:
        srv.close()
    assert path.read_bytes() == _SAMPLE


# ------------------------------------------------------------------ patterns
def test_profile_patterns_match_a_bounded_prefix():
    from mapdiff import profiles

    p = mapdiff.profiles.load_profile(ROOT / "mapdiff/profiles/deepstate.toml")
    assert p.name == "deepstate"  # the shipped patterns pass the backtracking check
    import re

    import pandas as pd

    col = pd.Series(["x" * 10_000 + "geoJSON.status.occupied", "geoJSON.status.occupied"])
    hits = profiles._search(col, re.compile(r"geoJSON\.status"))
    assert hits.tolist() == [False, True]  # only the first MAX_MATCH_CHARS characters are searched


def test_place_fetch_is_bounded_and_checks_length(tmp_path, monkeypatch, capsys):
    """`place --fetch` goes through the same client: a trickle fails at its deadline, a short
    body is refused, nothing is cached."""
    from mapdiff.places.boundaries import fetch_footprint

    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "cache"))
    stop = threading.Event()
    trickle = _trickler(stop, every_s=0.5)  # each read gets a byte in time: only the deadline stops it

    srv = _Server(trickle)
    try:
        with pytest.raises(errors.FetchError, match="not complete after 3 s"):
            fetch_footprint("Pokrovsk", base_url=srv.url.rstrip("/"), timeout=0.75, refresh=True)
    finally:
        stop.set()
        srv.close()
    srv = _Server(_answer(b"[]", length=200))
    try:
        with pytest.raises(errors.DownloadError, match="announced"):
            fetch_footprint("Pokrovsk", base_url=srv.url.rstrip("/"), refresh=True)
        argv = ["place", "Pokrovsk", "--fetch", "--refresh", "--nominatim-url", srv.url.rstrip("/")]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "announced" in err and "Traceback" not in err and err.count("\n") == 1
    finally:
        srv.close()
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and "Pokrovsk" in p.name]


# ------------------------------------------------------------------ issue 26: PROJ stays offline for input
_NAD27 = (
    '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4267"}},'
    '"features":[{"type":"Feature","properties":{"status":"controlled","side":"RU"},'
    '"geometry":{"type":"Polygon","coordinates":[[[-100,40],[-99.9,40],[-99.9,40.1],[-100,40]]]}}]}'
)


def test_proj_network_stays_off_for_input(tmp_path):
    """With PROJ_NETWORK=ON a NAD27 file would make PROJ fetch a grid (us_noaa_conus.tif)
    from the endpoint; reading it must send nothing (the endpoint is a loopback server)."""
    srv = _Server()
    try:
        p = tmp_path / "nad27.geojson"
        p.write_text(_NAD27)
        env = {
            **os.environ,
            "PROJ_NETWORK": "ON",
            "PROJ_NETWORK_ENDPOINT": srv.url.rstrip("/"),
            "PROJ_USER_WRITABLE_DIRECTORY": str(tmp_path / "proj"),
            "PYTHONPATH": str(ROOT),
        }
        code = (
            "import mapdiff.io.read, pyproj.network as n; assert n.is_network_enabled(); "
            f"mapdiff.io.read.read_raw({str(p)!r}); print('read')"
        )
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=_SECONDS
        )
        assert run.returncode == 0 and "read" in run.stdout, run.stderr[-2000:]
        assert srv.requests == []
        # the same transformation outside mapdiff does go online: the test can fail
        code = "import pyproj; pyproj.Transformer.from_crs(4267, 4326, always_xy=True).transform(-100, 40)"
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=_SECONDS)
        assert srv.requests, "PROJ made no request with the network on: the check above proves nothing"
    finally:
        srv.close()


def test_sides_overlap_is_order_independent_and_said():
    """RU and UA over the same area under equal precedence: the same areas whatever the
    feature order, and a sides_overlap repair with its km² in the report."""
    bad = ROOT / "tests" / "data" / "bad"
    maps = []
    for name in ("sides_overlap_ru_first.geojson", "sides_overlap_ua_first.geojson"):
        with pytest.warns(errors.MapdiffWarning, match="equal precedence"):
            maps.append(mapdiff.read_map(bad / name, as_of="2025-11-27"))
    a, b = ({str(lab): m.area(lab) for lab in m.labels} for m in maps)
    assert a == pytest.approx(b, rel=1e-9) and set(a) == {"controlled:RU", "controlled:UA"}
    for m in maps:
        (rep,) = [r for r in m.report.repairs if r.kind == "sides_overlap"]
        assert rep.area_km2 == pytest.approx(a["controlled:RU"] / 2, rel=1e-3)


# ------------------------------------------------------------------ issue 26: only regular files are replaced
def test_writes_go_through_devices_fifos_and_stdout(tmp_path, capsysbinary):
    """A character device or FIFO is written through, ``-`` is stdout, a symlink's target is
    replaced with the link kept; a folder, a socket and a dangling link are refused."""
    import socket
    import stat

    from mapdiff.io.atomic import write_text

    write_text("/dev/null", "nothing")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still the device (as root it became a file)
    write_text("-", "to stdout\n")
    assert capsysbinary.readouterr().out == b"to stdout\n"

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_text(fifo, "through the pipe")
    reader.join(_SECONDS)
    assert got == [b"through the pipe"] and stat.S_ISFIFO(os.stat(fifo).st_mode)

    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"

    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere.csv")
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        for bad, why in (
            (tmp_path, "folder"),
            (sock_path, "not a regular file"),
            (dangling, "link to nothing"),
        ):
            with pytest.raises(errors.ArgumentError, match=why):
                write_text(bad, "x")
    finally:
        sock.close()
    assert not (tmp_path / "nowhere.csv").exists()


def test_history_csv_to_dev_stdout_prints_the_table(tmp_path, capfd):
    folder = tmp_path / "maps"
    folder.mkdir()
    for date in ("2025-11-20", "2025-11-27"):
        shutil.copy(mapdiff.sample_path(date), folder)
    argv = ["history", str(folder), "--place", "Pokrovsk", "--side", "RU", "--csv", "/dev/stdout"]
    assert main(argv) == 0
    out = capfd.readouterr().out
    assert out.startswith("date,Pokrovsk\n2025-11-20,")


def test_report_out_refuses_an_input_in_the_folder(tmp_path):
    """`report --out DIR` with an input at DIR/report.json: refused before anything is written."""
    old = tmp_path / "report.json"
    shutil.copy(mapdiff.sample_path("2025-11-20"), old)
    new = tmp_path / "new.geojson"
    shutil.copy(mapdiff.sample_path("2025-11-27"), new)
    before = _digest(tmp_path)
    assert main(["report", str(old), str(new), "--out", str(tmp_path), "--no-ledger"]) == 2
    assert _digest(tmp_path) == before and not (tmp_path / "index.html").exists()


def test_csv_cells_are_neutralised():
    """--csv output: formulas prefixed with ', control characters and line breaks gone,
    numbers (negative ones too) untouched; column names and the index alike."""
    import pandas as pd

    from mapdiff.io.write import csv_text

    frame = pd.DataFrame(
        {
            "=1+1": ["@SUM(A1)", "Pokrovsk\x1b[2J", "two\nlines", "+cmd", "plain"],
            "share": [-0.5, 0.1, 0.2, 0.3, 0.4],
        },
        index=pd.Index(["-x", "a", "b", "c", "d"], name="date"),
    )
    text = csv_text(frame)
    rows = text.splitlines()
    assert len(rows) == 6  # no forged line
    assert rows[0] == "date,'=1+1,share"
    assert rows[1] == "'-x,'@SUM(A1),-0.5"
    assert "\x1b" not in text and "two lines" in text and "'+cmd" in text


def test_mathtext_in_names_is_drawn_literally(tmp_path):
    """A side named ``$\\frac{$`` crashed every figure (exit 3, empty message); now drawn as
    written, in a figure returned to the caller and in a saved one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    m = mapdiff.read_map(ROOT / "tests/data/bad/side_mathtext.geojson", as_of="2025-11-27")
    other = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    for ax in (m.plot(), mapdiff.compare(m, other).plot()):
        ax.figure.canvas.draw()
        texts = [t.get_text() for t in ax.figure.findobj(Text)]
        assert any("$\\frac{$" in t for t in texts)
        plt.close(ax.figure)
    out = tmp_path / "x.png"
    src = str(ROOT / "tests/data/bad/side_mathtext.geojson")
    assert main(["render", src, str(mapdiff.sample_path("2025-11-27")), "--out", str(out)]) == 0
    assert out.stat().st_size > 0


def test_a_newline_in_a_name_forges_no_output_line(tmp_path, capsys):
    """A polygon file named "Town\\nverdict: supported" prints as one line."""
    import shapely

    feature = {
        "type": "Feature",
        "properties": {"name": "Town\nverdict: supported\x1b[2J"},
        "geometry": json.loads(shapely.to_geojson(shapely.box(37.16, 48.26, 37.2, 48.3))),
    }
    poly = tmp_path / "town.geojson"
    poly.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert mapdiff.footprint_from_file(poly).name == "Town verdict: supported[2J"
    sample = str(mapdiff.sample_path("2025-11-27"))
    assert main(["claim", sample, "--place", str(poly), "--side", "RU", "--claimed", "50%"]) in (0, 1)
    out = capsys.readouterr().out
    assert not any(line.startswith("verdict: supported") for line in out.splitlines()), out


# ------------------------------------------------------------------ issue 26: hangs and leaks
def test_scheduler_that_never_answers_fails_at_the_deadline(monkeypatch, capsys):
    """A peer that accepts the TCP connection and says nothing hung `history --scheduler`."""
    import socket

    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    monkeypatch.setenv("MAPDIFF_SCHEDULER_TIMEOUT", "2")
    try:
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        folder = str(mapdiff.sample_path("2025-11-27").parent)
        assert main(["history", folder, "--place", "Pokrovsk", "--scheduler", address]) == 2
        err = capsys.readouterr().err
        assert "cannot connect to a dask scheduler" in err and err.count("\n") == 1, err
    finally:
        stop.set()
        t.join(5)
        for c in held:
            c.close()
        server.close()


def _descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for k in map(int, kids):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_pool_workers_die_with_a_killed_history(tmp_path):
    """`kill -9` of `history` left its pool workers running; now they exit with it."""
    import signal

    from conftest import SHARED_DATA

    src = sorted((SHARED_DATA / "deepstate").glob("*.geojson"))[-40:]
    if len(src) < 20:
        pytest.skip(f"real data not available: {SHARED_DATA}/deepstate")
    folder = tmp_path / "maps"
    folder.mkdir()
    for p in src:
        shutil.copy(p, folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MAPDIFF_CACHE_DIR": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "mapdiff", "history", str(folder), "--place", "Pokrovsk", "--workers", "2"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: set[int] = set()
        end = time.monotonic() + 40
        while time.monotonic() < end and len(workers) < 2 and proc.poll() is None:
            workers = {p for p in _descendants(proc.pid) if _alive(p)}
            time.sleep(0.1)
        if proc.poll() is not None:
            pytest.skip("the run ended before its pool started")
        assert workers, "no pool workers seen"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        end = time.monotonic() + 15
        while time.monotonic() < end and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not [p for p in workers if _alive(p)], "pool workers outlived the killed run"
    finally:
        if proc.poll() is None:
            proc.kill()


def _record_many(root: str, prefix: str, n: int) -> None:
    from mapdiff.sources import archives as sources

    for i in range(n):
        sources._record(Path(root), f"{prefix}/{i}", {"sha256": "0" * 64, "url": None, "fetched": None})


def test_concurrent_registry_writes_lose_no_entry(tmp_path):
    """Four processes recording 40 fetches each into one data folder: all 160 entries kept."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_record_many, args=(str(tmp_path), f"p{k}", 40)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(_SECONDS)
        assert p.exitcode == 0
    reg = json.loads((tmp_path / "registry.json").read_text())
    assert len(reg) == 160


def test_every_message_is_bounded(tmp_path, capsys):
    """A 5 MB property name (50 MB in the report) became a 5 MB stderr line; now any
    MapdiffError's text is at most ~2,000 characters on one line."""
    p = tmp_path / "huge.geojson"
    feature = {"type": "Feature", "properties": {"\n" + "x" * 5_000_000: 1}, "geometry": None}
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(errors.MapdiffError) as info:
        mapdiff.read_map(p)
    assert len(str(info.value)) < 2100 and "\n" not in str(info.value)
    assert main(["info", str(p)]) == 2
    err = capsys.readouterr().err
    assert len(err) < 2200 and err.count("\n") == 1
    assert len(str(errors.FormatError("y" * 10**6))) < 2100  # the bound is the base class's
