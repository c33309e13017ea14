"""The bad-input corpus: every row of tests/data/bad/README.md, checked.

The table is the specification; this module only knows how to build each input (files in
``tests/data/bad`` or the ``gen_*`` generators below), how to make each call, and how to
judge the outcome. A raw GEOS, pyogrio, JSON or Python error fails the row.
"""

from __future__ import annotations

import functools
import io
import os
import re
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import mapdiff
from mapdiff import errors
from mapdiff.io.limits import Limits

BAD = Path(__file__).parent / "data" / "bad"
SQUARE = shapely.box(37.1, 48.2, 37.2, 48.3)
_KML_BODY = (
    '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
    "<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>"
    "37.1,48.2 37.2,48.2 37.2,48.3 37.1,48.2</coordinates></LinearRing>"
    "</outerBoundaryIs></Polygon></Placemark></Document></kml>"
)


# ------------------------------------------------------------------ the table
def _rows() -> list[dict]:
    rows = []
    for line in (BAD / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("case", "") or set(cells[0]) <= {"-"}:
            continue
        rows.append(dict(zip(("case", "input", "call", "expect", "fragment"), cells, strict=True)))
    return rows


ROWS = _rows()


def test_table_is_large_and_names_real_files():
    assert len(ROWS) >= 30
    cases = [r["case"] for r in ROWS]
    assert len(set(cases)) == len(cases), "case names must be unique"
    used = set()
    for r in ROWS:
        src = r["input"]
        if src.startswith("gen:"):
            assert callable(globals().get("gen_" + src[4:])), f"no generator gen_{src[4:]}"
        elif src != "-" and not src.startswith("sample:"):
            assert (BAD / src).is_file(), f"{src} is in the table but not in tests/data/bad"
            used.add(src)
    on_disk = {p.name for p in BAD.iterdir() if p.name != "README.md"}
    assert on_disk <= used, f"files in tests/data/bad that no row uses: {sorted(on_disk - used)}"


# ------------------------------------------------------------------ generators
def gen_zip_without_map(d: Path) -> Path:
    p = d / "notes.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "no map in here")
    return p


def gen_shapefile_no_prj(d: Path) -> Path:
    p = d / "front.shp"
    gdf = gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[SQUARE], crs=4326)
    gdf.to_file(p)  # test fixture, not library output
    p.with_suffix(".prj").unlink()
    return p


def _kmz(d: Path, name: str, member: str, body: bytes) -> Path:
    p = d / name
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, body)
    return p


def gen_kmz_traversal(d: Path) -> Path:
    return _kmz(d, "climb.kmz", "../../outside/doc.kml", _KML_BODY.encode())


def gen_kmz_absolute(d: Path) -> Path:
    return _kmz(d, "absolute.kmz", "/tmp/doc.kml", _KML_BODY.encode())


def gen_kmz_bomb(d: Path) -> Path:
    p = _kmz(d, "bomb.kmz", "doc.kml", b"\0" * (8 * 2**20))
    assert p.stat().st_size < 20_000  # small on disk
    return p


def gen_huge_ring(d: Path) -> Path:
    ring = shapely.segmentize(SQUARE, 0.4 / 200_000)  # ~200,000 vertices, same area
    assert shapely.get_num_coordinates(ring) > 150_000
    p = d / "huge_ring.geojson"
    p.write_text(
        gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[ring], crs=4326).to_json()
    )
    return p


# ------------------------------------------------------------------ calls
@functools.cache
def _samples():
    return tuple(mapdiff.read_map(p) for p in mapdiff.sample_paths())


def _input(src: str, tmp_path: Path):
    if src == "-":
        return None
    if src.startswith("gen:"):
        return globals()["gen_" + src[4:]](tmp_path)
    if src.startswith("sample:"):
        return mapdiff.sample_path(src[7:])
    return BAD / src


