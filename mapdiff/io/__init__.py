"""Reading and writing maps.

- :mod:`mapdiff.io.read.read` — the one reading pipeline (limits → format → profile → clip →
  normalise), :func:`~mapdiff.read_map`;
- :mod:`mapdiff.io.read.kml` — KML/KMZ without extraction or entity expansion;
- :mod:`mapdiff.io.read.profiles` — source profiles (TOML data);
- :mod:`mapdiff.io.read.limits` — input size limits;
- :mod:`mapdiff.io.read.atomic` and :mod:`mapdiff.io.read.write` — atomic writes of every output.

This package imports nothing itself, so the model can use its writers without a cycle.
"""
