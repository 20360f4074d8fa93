"""Finds extensions through the `gwpipelines.extensions` entry-point group. Built-ins register there too (see
pyproject.toml), so a pip-installed extension loads exactly like ours. A broken one fails here, named."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata

from gwpipelines import __version__
from gwpipelines.errors import ExtensionLoadError as ExtensionLoadError
from gwpipelines.extensions.base import Extension, ExtensionConfig

GROUP = "gwpipelines.extensions"


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        raise ValueError(f"'{text}' is not a dotted version number") from None


def discovered(entry_points: Iterable[metadata.EntryPoint] | None = None) -> dict[str, metadata.EntryPoint]:
    """Extension name -> entry point (not loaded: importing is deferred to the extensions a run uses)."""
    eps = metadata.entry_points(group=GROUP) if entry_points is None else entry_points
    return {ep.name: ep for ep in eps}


def load(name: str, entry_points: Iterable[metadata.EntryPoint] | None = None) -> type[Extension]:
    found = discovered(entry_points)
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise ExtensionLoadError(
            f"extension '{name}' is not installed (installed: {known}); pip-install the package that provides it"
        )
    ep = found[name]
    try:
        cls = ep.load()
    except Exception as e:
        raise ExtensionLoadError(f"extension '{name}' ({ep.value}) failed to import: {type(e).__name__}: {e}") from e
    check(name, cls, ep.value)
    return cls  # type: ignore[no-any-return]


def check(name: str, cls: object, where: str, core: str = __version__) -> None:
    """Refuse what would fail later, at load time and with the extension's name: wrong type, bad config model,
    unsupported core version."""
    if not (isinstance(cls, type) and issubclass(cls, Extension)):
        raise ExtensionLoadError(f"extension '{name}' ({where}) is not a subclass of gwpipelines Extension")
    if not (isinstance(cls.Config, type) and issubclass(cls.Config, ExtensionConfig)):
        raise ExtensionLoadError(f"extension '{name}' ({where}): Config must subclass ExtensionConfig")
    if not cls.actions:
        raise ExtensionLoadError(f"extension '{name}' ({where}) declares no actions it can run")
    try:
        low, high, have = _version(cls.core_min), _version(cls.core_max), _version(core)
    except ValueError as e:
        raise ExtensionLoadError(f"extension '{name}' ({where}): bad core version range: {e}") from None
    if not low <= have < high:
        raise ExtensionLoadError(
            f"extension '{name}' ({where}) supports gwpipelines >={cls.core_min},<{cls.core_max}, "
            f"not {core}; install a version of it made for gwpipelines {core}"
        )
