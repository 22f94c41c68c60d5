"""JSON Lines operands: arrays or objects of numbers, one row per line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nncalc.errors import NncalcError
from nncalc.io.tensors import is_tensor_operand, open_tensor
from tests.io.tensor_helpers import read_all


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def jsonl(text: str, name: str = "p.jsonl") -> str:
    Path(name).write_text(text, encoding="utf-8")
    return "@" + name


def error_text(text: str) -> str:
    with pytest.raises(NncalcError) as caught:
        read_all(text)
    return str(caught.value)


def test_arrays_are_rows() -> None:
    reader, rows = read_all(jsonl("[0.1, 0.9]\n[1, 0]\n[0.5e-3, 2E2]\n"), limit=2)
    assert (reader.shape, reader.rows, reader.columns, reader.labels) == ((3, 2), 3, 2, None)
    assert rows.tolist() == [[0.1, 0.9], [1.0, 0.0], [0.0005, 200.0]]


def test_objects_name_their_classes_and_other_fields_are_ignored() -> None:
    text = '{"id": "a", "cat": 0.2, "dog": 0.8}\n{"dog": 0.4, "id": "b", "cat": 0.6}\n'
    reader, rows = read_all(jsonl(text, "q.ndjson"))
    assert reader.labels == ["cat", "dog"]
    assert rows.tolist() == [[0.2, 0.8], [0.6, 0.4]]


def test_blank_lines_are_skipped_and_errors_give_row_and_line() -> None:
    text = "\n[1, 2]\n   \n[3, 4]\n\n[5]\n"
    with open_tensor(jsonl(text), "P") as reader:
        assert reader.rows == 3
        chunk = reader.read_chunk(2)
        assert chunk is not None and chunk.lines == [2, 4]
        with pytest.raises(NncalcError) as caught:
            reader.read_chunk(2)
    assert str(caught.value) == (
        "P row 3 (line 6): '@p.jsonl': 1 value, but the first row has 2 "
        "(rows must all be the same length)"
    )


def test_non_finite_numbers_read_as_nncalc_writes_them() -> None:
    _, rows = read_all(jsonl('[NaN, Infinity, -Infinity, "nan", "inf", "-inf"]\n'))
    assert math.isnan(rows[0, 0]) and math.isnan(rows[0, 3])
    assert rows[0, [1, 2, 4, 5]].tolist() == [math.inf, -math.inf, math.inf, -math.inf]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]\n[1, true]\n", "P row 2, column 2: 'true': not a number"),
        ("[1, 2]\n[null, 1]\n", "P row 2, column 1: 'null': not a number"),
        ('[1, 2]\n[1, "2"]\n', "P row 2, column 2: '\"2\"': not a number"),
        ("[1, 2]\n[1, 2\n", "P row 2: '@p.jsonl': not valid JSON"),
        ('[1, 2]\n{"a": 1, "b": 2}\n', "a JSON object, but the first row is an array"),
        ('{"a": 1}\n[1]\n', "not a JSON object, as the first row is"),
        (
            '{"a": 1, "b": 2}\n{"a": 1}\n',
            "P row 2: '@p.jsonl': no field \"b\", as the first row has",
        ),
        ('{"a": 1}\n{"a": 1, "z": 2}\n', 'field "z" is a number but not in the first row'),
        ('{"a": 1}\n{"a": "x"}\n', "P row 2, column 1: '\"x\"': not a number"),
        ("7\n", "P row 1: '@p.jsonl': not a JSON array or object of numbers"),
        ("[1, [2]]\n", "P row 1, column 2: '[2]': not a number"),
        (b"[1, 2]\n[\xff]\n".decode("latin-1"), "not valid JSON"),
    ],
)
def test_bad_rows_are_errors(text: str, message: str) -> None:
    assert message in error_text(jsonl(text))


def test_huge_integers_are_errors_not_tracebacks() -> None:
    assert "P row 1, column 2: '1000000000000" in error_text(
        jsonl("[1, " + "1" + "0" * 400 + "]\n")
    )


def test_an_empty_file_has_no_rows_and_a_bom_is_dropped() -> None:
    reader, rows = read_all(jsonl(""))
    assert (reader.rows, reader.columns) == (0, 0) and rows.shape == (0, 0)
    Path("b.jsonl").write_bytes(b"\xef\xbb\xbf[1, 2]\n[3, 4]")
    reader, rows = read_all("@b.jsonl")
    assert rows.tolist() == [[1, 2], [3, 4]]


def test_jsonl_is_recognised_by_extension_and_takes_no_name() -> None:
    jsonl("[1]\n")
    assert is_tensor_operand("p.jsonl") and is_tensor_operand("x.ndjson")
    assert "nothing to name after ':'" in error_text("@p.jsonl:x")


def test_wide_rows_and_many_chunks() -> None:
    rng = np.random.default_rng(3)
    table = rng.standard_normal((25, 300))
    jsonl("".join("[" + ",".join(repr(v) for v in row) + "]\n" for row in table.tolist()))
    reader, rows = read_all("@p.jsonl", limit=7)
    assert np.array_equal(rows, table)
    assert reader.done
