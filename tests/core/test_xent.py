"""cross_entropy_loss: PyTorch's semantics from the Python API, and its laws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc import NncalcError, cross_entropy, cross_entropy_loss

LOGITS = [[2.0, 1.0, 0.1], [0.0, 0.0, 5.0], [1.0, 1.0, 1.0]]


def test_python_api_matches_torch_semantics() -> None:
    targets = np.array([2, 0, -100])
    mean = cross_entropy_loss(targets, LOGITS, weight=[1, 2, 3], ignore_index=-100)
    assert mean == 2.991118987638737  # torch 2.13
    assert cross_entropy_loss(targets, LOGITS, ignore_index=-100, reduction="none")[2] == 0.0
    with pytest.raises(NncalcError, match="class-index targets only"):
        cross_entropy_loss([[0.5, 0.5]], [[1.0, 2.0]], ignore_index=0)
    with pytest.raises(NncalcError, match="label smoothing"):
        cross_entropy_loss([0], [[1.0, 2.0]], label_smoothing=2.0)


logit = st.floats(-20, 20, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_no_options_equals_plain_cross_entropy(data: st.DataObject) -> None:
    rows = data.draw(st.integers(1, 5))
    classes = data.draw(st.integers(2, 6))
    logits = np.array(
        data.draw(
            st.lists(
                st.lists(logit, min_size=classes, max_size=classes), min_size=rows, max_size=rows
            )
        )
    )
    targets = np.array(
        data.draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))
    )
    plain = np.mean(cross_entropy(targets, logits, from_logits=True))
    ones = cross_entropy_loss(targets, logits, weight=np.ones(classes))
    assert ones == pytest.approx(plain, rel=1e-13)
    # Uniform weights c cancel in the weighted mean.
    scaled = cross_entropy_loss(targets, logits, weight=np.full(classes, 3.5))
    assert scaled == pytest.approx(plain, rel=1e-13)
    # Smoothing 1 gives the mean of -1/C sum_c log q_c, whatever the targets.
    full = cross_entropy_loss(targets, logits, label_smoothing=1.0)
    log_q = (
        logits
        - np.log(np.sum(np.exp(logits - logits.max(1, keepdims=True)), 1, keepdims=True))
        - logits.max(1, keepdims=True)
    )
    assert full == pytest.approx(float(np.mean(-log_q.mean(axis=1))), rel=1e-12)
