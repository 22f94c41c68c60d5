"""distillation_loss: the Python API, its laws, and the log-domain KL behind it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc import NncalcError, distillation_loss, kl_divergence, softmax
from nncalc.core.distill import kl_log_rows


def test_python_api() -> None:
    assert distillation_loss([2, 1, 0.1], [1.5, 1.2, 0.3], 0, temperature=2, alpha=0.7) == (
        pytest.approx(0.2568548734481938, rel=1e-15)
    )
    batch = distillation_loss([[1, 2], [2, 1]], [[1, 2], [1, 2]], [0, 1])
    assert batch.shape == (2,)
    with pytest.raises(NncalcError, match="alpha must be in"):
        distillation_loss([1, 2], [1, 2], 0, alpha=2)


logit = st.floats(-30, 30, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_alpha_one_t_one_equals_kl_of_softmaxes(data: st.DataObject) -> None:
    width = data.draw(st.integers(2, 8))
    teacher = data.draw(st.lists(logit, min_size=width, max_size=width))
    student = data.draw(st.lists(logit, min_size=width, max_size=width))
    label = data.draw(st.integers(0, width - 1))
    value = distillation_loss(teacher, student, label, temperature=1.0, alpha=1.0)
    reference = kl_divergence(softmax(teacher), softmax(student))
    assert value >= 0.0
    assert value == pytest.approx(reference, rel=1e-9, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.lists(logit, min_size=2, max_size=8), st.floats(0.1, 50))
def test_soft_term_is_zero_for_identical_logits(teacher: list[float], t: float) -> None:
    assert distillation_loss(teacher, teacher, temperature=t) == 0.0


def test_log_domain_kl_with_masked_classes() -> None:
    with np.errstate(divide="ignore"):
        log_p = np.log(np.array([[0.5, 0.5, 0.0]]))
    log_q = np.log(np.array([[0.25, 0.5, 0.25]]))
    assert kl_log_rows(log_p, log_q)[0] == pytest.approx(0.5 * math.log(2), rel=1e-15)
    assert kl_log_rows(log_q, log_p)[0] == math.inf
