"""CSV as the world writes it: quotes, separators, headers (SPEC §2, §9 "Tables")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nncalc.errors import NncalcError
from tests.conftest import one_line_error, run
from tests.io.table_helpers import Trickle, error, labels, read_all, reader_of, rows, stream_reader

# --- quoted fields ----------------------------------------------------------------


def test_quoted_header_names_lose_their_quotes_and_keep_commas() -> None:
    assert labels('"a,b",c\n0.5,0.5\n') == ["a,b", "c"]


def test_doubled_quotes_are_one_quote() -> None:
    assert labels('a,"say ""hi""",c\n1,2,3\n') == ["a", 'say "hi"', "c"]


def test_quoted_numbers_are_numbers() -> None:
    assert rows('a,b\n"0.5","0.25"\n"1e-3",2\n') == [[0.5, 0.25], [0.001, 2.0]]


def test_separators_inside_quotes_stay_in_the_field() -> None:
    _, chunks = read_all('id,a,b\n"x,1",0.5,0.5\n"y;2",0.1,0.9\n', ids=["id"])
    assert chunks[0].ids == [("x,1",), ("y;2",)]
    assert chunks[0].values.tolist() == [[0.5, 0.5], [0.1, 0.9]]


def test_a_quoted_record_may_span_lines_and_keeps_its_line_numbers() -> None:
    reader, chunks = read_all('"two\nlines",b\n1,2\n"3",4\n')
    assert reader.labels == ["two\nlines", "b"]
    assert [list(chunk.lines or ()) for chunk in chunks] == [[3, 4]]
    reader, chunks = read_all('id,a\n"x\ny",0.5\nz,0.25\n', ids=["id"])
    assert chunks[0].ids == [("x\ny",), ("z",)]
    assert list(chunks[0].lines or ()) == [2, 4]


def test_a_quoted_comma_number_is_a_bad_value_not_two_values() -> None:
    assert error('x,y\n"1,5",2\n') == "P row 1 (line 2), column 1: '1,5': not a number"


def test_quoted_records_read_the_same_however_the_input_arrives() -> None:
    data = b'"a,b","c\nd"\n"1",2\n# comment\n3,"4"\n'
    for size in (1, 2, 3, 5, 7, 64):
        reader = stream_reader(Trickle(data, size), "P")  # type: ignore[arg-type]
        got = []
        while (chunk := reader.read_chunk(1)) is not None:
            got.append((chunk.values.tolist(), list(chunk.lines or ())))
        assert reader.labels == ["a,b", "c\nd"]
        assert got == [([[1.0, 2.0]], [3]), ([[3.0, 4.0]], [5])]


def test_a_malformed_quote_names_its_line() -> None:
    message = error('a,b\n1,2\n"3"x,4\n')
    assert message.startswith("P row 2 (line 3): bad quoting (")


def test_a_quote_never_closed_names_the_line_it_opened_on() -> None:
    message = error('a,b\n1,2\n"3,4\n5,6\n')
    assert message.startswith("P: the quote opened on line 3 is never closed")


# --- separators ---------------------------------------------------------------------


def test_pipe_is_a_separator() -> None:
    reader, _ = read_all("a|b|c\n1|2|3\n")
    assert (reader.separator, reader.labels) == ("|", ["a", "b", "c"])
    assert rows("1|2\n3|4\n") == [[1.0, 2.0], [3.0, 4.0]]


def test_the_separator_comes_from_the_first_data_line_not_the_header() -> None:
    reader, chunks = read_all("a,b\tc d\te\n0.1\t0.2\t0.7\n")
    assert reader.separator == "\t"
    assert reader.labels == ["a,b", "c d", "e"]
    assert chunks[0].values.tolist() == [[0.1, 0.2, 0.7]]


@pytest.mark.parametrize(
    ("sep", "text", "names"),
    [
        (";", "a,b;c\n1;2\n", ["a,b", "c"]),
        ("\t", "a b\tc\n1\t2\n", ["a b", "c"]),
        ("\\t", "a b\tc\n1\t2\n", ["a b", "c"]),
        (" ", "a,b  c\n1   2\n", ["a,b", "c"]),
        (",", "a|b,c\n1,2\n", ["a|b", "c"]),
        ("|", "a,b|c\n1|2\n", ["a,b", "c"]),
    ],
)
def test_sep_overrides_detection(sep: str, text: str, names: list[str]) -> None:
    reader, chunks = read_all(text, sep=sep)
    assert reader.labels == names
    assert chunks[0].values.tolist() == [[1.0, 2.0]]


def test_an_unknown_separator_is_refused() -> None:
    with pytest.raises(NncalcError, match="--sep: ':': not a separator"):
        reader_of("1:2\n", sep=":")


def test_mixed_separators_name_both() -> None:
    assert error("1,2\n3;4\n") == (
        "P row 2: mixed separators: ';' in this row, ',' in the first data line (line 1) "
        "(pass --sep to choose one)"
    )
    assert error("1,2;3\n") == (
        "P row 1, column 2: '2;3': mixed separators: ';' in this row, ',' in the first "
        "data line (line 1) (pass --sep to choose one)"
    )
    assert "in this row, but --sep is ';'" in error("a;b\n1,2;3\n", sep=";")
    assert "tab in this row" in error("a,b\n1,2\n3\t4,5\n")


