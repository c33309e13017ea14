"""One JSON contract: every ``--json`` output and every ``to_dict()`` has ``schema_version``
and a ``type``, and validates against ``mapdiff/schemas/<type>.schema.json`` (draft 2020-12),
the shipped files that are the one definition of the shapes.

Every CLI subcommand that has ``--json`` is run in process on the shipped samples, so no
real data is needed; a subcommand without a case here fails the test."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

import mapdiff
from mapdiff._json import SCHEMA_VERSION
from mapdiff.cli import _COMMANDS, build_parser, main

jsonschema = pytest.importorskip("jsonschema")

SCHEMAS = Path(mapdiff.__file__).parent / "schemas"  # package data (setup.cfg)
SAMPLES = ROOT / "data" / "samples"
OLD = str(SAMPLES / "deepstatemap_data_20251101_pokrovsk.geojson")
NEW = str(SAMPLES / "deepstatemap_data_20251127_pokrovsk.geojson")


def _schemas() -> dict:
    out = {}
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        out[path.name.removesuffix(".schema.json")] = schema
    return out


SCHEMA = _schemas()


def validate(doc) -> str:
    """Validate ``doc`` against the schema its ``type`` names; returns the type."""
    text = json.dumps(doc, allow_nan=False)  # no NaN or inf anywhere
    doc = json.loads(text)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["type"] in SCHEMA, f"no mapdiff/schemas/{doc['type']}.schema.json"
    validator = jsonschema.Draft202012Validator(
        SCHEMA[doc["type"]], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return doc["type"]


def test_schema_files_name_their_type():
    assert SCHEMA, "no schema in mapdiff/schemas"
    for name, schema in SCHEMA.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["properties"]["type"] == {"const": name, "description": "names the result"}
        assert {"schema_version", "type"} <= set(schema["required"])


def test_shared_definitions_say_the_same_in_every_file():
    """A definition used by several schemas (``date``, ``km2``, ``geometry``...) is written
    in each file: every copy must be the same, and every ``$ref`` must resolve."""
    seen: dict = {}
    for name, schema in SCHEMA.items():
        defs = schema.get("$defs", {})
        for key, value in defs.items():
            first = seen.setdefault(key, (name, value))
            assert value == first[1], f"$defs/{key} differs in {name} and {first[0]}"
        refs = set(re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(schema)))
        assert refs <= set(defs), f"{name}: unresolved {refs - set(defs)}"
        assert set(defs) <= refs, f"{name}: unused $defs {set(defs) - refs}"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A release cache holding the 27 Nov sample under the archive's name (for fetch --offline)."""
    import datetime as dt

    from mapdiff.sources.archives import ARCHIVES

    root = tmp_path / "cache"
    name = ARCHIVES["deepstate"].filename(dt.date(2025, 11, 27))
    (root / "deepstate").mkdir(parents=True)
    shutil.copy(NEW, root / "deepstate" / name)
    monkeypatch.setenv("MAPDIFF_DATA_DIR", str(root))
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path / "measures"))
    return root


LEDGER = (
    "who,claimant,date,place,side,kind,value,quote,language,source,source_url\n"
    "Test,Test,2025-11-27,Pokrovsk,RU,share,70%,q,en,s,\n"
    "Test,Test,2025-11-27,Myrnohrad,RU,encircled,,q,en,s,\n"
)


def _ledger(tmp: Path) -> str:
    path = tmp / "ledger.csv"
    if tmp.is_dir() and not path.exists():
        path.write_text(LEDGER, encoding="utf-8")
    return str(path)


def _watch(tmp: Path) -> str:
    path = tmp / "watch.toml"
    if tmp.is_dir() and not path.exists():
        (tmp / "ds").mkdir()
        shutil.copy(OLD, tmp / "ds")
        shutil.copy(NEW, tmp / "ds")
        path.write_text(
            'site = "site"\nplaces = ["Pokrovsk"]\nledger = false\n[sources.deepstate]\npath = "ds"\n'
        )
    return str(path)


def cases(tmp: Path) -> dict:
    """argv per subcommand, and the type its --json prints."""
    maps = f"deepstate={SAMPLES / '*.geojson'}"
    return {
        "info": ([NEW], "map_info"),
        "compare": ([OLD, NEW, "--place", "Pokrovsk", "--out", str(tmp / "c.gpkg")], "comparison"),
        "claim": ([NEW, "--place", "Pokrovsk", "--side", "RU", "--claimed", "70%"], "claim_check"),
        "encircle": ([NEW, "--place", "Myrnohrad", "--by", "RU"], "encirclement"),
        "history": ([str(SAMPLES / "*.geojson"), "--place", "Pokrovsk", "--side", "RU"], "share_series"),
        "lag": (
            [f"a={SAMPLES / '*.geojson'}", str(SAMPLES), "--place", "Pokrovsk", "--no-cache"],
            "source_lag",
        ),
        "changes": ([OLD, NEW, "--place", "Pokrovsk"], "changes"),
        "render": ([OLD, NEW, "--place", "Pokrovsk", "--out", str(tmp / "r.png"), "--dpi", "40"], "render"),
        "place": (["Pokrovsk"], "footprint"),
        "regions": ([OLD, NEW, "--level", "raion", "--parent", "Donetsk Oblast"], "region_shares"),
        "fetch": (["deepstate", "2025-11-27", "--offline"], "fetch"),
        "claims": ([_ledger(tmp), "--maps", maps], "claims_report"),
        "track": ([_ledger(tmp), "--maps", maps, "--no-cache", "--quiet", "--workers", "1"], "tracking"),
        "report": ([OLD, NEW, "--out", str(tmp / "report"), "--no-ledger", "--top", "1"], "report_written"),
        "update": ([_watch(tmp)], "update"),
    }


