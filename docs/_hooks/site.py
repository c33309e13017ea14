"""MkDocs hook for the mapdiff site: the notebook gallery and the JSON Schema page.

* **Gallery.** Every ``notebooks/*.ipynb`` of the repository becomes a page
  ``notebooks/<name>/`` (rendered by mkdocs-jupyter from its *stored* outputs, never
  executed here), is added to the "Gallery" section of the navigation, and is listed on
  ``gallery/index.md`` where that page says ``<!-- mapdiff:gallery -->``. A notebook
  added to ``notebooks/`` appears on the next build without touching ``mkdocs.yml``.
* **JSON Schemas.** Every ``mapdiff/schemas/*.json`` (shipped with the package) is
  summarised (title, description, top-level properties) where ``json-output.md`` says
  ``<!-- mapdiff:schemas -->``, with a link to the file and the full schema folded away,
  and published as is at ``schemas/<name>``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.mapdiff")

GALLERY_MARKER = "<!-- mapdiff:gallery -->"
SCHEMAS_MARKER = "<!-- mapdiff:schemas -->"
NOTEBOOK_DIR = "notebooks"   # site path of the notebook pages, as in the repository


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _notebooks(config) -> list[Path]:
    return sorted((_root(config) / "notebooks").glob("*.ipynb"))


def _schemas(config) -> list[Path]:
    return sorted((_root(config) / "mapdiff" / "schemas").glob("*.json"))


def _notebook_info(path: Path) -> tuple[str, str, int]:
    """(title, first paragraph, number of stored outputs) of a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    title, summary = path.stem.replace("_", " ").capitalize(), ""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        lines = "".join(cell.get("source", "")).strip().splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# "):
                title = line[2:].strip()
                rest = [x for x in lines[i + 1:] if x.strip()]
                summary = rest[0].strip() if rest and not rest[0].startswith("#") else ""
                break
        break
    outputs = sum(len(c.get("outputs", [])) for c in nb.get("cells", []) if c.get("cell_type") == "code")
    return title, summary, outputs


def on_config(config):
    """Add one navigation entry per notebook to the "Gallery" section."""
    entries = [{_notebook_info(p)[0]: f"{NOTEBOOK_DIR}/{p.name}"} for p in _notebooks(config)]
    for item in config.nav or []:
        if isinstance(item, dict) and "Gallery" in item and isinstance(item["Gallery"], list):
            item["Gallery"] = [e for e in item["Gallery"] if not _is_notebook_entry(e)] + entries
    return config


def _is_notebook_entry(entry) -> bool:
    return isinstance(entry, dict) and any(str(v).endswith(".ipynb") for v in entry.values())


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files, config):
    """Make each notebook a file of the site, at ``notebooks/<name>/`` as in the repository.

    The file is read in place from the repository's ``notebooks/`` (``src_dir`` is the
    repository root), so nothing is copied into ``docs/``; so are the JSON Schemas, from
    ``mapdiff/schemas/`` to ``schemas/``.
    """
    root = str(_root(config))
    for path in _notebooks(config):
        uri = f"{NOTEBOOK_DIR}/{path.name}"
        if files.get_file_from_path(uri) is None:
            files.append(File(uri, root, config.site_dir, config.use_directory_urls))
    for path in _schemas(config):  # mapdiff/schemas/x.json -> schemas/x.json
        files.append(File(f"schemas/{path.name}", str(path.parent.parent), config.site_dir,
                          config.use_directory_urls))
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.endswith(".ipynb"):
        return markdown
    if GALLERY_MARKER in markdown:
        markdown = markdown.replace(GALLERY_MARKER, _gallery_markdown(config))
    if SCHEMAS_MARKER in markdown:
        markdown = markdown.replace(SCHEMAS_MARKER, _schemas_markdown(config))
    return markdown


def _gallery_markdown(config) -> str:
    rows = []
    for path in _notebooks(config):
        title, summary, outputs = _notebook_info(path)
        state = (f"{outputs} stored outputs" if outputs
                 else "stored without outputs: code and text only")
        line = f"- [{title}](../{NOTEBOOK_DIR}/{path.name}) (`notebooks/{path.name}`; {state})"
        rows.append(line + (f"  \n  {summary}" if summary else ""))
    return "\n".join(rows) if rows else "No notebook in `notebooks/` yet."


def _type_of(spec: dict) -> str:
    if "const" in spec:
        return f"`{json.dumps(spec['const'])}`"
    if "enum" in spec:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in spec["enum"])
    t = spec.get("type")
    if isinstance(t, list):
        return " \\| ".join(t)
    if t:
        return t
    if "$ref" in spec:
        return f"`{spec['$ref']}`"
    for key in ("oneOf", "anyOf"):
        if key in spec:
            return " \\| ".join(_type_of(s) for s in spec[key])
    return ""


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _schemas_markdown(config) -> str:
    paths = _schemas(config)
    if not paths:
        return "Schemas are added per result type; none is in `mapdiff/schemas/` yet."
    out = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            schema = json.loads(text)
        except ValueError as exc:  # a broken schema must break the build, not vanish
            raise ValueError(f"mapdiff/schemas/{path.name} is not valid JSON: {exc}") from exc
        title = schema.get("title") or path.stem
        out.append(f"## {_cell(title)}\n")
        out.append(f"File: [`schemas/{path.name}`](schemas/{path.name})"
                   + (f" · `$id`: `{schema['$id']}`" if "$id" in schema else "") + "\n")
        if schema.get("description"):
            out.append(schema["description"].strip() + "\n")
        props = schema.get("properties") or {}
        if props:
            required = set(schema.get("required", []))
            out.append("| property | type | required | description |\n|---|---|---|---|")
            for name, spec in props.items():
                spec = spec if isinstance(spec, dict) else {}
                out.append(f"| `{name}` | {_type_of(spec)} | {'yes' if name in required else ''} "
                           f"| {_cell(spec.get('description', ''))} |")
            out.append("")
        out.append(f'??? note "Full schema: {path.name}"\n\n    ```json')
        out.extend("    " + line for line in text.rstrip().splitlines())
        out.append("    ```\n")
    return "\n".join(out)


def on_serve(server, config, builder):
    """``mkdocs serve``: rebuild when a notebook changes."""
    server.watch(str(_root(config) / "notebooks"))
    return server
