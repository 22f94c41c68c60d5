"""Real tables through the CLI: columns by name, ids carried through, targets by column.

The table options (--sep, --header/--no-header, --columns, --id,
--target-col) on every command that reads batches, headers paired by name,
and every batch command's csv and json output parsed back with hostile ids.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.commands import COMMANDS, WITH_OPERANDS
from tests.conftest import ok, one_line_error, run

HOSTILE_IDS = ["a,b", 'say "hi"', "zé ☃ 模型", "two\nlines", "=1+1"]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return f"@{path}"


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# --- headers paired by name ---------------------------------------------------


def test_reordered_columns_pair_by_name(tmp_path: Path) -> None:
    """The issue's silent wrong answer: the same distribution, columns in another order."""
    p = write(tmp_path / "p.csv", "a,b,c\n0.2,0.3,0.5\n")
    q = write(tmp_path / "q.csv", "c,a,b\n0.5,0.2,0.3\n")
    assert ok("kl", p, q) == "0.0\n"
    assert ok("js", p, q) == "0.0\n"
    assert ok("kl", q, p) == "0.0\n"


def test_reordered_columns_give_the_reordered_value(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "a,b\n0.25,0.75\n")
    q = write(tmp_path / "q.csv", "b,a\n0.5,0.5\n")
    by_position = ok("kl", "0.25,0.75", "0.5,0.5")
    assert ok("kl", p, q) == by_position


def test_a_missing_column_names_it(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "a,b,c\n0.2,0.3,0.5\n")
    q = write(tmp_path / "q.csv", "a,b\n0.5,0.5\n")
    line = one_line_error(run("kl", p, q))
    assert "the class columns of Q and P differ: Q lacks 'c'" in line


def test_an_extra_column_names_it(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "a,b\n0.5,0.5\n")
    q = write(tmp_path / "q.csv", "a,b,d\n0.2,0.3,0.5\n")
    line = one_line_error(run("kl", p, q))
    assert "P lacks 'd'" in line and "--columns" in line


def test_missing_and_extra_columns_are_both_listed(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "a,b,c\n0.2,0.3,0.5\n")
    q = write(tmp_path / "q.csv", "a,b,d\n0.2,0.3,0.5\n")
    line = one_line_error(run("kl", p, q))
    assert "Q lacks 'c'; P lacks 'd'" in line


def test_columns_pick_the_shared_classes(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "a,b,c\n0.5,0.5,9\n")
    q = write(tmp_path / "q.csv", "x,b,a\n7,0.5,0.5\n")
    assert ok("kl", p, q, "-c", "a,b") == "0.0\n"


def test_one_header_only_pairs_by_position(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "a,b\n0.25,0.75\n")
    q = write(tmp_path / "q.csv", "0.25,0.75\n")
    assert ok("kl", p, q) == "0.0\n"


def test_a_literal_still_broadcasts_against_a_header(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "b,a\n0.75,0.25\n0.75,0.25\n")
    assert ok("kl", p, "0.75,0.25", "-r", "sum") == "0.0\n"


