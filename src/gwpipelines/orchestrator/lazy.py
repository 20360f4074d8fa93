"""A package's names imported from their modules on first use (PEP 562): a run that finds both sides in the cache
never pays for the parser's, the scanner's or the evaluator's imports (a sixth of a warm orchestrate)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def exports(package: str, home: Mapping[str, str]) -> Callable[[str], object]:
    """The module-level `__getattr__` of `package`, which finds each name of `home` (name -> its module, relative
    to the package) on first use and keeps it in the package, so that the next use is a plain attribute."""

    def __getattr__(name: str) -> object:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
