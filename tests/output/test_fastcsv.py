"""The fast writer: polars writes exactly repr's text, and the background writer thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.output import fastcsv, spec
from nncalc.output import text as render
from tests.conftest import polars_or_skip

finite = st.floats(allow_nan=False, allow_infinity=True, allow_subnormal=True)
bits = st.integers(0, 2**64 - 1).map(lambda b: float(np.uint64(b).view(np.float64)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(finite, bits), min_size=1, max_size=60), st.integers(1, 6))
def test_polars_writes_the_same_text_as_repr(numbers: list[float], width: int) -> None:
    pl = polars_or_skip()
    values = np.array(numbers * width, dtype=np.float64).reshape(-1, width)
    assert bytes(fastcsv.polars_rows(pl, values)).decode() == render.format_rows(values, None)
    column = values[:, :1]
    assert bytes(fastcsv.polars_rows(pl, column, 7)).decode() == render.format_rows(column, None, 7)


@pytest.mark.parametrize(("narrow", "by_repr"), [(64, 4096), (64, 0), (1, 4096)])
def test_polars_text_matches_repr_across_every_magnitude(
    narrow: int, by_repr: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Narrow rows a column each (numbers unlike repr's layout fixed by repr, or
    by polars when many), and the same rows one column for all."""
    monkeypatch.setattr(fastcsv, "NARROW", narrow)
    monkeypatch.setattr(fastcsv, "FIX_BY_REPR", by_repr)
    pl = polars_or_skip()
    rng = np.random.default_rng(11)
    raw = rng.integers(0, 2**63, size=200_000, dtype=np.uint64)
    values = raw.view(np.float64)
    values = np.concatenate([values, -values, [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324]])
    grid = values[: len(values) // 8 * 8].reshape(-1, 8)
    assert bytes(fastcsv.polars_rows(pl, grid)).decode() == render.format_rows(grid, None)
    decades = 10.0 ** np.arange(-330, 308.3, 0.37)
    table = np.stack([decades, -decades, np.nextafter(decades, 0)], axis=1)
    assert bytes(fastcsv.polars_rows(pl, table)).decode() == render.format_rows(table, None)


@pytest.mark.parametrize(("tiny_share", "piece"), [(0.5, 1 << 16), (0.5, 777), (2.0, 1 << 16)])
def test_wide_rows_of_tiny_probabilities_are_repr_s_text(
    tiny_share: float, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most of an LLM-sized softmax row is below 1e-4: polars' scientific text, fixed
    (by moving bytes, a piece at a time, or else number by number in polars)."""
    pl = polars_or_skip()
    monkeypatch.setattr(fastcsv, "TINY_SHARE", tiny_share)
    monkeypatch.setattr(fastcsv, "TINY_PIECE", piece)
    rng = np.random.default_rng(5)
    logits = rng.normal(0.0, 3.0, size=(3, 5000))
    rows = np.exp(logits - logits.max(axis=1, keepdims=True))
    rows /= rows.sum(axis=1, keepdims=True)
    rows[1, :9] = [1e-5, 1.5e-5, 1e-9, 1e-10, 5e-324, -2.5e-7, np.nan, -np.nan, 9.99e-5]
    assert (rows < 1e-4).mean() > 0.5
    assert bytes(fastcsv.polars_rows(pl, rows)).decode() == render.format_rows(rows, None)
    assert fastcsv.scientific(pl, rows[1, :9]).to_list() == [repr(v) for v in rows[1, :9].tolist()]
    # Every magnitude, zeros, infinities and NaN among them, however few.
    mixed = np.exp(rng.normal(-12.0, 6.0, size=(4, 997)))
    mixed[0, :12] = [0.0, -0.0, np.inf, -np.inf, np.nan, 0.5, 123.0, 1e16, 1e22, -1e-7, 1e-4, 1]
    assert bytes(fastcsv.polars_rows(pl, mixed)).decode() == render.format_rows(mixed, None)


def test_polars_is_left_alone_when_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastcsv, "_checked", False)
    monkeypatch.setattr(fastcsv, "_polars", None)
    monkeypatch.setenv("NNCALC_NO_POLARS", "1")
    assert fastcsv.available() is False
    assert fastcsv.polars_module() is None


def test_a_polars_that_lays_out_numbers_differently_is_not_used() -> None:
    class Unlike:
        String = str

        class Series:
            def __init__(self, *args: object, **kwargs: object) -> None:
                raise AttributeError("no such polars")

    assert fastcsv.lays_out_like_repr(Unlike) is False
    assert fastcsv.lays_out_like_repr(polars_or_skip()) is True


def test_tables_wait_for_rows_still_being_written(capsys: pytest.CaptureFixture[str]) -> None:
    from nncalc.output import tables

    writer = fastcsv.Background()
    release = threading.Event()

    def slow_rows() -> None:
        release.wait(5)
        render.write_bytes(b"1.0\n2.0\n")

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(render, "_background", writer)
    try:
        writer.submit(lambda _: slow_rows())
        threading.Timer(0.2, release.set).start()
        tables.render([spec.Table("t", ["quantity", "value"], [["x", "1"]])])
    finally:
        monkeypatch.undo()
    out = capsys.readouterr().out
    assert out.startswith("1.0\n2.0\n") and "quantity" in out


def test_an_error_in_the_writer_thread_reaches_the_command() -> None:
    writer = fastcsv.Background()

    def broken() -> None:
        raise render.PipeClosed

    writer.submit(lambda _: broken())
    with pytest.raises(render.PipeClosed):
        writer.drain()
    writer.drain()  # reported once


def test_two_writer_threads_make_chunks_side_by_side_and_write_them_in_order() -> None:
    """The first chunk is made only once the second is (so both were made at once),
    and is still written first; a failed make drops the jobs after it."""
    writer = fastcsv.Background(2)
    second_made = threading.Event()
    written: list[str] = []

    def first() -> str:
        assert second_made.wait(5), "the second chunk was not made beside the first"
        return "first"

    def second() -> str:
        second_made.set()
        return "second"

    writer.submit(written.append, first)
    writer.submit(written.append, second)
    writer.drain()
    assert written == ["first", "second"]

    def fails() -> str:
        raise render.PipeClosed

    with pytest.raises(render.PipeClosed):  # at the second submit, or at drain
        writer.submit(written.append, fails)
        writer.submit(written.append, lambda: "after")
        writer.drain()
    assert written == ["first", "second"]


class Watched(fastcsv.Background):
    """A writer that tells when a job has failed."""

    def __init__(self, threads: int) -> None:
        self.failed = threading.Event()
        super().__init__(threads)

    def _fail(self, error: BaseException) -> None:
        super()._fail(error)
        self.failed.set()


def test_no_chunk_is_written_after_a_lost_one_even_once_the_error_is_raised() -> None:
    """The second chunk is still being made when the main thread takes the first
    one's error: it is dropped, not written after the gap; after a drain the
    writer writes again."""
    writer = Watched(2)
    second_started, raised = threading.Event(), threading.Event()
    written: list[str] = []

    def lost() -> str:
        assert second_started.wait(5)
        raise render.PipeClosed

    def after() -> str:
        second_started.set()
        assert raised.wait(5)
        return "after"

    writer.submit(written.append, lost)
    writer.submit(written.append, after)
    assert writer.failed.wait(5)
    with pytest.raises(render.PipeClosed):
        writer.submit(written.append, lambda: "third")
    raised.set()
    writer.drain()
    assert written == []
    writer.submit(written.append, lambda: "next")
    writer.drain()
    assert written == ["next"]


def test_a_chunk_is_handed_over_while_another_is_being_written() -> None:
    """submit does not wait for a write in progress (the main thread reads on)."""
    writer = fastcsv.Background(2)
    writing, release, handed = threading.Event(), threading.Event(), threading.Event()
    written: list[str] = []

    def slow_write(made: str) -> None:
        writing.set()
        assert release.wait(5)
        written.append(made)

    writer.submit(slow_write, lambda: "first")
    assert writing.wait(5)

    def hand_over() -> None:
        writer.submit(written.append, lambda: "second")
        handed.set()

    threading.Thread(target=hand_over).start()
    assert handed.wait(5), "submit waited for the write in progress"
    release.set()
    writer.drain()
    assert written == ["first", "second"]
