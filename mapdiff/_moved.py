"""Old module paths that moved, kept importable for one release with a ``DeprecationWarning``.

``import mapdiff.series`` gives the module that now lives at ``mapdiff.history.releases``
(the same object, so patching it patches the new one).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: old module -> where it lives now
MODULES = {
    "mapdiff.across": "mapdiff.claims.across",
    "mapdiff.agreement": "mapdiff.comparison.agreement",
    "mapdiff.cache": "mapdiff.io.cache",
    "mapdiff.change": "mapdiff.history.change",
    "mapdiff.classes": "mapdiff.model.classes",
    "mapdiff.io.limits": "mapdiff.config",
    "mapdiff.io.profiles": "mapdiff.profiles",
    "mapdiff.lag": "mapdiff.history.lag",
    "mapdiff.ledger": "mapdiff.claims.ledger",
    "mapdiff.measure": "mapdiff.model.measure",
    "mapdiff.regional": "mapdiff.history.regions",
    "mapdiff.report": "mapdiff.history.report",
    "mapdiff.samples": "mapdiff.sources.samples",
    "mapdiff.scope": "mapdiff.places.scope",
    "mapdiff.series": "mapdiff.history.releases",
    "mapdiff.tracker": "mapdiff.claims.tracker",
}


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = MODULES[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; the old path is removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module):
        pass  # the module was run under its new name


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