def _json_commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return {name for name, p in sub.choices.items() if "--json" in p._option_string_actions}


def test_every_subcommand_with_json_has_a_case(tmp_path):
    build_parser()
    assert set(cases(tmp_path)) == _json_commands()
    assert _json_commands() <= set(_COMMANDS)


SLOW = {"report", "update"}  # draw and save their figures


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(c, marks=pytest.mark.slow) if c in SLOW else c
        for c in sorted(cases(Path("/nonexistent")))
    ],
)
def test_cli_json_validates(command, tmp_path, capsys, cache):
    argv, kind = cases(tmp_path)[command]
    code = main([command, *argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    doc = json.loads(out)
    assert validate(doc) == kind
    if kind == "report_written":  # the report.json it wrote is a release_report
        written = json.loads(Path(doc["json"]).read_text(encoding="utf-8"))
        assert validate(written) == "release_report" and written == doc["report"]


def test_place_list_json_validates(capsys):
    assert main(["place", "--list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert validate(doc) == "gazetteer" and any(p["name"] == "Pokrovsk" for p in doc["places"])


def test_claim_encircled_json_validates(capsys):
    assert main(["claim", NEW, "--place", "Myrnohrad", "--side", "RU", "--kind", "encircled", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert validate(doc) == "claim_check" and doc["kind"] == "encircled"
    assert validate(doc["detail"]) == "encirclement"
    assert doc["detail"]["corridor_line"]["type"] == "LineString"  # GeoJSON, not WKT


@pytest.mark.parametrize(
    "argv",
    [
        ["claim", NEW, "--place", "Pokrovsk", "--side", "RU"],  # a share claim with no value
        ["claim", NEW, "--place", "Nowhere-on-any-map", "--side", "RU", "--claimed", "70%"],
        ["compare", OLD, str(SAMPLES / "missing.geojson")],
    ],
)
def test_errors_under_json_validate(argv, capsys):
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 2
    doc = json.loads(captured.out)
    assert validate(doc) == "error" and doc["exit_code"] == 2
    assert doc["message"] in captured.err  # the same message on stderr


def test_to_dict_of_every_result_validates():
    from mapdiff.claims.ledger import Claim, Ledger, check_claims
    from mapdiff.history.releases import Releases

    old, new = mapdiff.read_map(OLD), mapdiff.read_map(NEW)
    series = Releases(str(SAMPLES / "*.geojson"))
    shares = series.shares(["Pokrovsk"], "RU", cache=False, quiet=True)
    results = [
        new,
        mapdiff.compare(old, new, aoi="Pokrovsk"),
        mapdiff.compare(old, new),  # no named place: aoi is null
        mapdiff.compare_many([old, new, mapdiff.read_map(mapdiff.sample_path("2025-11-20"))], aoi="Pokrovsk"),
        mapdiff.check_claim(new, "Pokrovsk", "RU", claimed=0.7),
        mapdiff.check_claim(new, "Pokrovsk", "RU", kind="captured"),
        mapdiff.check_claim(new, "Myrnohrad", "RU", kind="encircled"),
        mapdiff.encirclement(new, "Myrnohrad", by="RU"),
        mapdiff.footprint("Pokrovsk"),
        mapdiff.changes(old, new, aoi="Pokrovsk"),
        series.changes(aoi="Pokrovsk", cache=False, quiet=True),
        shares,
        mapdiff.source_lag(shares, shares),
        Ledger((Claim("RU MoD", new.as_of, "Pokrovsk", "RU", "share", 0.7),)),
        check_claims(Ledger((Claim("RU MoD", new.as_of, "Pokrovsk", "RU", "share", 0.7),)), [new]),
    ]
    seen = {validate(r.to_dict()) for r in results}
    assert seen == {
        "map_info",
        "comparison",
        "many_comparison",
        "claim_check",
        "encirclement",
        "footprint",
        "changes",
        "change_table",
        "share_series",
        "source_lag",
        "ledger",
        "claims_report",
    }


def test_kind_keeps_one_meaning():
    """``kind`` is the kind of a claim; footprints say ``footprint_kind``, repairs ``repair``."""
    new = mapdiff.read_map(NEW)
    assert "kind" not in mapdiff.footprint("Pokrovsk").to_dict()
    assert "kind" not in json.dumps(new.to_dict())
    assert "kind" not in mapdiff.changes(mapdiff.read_map(OLD), new).to_dict()
    assert mapdiff.check_claim(new, "Pokrovsk", "RU", claimed=0.7).to_dict()["kind"] == "share"


def test_claim_across_maps_and_consensus_validate():
    import shapely

    from mapdiff import normalise
    from mapdiff.labels import Label

    maps = [mapdiff.read_map(p) for p in (OLD, NEW)]
    across = mapdiff.check_claim_all(maps, "Pokrovsk", "Russia", "70%", date="2025-11-27")
    assert validate(across.to_dict()) == "claim_across_maps"
    cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    ms = [
        normalise([(Label("controlled", "RU"), shapely.box(37.0, 48.0, x, 48.2))], coverage=cov, source=s)
        for x, s in ((37.1, "a"), (37.15, "b"))
    ]
    assert validate(mapdiff.consensus(ms, aoi=cov).to_dict()) == "consensus"


def test_cli_claim_on_every_map_validates(capsys):
    code = main(["claim", OLD, NEW, "--place", "Pokrovsk", "--side", "RU", "--claimed", "70%", "--json"])
    assert code == 0
    assert validate(json.loads(capsys.readouterr().out)) == "claim_across_maps"
