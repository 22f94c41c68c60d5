"""polars' reader, used for whole reads when polars is loaded, against NumPy's.

polars must never take a text NumPy's reader refuses (the refusal is what
words an error), and must give the same float64, bit for bit, for every
text it takes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nncalc.io import polars_text
from nncalc.io.textrows import load_text

pl = pytest.importorskip("polars")

DIGITS = st.text("0123456789", min_size=1, max_size=30)
NUMBERS = st.builds(
    lambda sign, whole, point, fraction, exponent: f"{sign}{whole}{point}{fraction}{exponent}",
    st.sampled_from(["", "-", "+"]),
    st.one_of(st.just(""), DIGITS),
    st.sampled_from(["", "."]),
    st.one_of(st.just(""), DIGITS),
    st.one_of(
        st.just(""),
        st.builds(
            lambda e, s, d: f"{e}{s}{d}",
            st.sampled_from("eE"),
            st.sampled_from(["", "+", "-"]),
            st.integers(0, 9999).map(str),
        ),
    ),
)
# Anything over the bytes polars is given, and a few that must keep it out.
TOKENS = st.one_of(
    NUMBERS,
    st.text("0123456789.+-eE", max_size=12),
    st.sampled_from(["inf", "-inf", "nan", " 1", "1 ", "1_0", "0x1", "", "\u0661"]),
)


def both(text: str, separator: str, width: int) -> None:
    ours = polars_text.parse(pl, text, separator, width)
    numpy = load_text(text, separator, width)
    if ours is not None:
        assert numpy is not None, text
        assert ours.shape == numpy.shape and ours.tobytes() == numpy.tobytes(), text


@settings(max_examples=1500, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=8), st.sampled_from(polars_text.SEPARATORS))
@example(["1e"], ",")
@example(["9007199254740993"], ",")
@example(["2.4703282292062328e-324"], ",")  # the smallest subnormal's halfway point
@example(["1.7976931348623158e308", "1.7976931348623159e308"], ";")
def test_one_token_a_line(tokens: list[str], separator: str) -> None:
    both("".join(token + "\n" for token in tokens), separator, 1)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.lists(TOKENS, min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from(polars_text.SEPARATORS),
    st.integers(1, 4),
    st.booleans(),
)
def test_rows_ragged_or_not(
    rows: list[list[str]], separator: str, width: int, last_newline: bool
) -> None:
    text = "\n".join(separator.join(row) for row in rows) + ("\n" if last_newline else "")
    both(text, separator, width)


@pytest.mark.parametrize("text", ["0\n0,", "0,0\n0,0,", "0\n0,\n", "0\n0,1", "0,\n0\n"])
def test_a_line_with_an_extra_field_is_left_to_numpy(text: str) -> None:
    width = 2 if text.startswith("0,0") else 1
    assert polars_text.parse(pl, text, ",", width) is None
    assert load_text(text, ",", width) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=40), st.integers(1, 4))
def test_repr_of_any_float_reads_back_exactly(values: list[float], width: int) -> None:
    rows = [values[i : i + width] for i in range(0, len(values) - width + 1, width)]
    text = "".join(",".join(repr(v) for v in row) + "\n" for row in rows)
    if "inf" in text or not rows:
        return
    ours = polars_text.parse(pl, text, ",", width)
    assert ours is not None
    assert ours.tobytes() == np.array(rows, dtype=np.float64).tobytes()


def test_texts_it_leaves_to_numpy() -> None:
    assert polars_text.parse(pl, "1,2\n\n3,4\n", ",", 2) is None  # a blank line
    assert polars_text.parse(pl, "1,2\n3\n", ",", 2) is None  # a short row
    assert polars_text.parse(pl, "1,,2\n", ",", 3) is None  # an empty field
    assert polars_text.parse(pl, "1 2\n", None, 2) is None  # runs of whitespace
    assert polars_text.parse(pl, "inf,nan\n", ",", 2) is None  # spellings: NumPy's
    assert polars_text.parse(pl, "1,2\n", ",", polars_text.MAX_WIDTH + 1) is None
    assert polars_text.reads_like_numpy(pl)


def test_a_softmax_batch_reads_the_same_with_and_without(tmp_path: Path) -> None:
    # A file, as reads from a pipe end wherever the writer paused.
    rng = np.random.default_rng(5)
    rows = rng.normal(0, 2, (60_000, 10))
    text = "".join(",".join(f"{v:.5f}" for v in row) + "\n" for row in rows)
    text += "1.5,2,3,4,5,6,7,8,x,10\n"  # a bad value after 60,000 rows: the same error
    path = tmp_path / "logits.csv"
    path.write_text(text)
    outputs = []
    for off in ("1", "0"):
        run = subprocess.run(
            [sys.executable, "-m", "nncalc", "softmax", f"@{path}"],
            capture_output=True,
            text=True,
            env={"NNCALC_NO_POLARS": off, "PATH": ""},
            check=False,
        )
        outputs.append((run.returncode, run.stdout, run.stderr))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 2 and "logits.csv:60001:9: 'x'" in outputs[0][2]
    assert outputs[0][1].count("\n") > 40_000


def test_a_scalar_command_on_a_small_input_does_not_import_polars(tmp_path: Path) -> None:
    path = tmp_path / "logp.txt"
    path.write_text("".join(f"{-1 - i / 1000!r}\n" for i in range(50_000)))
    code = (
        "import sys\nfrom nncalc.cli.app import app\n"
        "try:\n    app(prog_name='nncalc')\nexcept SystemExit:\n    pass\n"
        "print('polars' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "kl-approx", f"@{path}", f"@{path}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.split() == ["0.0", "False"]


def test_only_narrow_rows_with_one_separator_character_may_use_polars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Checked before polars is looked for: wide rows never pay for its import.
    assert polars_text.loaded(",", polars_text.MAX_WIDTH + 1, 1 << 40) is None
    assert polars_text.loaded(None, 1, 1 << 40) is None
    assert polars_text.loaded(",", 10, 0) is pl  # loaded already in this process
    monkeypatch.setenv("NNCALC_NO_POLARS", "1")
    assert polars_text.loaded(",", 10, 0) is None