# --- the header -----------------------------------------------------------------------


def test_a_numeric_first_line_is_data_unless_header_says_so() -> None:
    assert labels("0,1,2\n0.5,0.2,0.3\n") is None
    assert rows("0,1,2\n0.5,0.2,0.3\n") == [[0.0, 1.0, 2.0], [0.5, 0.2, 0.3]]
    reader, chunks = read_all("0,1,2\n0.5,0.2,0.3\n", header=True)
    assert reader.labels == ["0", "1", "2"]
    assert chunks[0].values.tolist() == [[0.5, 0.2, 0.3]]


def test_quoted_numbers_in_the_first_line_are_data() -> None:
    assert labels('"1","2"\n0.5,0.5\n') is None
    assert rows('"1","2"\n0.5,0.5\n') == [[1.0, 2.0], [0.5, 0.5]]


def test_no_header_reads_a_line_of_names_as_data() -> None:
    assert error("a,b\n1,2\n", header=False) == "P row 1, column 1: 'a': not a number"


def test_errors_in_row_one_explain_the_guess() -> None:
    _, chunks = read_all("0,1,2\n0.5,0.2,0.3\n")
    with pytest.raises(NncalcError) as caught, chunks[0].locate():
        raise NncalcError("does not sum to 1", row=1, hint="pass --normalize")
    assert str(caught.value) == (
        "P row 1: does not sum to 1 (pass --normalize; the first line `0,1,2` was read as "
        "data; pass --header if it names the columns)"
    )
    with pytest.raises(NncalcError) as caught, chunks[0].locate():
        raise NncalcError("does not sum to 1", row=2)
    assert "--header" not in str(caught.value)
    assert error("0,1,2\n0.5,0.5\n") == (
        "P row 2: ragged rows: this row has 2 values, earlier rows have 3 (the first line "
        "`0,1,2` was read as data; pass --header if it names the columns)"
    )


def test_a_line_of_names_and_numbers_is_no_header() -> None:
    message = error("cat,1\n0,0\n")
    assert message == "P row 1, column 1: 'cat': not a number (a header must be all names)"


def test_a_header_shorter_or_longer_than_the_rows_says_so() -> None:
    assert error("a,b,c\n1,2\n3,4\n") == (
        "P row 1 (line 2): the header (line 1) has 3 names, more than the 2 values of its rows "
        "(a header names every column, no more and no fewer)"
    )
    assert error("a,b\n1,2,3\n").startswith(
        "P row 1 (line 2): the header (line 1) has 2 names, fewer than the 3 values of its rows"
    )
    assert error("a;b\n1,2\n") == (
        "P row 1 (line 2): the header (line 1) has 1 name, fewer than the 2 values of its rows "
        "(the header holds ';', the rows are separated by ','; pass --sep to choose one)"
    )
    assert error("a,b\n1,2\n3,4,5\n") == (
        "P row 2 (line 3): this row has 3 values, the header and earlier rows have 2"
    )


# --- numbers ---------------------------------------------------------------------------


def test_percent_cells_are_refused_with_the_fix() -> None:
    assert error("a,b\n10%,90%\n") == (
        "P row 1 (line 2), column 1: '10%': not a number "
        "(percentages are not read: write 0.1 for 10%)"
    )
    # Not taken for a header of names either.
    assert error("12.5%,87.5%\n") == (
        "P row 1, column 1: '12.5%': not a number (percentages are not read: write 0.125 for 12.5%)"
    )


def test_a_bad_token_deep_in_a_quoted_file_names_its_row_line_and_token() -> None:
    text = 'a,"b"\n' + "0.5,0.5\n" * 5000 + '"0.5",x\n'
    assert error(text) == "P row 5001 (line 5002), column 2: 'x': not a number"


# --- through the command line --------------------------------------------------------


def test_quoted_csv_files_through_kl(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text('"cat, big","dog ""d"""\n"0.5","0.5"\n')
    (tmp_path / "q.csv").write_text('"cat, big","dog ""d"""\n0.5,0.5\n')
    result = run("kl", f"@{tmp_path / 'p.csv'}", f"@{tmp_path / 'q.csv'}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.0\n"


def test_quoted_header_names_become_plain_json_keys(tmp_path: Path) -> None:
    (tmp_path / "logits.csv").write_text('"a,b","c"\n0,0\n')
    result = run("softmax", "-f", "json", f"@{tmp_path / 'logits.csv'}")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["labels"] == ["a,b", "c"]


def test_pipe_and_tab_files_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "p.psv").write_text("a,x|b y\n0.25|0.75\n")
    (tmp_path / "q.tsv").write_text("b y\ta,x\n0.75\t0.25\n")  # paired by name
    result = run("kl", f"@{tmp_path / 'p.psv'}", f"@{tmp_path / 'q.tsv'}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.0\n"


def test_percent_cells_through_the_cli() -> None:
    line = one_line_error(run("softmax", input="10%,90%\n"))
    assert line == (
        "nncalc: error: LOGITS row 1, column 1: '10%': not a number "
        "(percentages are not read: write 0.1 for 10%)"
    )