def test_every_paired_command_pairs_by_name(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", "x,y,z\n1,2,3\n")
    b = write(tmp_path / "b.csv", "z,x,y\n3,1,2\n")
    assert ok("distill", a, b) == "0.0\n"
    assert ok("kl-approx", a, b) == "0.0\n"
    assert ok("kl", a, b, "--logits") == "0.0\n"
    report = json.loads(ok("compare", a, b, "-f", "json"))
    assert report["kl.max"] == 0.0


# --- --columns, --sep, --header ------------------------------------------------


WIDE = "id,p_cat,p_dog,note,p_emu\nr1,0.2,0.3,x,0.5\nr2,0.1,0.1,y,0.8\n"


@pytest.mark.parametrize("spec", ["p_cat,p_dog,p_emu", "2,3,5", "2-3,5", "p_*"])
def test_columns_by_name_position_range_and_glob(tmp_path: Path, spec: str) -> None:
    p = write(tmp_path / "p.csv", WIDE)
    assert ok("entropy", p, "-c", spec, "-r", "none", "--digits", "4") == "1.03\n0.639\n"


def test_sep_semicolon_with_a_bom_and_decimal_points(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("\ufeffa;b\r\n0.5;0.5\r\n".encode())
    assert ok("entropy", f"@{path}", "-d", ";", "-b", "2") == "1.0\n"


def test_sep_overrides_detection(tmp_path: Path) -> None:
    # Detection would take the comma; --sep says the columns are tab-separated.
    p = write(tmp_path / "p.tsv", "0.5\t0.5\n")
    assert ok("entropy", p, "--sep", "\t", "-b", "2") == "1.0\n"
    assert ok("entropy", p, "-d", "\\t", "-b", "2") == "1.0\n"


def test_a_bad_separator_fails_before_reading() -> None:
    line = one_line_error(run("kl", "--sep", "x", "0.5,0.5", "0.5,0.5"))
    assert "'x': not a separator" in line


def test_header_and_no_header_override_the_guess() -> None:
    # 0,1 would be read as data: --header makes it names.
    assert ok("softmax", "--header", "-f", "csv", input="0,1\n0,0\n") == "0,1\n0.5,0.5\n"
    line = one_line_error(run("softmax", "--no-header", input="a,b\n0,0\n"))
    assert "'a': not a number" in line


# --- --id ----------------------------------------------------------------------


def test_ids_in_plain_csv_json_and_table(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,a,b\nr1,0.5,0.5\nr2,0.25,0.75\n")
    q = write(tmp_path / "q.csv", "b,a\n0.5,0.5\n0.5,0.5\n")
    plain = ok("kl", p, q, "--id", "id", "--digits", "3")
    assert plain == "r1,0\nr2,0.131\n"
    assert ok("kl", p, q, "--id", "id", "-f", "csv", "--digits", "3") == "id,kl\nr1,0\nr2,0.131\n"
    data = json.loads(ok("kl", p, q, "--id", "id", "-f", "json", "--digits", "3"))
    assert data["values"] == [{"id": "r1", "kl": 0}, {"id": "r2", "kl": 0.131}]
    assert data["reduction"] == "none" and data["rows"] == 2
    table = ok("kl", p, q, "--id", "id", "-f", "table")
    assert "r1" in table and "r2" in table and "id" in table


def test_ids_by_position_without_a_header(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "7,0.5,0.5\n8,0.5,0.5\n")
    q = write(tmp_path / "q.csv", "7,0.5,0.5\n8,0.5,0.5\n")
    assert ok("kl", p, q, "--id", "1", "-f", "csv") == "id,kl\n7,0.0\n8,0.0\n"


def test_several_ids_come_first_in_order(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "doc,a,tok,b\nd1,0.5,t1,0.5\n")
    out = ok("entropy", p, "--id", "doc", "--id", "tok", "-f", "csv", "-b", "2")
    assert out == "doc,tok,entropy\nd1,t1,1.0\n"


def test_an_explicit_reduction_keeps_the_reduced_value(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,a,b\nr1,0.5,0.5\nr2,0.5,0.5\n")
    assert ok("entropy", p, "--id", "id", "-r", "sum", "-b", "2") == "2.0\n"
    table = ok("entropy", p, "--id", "id", "-r", "sum", "-f", "table")
    assert "r2" in table


def test_ids_follow_the_rows_a_mask_keeps(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,a,b\nr1,0.5,0.5\nr2,0.5,0.5\nr3,0.5,0.5\n")
    out = ok("entropy", p, "--id", "id", "--mask", "1,0,1", "-f", "csv", "-b", "2")
    assert out == "id,entropy\nr1,1.0\nr3,1.0\n"


def test_softmax_ids_in_every_format(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,a,b\nr1,0,0\n")
    assert ok("softmax", p, "--id", "id") == "r1,0.5,0.5\n"
    assert ok("softmax", p, "--id", "id", "-f", "csv") == "id,a,b\nr1,0.5,0.5\n"
    data = json.loads(ok("softmax", p, "--id", "id", "-f", "json"))
    assert data["probabilities"] == [{"id": "r1", "probabilities": [0.5, 0.5]}]
    assert ok("softmax", p, "--id", "id", "--top", "1", "-f", "csv") == (
        "row,id,rank,class,index,value\n1,r1,1,a,0,0.5\n"
    )


@pytest.mark.parametrize("name", ["1", "a*", "2-3"])
def test_an_id_column_named_like_a_position_or_glob_is_dropped_from_q_by_name(
    tmp_path: Path, name: str
) -> None:
    """Q's id column is found by P's header name, quoted: never read as a
    position, range or glob that would pick one of Q's classes."""
    p = write(tmp_path / "p.csv", f"{quoted(name)},a,b\nx,0.5,0.5\ny,0.9,0.1\n")
    q = write(tmp_path / "q.csv", f"a,{quoted(name)},b\n0.4,x,0.6\n0.9,y,0.1\n")
    spec = quoted(name)
    got = ok("kl", p, q, "--header", "--id", spec, "-r", "none", "-f", "csv")
    want = ok("kl", "0.5,0.5", "0.4,0.6")
    assert got.splitlines()[1:] == [f"x,{want.strip()}", "y,0.0"]


@pytest.mark.parametrize("spec", ["id", "1"])
def test_a_headerless_q_as_wide_as_p_leaves_out_the_same_positions(
    tmp_path: Path, spec: str
) -> None:
    """P has a header, Q (the same table without it) has none: Q drops P's id position."""
    p = write(tmp_path / "p.csv", "id,a,b\nx,0.5,0.5\ny,0.9,0.1\n")
    q = write(tmp_path / "q.csv", "x,0.5,0.5\ny,0.2,0.8\n")
    got = ok("kl", p, q, "--id", spec, "-r", "none", "-f", "csv")
    assert got.splitlines() == ["id,kl", "x,0.0", f"y,{ok('kl', '0.9,0.1', '0.2,0.8').strip()}"]


def test_a_headerless_q_of_another_width_keeps_its_columns(tmp_path: Path) -> None:
    """Only the same width says it is the same table: else Q's columns are its classes."""
    p = write(tmp_path / "p.csv", "id,a,b\nx,0.5,0.5\n")
    q = write(tmp_path / "q.csv", "0.1,0.2,0.3,0.4\n")
    line = one_line_error(run("kl", p, q, "--id", "id"))
    assert (
        line
        == "nncalc: error: Q: rows have 4 values but P rows have 2; they must have the same length"
    )


def test_a_row_without_its_id_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,a,b\nr1,0.5,0.5\n,0.5,0.5\n")
    line = one_line_error(run("entropy", p, "--id", "id"))
    assert ":3:1: no value in the --id column" in line


def test_an_unknown_id_column_lists_the_columns(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,a,b\nr1,0.5,0.5\n")
    line = one_line_error(run("entropy", p, "--id", "name"))
    assert "'name': --id names no column of the header" in line and "'id', 'a', 'b'" in line


def test_ids_need_a_text_table() -> None:
    line = one_line_error(run("kl", "0.5,0.5", "0.5,0.5", "--id", "1"))
    assert "--id" in line and "literal" in line


def test_pandas_index_with_columns_or_id(tmp_path: Path) -> None:
    """df.to_csv() writes the unnamed index as an empty first header name."""
    p = write(tmp_path / "p.csv", ",a,b\n0,0.5,0.5\n1,0.25,0.75\n")
    error = one_line_error(run("entropy", p))
    assert "--columns a,b" in error and "--id 1" in error
    assert ok("entropy", p, "--columns", "a,b", "-r", "none", "--digits", "3") == ("0.693\n0.562\n")
    assert ok("entropy", p, "--id", "1", "--digits", "3") == "0,0.693\n1,0.562\n"


# --- hostile ids round-trip through every batch command -----------------------


def tables(tmp_path: Path) -> dict[str, list[str]]:
    """Each batch command's arguments, reading files whose first column is a hostile id."""

    def table(name: str, header: str, row: str, extra: str = "") -> str:
        lines = [f"id,{header}{extra}"]
        lines += [f"{quoted(i)},{row}" for i in HOSTILE_IDS]
        return write(tmp_path / name, "\n".join(lines) + "\n")

    probs = table("p.csv", "a,b,c", "0.2,0.3,0.5")
    logits = table("z.csv", "a,b,c", "1,2,3")
    lines = ["id,a,b,c,label"] + [f"{quoted(i)},0.2,0.3,0.5,b" for i in HOSTILE_IDS]
    pred = write(tmp_path / "pred.csv", "\n".join(lines) + "\n")
    return {
        "softmax": [logits],
        "xent": ["--target-col", "label", pred],
        "kl": [probs, probs],
        "entropy": [probs],
        "js": [probs, probs],
        "distill": [logits, logits, "--target-col", "a"],
        "kl-approx": [logits, logits],
        "kl-normal": [logits, logits],
    }


def test_the_round_trip_covers_every_command_with_batches(tmp_path: Path) -> None:
    per_row = {name for name in WITH_OPERANDS if "--id" in _option_names(name)}
    assert per_row == set(tables(tmp_path))


def _option_names(name: str) -> set[str]:
    params = COMMANDS[name].params
    return {opt for p in params for opt in [*p.opts, *getattr(p, "secondary_opts", [])]}


@pytest.mark.parametrize(
    "name", ["softmax", "xent", "kl", "entropy", "js", "distill", "kl-approx", "kl-normal"]
)
def test_hostile_ids_round_trip_in_csv_and_json(tmp_path: Path, name: str) -> None:
    args = [name, *tables(tmp_path)[name], "--id", "id"]
    rows = list(csv.reader(io.StringIO(ok(*args, "-f", "csv"))))
    assert rows[0][0] == "id"
    # Exact, but for the line break: a CSV row stays one line (shown as \n).
    assert [row[0] for row in rows[1:]] == [i.replace("\n", "\\n") for i in HOSTILE_IDS]
    assert all(len(row) == len(rows[0]) for row in rows)
    data = json.loads(ok(*args, "-f", "json"))
    listed = data["values"] if "values" in data else data["probabilities"]
    assert [item["id"] for item in listed] == HOSTILE_IDS  # JSON: every id exactly
    plain = list(csv.reader(io.StringIO(ok(*args, "-f", "plain"))))
    assert [row[0] for row in plain] == [i.replace("\n", "\\n") for i in HOSTILE_IDS]


def test_hostile_header_names_round_trip_as_labels(tmp_path: Path) -> None:
    names = ["a,b", 'q"t', "zé", "x\ny"]
    header = ",".join(quoted(n) for n in names)
    p = write(tmp_path / "p.csv", f"{header}\n1,2,3,4\n")
    rows = list(csv.reader(io.StringIO(ok("softmax", p, "-f", "csv"))))
    assert rows[0] == [n.replace("\n", "\\n") for n in names]
    assert json.loads(ok("softmax", p, "-f", "json"))["labels"] == names


# --- targets by column and by name ---------------------------------------------


PRED = "id,cat,dog,emu,label\nr1,0.5,0.25,0.25,cat\nr2,0.25,0.5,0.25,dog\nr3,0.25,0.25,0.5,2\n"


def test_xent_targets_from_a_column_by_name_and_index(tmp_path: Path) -> None:
    pred = write(tmp_path / "pred.csv", PRED)
    out = ok("xent", "--target-col", "label", pred, "--id", "id", "--digits", "4")
    assert out == "r1,0.6931\nr2,0.6931\nr3,0.6931\n"
    assert ok("xent", "--target-col", "5", pred, "-c", "2-4", "--digits", "4") == "0.6931\n"


def test_xent_target_col_reads_stdin() -> None:
    out = ok(
        "xent", "--target-col", "label", "--id", "id", "-f", "csv", "--digits", "4", input=PRED
    )
    assert out.splitlines() == ["id,xent", "r1,0.6931", "r2,0.6931", "r3,0.6931"]


def test_xent_unknown_class_lists_the_classes(tmp_path: Path) -> None:
    pred = write(tmp_path / "pred.csv", PRED.replace("dog\n", "cow\n"))
    line = one_line_error(run("xent", "--target-col", "label", pred, "--id", "id"))
    assert "row 2 (line 3)" in line and "'cow': not a class index or name" in line
    assert "the classes are 'cat', 'dog', 'emu'" in line


def test_xent_target_col_with_two_operands_is_an_error(tmp_path: Path) -> None:
    pred = write(tmp_path / "pred.csv", PRED)
    line = one_line_error(run("xent", "--target-col", "label", pred, pred))
    assert "give PRED alone" in line


def test_xent_a_class_name_as_the_target(tmp_path: Path) -> None:
    pred = write(tmp_path / "pred.csv", "cat,dog\n0.25,0.75\n")
    assert ok("xent", "dog", pred) == ok("xent", "1", pred)
    line = one_line_error(run("xent", "cow", pred))
    assert "TARGET: 'cow': not a class index or name (the classes are 'cat', 'dog')" in line


def test_xent_ignore_index_in_a_target_column(tmp_path: Path) -> None:
    pred = write(tmp_path / "pred.csv", "a,b,t\n0.5,0.5,0\n0.5,0.5,-100\n")
    out = ok("xent", "--target-col", "t", pred, "--ignore-index", "-100", "--digits", "4")
    assert out == "0.6931\n"


def test_distill_labels_by_column_and_by_name(tmp_path: Path) -> None:
    teacher = write(tmp_path / "t.csv", "cat,dog,label\n2,1,dog\n0,3,cat\n")
    student = write(tmp_path / "s.csv", "dog,cat\n1,2\n3,0\n")  # paired by name
    rows = ok("distill", teacher, student, "--target-col", "label", "-r", "none").split()
    assert rows[0] == ok("distill", "2,1", "2,1", "--label", "1").strip()
    assert rows[1] == ok("distill", "0,3", "0,3", "--label", "0").strip()
    by_name = ok("distill", teacher, student, "-c", "cat,dog", "--label", "dog")
    assert by_name == ok("distill", teacher, student, "-c", "cat,dog", "--label", "1")
    line = one_line_error(run("distill", teacher, student, "-c", "1-2", "--label", "cow"))
    assert "--label: 'cow': not a class index or name (the classes are 'cat', 'dog')" in line


def test_target_col_of_a_tensor_is_an_error(tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "z.npy", np.zeros((2, 3), dtype=np.float32))
    line = one_line_error(run("xent", "--target-col", "1", f"@{tmp_path / 'z.npy'}"))
    assert "--target-col" in line and "tensor file" in line


# --- help -------------------------------------------------------------------------


TABLE_FLAGS = ("--sep", "--header", "--columns")


@pytest.mark.parametrize("name", WITH_OPERANDS)
def test_every_batch_command_has_the_table_options_with_examples(name: str) -> None:
    names = _option_names(name)
    assert {"-d", "--sep", "--header", "--no-header", "-c", "--columns"} <= names
    help_text = " ".join(ok(name, "--help").split())
    assert "e.g. -d ';'" in help_text and "e.g. -c p_cat,p_dog" in help_text
    if name != "compare":  # a report over all rows: no per-row output to carry ids
        assert "--id" in names and "e.g. --id sample_id" in help_text
    if name in ("xent", "distill"):
        assert "e.g. --target-col label" in help_text


def test_the_table_options_keep_start_up_light(tmp_path: Path) -> None:
    """A repeatable option (--id) is coerced without Typer's pydantic adapters."""
    from tests.cli.test_startup import imported_heavy

    p = write(tmp_path / "p.csv", "id,a,b\nr1,0.5,0.5\n")
    stdout, heavy = imported_heavy("entropy", p, "--id", "id", "--id", "1", "-d", ",", "-c", "a,b")
    assert (stdout, heavy) == ("r1,0.6931471805599453\n", [])


def test_the_fast_coercion_of_id_agrees_with_typer() -> None:
    from tests.cli.test_startup import simple_params

    ids = [param for _, param in simple_params() if param.name == "ids"]
    assert ids
    for param in ids:
        fast = param._runtime_param
        slow = fast.typer_coercion()
        for value in [("a", "b"), ["x"], ()]:
            assert fast.quick(value) == slow.coerce(value, param=param, ctx=None)
        assert fast.coerce(None, param, None) == slow.coerce(None, param=param, ctx=None)


def test_xent_ids_come_from_pred_and_a_target_file_pairs_by_name(tmp_path: Path) -> None:
    pred = write(tmp_path / "pred.csv", "id,a,b\nr1,0.5,0.5\nr2,0.25,0.75\n")
    indices = write(tmp_path / "y.csv", "label\n0\n1\n")
    out = ok("xent", indices, pred, "--id", "id", "--digits", "4")
    assert out == "r1,0.6931\nr2,0.2877\n"
    soft = write(tmp_path / "soft.csv", "b,a\n0,1\n1,0\n")  # the same targets, reordered
    assert ok("xent", soft, pred, "--id", "id", "--digits", "4") == out


def test_ids_and_an_output_file_is_an_error(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,a,b\nr1,0.5,0.5\n")
    for command in ("entropy", "softmax"):
        line = one_line_error(run(command, p, "--id", "id", "-o", str(tmp_path / "out.csv")))
        assert "--id: ids go to the rows printed on stdout" in line
    assert not (tmp_path / "out.csv").exists()


def test_sgd_data_takes_the_table_options(tmp_path: Path) -> None:
    data = write(tmp_path / "d.csv", "x1;y;x2;note\n1;2;0;a\n2;4;1;b\n3;6;0;c\n4;8;1;d\n")
    picked = json.loads(ok("sgd", "--data", data, "-c", "x1,x2,y", "--seeds", "2", "-f", "json"))
    plain = write(tmp_path / "plain.csv", "1,0,2\n2,1,4\n3,0,6\n4,1,8\n")
    same = json.loads(ok("sgd", "--data", plain, "--seeds", "2", "-f", "json"))
    assert picked["features"] == 2
    assert picked["optimal_loss"] == same["optimal_loss"]
    assert "'a': not a number" in one_line_error(run("sgd", "--data", data))


def test_ids_leave_a_summary_record_as_it_is(tmp_path: Path) -> None:
    mu = write(tmp_path / "mu.csv", "id,z1,z2\na,0.5,0.5\nb,0.5,0.5\n")
    out = ok("kl-normal", mu, mu, "--id", "id", "--recon", "1", "-f", "csv")
    assert out.splitlines()[1].split(",")[-2:] == ["mean", "2"]


def test_columns_of_a_tensor_is_an_error(tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "z.npy", np.zeros((2, 3), dtype=np.float32))
    line = one_line_error(run("softmax", f"@{tmp_path / 'z.npy'}", "-c", "1-2"))
    assert "--columns" in line and "LOGITS is a tensor file" in line


def test_ids_are_left_aligned_text_in_tables(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "sample,a,b\nfirst,0.5,0.5\nsecond-long,0.9,0.1\n")
    table = ok("entropy", p, "--id", "sample", "-f", "table")
    assert "| 1   | first       |  0.6931 |" in table
    assert "| 2   | second-long |  0.3251 |" in table
