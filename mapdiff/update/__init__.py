"""``mapdiff update``: keep a static site of every side's newest map current.

:mod:`.config` reads the watch file, :mod:`.discover` finds the releases newer than the
last run, :mod:`.state` keeps what was processed (``state.json``) and the run's lock,
:mod:`.summary` computes the front page's numbers. The command itself
(:mod:`mapdiff.cli.update`) writes the pages (:mod:`mapdiff.draw.site`) and figures.
"""
