"""Escaping for GitHub-flavoured markdown, one function per context (pure).

Everything a pull request can write is hostile here: unit paths, file names, tool output, failure messages. Each
function makes text inert where it goes, so it can add no link, image, @mention, HTML or structure (a table cell, a
closed code fence) to a comment, an issue or a job summary. GitHub links @mentions and bare URLs in any text that is
not code, after rendering: a word joiner (U+2060) after `@` and inside `://` and `www.` keeps them words.
"""

from __future__ import annotations

import html
import re

_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_NEWLINES = re.compile(r"[\r\n]+")
_BACKTICKS = re.compile(r"`+")


def _defuse(text: str) -> str:
    """No @mention, URL or www. autolink survives GitHub's post-processing of text nodes."""
    text = text.replace("@", "@" + _JOINER).replace("://", ":" + _JOINER + "//")
    return re.sub(r"(?i)\bwww\.", lambda m: m.group(0)[:3] + _JOINER + ".", text)


def one_line(text: str) -> str:
    return _NEWLINES.sub(" ", text).strip()


def text(value: object) -> str:
    """Plain inline text: every ASCII punctuation character backslash-escaped (CommonMark allows it for all of
    them), newlines folded, links and mentions defused."""
    return _PUNCTUATION.sub(r"\\\1", _defuse(one_line(str(value))))


def table_text(value: object) -> str:
    """Text in a table cell: `text` already escapes `|`, which would otherwise end the cell."""
    return text(value)


def code(value: object) -> str:
    """An inline code span holding `value` exactly (one line): its fence is longer than any backtick run inside,
    padded when the value starts or ends with a backtick or a space. Code is never linked or mentioned."""
    body = one_line(str(value)) or " "
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(body)), default=0)
    fence = "`" * (longest + 1)
    if body[0] in "` " or body[-1] in "` ":
        body = f" {body} "
    return f"{fence}{body}{fence}"


def table_code(value: object) -> str:
    """A code span in a table cell: GFM splits cells on `|` even inside code, unless it is escaped (the table
    parser removes the backslash again)."""
    return code(value).replace("|", "\\|")


def html_text(value: object) -> str:
    """Text inside raw HTML (`<summary>`): markdown is not parsed there, HTML is; entities for `& < > " '`."""
    return html.escape(_defuse(one_line(str(value))), quote=True)


def mermaid_label(value: object) -> str:
    """A node label inside `["..."]` in a ```mermaid block: mermaid's own `#code;` entities for the quote, the
    brackets of HTML, `#` itself and the backtick (three of which would close the markdown fence)."""
    codes = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;", "&": "#amp;"}
    return "".join(codes.get(ch, ch) for ch in one_line(str(value)))


def fence(block: str) -> str:
    """The backtick fence for a code block holding `block` as is: longer than any backtick run in it."""
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(block)), default=0)
    return "`" * max(3, longest + 1)


FILTERS = {
    "md_text": text,
    "md_cell": table_text,
    "md_code": code,
    "md_cell_code": table_code,
    "md_html": html_text,
    "md_mermaid": mermaid_label,
    "md_fence": fence,
}
