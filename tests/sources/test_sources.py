"""Fetchers against a loopback HTTP server: download, cache hit, corruption, offline, hosts."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading

import pytest
from conftest import SHARED_DATA

import mapdiff
from mapdiff.errors import ArgumentError, DownloadError, FetchError, MapdiffWarning, UnknownSourceError
from mapdiff.sources.archives import cached_path, fetch

DAY = "2025-11-27"
DS_NAME = "deepstatemap_data_20251127.geojson"


class _Server:
    def __init__(self, root):
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

        handler = functools.partial(Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A loopback mirror serving <source>/<file>, and an empty cache in MAPDIFF_DATA_DIR."""
    served = tmp_path / "served"
    (served / "deepstate").mkdir(parents=True)
    # the shipped sample stands in for an archive file (same format, small)
    shutil.copy(mapdiff.sample_path(DAY), served / "deepstate" / DS_NAME)
    cache = tmp_path / "cache"
    monkeypatch.setenv("MAPDIFF_DATA_DIR", str(cache))
    monkeypatch.delenv("MAPDIFF_FETCH_BASE_URL", raising=False)
    srv = _Server(served)
    srv.base = srv.url + "{source}/"
    srv.served = served
    srv.cache = cache
    yield srv
    srv.close()


def test_fresh_download_then_cache_hit(mirror):
    path = fetch("deepstate", DAY, base_url=mirror.base)
    assert path == mirror.cache / "deepstate" / DS_NAME
    assert path.read_bytes() == (mirror.served / "deepstate" / DS_NAME).read_bytes()
    assert mirror.requests == [f"/deepstate/{DS_NAME}"]
    reg = json.loads((mirror.cache / "registry.json").read_text())
    assert reg[f"deepstate/{DS_NAME}"]["sha256"] == mapdiff.sources.archives._sha256(path)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp left
    again = fetch("deepstate", "20251127", base_url=mirror.base)
    assert again == path and len(mirror.requests) == 1  # no second request
    m = mapdiff.read_map(path)
    assert m.source == "deepstate" and str(m.as_of) == DAY


def test_corrupted_cache_is_detected_and_refetched(mirror):
    path = fetch("deepstate", DAY, base_url=mirror.base)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # a truncated copy
    with pytest.raises(DownloadError, match="corrupted"):
        fetch("deepstate", DAY, offline=True)
    with pytest.warns(MapdiffWarning, match="does not match"):
        again = fetch("deepstate", DAY, base_url=mirror.base)
    assert again.read_bytes() == good and len(mirror.requests) == 2


def test_offline_names_what_is_missing(mirror):
    with pytest.raises(FetchError) as err:
        fetch("nzz", DAY, offline=True)
    msg = str(err.value)
    assert "offline" in msg and str(cached_path("nzz", DAY)) in msg and "2025-11-27" in msg
    assert mirror.requests == []


def test_missing_release_is_a_fetch_error(mirror):
    with pytest.raises(FetchError, match="404"):
        fetch("isw", "2023-05-19", base_url=mirror.base)
    assert not (mirror.cache / "isw" / "20230519.geojson").exists()


@pytest.mark.parametrize(
    "url",
    ["https://example.com/data/", "http://raw.githubusercontent.com/x/", "file:///etc/", "http://10.0.0.1/"],
)
def test_other_hosts_are_refused(mirror, url):
    with pytest.raises(ArgumentError, match="refusing"):
        fetch("deepstate", DAY, base_url=url)
    assert mirror.requests == []


def test_bad_source_and_date(mirror):
    with pytest.raises(UnknownSourceError, match="deepstate"):
        fetch("nosuch", DAY)
    with pytest.raises(
        mapdiff.errors.ArgumentError, match=r"fetch date .27/11/2025. is not a date; write YYYY-MM-DD"
    ):
        fetch("deepstate", "27/11/2025")


def test_file_names_follow_the_archives(mirror):
    assert cached_path("deepstate", DAY).name == DS_NAME
    assert cached_path("nzz", DAY).name == "2025-11-27.json"
    assert cached_path("isw", "2023-05-19").name == "20230519.geojson"


@pytest.mark.realdata
def test_real_archive_copies(mirror, _cli):
    for src, rel in (("nzz", "nzz/2025-11-27.json"), ("isw", "isw/20230519.geojson")):
        if not (SHARED_DATA / rel).exists():
            pytest.skip(f"real data not available: {SHARED_DATA / rel}")
        (mirror.served / src).mkdir(exist_ok=True)
        shutil.copy(SHARED_DATA / rel, mirror.served / src / rel.split("/")[1])
    m = mapdiff.read_map(fetch("nzz", DAY, base_url=mirror.base))
    assert m.source == "nzz"
    assert fetch("isw", "2023-05-19", base_url=mirror.base).stat().st_size > 1e6


@pytest.fixture
def _cli(cli):
    return cli


def test_cli_fetch(mirror, _cli):
    env = {"MAPDIFF_DATA_DIR": str(mirror.cache), "MAPDIFF_FETCH_BASE_URL": mirror.base}
    r = _cli("fetch", "deepstate", DAY, "--json", env=env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["path"].endswith(DS_NAME) and d["source"] == "deepstate" and len(d["sha256"]) == 64
    r = _cli("fetch", "nzz", DAY, "--offline", env=env)
    assert r.returncode == 4 and "not in the cache" in r.stderr
    out = mirror.cache.parent / "copy"
    r = _cli("fetch", "deepstate", DAY, "--offline", "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert (out / DS_NAME).exists() and str(out / DS_NAME) in r.stdout


def test_file_names_of_the_new_archives(mirror):
    assert cached_path("deepstate_api", DAY).name == "deepstatemap_data_20251127_polygons.geojson"
    assert cached_path("creamy_caprice", "2025-11-26").name == "Control_25_11_26.kml"
    assert cached_path("owl", DAY).name == "20251127.json"
    assert mapdiff.sources.archives.ARCHIVES["owl"].base_url.startswith(
        "https://raw.githubusercontent.com/owlmaps/"
    )


def test_new_archives_download_verify_and_read(mirror):
    # small stand-ins in each format, served by the loopback mirror
    owl = {"areas": [[[48.0, 37.0], [48.0, 37.1], [48.1, 37.1], [48.0, 37.0]]], "areas_ua": []}
    (mirror.served / "owl").mkdir()
    (mirror.served / "owl" / "20251127.json").write_text(json.dumps(owl))
    api = {
        "type": "FeatureCollection",
        "name": "deepstatemap_data_20251127_polygons",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Unknown status"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[37.0, 48.0], [37.1, 48.0], [37.1, 48.1], [37.0, 48.0]]],
                },
            }
        ],
    }
    (mirror.served / "deepstate_api").mkdir()
    (mirror.served / "deepstate_api" / "deepstatemap_data_20251127_polygons.geojson").write_text(
        json.dumps(api)
    )
    for source in ("owl", "deepstate_api"):
        path = fetch(source, DAY, base_url=mirror.base)
        assert mapdiff.read_map(path).source == source
        n = len(mirror.requests)
        assert fetch(source, DAY, base_url=mirror.base) == path and len(mirror.requests) == n  # cached
    # a corrupted cached copy is detected and fetched again
    path = fetch("owl", DAY, base_url=mirror.base)
    path.write_text("{}")
    with pytest.warns(MapdiffWarning, match="corrupt|changed|match"):
        again = fetch("owl", DAY, base_url=mirror.base)
    assert json.loads(again.read_text()) == owl
    with pytest.raises(FetchError):
        fetch("creamy_caprice", "2025-11-26", base_url=mirror.base)  # not served: a clear error
