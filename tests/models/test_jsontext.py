"""gwpipelines.jsontext.dumps writes what json.dumps(value, indent=2) writes, to the byte (every command's JSON
output goes through it: external tests compare it)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwpipelines.models import jsontext

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=30
)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_same_text_as_json_dumps_indent_2(value: Any) -> None:
    assert jsontext.dumps(value) == json.dumps(value, indent=2)


@pytest.mark.parametrize(
    "value",
    [{}, [], (), {"a": []}, {"a": {}}, [[], [[]]], 'é\u2028"\\\n', -0.0, math.inf, -math.inf, 10**30, ("t", 1)],
)
def test_edge_values(value: Any) -> None:
    assert jsontext.dumps(value) == json.dumps(value, indent=2)


def test_what_json_cannot_write_is_refused_alike() -> None:
    with pytest.raises(TypeError):
        json.dumps({"x": object()}, indent=2)
    with pytest.raises(TypeError):
        jsontext.dumps({"x": object()})
    with pytest.raises(TypeError):
        jsontext.dumps({("tuple", "key"): 1})