def _value(text: str):
    if text in ("True", "False"):
        return text == "True"
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def _call(spec: str, path, monkeypatch):
    name, *args = spec.split()
    kwargs = {}
    for a in args:
        key, _, val = a.partition("=")
        if key.startswith("env:"):
            monkeypatch.setenv(key[4:], val)
        elif key.startswith("limits."):
            kwargs["limits"] = Limits(**{key[7:]: int(val)})
        else:
            kwargs[key] = _value(val)
    if name == "read_map":
        return mapdiff.read_map(path, **kwargs)
    if name == "load_profile":
        return mapdiff.load_profile(path)
    if name == "read_ledger":
        return mapdiff.read_ledger(path)
    if name == "footprint":
        return mapdiff.footprint(kwargs["name"])
    if name == "check_claim":
        return mapdiff.check_claim(mapdiff.read_map(path), kwargs.pop("place"), **kwargs)
    if name == "encirclement":
        return mapdiff.encirclement(mapdiff.read_map(path), kwargs.pop("place"), **kwargs)
    if name == "check_claims":
        assert kwargs.pop("maps") == "samples"
        return mapdiff.check_claims(path, list(_samples()), **kwargs)
    if name == "validate_ledger":
        return mapdiff.validate_ledger(path)
    if name == "compare_disjoint":  # two maps 200 km apart, each with its own coverage
        ua, ru = mapdiff.Label("controlled", "UA"), mapdiff.Label("controlled", "RU")
        a, b = (
            mapdiff.normalise(
                [(ru, shapely.box(x, 48.0, x + 0.1, 48.2))],
                source=src,
                coverage=shapely.box(x, 48.0, x + 0.2, 48.2),
                background=ua,
            )
            for x, src in ((37.0, "a"), (40.0, "b"))
        )
        return mapdiff.compare(a, b)
    if name == "source_lag_disjoint":
        import numpy as np
        import pandas as pd

        def series(start):
            return pd.DataFrame(
                {"Pokrovsk": np.linspace(0, 1, 30)}, index=pd.date_range(start, periods=30, freq="D")
            )

        return mapdiff.source_lag(series("2024-01-01"), series("2025-06-01"))
    raise AssertionError(f"the table names an unknown call {name!r}")


def _held_km2(m) -> float:
    """km² drawn under the map's own labels (not its background)."""
    return sum(m.area(lab) for lab in m.labels)


def _check_result(row, result):
    key, _, want = row["fragment"].partition("=")
    if key == "area":
        assert _held_km2(result) == pytest.approx(float(want), rel=1e-3)
    elif key == "disagreement":
        d = result.disagreement_km2
        assert want == "scope" and d["real"] == 0.0 and d["noise"] == 0.0
        assert d["scope"] == pytest.approx(result.aoi_km2, rel=1e-6) and d["total"] > 0
    elif key == "verdict":
        verdicts = set(result.to_frame()["verdict"])
        assert verdicts == {want}, verdicts
    else:
        raise AssertionError(f"result rows need area= or verdict=, not {row['fragment']!r}")


@pytest.mark.parametrize("row", ROWS, ids=[r["case"] for r in ROWS])
def test_bad_input(row, tmp_path, monkeypatch):
    expect = row["expect"]
    if expect == "pending":
        pytest.skip(row["fragment"])
    path = _input(row["input"], tmp_path)
    frag = row["fragment"].lower()
    if expect in ("ok", "warn") or expect.startswith("repair:"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _call(row["call"], path, monkeypatch)
        ours = [w for w in caught if issubclass(w.category, errors.MapdiffWarning)]
        if expect == "warn":
            assert ours and any(frag in str(w.message).lower() for w in ours), caught
            return
        assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]
        if expect.startswith("repair:"):
            kinds = {r.kind for r in result.report.repairs}
            assert expect[7:] in kinds, kinds
        _check_result(row, result)
        return
    cls = getattr(errors, expect)
    assert issubclass(cls, errors.MapdiffError)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray warnings on the way to the error either
        with pytest.raises(errors.MapdiffError) as info:
            _call(row["call"], path, monkeypatch)
    assert isinstance(info.value, cls), f"{type(info.value).__name__}: {info.value}"
    msg = str(info.value)
    assert frag in msg.lower(), msg
    if path is not None and not row["input"].startswith("sample:"):
        assert Path(path).name in msg, f"the message does not name the file: {msg}"
    assert "Traceback" not in msg and "\n" not in msg.strip()


# ------------------------------------------------------------------ beyond the table
def test_stream_over_the_byte_limit_is_not_read_whole():
    class Stream(io.BytesIO):
        name = "upload.geojson"
        asked = None

        def read(self, n=-1):
            Stream.asked = n
            return super().read(n)

    with pytest.raises(errors.InputLimitError, match=r"upload\.geojson: .* over the limit of 1,000 bytes"):
        mapdiff.read_map(Stream(b" " * 2000), limits=Limits(max_bytes=1000))
    assert Stream.asked == 1001


def test_set_limits_and_raised_are_restored(tmp_path):
    p = gen_huge_ring(tmp_path)
    old = mapdiff.set_limits(max_vertices=1000)
    try:
        with pytest.raises(errors.InputLimitError, match="set_limits"):
            mapdiff.read_map(p)
        with mapdiff.io.limits.raised(max_vertices=None, max_feature_vertices=None):
            assert _held_km2(mapdiff.read_map(p)) == pytest.approx(82.58, rel=1e-3)
        with pytest.raises(errors.InputLimitError):
            mapdiff.read_map(p)
    finally:
        mapdiff.set_limits(old)
    assert mapdiff.io.limits._override is old


