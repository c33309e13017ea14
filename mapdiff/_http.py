"""The one HTTP client: every download mapdiff makes (archive releases, place boundaries).

* **Declared hosts only.** A caller passes the hosts it may contact; those are reached
  over https, a loopback address (``localhost``, ``127.0.0.0/8``, ``::1``; tests and
  local mirrors) over http or https, and never through a configured proxy. Every
  redirect target is checked the same way before it is followed.
* **Bounded.** A size cap (the response is refused, and nothing is kept, past it), a
  per-read socket timeout, and ONE overall deadline per download: a server that trickles
  bytes cannot hold a call for longer than ``deadline_s``.
* **Whole and plain.** A body shorter or longer than its ``Content-Length`` is refused,
  and so is a ``Content-Encoding`` mapdiff did not ask for (gzip bytes would otherwise
  be stored as ``.geojson``). :func:`download` runs the caller's ``validate`` on the
  complete file before it is renamed into place, so nothing unparsed is ever kept.
* **Offline.** ``MAPDIFF_OFFLINE=1`` (or ``offline=True``) refuses before any socket opens.
* Failures raise :class:`~mapdiff.errors.FetchError` naming the URL, what happened and
  (``hint=``) what still works. Decisions are logged to ``logging.getLogger("mapdiff")``
  at DEBUG.

Plain :mod:`urllib`: no extra dependency for a few GETs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import config
from ._version import __version__
from .errors import ArgumentError, DownloadError, FetchError
from .io.atomic import atomic_path

__all__ = ["check_url", "download", "get", "is_loopback", "offline"]

log = logging.getLogger("mapdiff")

USER_AGENT = f"mapdiff/{__version__} (+https://pypi.org/project/mapdiff)"
_BLOCK = 1 << 16


def offline() -> bool:
    """Is ``MAPDIFF_OFFLINE`` set (to anything but empty or ``0``)?"""
    return config.setting("MAPDIFF_OFFLINE")


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP address (``127.0.0.1``, ``127.5.5.5``, ``::1``).

    >>> is_loopback("127.0.0.2"), is_loopback("example.org")
    (True, False)
    """
    host = host.lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, hosts: Iterable[str], *, what: str = "server") -> None:
    """Refuse (``ArgumentError``: exit 2, not "unreachable") a URL that is not https to one of
    ``hosts`` or http(s) to loopback.

    >>> check_url("https://example.org/x", ["example.org"])
    >>> check_url("http://example.org/x", ["example.org"])
    Traceback (most recent call last):
    ...
    mapdiff.errors.ArgumentError: refusing to fetch 'http://example.org/x': ...
    """
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = sorted(h.lower() for h in hosts)
    if host and is_loopback(host) and parts.scheme in ("http", "https"):
        return
    if host in allowed and parts.scheme == "https":
        return
    raise ArgumentError(
        f"refusing to fetch {url!r}: host {host or '(none)'!r} is not in mapdiff's declared list of "
        f"{what}s ({', '.join(allowed)}, over https), nor a loopback mirror"
    )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, hosts: tuple[str, ...], what: str):
        super().__init__()
        self.hosts, self.what = hosts, what

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_url(newurl, self.hosts, what=self.what)
        except ArgumentError as exc:  # the server's doing, not the caller's: bad content
            raise DownloadError(f"{req.full_url} redirected: {exc}") from None
        log.debug("following redirect %s -> %s", req.full_url, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _blocks(
    url: str,
    *,
    hosts: Iterable[str],
    what: str,
    max_bytes: int,
    timeout_s: float,
    deadline_s: float,
    accept: str | None,
    hint: str,
    not_found: str | None,
    offline_ok: bool,
) -> Iterator[bytes]:
    hosts = tuple(hosts)
    if offline_ok and offline():
        raise FetchError(f"offline (MAPDIFF_OFFLINE is set): not fetching {url}")
    check_url(url, hosts, what=what)
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    handlers: list = [_CheckedRedirects(hosts, what)]
    if is_loopback(host):
        handlers.append(urllib.request.ProxyHandler({}))  # a local mirror is reached directly
    opener = urllib.request.build_opener(*handlers)
    headers = {"User-Agent": USER_AGENT, **({"Accept": accept} if accept else {})}
    end = time.monotonic() + deadline_s
    log.debug("fetching %s (cap %d MB, deadline %g s)", url, max_bytes // 2**20, deadline_s)
    try:
        with opener.open(
            urllib.request.Request(url, headers=headers), timeout=min(timeout_s, deadline_s)
        ) as resp:
            final = resp.geturl()
            if final != url:
                try:
                    check_url(final, hosts, what=what)
                except ArgumentError as exc:
                    raise DownloadError(f"{url} redirected: {exc}") from None
            encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
            if encoding not in ("identity", ""):
                raise DownloadError(
                    f"{url}: the server sent {encoding}-encoded content, which mapdiff did not ask "
                    f"for; refused (nothing kept); {hint}"
                )
            announced = (resp.headers.get("Content-Length") or "").strip()
            size = 0
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise FetchError(f"{url}: not complete after {deadline_s:g} s; {hint}")
                # no single read may outlive the overall deadline: shorten the socket's timeout
                # (SocketIO keeps the socket as ``_sock``; without it a read is still
                # bounded by ``timeout_s``)
                sock = getattr(getattr(resp.fp, "raw", None), "_sock", None)
                if sock is not None:
                    sock.settimeout(min(timeout_s, left))
                block = resp.read1(_BLOCK)  # what has arrived: a trickle cannot stall a big read
                if not block:
                    break
                size += len(block)
                if size > max_bytes:
                    raise DownloadError(f"{url} is larger than {max_bytes // 2**20} MB; refused")
                yield block
            if announced.isdigit() and size != int(announced):
                raise DownloadError(
                    f"{url}: received {size:,} bytes but the server announced {int(announced):,} "
                    f"(Content-Length): the download is damaged, nothing was kept; {hint}"
                )
    except (FetchError, DownloadError, ArgumentError):
        raise
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and not_found:
            raise FetchError(f"{url}: not found (404): {not_found}") from None
        raise FetchError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        if time.monotonic() >= end:
            raise FetchError(f"{url}: not complete after {deadline_s:g} s; {hint}") from None
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot reach {url} ({reason}); {hint}") from None
    log.debug("fetched %s: %d bytes", url, size)


def get(
    url: str,
    *,
    hosts: Iterable[str],
    what: str = "server",
    max_bytes: int = 32 * 2**20,
    timeout_s: float = 30.0,
    deadline_s: float = 120.0,
    accept: str | None = None,
    hint: str = "are you offline?",
    not_found: str | None = None,
) -> bytes:
    """The body of ``url`` (small responses), under the checks above."""
    return b"".join(
        _blocks(
            url,
            hosts=hosts,
            what=what,
            max_bytes=max_bytes,
            timeout_s=timeout_s,
            deadline_s=deadline_s,
            accept=accept,
            hint=hint,
            not_found=not_found,
            offline_ok=True,
        )
    )


def download(
    url: str,
    target: Path,
    *,
    hosts: Iterable[str],
    what: str = "server",
    max_bytes: int = 512 * 2**20,
    timeout_s: float = 60.0,
    deadline_s: float = 600.0,
    hint: str = "are you offline?",
    not_found: str | None = None,
    validate=None,
) -> str:
    """Stream ``url`` into ``target`` atomically (never a half file); its sha256 (hex).

    ``validate(path)``, if given, is called on the complete temporary file before it is
    renamed over ``target``; whatever it raises leaves ``target`` untouched.
    """
    h = hashlib.sha256()
    size = 0
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as out:
            for block in _blocks(
                url,
                hosts=hosts,
                what=what,
                max_bytes=max_bytes,
                timeout_s=timeout_s,
                deadline_s=deadline_s,
                accept=None,
                hint=hint,
                not_found=not_found,
                offline_ok=True,
            ):
                size += len(block)
                h.update(block)
                out.write(block)
        if size == 0:
            raise DownloadError(f"{url} returned an empty file")
        if validate is not None:
            validate(tmp)
    return h.hexdigest()
