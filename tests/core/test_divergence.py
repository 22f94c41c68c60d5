"""entropy and js_divergence: their laws (hypothesis) and subnormal edge cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc import entropy, js_divergence


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12).filter(lambda v: sum(v) > 0))
def test_entropy_bounds(weights: list[float]) -> None:
    h = entropy(weights, normalize=True)
    assert 0.0 <= h <= math.log(len(weights)) * (1 + 1e-12)


# Subnormal entries are left to the test below: M = P/2 + Q/2 underflows there.
probabilities = st.floats(0.0, 1.0, allow_subnormal=False)


distributions = st.lists(probabilities, min_size=2, max_size=8)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_js_symmetric_bounded_non_negative(data: st.DataObject) -> None:
    p = data.draw(distributions.filter(lambda v: sum(v) > 0))
    q = data.draw(st.lists(probabilities, min_size=len(p), max_size=len(p)))
    if sum(q) == 0:
        q[0] = 1.0
    forward = js_divergence(p, q, normalize=True)
    backward = js_divergence(q, p, normalize=True)
    assert 0.0 <= forward <= math.log(2)
    assert forward == pytest.approx(backward, rel=1e-12, abs=1e-300)
    assert js_divergence(p, p, normalize=True) == pytest.approx(0.0, abs=1e-15)


def test_js_of_identical_rows_with_a_subnormal_entry_is_zero() -> None:
    assert js_divergence([1.0, 5e-324], [1.0, 5e-324], normalize=True) == 0.0
