"""Tensor operands: .npy and .npz, format detection, names, pickle refusal, chunking."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nncalc.errors import NncalcError
from nncalc.io.tensors import is_tensor_operand, open_tensor, split_name
from tests.io.tensor_helpers import read_all

RNG = np.random.default_rng(14)


def error_text(text: str, **options: object) -> str:
    with pytest.raises(NncalcError) as caught:
        read_all(text, **options)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", ">f4"])
@pytest.mark.parametrize("shape", [(7,), (5, 7), (2, 3, 7), (2, 1, 2, 7)])
def test_npy_rows_are_the_last_axis_widened_exactly(
    tmp_path: Path, dtype: str, shape: tuple[int, ...]
) -> None:
    array = RNG.standard_normal(shape).astype(dtype)
    np.save(tmp_path / "x.npy", array)
    reader, rows = read_all(f"@{tmp_path / 'x.npy'}", limit=2)
    assert reader.shape == shape
    assert reader.leading_shape == shape[:-1]
    assert reader.columns == 7
    assert reader.rows == int(np.prod(shape[:-1]))
    assert reader.labels is None
    assert rows.dtype == np.float64
    assert np.array_equal(rows, array.astype(np.float64).reshape(-1, 7))


def test_a_1d_tensor_is_one_row_and_a_0d_tensor_one_value(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.array([0.25, 0.75], np.float32))
    reader, rows = read_all(f"@{tmp_path / 'v.npy'}")
    assert (reader.rows, reader.columns, reader.leading_shape) == (1, 2, ())
    assert rows.tolist() == [[0.25, 0.75]]
    np.save(tmp_path / "s.npy", np.float64(3.5))
    reader, rows = read_all(f"@{tmp_path / 's.npy'}")
    assert (reader.rows, reader.columns) == (1, 1)
    assert rows.tolist() == [[3.5]]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "int8"])
def test_integer_and_bool_tensors_widen_for_targets_and_masks(tmp_path: Path, dtype: str) -> None:
    array = np.array([[1, 0, 3], [2, 1, 0]]).astype(dtype)
    np.save(tmp_path / "t.npy", array)
    reader, rows = read_all(f"@{tmp_path / 't.npy'}", one_per_row=True)
    assert (reader.rows, reader.columns, reader.leading_shape) == (6, 1, (2, 3))
    assert rows[:, 0].tolist() == array.astype(np.float64).ravel().tolist()


def test_fortran_order_npy_gives_the_same_rows(tmp_path: Path) -> None:
    array = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    np.save(tmp_path / "f.npy", np.asfortranarray(array))
    _, rows = read_all(f"@{tmp_path / 'f.npy'}", limit=5)
    assert np.array_equal(rows, array.reshape(-1, 5))
    _, column = read_all(f"@{tmp_path / 'f.npy'}", limit=7, one_per_row=True)
    assert np.array_equal(column[:, 0], array.ravel())


def test_nan_and_infinities_pass_through(tmp_path: Path) -> None:
    np.save(tmp_path / "n.npy", np.array([[np.nan, np.inf, -np.inf]], np.float16))
    _, rows = read_all(f"@{tmp_path / 'n.npy'}")
    assert np.isnan(rows[0, 0]) and rows[0, 1] == np.inf and rows[0, 2] == -np.inf


@pytest.mark.parametrize("limit", [None, 1, 3, 4, 10, 100])
def test_chunks_give_every_row_once_in_order(tmp_path: Path, limit: int | None) -> None:
    array = np.arange(30 * 4, dtype=np.float32).reshape(10, 3, 4)
    np.save(tmp_path / "x.npy", array)
    reader = open_tensor(f"@{tmp_path / 'x.npy'}", "P")
    seen: list[float] = []
    firsts = []
    while (chunk := reader.read_chunk(limit)) is not None:
        assert chunk.operand == "P"
        assert len(chunk) <= (limit or 30)
        firsts.append(chunk.first_row)
        seen.extend(chunk.values[:, 0].tolist())
    assert seen == array.reshape(-1, 4)[:, 0].tolist()
    assert firsts[0] == 1 and reader.rows_read == 30 and reader.done
    assert reader.read_chunk(limit) is None
    reader.close()


def test_fill_and_take_read_like_the_text_reader(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.arange(20.0).reshape(10, 2))
    reader = open_tensor(f"@{tmp_path / 'x.npy'}", "P")
    reader.fill(4)
    assert reader.pending == 4
    first, second = reader.take(3), reader.take(3)
    assert first.first_row == 1 and first.values[:, 0].tolist() == [0, 2, 4]
    assert second.first_row == 4 and len(second) == 1
    assert reader.pending == 0 and not reader.done
    reader.fill()
    assert reader.pending == 6 and reader.done
    reader.close()


def test_progress_is_told_every_byte_of_data(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((9, 5), np.float32))
    told: list[int] = []
    reader = open_tensor(f"@{tmp_path / 'x.npy'}", "P", on_read=told.append)
    while reader.read_chunk(4) is not None:
        pass
    assert told == [80, 80, 20]


def test_an_empty_tensor_has_no_rows(tmp_path: Path) -> None:
    np.save(tmp_path / "e.npy", np.zeros((0, 5), np.float32))
    reader, rows = read_all(f"@{tmp_path / 'e.npy'}")
    assert (reader.rows, reader.columns) == (0, 5) and rows.shape == (0, 5)


def test_a_truncated_npy_is_an_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("cut.npy")
    np.save(path, np.zeros((4, 100), np.float32))
    path.write_bytes(path.read_bytes()[:-10])
    text = error_text("@cut.npy")
    assert text.startswith("P: '@cut.npy': truncated")
    assert "1,600 bytes" in text and "1,590" in text


def test_a_file_cut_while_read_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((8, 1000), np.float64))
    reader = open_tensor(f"@{path}", "P")
    assert reader.read_chunk(2) is not None
    with open(path, "r+b") as handle:
        handle.truncate(4000)
    with pytest.raises(NncalcError, match="truncated: the file ended before its last row"):
        reader.read_chunk(2)
    reader.close()


@pytest.mark.parametrize(
    ("array", "shown"),
    [
        (np.zeros(3, np.complex64), "'<c8'"),
        (np.array(["a", "b"]), "'<U1'"),
        (np.zeros(2, np.longdouble), "'<f16'"),
        (np.zeros(2, [("a", "<f4"), ("b", "<f4")]), "'|V8'"),
    ],
)
def test_dtypes_that_are_not_numbers_are_refused(
    tmp_path: Path, array: np.ndarray, shown: str
) -> None:
    np.save(tmp_path / "d.npy", array)
    text = error_text(f"@{tmp_path / 'd.npy'}")
    assert f"dtype {shown} is not supported" in text


def test_an_object_npy_is_refused_without_unpickling(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert "dtype '|O' is not supported" in error_text(f"@{tmp_path / 'o.npy'}")


def test_a_damaged_npy_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': 'zz'}\n")
    assert "not a valid .npy file" in error_text(f"@{path}")
    path.write_bytes(b"\x93NUMPY\x07\x00")
    assert ".npy format version 7.0 is not supported" in error_text(f"@{path}")
    path.write_bytes(b"\x93NUMPY\x01")
    assert "not a valid .npy file" in error_text(f"@{path}")


def test_npz_members_by_name_read_whole(tmp_path: Path) -> None:
    logits = RNG.standard_normal((2, 3, 5)).astype(np.float32)
    targets = np.array([[1, 2, 0], [4, 4, 3]])
    np.savez_compressed(tmp_path / "b.npz", logits=logits, targets=targets)
    reader, rows = read_all(f"@{tmp_path / 'b.npz'}:logits", limit=4)
    assert reader.shape == (2, 3, 5) and np.array_equal(rows, logits.reshape(-1, 5))
    reader, rows = read_all(f"@{tmp_path / 'b.npz'}:targets", one_per_row=True)
    assert rows[:, 0].tolist() == [1, 2, 0, 4, 4, 3]
    np.savez(tmp_path / "one.npz", only=logits)
    _, rows = read_all(f"@{tmp_path / 'one.npz'}")
    assert np.array_equal(rows, logits.reshape(-1, 5))


def test_npz_names_missing_or_unknown_list_the_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    np.savez("b.npz", logits=np.zeros(2), targets=np.zeros(2))
    assert error_text("@b.npz") == (
        "P: '@b.npz': holds 2 tensors: name one as @file:NAME ('logits', 'targets')"
    )
    assert error_text("@b.npz:probs").endswith(
        "holds no tensor 'probs' (it holds 'logits', 'targets')"
    )


def test_damaged_npz_files_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "b.npz"
    np.savez(path, logits=np.zeros((50, 50)))
    path.write_bytes(path.read_bytes()[:3000])
    assert "damaged or truncated zip" in error_text(f"@{path}")
    np.savez(path, objects=np.array([None, 1], dtype=object))
    assert "cannot read member 'objects'" in error_text(f"@{path}")


def test_a_zip_without_npy_members_is_not_npz(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert is_tensor_operand(str(tmp_path / "x.zip"))
    assert "not a .npz file" in error_text(f"@{tmp_path / 'x.zip'}")


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin", ".pkl"])
def test_pickle_files_are_refused_by_extension(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"cos\nsystem\n(S'echo hi'\ntR.")  # a protocol-0 pickle: no magic
    assert is_tensor_operand(str(path))
    text = error_text(f"@{path}")
    assert "loading it runs the code it holds" in text
    assert "safetensors.torch.save_file" in text and "np.save('f.npy', t.float().numpy())" in text
    assert "\n" not in text


def test_pickle_files_are_refused_by_their_first_bytes(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "logits.csv"
    path.write_bytes(pickle.dumps([1.0, 2.0], protocol=4))
    assert is_tensor_operand(str(path))
    assert "a pickle-based file" in error_text(f"@{path}")
    torch_like = tmp_path / "weights.npz"
    with zipfile.ZipFile(torch_like, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({}))
        archive.writestr("archive/data/0", b"\0" * 8)
    assert "a pickle-based file" in error_text(f"@{torch_like}")


def test_detection_uses_first_bytes_before_the_extension(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros((2, 2)))
    disguised = tmp_path / "logits.csv"
    disguised.write_bytes((tmp_path / "a.npy").read_bytes())
    assert is_tensor_operand(str(disguised))
    _, rows = read_all(f"@{disguised}")
    assert rows.shape == (2, 2)
    text_file = tmp_path / "p.csv"
    text_file.write_text("0.5,0.5\n")
    assert not is_tensor_operand(str(text_file))
    fake = tmp_path / "p.npy"
    fake.write_text("0.5,0.5\n")
    assert is_tensor_operand(str(fake))
    assert "not a .npy file: its first bytes are not that format's" in error_text(f"@{fake}")
    assert "not a tensor file (.npy, .npz, .safetensors, .jsonl, .ndjson)" in error_text(
        f"@{text_file}"
    )


def test_missing_files_are_tensors_by_extension_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert is_tensor_operand(str(tmp_path / "nope.npy"))
    assert is_tensor_operand(str(tmp_path / "nope.safetensors") + ":logits")
    assert is_tensor_operand(str(tmp_path / "nope.jsonl"))
    assert not is_tensor_operand(str(tmp_path / "nope.csv"))
    assert not is_tensor_operand(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert error_text("@nope.npz:x") == "P: '@nope.npz:x': no such file"
    assert error_text("@.") == "P: '@.': is a directory, not a file"


def test_a_path_with_a_colon_that_exists_whole_is_that_file(tmp_path: Path) -> None:
    whole = tmp_path / "run:3.npy"
    np.save(whole, np.ones((1, 2)))
    assert split_name(str(whole)) == (str(whole), None)
    assert split_name(f"{tmp_path / 'b.npz'}:a:b") == (str(tmp_path / "b.npz"), "a:b")
    np.savez(tmp_path / "b.npz", x=np.ones(2))
    assert split_name(f"{tmp_path / 'b.npz'}:a:b") == (str(tmp_path / "b.npz"), "a:b")
    assert split_name(str(tmp_path / "c.csv:x")) == (str(tmp_path / "c.csv:x"), None)
    _, rows = read_all(f"@{whole}")
    assert rows.tolist() == [[1.0, 1.0]]
    assert "nothing to name after ':'" in error_text(f"@{whole}:x")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_never_read_to_detect_its_format(tmp_path: Path) -> None:
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(fifo, os.O_WRONLY)
    try:
        os.write(writer, b"\x93NUMPY rows")
        assert not is_tensor_operand(str(fifo))
        assert os.read(reader, 100) == b"\x93NUMPY rows"  # every byte still there
        named = tmp_path / "rows.npy"
        os.mkfifo(named)
        assert is_tensor_operand(str(named))
        assert "not a regular file" in error_text(f"@{named}")
    finally:
        os.close(writer)
        os.close(reader)
