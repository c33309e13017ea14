"""``mapdiff completion bash``: the script is valid bash and completes what the parser knows."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import mapdiff.sources.archives
from mapdiff.cli import build_parser, main


@pytest.fixture
def script(capsys, tmp_path):
    assert main(["completion", "bash"]) == 0
    path = tmp_path / "mapdiff.bash"
    path.write_text(capsys.readouterr().out)
    return path


def _complete(script, *words) -> list[str]:
    """What bash offers for ``words`` (the last one being completed), in a clean folder."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    quoted = " ".join(f"'{w}'" for w in words)
    code = (
        f"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); "
        '_mapdiff; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", code], capture_output=True, text=True, check=True, cwd=script.parent)
    return [w for w in out.stdout.splitlines() if w]


def test_script_is_valid_bash(script):
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_completes_every_subcommand_and_its_options(script):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(_complete(script, "mapdiff", "")) >= set(sub.choices)
    assert _complete(script, "mapdiff", "enc") == ["encircle"]
    for name, p in sub.choices.items():
        options = {o for a in p._actions for o in a.option_strings if o.startswith("--")}
        assert set(_complete(script, "mapdiff", name, "--")) == options, name


def test_completes_choices_and_files(script):
    assert _complete(script, "mapdiff", "encircle", "m.geojson", "--grey", "") == ["passable", "blocking"]
    assert _complete(script, "mapdiff", "claim", "m.geojson", "--kind", "enc") == ["encircled"]
    assert sorted(_complete(script, "mapdiff", "fetch", "")) == sorted(mapdiff.sources.archives.ARCHIVES)
    assert {"deepstate", "deepstate_api", "creamy_caprice", "owl", "nzz", "isw"} <= set(
        mapdiff.sources.archives.ARCHIVES
    )
    (script.parent / "deepstate_2025.geojson").write_text("{}")
    assert _complete(script, "mapdiff", "info", "deep") == ["deepstate_2025.geojson"]
