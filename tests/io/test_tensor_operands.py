"""Tensor files as operands of every command: the same rows, the same pipeline, the same errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

import nncalc.io.tensor_rows as tensor_rows
from tests.conftest import ok, one_line_error, run
from tests.io.tensor_helpers import bf16_bits, bf16_reference, safetensors_bytes, save_arrays

RNG = np.random.default_rng(14)


def csv_text(rows: np.ndarray) -> str:
    """Rows as text that reads back to exactly the same float64."""
    return "".join(",".join(repr(float(v)) for v in row) + "\n" for row in np.atleast_2d(rows))


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def numbers(stdout: str) -> np.ndarray:
    return np.array([float(line) for line in stdout.split()])


@pytest.fixture
def logits(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    p = RNG.normal(0, 2, size=(6, 5)).astype(np.float32)
    q = (p + RNG.normal(0, 0.3, size=p.shape)).astype(np.float32)
    np.save(tmp_path / "a.npy", p)
    np.save(tmp_path / "b.npy", q)
    return tmp_path / "a.npy", tmp_path / "b.npy", p.astype(np.float64), q.astype(np.float64)


def test_kl_of_two_npy_logits_matches_numpy(
    logits: tuple[Path, Path, np.ndarray, np.ndarray],
) -> None:
    a, b, p, q = logits
    lp, lq = log_softmax(p), log_softmax(q)
    expected = (np.exp(lp) * (lp - lq)).sum(axis=-1)
    rows = numbers(ok("kl", f"@{a}", f"@{b}", "--logits", "--reduction", "none"))
    np.testing.assert_allclose(rows, expected, rtol=1e-12)
    mean = float(ok("kl", f"@{a}", f"@{b}", "--logits"))
    assert mean == pytest.approx(expected.mean(), rel=1e-12)


# Every per-row command, with tensor operands in place of CSV files of the same rows.
COMMANDS = {
    "kl": ["kl", "{a}", "{b}", "--logits"],
    "js": ["js", "{a}", "{b}", "--logits"],
    "entropy": ["entropy", "{a}", "--logits", "-t", "2"],
    "softmax": ["softmax", "{a}", "--log"],
    "xent": ["xent", "{labels}", "{a}", "--logits"],
    "distill": ["distill", "{a}", "{b}", "-t", "2", "--label", "{labels}"],
    "kl-approx": ["kl-approx", "{logp}", "{logq}"],
    "kl-normal": ["kl-normal", "{a}", "{b}"],
    "compare": ["compare", "{a}", "{b}", "--target", "{labels}"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_reads_tensors_as_it_reads_the_same_rows_as_text(
    name: str, logits: tuple[Path, Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    _, _, p, q = logits
    labels = np.array([0, 4, 2, 2, 1, 3])
    arrays = {"a": p, "b": q, "labels": labels, "logp": log_softmax(p), "logq": log_softmax(q)}
    text, tensor = {}, {}
    for key, array in arrays.items():
        (tmp_path / f"{key}.csv").write_text(csv_text(array.reshape(len(array), -1)))
        text[key] = f"@{tmp_path / key}.csv"
        tensor[key] = f"@{tmp_path / key}.npy"
        np.save(tmp_path / f"{key}.npy", array)
    args = COMMANDS[name]
    for fmt in (["-f", "plain"], ["-f", "json"]):
        from_text = ok(*[arg.format(**text) for arg in args], *fmt)
        from_tensors = ok(*[arg.format(**tensor) for arg in args], *fmt)
        assert from_tensors == from_text


def test_softmax_of_a_safetensors_file_by_the_reference_package(tmp_path: Path) -> None:
    z = RNG.normal(0, 3, size=(4, 7)).astype(np.float32)
    save_file({"logits": z}, str(tmp_path / "z.safetensors"))
    expected = np.exp(log_softmax(z.astype(np.float64)))
    for operand in ("z.safetensors", "z.safetensors:logits"):
        got = json.loads(ok("softmax", f"@{tmp_path / operand}", "-f", "json"))
        assert got["rows"] == 4
        np.testing.assert_allclose(got["probabilities"], expected, rtol=1e-14)


def test_bf16_and_f16_safetensors_widen_exactly(tmp_path: Path) -> None:
    z = RNG.normal(0, 3, size=(3, 4)).astype(np.float32)
    bits = bf16_bits(z)
    entries = {
        "bf16": ("BF16", z.shape, bits.tobytes()),
        "f16": ("F16", z.shape, z.astype("<f2").tobytes()),
    }
    (tmp_path / "m.safetensors").write_bytes(safetensors_bytes(entries))
    for name, rows in (("bf16", bf16_reference(bits)), ("f16", z.astype(np.float16))):
        got = ok("softmax", f"@{tmp_path}/m.safetensors:{name}", "--log", "-f", "json")
        expected = log_softmax(np.asarray(rows, np.float64))
        np.testing.assert_allclose(json.loads(got)["log_probabilities"], expected, rtol=1e-14)


def test_npz_members_and_jsonl_rows_are_operands(tmp_path: Path) -> None:
    p = np.array([[0.5, 0.5], [0.9, 0.1]])
    q = np.array([[0.25, 0.75], [0.5, 0.5]])
    np.savez(tmp_path / "pq.npz", p=p, q=q)
    (tmp_path / "q.jsonl").write_text(
        '{"id": "a", "x": 0.25, "y": 0.75}\n{"id": "b", "x": 0.5, "y": 0.5}\n'
    )
    from_npz = ok("kl", f"@{tmp_path}/pq.npz:p", f"@{tmp_path}/pq.npz:q", "-r", "none")
    (tmp_path / "p.csv").write_text(csv_text(p))
    (tmp_path / "q.csv").write_text(csv_text(q))
    assert from_npz == ok("kl", f"@{tmp_path}/p.csv", f"@{tmp_path}/q.csv", "-r", "none")
    with_jsonl = ok("kl", f"@{tmp_path}/pq.npz:p", f"@{tmp_path}/q.jsonl", "-r", "none")
    assert with_jsonl == from_npz


def test_xent_targets_by_shape_as_pytorch_decides(tmp_path: Path) -> None:
    z = RNG.normal(0, 2, size=(2, 3, 5))
    labels = RNG.integers(0, 5, size=(2, 3))
    soft = np.exp(log_softmax(RNG.normal(size=(2, 3, 5))))
    for name, array in (("z", z), ("labels", labels), ("fl", labels.astype(float)), ("y", soft)):
        np.save(tmp_path / f"{name}.npy", array)
    lq = log_softmax(z)
    hard = -np.take_along_axis(lq, labels[..., None], axis=-1)[..., 0].reshape(-1)

    def xent_rows(target: str, pred: str) -> np.ndarray:
        args = [f"@{tmp_path}/{target}", f"@{tmp_path}/{pred}", "--logits", "-r", "none"]
        return numbers(ok("xent", *args))

    for target in ("labels", "fl"):  # (B, S) against (B, S, C): one class index per element
        np.testing.assert_allclose(xent_rows(f"{target}.npy", "z.npy"), hard, rtol=1e-13)
    # The same shape as PRED: distributions.
    soft_rows = -(soft * lq).sum(axis=-1).reshape(-1)
    np.testing.assert_allclose(xent_rows("y.npy", "z.npy"), soft_rows, rtol=1e-13)
    # A 1-D tensor against a CSV file: one class index per row, as one number per line.
    (tmp_path / "z.csv").write_text(csv_text(z.reshape(6, 5)))
    np.save(tmp_path / "flat.npy", labels.reshape(-1))
    np.testing.assert_allclose(xent_rows("flat.npy", "z.csv"), hard, rtol=1e-13)


def test_per_row_json_of_a_tensor_is_flat_in_c_order(tmp_path: Path) -> None:
    z = RNG.normal(size=(2, 3, 4))
    np.save(tmp_path / "z.npy", z)
    got = json.loads(ok("entropy", f"@{tmp_path}/z.npy", "--logits", "-r", "none", "-f", "json"))
    p = np.exp(log_softmax(z))
    assert got["rows"] == 6
    np.testing.assert_allclose(got["values"], -(p * np.log(p)).sum(-1).reshape(-1), rtol=1e-13)


def test_rows_pair_across_chunks_of_different_sizes(
    logits: tuple[Path, Path, np.ndarray, np.ndarray],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _, p, q = logits
    (tmp_path / "q.csv").write_text(csv_text(q))
    whole = ok("kl", f"@{a}", f"@{tmp_path}/q.csv", "--logits", "-r", "none")
    monkeypatch.setattr(tensor_rows, "CHUNK_VALUES", 2 * 5)  # chunks of 2 rows of the tensor
    assert ok("kl", f"@{a}", f"@{tmp_path}/q.csv", "--logits", "-r", "none") == whole
    assert ok("kl", f"@{tmp_path}/q.csv", f"@{a}", "--logits", "-r", "none") != ""
    # A literal row pairs with every row of a tensor.
    literal = ",".join(repr(float(v)) for v in q[0])
    rows = numbers(ok("kl", f"@{a}", literal, "--logits", "-r", "none"))
    lp, lq = log_softmax(p), log_softmax(q[:1])
    np.testing.assert_allclose(rows, (np.exp(lp) * (lp - lq)).sum(-1), rtol=1e-12)


def test_mismatched_shapes_are_one_line_errors(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros((2, 3, 5), np.float32))
    np.save(tmp_path / "rows.npy", np.zeros((2, 4, 5), np.float32))
    np.save(tmp_path / "wide.npy", np.zeros((2, 3, 6), np.float32))
    line = one_line_error(run("kl", f"@{tmp_path}/a.npy", f"@{tmp_path}/rows.npy", "--logits"))
    assert "Q has more rows than P (P ends after 6 rows)" in line
    assert "P has shape (2, 3, 5), Q (2, 4, 5)" in line
    line = one_line_error(run("kl", f"@{tmp_path}/a.npy", f"@{tmp_path}/wide.npy", "--logits"))
    assert (
        line
        == "nncalc: error: Q: rows have 6 values but P rows have 5; they must have the same length"
    )
    (tmp_path / "two.csv").write_text("1,2,3,4,5\n1,2,3,4,5\n")
    line = one_line_error(run("kl", f"@{tmp_path}/two.csv", f"@{tmp_path}/a.npy", "--logits"))
    assert "Q has more rows than P (P ends after 2 rows)" in line


def test_pickle_files_are_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("model.pt").write_bytes(b"\x80\x04\x95 not read")
    line = one_line_error(run("kl", "@model.pt", "0.5,0.5"))
    assert line.startswith("nncalc: error: P: '@model.pt': a pickle-based file: loading it")
    assert "runs the code it holds" in line and "safetensors.torch.save_file" in line


def test_tensor_names_missing_or_unknown_list_the_names(tmp_path: Path) -> None:
    save_arrays(tmp_path / "m.safetensors", {"base": np.zeros((2, 3)), "new": np.ones((2, 3))})
    line = one_line_error(run("softmax", f"@{tmp_path}/m.safetensors"))
    assert "holds 2 tensors: name one as @file:NAME ('base', 'new')" in line
    line = one_line_error(run("softmax", f"@{tmp_path}/m.safetensors:old"))
    assert "holds no tensor 'old' (it holds 'base', 'new')" in line
