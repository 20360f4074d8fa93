"""The Jinja2 environment for everything gwpipelines posts to GitHub: templates are package data under
`gwpipelines/templates/`; code builds plain data, templates decide the markdown."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from gwpipelines import markdown


@cache
def environment() -> jinja2.Environment:
    # Markdown, not HTML: no autoescaping; a missing variable is a bug, so StrictUndefined.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gwpipelines", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Escaping per markdown context (`| md_code`, `| md_html`...): templates choose it where they place a value.
    env.filters.update(markdown.FILTERS)
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def macro(name: str, macro_name: str) -> Any:
    """One macro of a template, called on its own (e.g. a table section when a comment is split)."""
    return getattr(environment().get_template(name).module, macro_name)
