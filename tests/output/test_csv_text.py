"""CSV output quotes text from data with the csv module: it parses back as written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from nncalc.core.model_configs import preset_names
from tests.conftest import ok


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_label_with_a_comma_round_trips() -> None:
    rows = parse(ok("softmax", "1,2,3", "--labels", 'x,y,"dog, big"', "-f", "csv"))
    assert rows[0] == ["x", "y", "dog, big"]
    assert len(rows[1]) == 3


def test_a_label_with_a_quote_round_trips_in_the_top_k_listing() -> None:
    rows = parse(ok("softmax", "1,2,3", "--labels", 'x,say "hi",z', "--top", "2", "-f", "csv"))
    assert rows[0] == ["row", "rank", "class", "index", "value"]
    assert [row[2] for row in rows[1:]] == ["z", 'say "hi"']


def test_header_names_with_a_comma_or_a_quote_round_trip(tmp_path: Path) -> None:
    logits = tmp_path / "logits.csv"
    logits.write_text('x,"dog, big",it\'s "ok"\n1,2,3\n4,5,6\n')
    rows = parse(ok("softmax", f"@{logits}", "-f", "csv"))
    assert rows[0] == ["x", "dog, big", 'it\'s "ok"']
    assert [len(row) for row in rows] == [3, 3, 3]
    labels = json.loads(ok("softmax", f"@{logits}", "-f", "json"))["labels"]
    assert labels == rows[0]


def test_numbers_are_written_exactly_as_before() -> None:
    text = ok("softmax", "1,2,3", "--labels", "a,b,c", "-f", "csv")
    assert text == "a,b,c\n0.09003057317038048,0.24472847105479764,0.6652409557748219\n"


def test_a_record_with_a_comma_in_a_string_round_trips(tmp_path: Path) -> None:
    data = tmp_path / "a,b.csv"
    data.write_text("1,2\n2,4.1\n3,5.9\n4,8.2\n")
    header, values = parse(ok("sgd", "--data", f"@{data}", "--epochs", "2", "-f", "csv"))
    record = dict(zip(header, values, strict=True))
    assert record["data"] == f"@{data}"
    assert record["samples"] == "4"


def test_the_preset_listing_goes_through_csv() -> None:
    rows = parse(ok("embed-params", "--preset", "list", "-f", "csv"))
    assert rows[0][:2] == ["preset", "repo"]
    assert [row[0] for row in rows[1:]] == preset_names()
    assert {len(row) for row in rows} == {len(rows[0])}
