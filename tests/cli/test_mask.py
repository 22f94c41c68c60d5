"""`--mask M` on every per-row command: rows marked 0 leave the results and every reduction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ok, one_line_error, run

P_ROWS = "0.5,0.5\n0.9,0.1\n0.2,0.8\n1,0\n0.3,0.7\n"
MASK = [1, 0, 1, 1, 0]
KEPT = [0, 2, 3]  # 0-based rows MASK keeps


@pytest.fixture
def p_file(tmp_path: Path) -> str:
    (tmp_path / "p.csv").write_text(P_ROWS)
    return f"@{tmp_path / 'p.csv'}"


def literal(mask: list[int]) -> str:
    return ",".join(map(str, mask))


def kept_rows(text: str, kept: list[int]) -> str:
    lines = text.splitlines()
    return "".join(lines[i] + "\n" for i in kept)


def test_a_literal_mask_drops_rows_from_the_printed_rows(p_file: str) -> None:
    plain = ok("kl", p_file, "0.5,0.5", "-r", "none", "--mask", literal(MASK))
    every = ok("kl", p_file, "0.5,0.5", "-r", "none").splitlines()
    assert plain.splitlines() == [every[i] for i in KEPT]


def test_csv_rows_keep_their_input_row_numbers(p_file: str) -> None:
    csv = ok("kl", p_file, "0.5,0.5", "-r", "none", "-f", "csv", "--mask", literal(MASK))
    assert [line.split(",")[0] for line in csv.splitlines()] == ["row", "1", "3", "4"]


def test_json_counts_the_kept_rows(p_file: str) -> None:
    document = json.loads(
        ok("kl", p_file, "0.5,0.5", "-r", "none", "-f", "json", "--mask", "0,1,1,0,0")
    )
    assert document["rows"] == 2 and len(document["values"]) == 2
    reduced = json.loads(ok("kl", p_file, "0.5,0.5", "-f", "json", "--mask", "0,1,1,0,0"))
    assert reduced["rows"] == 2


def test_the_table_numbers_the_kept_rows(p_file: str) -> None:
    table = ok("kl", p_file, "0.5,0.5", "-f", "table", "--mask", "0,0,0,1,0")
    assert "| 4   |" in table and "| 1   |" not in table
    assert "mean over 1 row\n" in table or "mean over 1 row " in table


@pytest.mark.parametrize("reduction", ["mean", "sum", "max", "min", "median", "p90"])
def test_every_reduction_is_over_the_kept_rows_only(
    reduction: str, p_file: str, tmp_path: Path
) -> None:
    (tmp_path / "kept.csv").write_text(kept_rows(P_ROWS, KEPT))
    masked = ok("kl", p_file, "0.5,0.5", "-r", reduction, "--mask", literal(MASK))
    assert masked == ok("kl", f"@{tmp_path / 'kept.csv'}", "0.5,0.5", "-r", reduction)


def write_mask(tmp_path: Path, form: str, mask: list[int]) -> tuple[str, str | None]:
    """The --mask operand in ``form`` and what stdin holds for it."""
    if form == "literal":
        return literal(mask), None
    if form == "stdin":
        return "-", "".join(f"{m}\n" for m in mask)
    if form == "text":
        (tmp_path / "mask.txt").write_text("# attention mask\n" + "".join(f"{m}\n" for m in mask))
        return f"@{tmp_path / 'mask.txt'}", None
    dtype = {"npy-bool": np.bool_, "npy-int8": np.int8, "npy-float": np.float32}[form]
    np.save(tmp_path / "mask.npy", np.array(mask, dtype=dtype))
    return f"@{tmp_path / 'mask.npy'}", None


@pytest.mark.parametrize("form", ["literal", "stdin", "text", "npy-bool", "npy-int8", "npy-float"])
def test_every_form_of_mask_gives_the_same_rows(form: str, p_file: str, tmp_path: Path) -> None:
    mask, stdin = write_mask(tmp_path, form, MASK)
    result = run("kl", p_file, "0.5,0.5", "-r", "none", "--mask", mask, input=stdin)
    assert result.exit_code == 0, result.stderr
    expected = ok("kl", p_file, "0.5,0.5", "-r", "none", "--mask", literal(MASK))
    assert result.stdout == expected


def test_a_two_dimensional_npy_mask_is_read_in_c_order(tmp_path: Path) -> None:
    """A (batch, sequence) attention mask against batch x sequence rows, flattened."""
    rows = np.random.default_rng(3).dirichlet(np.ones(4), 6)
    (tmp_path / "p.csv").write_text("".join(",".join(map(repr, r)) + "\n" for r in rows.tolist()))
    attention = np.array([[1, 1, 0], [1, 0, 0]], dtype=np.int64)
    np.save(tmp_path / "mask.npy", attention)
    args = ["entropy", f"@{tmp_path / 'p.csv'}", "-r", "none", "-f", "csv"]
    csv = ok(*args, "--mask", f"@{tmp_path / 'mask.npy'}")
    assert [line.split(",")[0] for line in csv.splitlines()[1:]] == ["1", "2", "4"]


# The per-row commands, each with a five-row batch; the mask drops rows 2 and 5.
COMMANDS = {
    "kl": (["kl", "@P", "@Q"], {}),
    "kl --logits": (["kl", "@L", "@M", "--logits", "-t", "2"], {}),
    "xent": (["xent", "@Y", "@L", "--logits"], {}),
    "xent --weight": (["xent", "@Y", "@L", "--logits", "--weight", "1,2,3"], {}),
    "xent soft": (["xent", "@P", "@Q"], {}),
    "entropy": (["entropy", "@P"], {}),
    "js": (["js", "@P", "@Q"], {}),
    "kl-approx": (["kl-approx", "@L", "@M"], {}),
    "distill": (["distill", "@L", "@M", "--label", "@Y", "-t", "2"], {}),
    "kl-normal": (["kl-normal", "@L", "@M"], {}),
}


def operand_files(folder: Path, rows: list[int] | None) -> dict[str, str]:
    rng = np.random.default_rng(11)
    data = {
        "P": rng.dirichlet(np.ones(3), 5),
        "Q": rng.dirichlet(np.ones(3), 5),
        "L": rng.normal(-1.0, 1.0, (5, 3)),
        "M": rng.normal(-1.0, 1.0, (5, 3)),
        "Y": rng.integers(0, 3, (5, 1)).astype(float),
    }
    paths = {}
    for name, values in data.items():
        shown = values if rows is None else values[rows]
        path = folder / f"{name}.csv"
        path.write_text("".join(",".join(map(repr, r)) + "\n" for r in shown.tolist()))
        paths[f"@{name}"] = f"@{path}"
    return paths


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("reduction", ["mean", "none", "median"])
def test_a_masked_batch_is_the_batch_of_its_kept_rows(
    command: str, reduction: str, tmp_path: Path
) -> None:
    (tmp_path / "all").mkdir()
    (tmp_path / "kept").mkdir()
    every = operand_files(tmp_path / "all", None)
    kept = operand_files(tmp_path / "kept", KEPT)
    args, _ = COMMANDS[command]
    masked = ok(*[every.get(a, a) for a in args], "-r", reduction, "--mask", literal(MASK))
    assert masked == ok(*[kept.get(a, a) for a in args], "-r", reduction)


def test_kl_approx_stats_pool_the_kept_rows_only(tmp_path: Path) -> None:
    (tmp_path / "all").mkdir()
    (tmp_path / "kept").mkdir()
    every = operand_files(tmp_path / "all", None)
    kept = operand_files(tmp_path / "kept", KEPT)
    masked = ok("kl-approx", every["@L"], every["@M"], "--stats", "--mask", literal(MASK))
    assert masked == ok("kl-approx", kept["@L"], kept["@M"], "--stats")
    assert "samples=9\n" in masked


def test_masked_rows_are_never_checked(tmp_path: Path) -> None:
    """Padding rows may hold anything: they are dropped before the math sees them."""
    (tmp_path / "p.csv").write_text("0.5,0.5\n0,0\n0.9,0.1\n")
    assert ok("kl", f"@{tmp_path / 'p.csv'}", "0.5,0.5", "--mask", "1,0,1", "-r", "none") == (
        "0.0\n0.3680642071684971\n"
    )


def test_an_error_in_a_kept_row_names_its_input_row(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("# header comment\n0,0\n0.5,0.5\n0.2,0.2\n")
    line = one_line_error(run("kl", f"@{tmp_path / 'p.csv'}", "0.5,0.5", "--mask", "0,1,1"))
    assert line.startswith("nncalc: error: P row 3 (line 4): row sums to 0.4")


def test_a_gate_names_the_input_row(p_file: str) -> None:
    result = run("kl", p_file, "0.5,0.5", "-r", "none", "--mask", "0,0,1,1,0", "--max", "0.5")
    assert result.exit_code == 1
    assert (
        result.stderr == "nncalc: check failed: row 4: kl = 0.6931471805599453 exceeds --max 0.5\n"
    )


def test_a_literal_operand_with_a_one_entry_mask() -> None:
    assert ok("kl", "0,1", "0.5,0.5", "--mask", "1") == ok("kl", "0,1", "0.5,0.5")
    line = one_line_error(run("kl", "0,1", "0.5,0.5", "--mask", "1,1"))
    assert line == "nncalc: error: --mask: the mask has 2 entries for 1 row; they must match"


@pytest.mark.parametrize(
    ("mask", "stdin", "message"),
    [
        ("1,0,1", None, "--mask: the mask has 3 entries for at least 5 rows; they must match"),
        ("1,0,1,1,1,1", None, "--mask: the mask has 6 entries for 5 rows; they must match"),
        ("-", "1\n0\n1\n", "P row 4: P has more rows than --mask (--mask ends after 3 rows)"),
        ("-", "1\n0\n1\n1\n1\n1\n", "--mask row 6: --mask has more rows than P"),
        ("1,0,2,1,1", None, "--mask row 3: '2.0': a mask entry must be 0 or 1"),
        ("-", "1\n0\n0.5\n1\n1\n", "--mask row 3: '0.5': a mask entry must be 0 or 1"),
        ("-", "1,1\n1,1\n0,0\n1,1\n1,1\n", "--mask row 1: rows have 2 values; a mask has one"),
        ("0,0,0,0,0", None, "--mask: the mask keeps no row: nothing to compute"),
        ("1,0,x,1,1", None, "--mask column 3: 'x': not a number"),
        ("@missing.npy", None, "--mask: '@missing.npy': no such file"),
    ],
)
def test_a_bad_mask_is_one_line(mask: str, stdin: str | None, message: str, p_file: str) -> None:
    line = one_line_error(run("kl", p_file, "0.5,0.5", "--mask", mask, input=stdin))
    assert line.startswith(f"nncalc: error: {message}"), line


def test_a_tensor_mask_of_the_wrong_size(p_file: str, tmp_path: Path) -> None:
    np.save(tmp_path / "mask.npy", np.ones((2, 3)))
    line = one_line_error(run("kl", p_file, "0.5,0.5", "--mask", f"@{tmp_path / 'mask.npy'}"))
    assert "--mask has more rows than P" in line


def test_only_one_operand_reads_stdin() -> None:
    line = one_line_error(run("kl", "-", "0.5,0.5", "--mask", "-", input="0.5,0.5\n"))
    assert line.startswith("nncalc: error: --mask: P already reads standard input")
