"""nncalc compare: formats, gates, targets, masks, probabilities and errors, against references."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

import nncalc.io.tensor_rows as tensor_rows
from nncalc.core.compare import compare
from nncalc.core.compare_report import STATISTICS, TARGET_STATISTICS
from tests.conftest import ok, one_line_error, run
from tests.core.mp_reference import mp_kl, mp_log_softmax

ALWAYS = [name for name in STATISTICS if name not in TARGET_STATISTICS]


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def plain(stdout: str) -> dict[str, float]:
    pairs = [line.split("=", 1) for line in stdout.splitlines()]
    return {name: float(value) for name, value in pairs}


class Data:
    """Logits of two models on (4, 10) positions of 7 classes, targets and a mask, as files."""

    def __init__(self, directory: Path) -> None:
        rng = np.random.default_rng(1414)
        self.base = rng.normal(0.0, 2.0, (4, 10, 7))
        self.new = self.base + rng.normal(0.0, 0.2, self.base.shape)
        self.new[1, 3] = self.base[1, 3]  # one row unchanged: KL exactly 0
        self.target = rng.integers(0, 7, (4, 10))
        self.mask = (rng.random((4, 10)) < 0.8).astype(np.int64)
        self.dir = directory
        for name in ("base", "new", "target", "mask"):
            np.save(directory / f"{name}.npy", getattr(self, name))

    def path(self, name: str) -> str:
        return f"@{self.dir / name}.npy"

    def args(self, *more: str) -> list[str]:
        return ["compare", self.path("base"), self.path("new"), *more]


@pytest.fixture
def data(tmp_path: Path) -> Data:
    return Data(tmp_path)


def test_plain_is_name_value_lines_in_report_order(data: Data) -> None:
    lines = ok(*data.args()).splitlines()
    assert [line.split("=")[0] for line in lines] == ALWAYS
    with_targets = ok(*data.args("--target", data.path("target"))).splitlines()
    assert [line.split("=")[0] for line in with_targets] == list(STATISTICS)


def test_kl_statistics_against_mpmath_and_numpy(data: Data) -> None:
    got = plain(ok(*data.args()))
    base, new = data.base.reshape(-1, 7), data.new.reshape(-1, 7)
    kl = np.array([float(mp_kl(b, n)) for b, n in zip(base, new, strict=True)])
    assert got["rows"] == 40
    assert got["kl.mean"] == pytest.approx(kl.mean(), rel=1e-13)
    assert got["kl.mean_se"] == pytest.approx(kl.std(ddof=1) / math.sqrt(40), rel=1e-12)
    assert got["kl.min"] == 0.0 and got["kl.max"] == pytest.approx(kl.max(), rel=1e-13)
    for name, percent in (("p1", 1), ("p10", 10), ("median", 50), ("p90", 90), ("p99.9", 99.9)):
        assert got[f"kl.{name}"] == pytest.approx(np.percentile(kl, percent), rel=1e-12)
    reverse = np.mean([float(mp_kl(n, b)) for b, n in zip(base, new, strict=True)])
    assert got["kl_reverse.mean"] == pytest.approx(reverse, rel=1e-13)
    agree = np.mean(base.argmax(axis=-1) == new.argmax(axis=-1))
    assert got["top1_agree"] == agree


def test_target_statistics_against_mpmath_and_numpy(data: Data) -> None:
    got = plain(ok(*data.args("--target", data.path("target"))))
    base, new, target = data.base.reshape(-1, 7), data.new.reshape(-1, 7), data.target.ravel()
    ln_p = np.array([float(mp_log_softmax(b)[t]) for b, t in zip(base, target, strict=True)])
    ln_q = np.array([float(mp_log_softmax(n)[t]) for n, t in zip(new, target, strict=True)])
    assert got["ppl.base"] == pytest.approx(math.exp(-ln_p.mean()), rel=1e-13)
    assert got["ppl.new"] == pytest.approx(math.exp(-ln_q.mean()), rel=1e-13)
    ln_ratio = ln_p - ln_q
    assert got["ppl.ln_ratio"] == pytest.approx(ln_ratio.mean(), rel=1e-12)
    assert got["ppl.ln_ratio_se"] == pytest.approx(ln_ratio.std(ddof=1) / math.sqrt(40), rel=1e-12)
    assert got["ppl.ratio"] == pytest.approx(math.exp(ln_ratio.mean()), rel=1e-13)
    p, q = np.exp(ln_p), np.exp(ln_q)
    dp = q - p
    assert got["dp.mean"] == pytest.approx(dp.mean(), rel=1e-12)
    assert got["dp.rms"] == pytest.approx(math.sqrt(np.mean(dp * dp)), rel=1e-13)
    for name, percent in (("p0.1", 0.1), ("p25", 25), ("median", 50), ("p75", 75)):
        assert got[f"dp.{name}"] == pytest.approx(np.percentile(dp, percent), rel=1e-11)
    assert got["p.pearson_r"] == pytest.approx(np.corrcoef(p, q)[0, 1], rel=1e-13)
    assert got["ln_p.pearson_r"] == pytest.approx(np.corrcoef(ln_p, ln_q)[0, 1], rel=1e-13)


def test_json_is_the_reports_document_with_every_key(data: Data) -> None:
    document = json.loads(ok(*data.args("--format", "json")))
    assert list(document) == [*STATISTICS, "kl.histogram"]
    assert all(document[name] is None for name in TARGET_STATISTICS)
    expected = compare(data.base, data.new)
    assert document == json.loads(expected.to_json())
    with_targets = json.loads(ok(*data.args("-f", "json", "--target", data.path("target"))))
    assert with_targets == json.loads(compare(data.base, data.new, data.target).to_json())
    assert sum(rows for _, rows in with_targets["kl.histogram"]) == 40


def test_csv_is_a_header_and_a_row(data: Data) -> None:
    rows = list(csv.reader(io.StringIO(ok(*data.args("-f", "csv", "--digits", "3")))))
    assert rows[0] == ALWAYS
    assert len(rows) == 2 and rows[1][0] == "40"
    top1 = plain(ok(*data.args()))["top1_agree"]
    assert rows[1][ALWAYS.index("top1_agree")] == f"{top1:.3g}"


def test_digits_round_every_format(data: Data) -> None:
    full = plain(ok(*data.args()))
    rounded = plain(ok(*data.args("--digits", "2")))
    assert rounded == {name: float(f"{value:.2g}") for name, value in full.items()}
    document = json.loads(ok(*data.args("-f", "json", "--digits", "2")))
    assert {name: document[name] for name in full} == rounded


def test_table_has_the_blocks_and_a_histogram(data: Data) -> None:
    text = ok(*data.args("-f", "table", "--target", data.path("target")))
    for title in (
        "KL(base || new) in nats, over 40 rows",
        "top-1 agreement",
        "perplexity of the targets",
        "dp = p_new(target) - p_base(target)",
        "rows by KL (log10 bins)",
    ):
        assert title in text
    histogram = compare(data.base, data.new).kl_histogram
    assert histogram[0] == (0.0, 1)  # the unchanged row
    for low, _ in histogram[1:]:
        exponent = round(math.log10(low))
        assert f"[1e{exponent:+03d}, 1e{exponent + 1:+03d})" in text
    assert "ppl.base" not in ok(*data.args("-f", "table"))


def test_gates_pass_and_fail_with_exit_codes(data: Data) -> None:
    report = compare(data.base, data.new)
    passing = ["--gate", f"kl.max<={report.kl_max * 2}", "--gate", "top1_agree>=0.5"]
    assert ok(*data.args(*passing)) == ok(*data.args())
    failing = ["--gate", "kl.p99 <= 1e-9", "--gate", "top1_agree>=0.5", "--gate", "rows>=41"]
    result = run(*data.args(*failing))
    assert result.exit_code == 1
    assert result.stdout == ok(*data.args())  # the report is written, then gated
    assert result.stderr.splitlines() == [
        f"nncalc: check failed: kl.p99 = {report.kl_p99!r}, not <= 1e-09",
        "nncalc: check failed: rows = 40.0, not >= 41.0",
    ]


def test_a_nan_statistic_fails_its_gate(tmp_path: Path) -> None:
    result = run("compare", "2,1,0", "2,1,0.5", "--gate", "kl.mean_se<=1")  # one row: no SE
    assert result.exit_code == 1
    assert result.stderr == "nncalc: check failed: kl.mean_se = nan, not <= 1.0\n"


def test_bad_gates_are_usage_errors_before_reading(tmp_path: Path) -> None:
    missing = f"@{tmp_path}/missing.npy"
    line = one_line_error(run("compare", missing, missing, "--gate", "kl.p98<=1e-3"))
    assert line.startswith("nncalc: error: --gate: 'kl.p98<=1e-3': unknown statistic 'kl.p98' (")
    assert "(did you mean 'kl.p99'? valid names: rows, kl.mean, kl.mean_se," in line
    line = one_line_error(run("compare", missing, missing, "--gate", "kl.p99<1e-3"))
    assert "a gate is NAME<=X or NAME>=X" in line
    line = one_line_error(run("compare", missing, missing, "--gate", "ppl.ratio<=1.01"))
    assert line == (
        "nncalc: error: --gate: 'ppl.ratio<=1.01': ppl.ratio is a statistic of the target "
        "classes: pass --target"
    )


def test_targets_as_text_literal_or_tensor_agree(data: Data) -> None:
    from_npy = ok(*data.args("--target", data.path("target")))
    (data.dir / "target.txt").write_text("".join(f"{t}\n" for t in data.target.ravel()))
    assert ok(*data.args("--target", f"@{data.dir}/target.txt")) == from_npy
    listed = ",".join(str(t) for t in data.target.ravel())
    assert ok(*data.args("--target", listed)) == from_npy


def test_a_literal_pair_with_a_literal_target(tmp_path: Path) -> None:
    got = plain(ok("compare", "2,1,0", "2,1,0.5", "--target", "0"))
    ln_p = log_softmax(np.array([2.0, 1.0, 0.0]))[0]
    ln_q = log_softmax(np.array([2.0, 1.0, 0.5]))[0]
    assert got["rows"] == 1 and got["ppl.ratio"] == pytest.approx(math.exp(ln_p - ln_q), rel=1e-14)


def test_the_mask_drops_rows_from_every_statistic(data: Data) -> None:
    keep = data.mask.ravel() == 1
    args = ("--target", data.path("target"), "-f", "json")
    masked = json.loads(ok(*data.args(*args, "--mask", data.path("mask"))))
    base, new = data.base.reshape(-1, 7)[keep], data.new.reshape(-1, 7)[keep]
    expected = compare(base, new, data.target.ravel()[keep])
    assert masked == json.loads(expected.to_json())
    assert masked["rows"] == int(keep.sum()) < 40
    (data.dir / "mask.txt").write_text("".join(f"{m}\n" for m in data.mask.ravel()))
    from_text = json.loads(ok(*data.args(*args, "--mask", f"@{data.dir}/mask.txt")))
    assert from_text == masked


def test_a_bad_mask_entry_names_its_row(data: Data) -> None:
    mask = data.mask.copy()
    mask[1, 2] = 2
    np.save(data.dir / "bad.npy", mask)
    line = one_line_error(run(*data.args("--mask", f"@{data.dir}/bad.npy")))
    assert line == "nncalc: error: --mask row 13: '2.0': a mask entry must be 0 or 1"


def test_probabilities_with_probs_and_normalize(tmp_path: Path) -> None:
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    q = np.array([[0.6, 0.3, 0.1], [0.1, 0.7, 0.2]])
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q * 3)  # sums of 3
    np.save(tmp_path / "q1.npy", q)
    got = plain(ok("compare", f"@{tmp_path}/p.npy", f"@{tmp_path}/q1.npy", "--probs"))
    expected = (p * np.log(p / q)).sum(axis=-1)
    assert got["kl.mean"] == pytest.approx(expected.mean(), rel=1e-14)
    scaled = ["compare", f"@{tmp_path}/p.npy", f"@{tmp_path}/q.npy", "--probs"]
    assert plain(ok(*scaled, "--normalize")) == pytest.approx(got, rel=1e-14)
    assert "row sums to 3" in one_line_error(run(*scaled))
    line = one_line_error(run("compare", "1,2", "2,1", "--normalize"))
    assert line.startswith("nncalc: error: --normalize: rescales probabilities")


def test_mismatched_rows_and_widths_are_one_line_errors(data: Data) -> None:
    np.save(data.dir / "short.npy", data.new[:3])
    np.save(data.dir / "wide.npy", np.zeros((4, 10, 8)))
    line = one_line_error(run("compare", data.path("base"), f"@{data.dir}/short.npy"))
    assert "BASE has more rows than NEW (NEW ends after 30 rows)" in line
    line = one_line_error(run("compare", data.path("base"), f"@{data.dir}/wide.npy"))
    assert line == "nncalc: error: BASE rows have 7 values and NEW rows have 8; they must match"
    np.save(data.dir / "targets2.npy", np.zeros((40, 2)))
    (data.dir / "targets2.csv").write_text("1,2\n" * 40)
    line = one_line_error(run(*data.args("--target", f"@{data.dir}/targets2.csv")))
    assert line == "nncalc: error: --target: rows have 2 values; give one class index per row"
    line = one_line_error(run(*data.args("--target", "1,2,9")))
    assert "BASE has more rows than --target (--target ends after 3 rows)" in line


def test_a_target_out_of_range_names_its_row(data: Data) -> None:
    target = data.target.copy()
    target[2, 5] = 7
    np.save(data.dir / "bad.npy", target)
    line = one_line_error(run(*data.args("--target", f"@{data.dir}/bad.npy")))
    assert line.startswith("nncalc: error: --target row 26:")
    assert "out of range for 7 classes" in line


def test_streams_in_chunks_with_the_same_report(
    data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = data.args("--target", data.path("target"), "--mask", data.path("mask"), "-f", "json")
    whole = json.loads(ok(*args))
    monkeypatch.setattr(tensor_rows, "CHUNK_VALUES", 3 * 7)  # chunks of 3 rows
    chunked = json.loads(ok(*args))
    # Sums and order statistics do not depend on the chunks; merged spreads (standard
    # errors, correlations) may round a little differently.
    for name in STATISTICS:
        exact = name.startswith(("rows", "kl.", "dp.")) and not name.endswith("_se")
        assert chunked[name] == (whole[name] if exact else pytest.approx(whole[name], rel=1e-14))
    assert chunked["kl.histogram"] == whole["kl.histogram"]


def test_kl_is_never_negative_where_naive_float32_is(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(0, 2, size=(12, 1000)).astype(np.float32)
    new = (base + rng.normal(0, 1e-4, size=base.shape)).astype(np.float32)
    lp, lq = log_softmax(base), log_softmax(new)  # float32 arithmetic throughout
    naive = (np.exp(lp) * (lp - lq)).sum(axis=-1)
    assert naive.dtype == np.float32 and naive.min() < 0  # what naive code reports
    np.save(tmp_path / "base.npy", base)
    np.save(tmp_path / "new.npy", new)
    got = plain(ok("compare", f"@{tmp_path}/base.npy", f"@{tmp_path}/new.npy"))
    exact = [
        float(mp_kl(b.astype(np.float64), n.astype(np.float64)))
        for b, n in zip(base, new, strict=True)
    ]
    assert got["kl.min"] >= 0 and got["kl.p0.1"] >= 0
    assert got["kl.min"] == pytest.approx(min(exact), rel=1e-12)
    assert got["kl.mean"] == pytest.approx(np.mean(exact), rel=1e-12)
