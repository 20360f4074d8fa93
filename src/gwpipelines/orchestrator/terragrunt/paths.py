"""Paths while expressions are evaluated: absolute and virtual, the repository root being `ROOT`; and what a
`terraform.source` names (a local folder, or a remote module that no change in the repository reaches)."""

from __future__ import annotations

import posixpath
import re

from gwpipelines.models.units import CONFIG_NAME, unit_config, unit_name

__all__ = ["CONFIG_NAME", "ROOT", "unit_config", "unit_name"]

ROOT = "/@repo"  # the repository root, as an absolute path, while expressions are evaluated


def abs_dir(rel_dir: str) -> str:
    return ROOT if rel_dir in ("", ".") else f"{ROOT}/{rel_dir}"


ROOT_SLASH = ROOT + "/"
ROOT_CUT = len(ROOT_SLASH)


def rel_of(abs_path: str) -> str | None:
    """Repository-relative form of a normalised absolute path, None when it lies outside the repository."""
    if abs_path.startswith(ROOT_SLASH):
        return abs_path[ROOT_CUT:]
    return "" if abs_path == ROOT else None


def join(base_dir: str, path: str) -> str:
    """The normalised absolute path of `path` from `base_dir` (itself normalised and absolute). Most paths need
    no normalising: normpath runs only where a `.` segment, `//` or a trailing slash may be."""
    joined = path if path.startswith("/") else f"{base_dir}/{path}"
    if "/." in joined or "//" in joined or joined.endswith("/"):
        return posixpath.normpath(joined)
    return joined


def parent(abs_path: str) -> str:
    """posixpath.dirname of a normalised absolute path, without its generality."""
    return abs_path[: abs_path.rfind("/")] or "/"


def display(abs_path: str) -> str:
    rel = rel_of(abs_path)
    return abs_path if rel is None else (rel or ".")


def relpath(target: str, start: str) -> str:
    return posixpath.relpath(target, start)


# ---------------------------------------------------------------------------------------------------------------
# Scopes: one file being evaluated on behalf of one config (the including unit, or the read file itself).


def outside(config_dir: str, path: str) -> str:
    """A dependency outside the repository: relative to the repository root (`../x`), worked out lexically because
    normalising the virtual absolute path would drop `..` segments above `/`; a real absolute path stays as written."""
    if path == ROOT or path.startswith(ROOT + "/"):
        return posixpath.normpath(path[len(ROOT) + 1 :] or ".")
    if path.startswith("/"):
        return posixpath.normpath(path)
    return posixpath.normpath(f"{rel_of(config_dir) or '.'}/{path}")


REMOTE = re.compile(r"^(?:[a-z0-9]+::|[a-z][a-z0-9+.-]*://|git@|github\.com/|bitbucket\.org/|tfr:)", re.I)
TF_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"', re.M)


def is_remote(source: str) -> bool:
    return bool(REMOTE.match(source)) and not source.startswith("file::")


def local_source(source: str) -> str | None:
    """The module folder of a local `terraform.source` (the subdir of `path//subdir`), or None for a remote one."""
    if source.startswith("file::"):
        source = source[len("file::") :]
    elif is_remote(source):
        return None
    source = source.split("?", 1)[0]
    subdir = ""
    lead = len(source) - len(source.lstrip("/"))
    if "//" in source[lead:]:  # "path//subdir": the module is path/subdir (what its .tf files call is followed)
        source, subdir = source[:lead] + source[lead:].split("//", 1)[0], source[lead:].split("//", 1)[1]
    # Terraform reads a bare name with two slashes (ns/name/provider) as a registry address.
    bare = not source.startswith(("/", "./", "../")) and source not in (".", "..")
    if bare and source.count("/") == 2:
        return None
    return f"{source}/{subdir}" if subdir.strip("/") else source
