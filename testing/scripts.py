"""The repository's scripts (bench/*.py, scripts/demo.py) imported as modules, for tests that check what they do."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from testing import ROOT


def load_script(name: str, relative: str) -> ModuleType:
    """`relative` (to the repository's root) as module `name`, registered in sys.modules (dataclasses need it)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
