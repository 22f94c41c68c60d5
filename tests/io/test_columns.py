"""Columns by role: --columns, --id, --target-col and the class names (SPEC §9)."""

from __future__ import annotations

import pytest

from nncalc.errors import NncalcError
from nncalc.io.columns import class_indices
from tests.io.table_helpers import error, labels, read_all, reader_of, rows

WIDE = "id,p_cat,p_dog,p_emu,label,note\nr1,0.2,0.5,0.3,p_dog,ok\nr2,0.6,0.3,0.1,0,fine\n"


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("p_cat,p_dog,p_emu", ["p_cat", "p_dog", "p_emu"]),
        ("p_emu,p_cat,p_dog", ["p_emu", "p_cat", "p_dog"]),
        ("2,3,4", ["p_cat", "p_dog", "p_emu"]),
        ("2-4", ["p_cat", "p_dog", "p_emu"]),
        ("p_*", ["p_cat", "p_dog", "p_emu"]),
        ("p_?o?,p_emu", ["p_dog", "p_emu"]),
        ("4,2", ["p_emu", "p_cat"]),
    ],
)
def test_columns_pick_classes_by_name_position_range_or_glob(spec: str, names: list[str]) -> None:
    reader, chunks = read_all(WIDE, columns=spec)
    assert reader.labels == names
    index = {"p_cat": 0, "p_dog": 1, "p_emu": 2}
    full = [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]
    assert chunks[0].values.tolist() == [[row[index[n]] for n in names] for row in full]
    assert chunks[0].ids is None and chunks[0].targets is None


def test_open_ranges_and_headerless_positions() -> None:
    assert rows("1,2,3,4\n5,6,7,8\n", columns="3-") == [[3.0, 4.0], [7.0, 8.0]]
    assert rows("1,2,3,4\n5,6,7,8\n", columns="-2") == [[1.0, 2.0], [5.0, 6.0]]


def test_a_name_with_a_comma_is_quoted_in_the_spec() -> None:
    assert labels('id,"a,b",c\nx,1,2\n', columns='"a,b",c') == ["a,b", "c"]


def test_a_quoted_item_is_always_a_name_never_a_position_range_or_glob() -> None:
    table = '3,p_*,a"b,1-2\n0.1,0.2,0.3,0.4\n'
    assert labels(table, columns='"1-2","3"', header=True) == ["1-2", "3"]
    assert rows(table, columns='"p_*"', header=True) == [[0.2]]
    assert rows(table, columns='"a""b"', header=True) == [[0.3]]
    assert rows(table, columns='3, "3"', header=True) == [[0.3, 0.1]]
    assert error(table, columns='"4"', header=True).startswith(
        "P: '4': --columns names no column of the header"
    )


def test_unselected_columns_may_hold_anything() -> None:
    assert rows("x,a,y,b\nfoo,1,,2\nbar baz,3,?,4\n", columns="a,b") == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("p_cow", "P: 'p_cow': --columns names no column of the header (the columns are "),
        ("q_*", "P: 'q_*': --columns: no column name matches (the columns are 'id', "),
        ("0", "P: '0': --columns: columns are numbered from 1"),
        ("9", "P: '9': --columns: there is no column 9 (the input has 6)"),
        ("4-2", "P: '4-2': --columns: the range ends before it starts"),
        ("p_cat,2", "P: '2': --columns selects column 2 ('p_cat') twice"),
        ("p_cat,,p_dog", "P: 'p_cat,,p_dog': --columns has an empty item"),
    ],
)
def test_bad_column_specs_say_what_is_wrong(spec: str, message: str) -> None:
    assert error(WIDE, columns=spec).startswith(message)


def test_names_need_a_header_and_the_error_says_why_there_is_none() -> None:
    assert error("0,1,2\n0.5,0.2,0.3\n", columns="a") == (
        "P: 'a': --columns names a column, but the input has no header (the first line "
        "`0,1,2` was read as data; pass --header if it names the columns)"
    )
    assert rows("0,1,2\n0.5,0.2,0.3\n", columns="1,2", header=True) == [[0.5, 0.2]]


def test_ids_are_carried_as_strings_and_left_out_of_the_values() -> None:
    reader, chunks = read_all(WIDE, columns="p_*", ids=["id", "note"])
    assert reader.id_names == ["id", "note"]
    assert chunks[0].ids == [("r1", "ok"), ("r2", "fine")]
    assert chunks[0].values.shape == (2, 3)


def test_without_columns_every_other_column_is_a_class() -> None:
    reader, chunks = read_all("id,a,b\n007,0.5,0.5\n", ids=["1"])
    assert reader.labels == ["a", "b"]
    assert chunks[0].ids == [("007",)]  # a string: leading zeros kept


def test_a_row_without_an_id_names_its_line() -> None:
    text = "id,a,b\nx,0.5,0.5\n,0.1,0.9\n"
    assert error(text, ids=["id"]) == (
        "P row 2 (line 3), column 1: no value in the --id column 'id'"
    )
    assert error("x,0.5\n,0.5\n", ids=["1"]) == "P row 2, column 1: no value in the --id column 1"


def test_targets_are_kept_per_row_as_strings() -> None:
    reader, chunks = read_all(WIDE, columns="p_*", ids=["id"], target_col="label")
    assert reader.target_name == "label"
    assert chunks[0].targets == ["p_dog", "0"]
    assert class_indices(chunks[0].targets, reader.labels, 3).tolist() == [1, 0]


