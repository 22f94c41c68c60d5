"""Endless or huge inputs stop at a stated limit, with the limit in the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from nncalc.cli.steps import sgd as sgd_step
from nncalc.core.limits import MAX_LABELS
from nncalc.io import operands
from tests.conftest import one_line_error, run, run_process


def test_labels_file_limit_is_ten_million() -> None:
    assert MAX_LABELS == 10_000_000


def test_a_labels_file_over_the_limit_stops_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operands, "MAX_LABELS", 3)
    labels = tmp_path / "v.txt"
    labels.write_text("a\nb\nc\nd\ne\n")
    line = one_line_error(run("softmax", "1,2", "--labels", f"@{labels}"))
    assert "more than 3 labels" in line and "--labels" in line


def test_sgd_data_over_the_update_limit_stops_with_the_limit() -> None:
    rows = "".join(f"{i},{2 * i}\n" for i in range(150_000))
    line = one_line_error(run("sgd", "--data", "-", input=rows))
    assert "rows of --data already make" in line
    assert f"{sgd_step.SGD_MAX_UPDATES:,}" in line


@pytest.mark.slow
def test_an_endless_sgd_stream_ends_at_the_limit() -> None:
    result = run_process("yes 1,2 | nncalc sgd --data -", timeout=120)
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "rows of --data already make" in message and "1,000,000" in message