def test_profiles_are_data_not_code():
    """Profile loading never evaluates, executes or imports anything a profile names."""
    src = Path(mapdiff.io.profiles.__file__).read_text(encoding="utf-8")
    for word in (
        "eval(",
        "exec(",
        "__import__",
        "import_module",
        "getattr(",
        "pickle",
        "subprocess",
        "os.system",
        "compile(source",
    ):
        assert word not in src, f"mapdiff/profiles/__init__.py uses {word}"
    toml_text = "\n".join(
        p.read_text(encoding="utf-8") for p in Path(mapdiff.io.profiles.__file__).parent.glob("*.toml")
    )
    assert not re.search(r"\b(import|lambda|eval|exec)\b", toml_text)


def test_profile_keys_cannot_name_code(tmp_path):
    """Whatever key a profile tries, the loader knows only its data keys."""
    for key in ("function", "module", "callable", "python", "script", "plugin"):
        p = tmp_path / f"{key}.toml"
        p.write_text(f'name = "x"\n{key} = "os:system"\n[[rules]]\nstatus_column = "status"\n')
        with pytest.raises(errors.ProfileError, match=rf"unknown key\(s\) \['{key}'\]"):
            mapdiff.load_profile(p)
        r = tmp_path / f"rule_{key}.toml"
        r.write_text(f'name = "x"\n[[rules]]\nstatus_column = "status"\n{key} = "os:system"\n')
        with pytest.raises(errors.ProfileError, match=r"rules\[0\]"):
            mapdiff.load_profile(r)


def test_kml_reader_never_resolves_entities(tmp_path):
    """Even without a DOCTYPE check, nothing from the file system reaches the result."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    kml = (BAD / "kml_xxe.kml").read_text().replace("file:///etc/passwd", secret.as_uri())
    p = tmp_path / "xxe.kml"
    p.write_text(kml)
    with pytest.raises(errors.FormatError) as info:
        mapdiff.read_map(p)
    assert "TOPSECRET" not in str(info.value)


def test_fetchers_talk_only_to_declared_hosts():
    from mapdiff import sources

    hosts = {a.host for a in sources.ARCHIVES.values()}
    assert hosts and all(hosts)
    for url in (
        "https://evil.example.com/x.geojson",
        "http://" + next(iter(hosts)) + "/x",
        "file:///etc/passwd",
        "ftp://" + next(iter(hosts)) + "/x",
        "https://" + next(iter(hosts)) + ".evil.example.com/x",
    ):
        with pytest.raises(errors.FetchError, match="declared list of archive hosts"):
            sources._check_url(url)
    sources._check_url("https://" + next(iter(hosts)) + "/data/x.geojson")
    sources._check_url("http://127.0.0.1:8000/x.geojson")


def test_env_var_limits_are_honoured(monkeypatch, tmp_path):
    p = gen_huge_ring(tmp_path)
    monkeypatch.setenv("MAPDIFF_MAX_FEATURE_VERTICES", "1000")
    with pytest.raises(errors.InputLimitError, match="MAPDIFF_MAX_FEATURE_VERTICES"):
        mapdiff.read_map(p)
    monkeypatch.setenv("MAPDIFF_MAX_FEATURE_VERTICES", "0")  # 0 = no limit
    assert _held_km2(mapdiff.read_map(p)) == pytest.approx(82.58, rel=1e-3)


def test_limits_to_dict():
    d = Limits().to_dict()
    assert d["schema_version"] == 1 and d["max_bytes"] == 512 * 2**20
    assert os.environ.get("MAPDIFF_MAX_BYTES") is None


@pytest.mark.parametrize(
    "name", ["truncated.geojson", "kml_xxe.kml", "deep_nesting.json", "unknown_geometry_type.geojson"]
)
def test_cli_bad_input_exits_2_without_traceback(name, cli):
    proc = cli("info", BAD / name)  # an uncaught exception would fail here: the traceback
    assert proc.returncode == 2, proc.stderr
    assert name in proc.stderr


def test_history_reads_obey_the_limits(tmp_path, monkeypatch):
    """Series/history read release bytes themselves; the limits still apply."""
    from mapdiff.io.read import _read_bytes

    p = gen_huge_ring(tmp_path)
    monkeypatch.setenv("MAPDIFF_MAX_VERTICES", "1000")
    with pytest.raises(errors.InputLimitError, match=r"huge_ring\.geojson"):
        _read_bytes(p.read_bytes(), p.name, None, str(p))