def test_ids_and_targets_follow_their_rows_through_take() -> None:
    text = "id,a,b,t\n" + "".join(f"r{i},0.5,0.5,{i % 2}\n" for i in range(5))
    reader = reader_of(text, ids=["id"], target_col="t")
    reader.fill()
    first, second = reader.take(2), reader.take(3)
    assert (first.ids, first.targets) == ([("r0",), ("r1",)], ["0", "1"])
    assert (second.ids, second.targets) == ([("r2",), ("r3",), ("r4",)], ["0", "1", "0"])
    assert second.first_row == 3


def test_a_missing_target_and_a_wide_target_spec_are_errors() -> None:
    assert error("a,b,t\n0.5,0.5,\n", target_col="t") == (
        "P row 1 (line 2), column 3: no value in the --target-col column 't'"
    )
    assert error(WIDE, target_col="p_*").startswith("P: 'p_*': --target-col must name one column")


def test_a_column_cannot_have_two_roles() -> None:
    assert "is both a class column and an --id" in error(WIDE, columns="1-3", ids=["id"])
    assert "is both an --id and the target" in error(WIDE, ids=["label"], target_col="label")


def test_class_indices_from_indices_and_names() -> None:
    assert class_indices(["2", "cat", "0", "1.0"], ["cat", "dog", "emu"], 3).tolist() == [
        2,
        0,
        0,
        1,
    ]
    with pytest.raises(NncalcError) as caught:
        class_indices(["cat", "cow"], ["cat", "dog"], 2)
    assert str(caught.value) == (
        "row 2: 'cow': not a class index or name (the classes are 'cat', 'dog')"
    )
    with pytest.raises(NncalcError, match=r"class index 3 is out of range \(3 classes, from 0\)"):
        class_indices(["3"], None, 3)


# --- class names ---------------------------------------------------------------------


def test_an_empty_class_name_is_an_error_naming_its_position() -> None:
    assert error("a,,c\n1,2,3\n") == (
        "P: column 2 of the header has no name "
        "(name every class column, or leave this one out with --columns)"
    )


def test_a_repeated_class_name_is_an_error() -> None:
    assert error("a,b,a\n1,2,3\n") == (
        "P: 'a': column 3 of the header repeats the name of column 1 "
        "(class names must differ; pick the columns with --columns)"
    )
    # Only class columns need names that differ.
    assert rows("a,b,a\n1,2,3\n", columns="1,2") == [[1.0, 2.0]]


def test_pandas_unnamed_index_column() -> None:
    text = ",a,b,c\n0,0.2,0.3,0.5\n1,0.1,0.1,0.8\n"
    assert error(text) == (
        "P: column 1 of the header has no name (pandas' df.to_csv() writes its unnamed "
        "index this way: pass --columns a,b,c, or --id 1 to carry it)"
    )
    assert rows(text, columns="a,b,c") == [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]
    reader, chunks = read_all(text, ids=["1"])
    assert reader.labels == ["a", "b", "c"]
    assert chunks[0].ids == [("0",), ("1",)]
    wide = "," + ",".join(f"class_{i}" for i in range(10)) + "\n" + ",".join(["0"] * 11) + "\n"
    assert "pass --columns 2-11, or --id 1" in error(wide)


def test_picked_columns_skip_comments_and_blank_lines_and_strip_spaces() -> None:
    text = "id,a,b,t\n# a comment\n x ,0.5,0.5, 1 \n\ny#2,0.1,0.9,0\n"
    _, chunks = read_all(text, ids=["id"], target_col="t")
    assert [chunk.ids for chunk in chunks] == [[("x",), ("y#2",)]]
    assert [chunk.targets for chunk in chunks] == [["1", "0"]]
    assert [list(chunk.lines or ()) for chunk in chunks] == [[3, 5]]


def test_picked_columns_report_bad_values_in_file_columns() -> None:
    assert error("id,a,b\nx,0.5,0.5\ny,0.5,zz\n", ids=["id"]) == (
        "P row 2 (line 3), column 3: 'zz': not a number"
    )
    assert error("x,a,y,b\nfoo,1,,2\nbar,3,?,4,5\n", columns="a,b") == (
        "P row 2 (line 3): this row has 5 values, the header and earlier rows have 4"
    )


def test_many_rows_of_ids_and_targets_keep_their_order() -> None:
    body = "".join(f"r{i},{i / 1000},{1 - i / 1000},{i % 3}\n" for i in range(1000))
    for header in ("id,a,b,t\n", 'id,"a",b,t\n'):
        _, chunks = read_all(header + body, ids=["id"], target_col="t")
        ids = [text for chunk in chunks for (text,) in chunk.ids or ()]
        targets = [text for chunk in chunks for text in chunk.targets or ()]
        values = [row for chunk in chunks for row in chunk.values.tolist()]
        assert ids == [f"r{i}" for i in range(1000)]
        assert targets == [str(i % 3) for i in range(1000)]
        assert values == [[i / 1000, 1 - i / 1000] for i in range(1000)]


# --- two headers pair by name ---------------------------------------------------------


def test_class_columns_follow_another_header_by_name() -> None:
    q = reader_of("id,c,a,b\nx,0.5,0.2,0.3\ny,0.1,0.6,0.3\n", ids=["id"])
    q.match_classes(["a", "b", "c"], "P")
    assert q.labels == ["a", "b", "c"]
    chunk = q.read_chunk()
    assert chunk is not None
    assert chunk.values.tolist() == [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]
    assert chunk.ids == [("x",), ("y",)]


def test_headers_with_other_names_are_an_error_listing_them() -> None:
    q = reader_of("c,a,d\n0.5,0.2,0.3\n", operand="Q")
    with pytest.raises(NncalcError) as caught:
        q.match_classes(["a", "b", "c"], "P")
    assert str(caught.value) == (
        "Q: the class columns of Q and P differ: Q lacks 'b'; P lacks 'd' "
        "(columns are paired by name; pick them with --columns)"
    )
