"""mapdiff/_http.py: the one HTTP client (declared hosts, size cap, one deadline, offline)."""

from __future__ import annotations

import http.server
import logging
import threading
import time

import pytest

from mapdiff import _http
from mapdiff.errors import ArgumentError, DownloadError, FetchError


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"x" * 1000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/trickle":
            for i in range(len(body)):
                try:
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.05)
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_get_from_a_loopback_mirror_logs_the_fetch(server, monkeypatch, caplog):
    monkeypatch.delenv("MAPDIFF_OFFLINE", raising=False)
    with caplog.at_level(logging.DEBUG, logger="mapdiff"):
        assert _http.get(server + "/ok", hosts=()) == b"x" * 1000
    assert any("fetched" in r.getMessage() and "1000 bytes" in r.getMessage() for r in caplog.records)


def test_one_deadline_for_the_whole_download(server, monkeypatch, tmp_path):
    """Each byte arrives well within the per-read timeout, but the whole takes ~50 s."""
    monkeypatch.delenv("MAPDIFF_OFFLINE", raising=False)
    target = tmp_path / "slow.bin"
    with pytest.raises(FetchError, match=r"not complete after 0\.3 s"):
        _http.download(server + "/trickle", target, hosts=(), timeout_s=5, deadline_s=0.3)
    assert not target.exists() and list(tmp_path.iterdir()) == []  # nothing half-written


def test_size_cap_refuses_and_keeps_nothing(server, monkeypatch, tmp_path):
    monkeypatch.delenv("MAPDIFF_OFFLINE", raising=False)
    with pytest.raises(DownloadError, match="larger than"):
        _http.download(server + "/ok", tmp_path / "big.bin", hosts=(), max_bytes=999)
    assert list(tmp_path.iterdir()) == []


def test_offline_refuses_before_any_socket(monkeypatch):
    monkeypatch.setenv("MAPDIFF_OFFLINE", "1")
    with pytest.raises(FetchError, match="MAPDIFF_OFFLINE"):
        _http.get("http://127.0.0.1:9/x", hosts=())


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/x",  # declared host, but not https
        "https://example.org.evil.test/x",
        "https://evil.test/x",
        "file:///etc/passwd",
        "ftp://example.org/x",
    ],
)
def test_only_declared_hosts_over_https_or_loopback(url):
    with pytest.raises(ArgumentError, match="declared list of archive hosts"):
        _http.check_url(url, ["example.org"], what="archive host")


@pytest.mark.parametrize(
    "url", ["https://example.org/x", "http://localhost:8/x", "http://127.1.2.3/x", "http://[::1]:8/x"]
)
def test_declared_and_loopback_urls_pass(url):
    _http.check_url(url, ["example.org"])
