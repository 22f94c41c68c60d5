"""SPEC §3 and §5 for softmax, xent, kl and embed-params, through the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.conftest import ok, run

# --- softmax -------------------------------------------------------------


def test_softmax_plain_round_trips() -> None:
    text = ok("softmax", "2,1,0.1")
    values = [float(v) for v in text.strip().split(",")]
    z = [2, 1, 0.1]
    exact = [math.exp(v) / sum(math.exp(w) for w in z) for v in z]
    assert values == pytest.approx(exact, rel=1e-15)
    assert text == ",".join(repr(v) for v in values) + "\n"


def test_softmax_temperature() -> None:
    hot = [float(v) for v in ok("softmax", "2,1,0.1", "-t", "2").split(",")]
    assert hot == pytest.approx(
        [0.501687757090437, 0.30428900627781413, 0.1940232366317488], rel=1e-15
    )


def test_softmax_log_is_direct() -> None:
    text = ok("softmax", "0,-1000", "--log")
    assert text == "0.0,-1000.0\n"


def test_softmax_extreme_logits() -> None:
    assert ok("softmax", "1000,-1000,0") == "1.0,0.0,0.0\n"
    assert ok("softmax", "1e308,-1e308") == "1.0,0.0\n"


def test_softmax_masking_and_plus_inf() -> None:
    assert ok("softmax", "-inf,0,0") == "0.0,0.5,0.5\n"
    assert ok("softmax", "inf,1,inf") == "0.5,0.0,0.5\n"


def test_softmax_top_k_plain_csv_json() -> None:
    assert ok("softmax", "1,3,2", "--top", "2", "--digits", "3") == "1:0.665,2:0.245\n"
    csv = ok("softmax", "1,3,2", "--top", "2", "-f", "csv", "--digits", "3", "--labels", "a,b,c")
    assert csv == "row,rank,class,index,value\n1,1,b,1,0.665\n1,2,c,2,0.245\n"
    document = json.loads(ok("softmax", "1,3,2", "--top", "1", "-f", "json", "--digits", "3"))
    assert document == {"top": 1, "probabilities": [{"class": "1", "index": 1, "value": 0.665}]}


def test_softmax_labels_from_file(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("the\ncat\nsat\n")
    assert (
        ok("softmax", "0,5,0", "--top", "1", "--labels", f"@{vocab}", "--digits", "2")
        == "cat:0.99\n"
    )


def test_softmax_json_single_and_batch() -> None:
    single = json.loads(ok("softmax", "0,0", "-f", "json"))
    assert single == {"labels": None, "probabilities": [0.5, 0.5]}
    batch = json.loads(ok("softmax", "-", "-f", "json", "--log", input="0,0\n0,0\n"))
    assert batch["log_probabilities"] == [[-math.log(2)] * 2] * 2
    assert batch["rows"] == 2


def test_softmax_csv_default_header() -> None:
    assert ok("softmax", "0,0", "-f", "csv") == "p0,p1\n0.5,0.5\n"
    assert ok("softmax", "0,0", "-f", "csv", "--log", "--digits", "3") == "l0,l1\n-0.693,-0.693\n"


def test_softmax_table_has_columns_and_bar() -> None:
    text = ok("softmax", "2,1,0.1", "-f", "table", "--labels", "cat,dog,fish")
    for word in ("index", "label", "logit", "probability", "log-prob", "cat", "0.659", "-0.417"):
        assert word in text
    assert "#" in text  # the bar, in ASCII on a pipe
    assert "\x1b[" not in text
    assert "─" not in text and "│" not in text


def test_a_wide_softmax_table_shows_the_first_classes_and_says_so() -> None:
    """A row of a vocabulary: the first 50 classes, as every per-class table
    (all 1,000,000 took eight minutes to draw); --top K still shows K."""
    row = ",".join(["0"] * 5_000 + ["9"])
    text = ok("softmax", row, "-f", "table")
    lines = [line for line in text.splitlines() if line.startswith("| ")][1:]  # no header
    assert [line.split("|")[1].strip() for line in lines] == [str(i) for i in range(50)]
    assert "first 50 of 5001 classes" in " ".join(text.split())
    top = ok("softmax", row, "-f", "table", "--top", "60")
    assert "| 5000 " in top and "first 50" not in top
    assert len([line for line in top.splitlines() if line.startswith("| ")]) == 61


def test_softmax_batch_table() -> None:
    text = ok("softmax", "-", "-f", "table", input="a,b\n0,5\n5,0\n")
    assert "most probable" in text and "b" in text and "0.9933" in text


# --- xent ----------------------------------------------------------------


def test_xent_seed_and_soft_target() -> None:
    assert ok("xent", "2", "0.1,0.2,0.6,0.1") == "0.5108256237659907\n"
    assert ok("xent", "0,0,1,0", "0.1,0.2,0.6,0.1") == "0.5108256237659907\n"
    value = float(ok("xent", "0.5,0.5", "0.9,0.1"))
    assert value == pytest.approx(-(0.5 * math.log(0.9) + 0.5 * math.log(0.1)), rel=1e-15)


def test_xent_zero_probability_true_class_is_inf() -> None:
    assert ok("xent", "1", "1,0") == "inf\n"
    assert json.loads(ok("xent", "1", "1,0", "-f", "json"))["value"] == "inf"


def test_xent_eps_matches_log_loss_clipping() -> None:
    value = float(ok("xent", "1", "1,0", "--eps", "1e-15"))
    clipped = [1 - 1e-15, 1e-15]
    expected = -math.log(clipped[1] / sum(clipped))
    assert value == pytest.approx(expected, rel=1e-12)


def test_xent_logits_finite_for_extreme_logits() -> None:
    assert ok("xent", "1", "1000,0", "--logits") == "1000.0\n"
    value = float(ok("xent", "0", "2,1,0.1", "--logits"))
    assert value == pytest.approx(0.4170300162778335, rel=1e-15)


def test_xent_batch_mean_sum_max_none() -> None:
    rows = "0.9,0.1\n0.5,0.5\n"
    losses = [-math.log(0.9), -math.log(0.5)]
    assert float(ok("xent", "0", "-", input=rows)) == pytest.approx(sum(losses) / 2, rel=1e-15)
    assert float(ok("xent", "0", "-", "-r", "sum", input=rows)) == pytest.approx(
        sum(losses), rel=1e-15
    )
    assert float(ok("xent", "0", "-", "-r", "max", input=rows)) == pytest.approx(
        max(losses), rel=1e-15
    )
    lines = ok("xent", "0", "-", "-r", "none", input=rows).splitlines()
    assert [float(v) for v in lines] == pytest.approx(losses, rel=1e-15)


def test_xent_batch_of_indices_against_batch_of_logits(tmp_path: Path) -> None:
    (tmp_path / "y.txt").write_text("2\n0\n")
    (tmp_path / "z.csv").write_text("cat,dog,fish\n2,1,0.1\n0,0,5\n")
    text = ok(
        "xent", f"@{tmp_path}/y.txt", f"@{tmp_path}/z.csv", "--logits", "-f", "csv", "-r", "none"
    )
    assert text == "row,xent\n1,2.3170300162778332\n2,5.013385901721449\n"


def test_xent_table_shows_p_true_perplexity_decomposition() -> None:
    text = ok("xent", "2", "0.1,0.2,0.6,0.1", "-f", "table")
    for word in (
        "p(true class)",
        "0.6",
        "perplexity",
        "1.667",
        "H(target)",
        "KL(target||pred)",
        "0.5108",
    ):
        assert word in text


def test_xent_base_two() -> None:
    assert float(ok("xent", "0", "0.5,0.5", "--base", "2")) == pytest.approx(1.0, rel=1e-15)
    assert float(ok("xent", "0", "0.1,0.9", "--base", "10")) == pytest.approx(1.0, rel=1e-15)


# --- kl ------------------------------------------------------------------


def test_kl_zero_and_inf_conventions() -> None:
    assert ok("kl", "0,1", "0.5,0.5") == repr(math.log(2)) + "\n"
    assert ok("kl", "0.5,0.5", "1,0") == "inf\n"
    assert ok("kl", "0.3,0.7", "0.3,0.7") == "0.0\n"


def test_kl_tolerance_renormalises() -> None:
    value = float(ok("kl", "0.5000001,0.5", "0.5,0.5"))
    assert 0 <= value < 1e-13
    assert run("kl", "0.5001,0.5", "0.5,0.5").exit_code == 2
    assert run("kl", "0.5001,0.5", "0.5,0.5", "--tol", "1e-3").exit_code == 0


def test_kl_normalize() -> None:
    assert float(ok("kl", "1,1,2", "1,2,1", "--normalize")) == pytest.approx(
        0.25 * math.log(0.5) + 0.5 * math.log(2), rel=1e-15
    )


def test_kl_logits_with_temperature() -> None:
    def softmax(z: list[float], t: float) -> list[float]:
        e = [math.exp(v / t) for v in z]
        return [v / sum(e) for v in e]

    p, q = softmax([2, 1, 0], 2), softmax([0, 1, 2], 2)
    expected = sum(a * math.log(a / b) for a, b in zip(p, q, strict=True))
    assert float(ok("kl", "2,1,0", "0,1,2", "--logits", "-t", "2")) == pytest.approx(
        expected, rel=1e-14
    )


def test_kl_base_units_in_json() -> None:
    document = json.loads(ok("kl", "1,0", "0.5,0.5", "--base", "2", "-f", "json"))
    assert document == {"quantity": "kl", "unit": "bits", "reduction": None, "value": 1.0}


def test_kl_batch_json_and_csv() -> None:
    rows = "0.5,0.5\n0.9,0.1\n"
    document = json.loads(ok("kl", "-", "0.5,0.5", "-f", "json", input=rows))
    assert document["reduction"] == "mean" and document["rows"] == 2
    assert document["value"] == pytest.approx(0.3680642071684971 / 2, rel=1e-15)
    none = json.loads(ok("kl", "-", "0.5,0.5", "-f", "json", "-r", "none", input=rows))
    assert none["values"] == [0.0, 0.3680642071684971] and none["rows"] == 2
    assert (
        ok("kl", "-", "0.5,0.5", "-f", "csv", "-r", "max", input=rows) == "kl\n0.3680642071684971\n"
    )


def test_kl_digits_in_every_format() -> None:
    args = ["kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "--digits", "3"]
    assert ok(*args) == "0.511\n"
    assert ok(*args, "-f", "csv") == "kl\n0.511\n"
    assert json.loads(ok(*args, "-f", "json"))["value"] == 0.511
    assert "0.511" in ok(*args, "-f", "table")


def test_kl_table_has_both_directions_js_entropies_per_class() -> None:
    text = ok("kl", "0.5,0.5", "0.9,0.1", "-f", "table")
    for word in ("KL(P||Q)", "KL(Q||P)", "JS(P,Q)", "H(P)", "H(Q)", "per class", "P log(P/Q)"):
        assert word in text
    assert "0.5108" in text and "0.3681" in text


def test_kl_batch_table() -> None:
    text = ok("kl", "-", "0.5,0.5", "-f", "table", input="0.5,0.5\n0.9,0.1\n")
    assert "per row" in text and "mean" in text and "0.184" in text


# --- embed-params --------------------------------------------------------


def test_embed_params_gpt2() -> None:
    record = dict(
        line.split("=", 1)
        for line in ok(
            "embed-params", "--vocab-size", "50257", "--d-model", "768", "--max-len", "1024"
        ).splitlines()
    )
    assert record["token_embedding"] == "38597376"
    assert record["lm_head"] == "0"
    assert record["position_embedding"] == "786432"
    assert record["tied"] == "true"
    assert record["bytes"] == str(4 * (38597376 + 786432))


def test_embed_params_untied_no_positions_dtype() -> None:
    document = json.loads(
        ok(
            "embed-params",
            "-V",
            "128256",
            "-D",
            "4096",
            "--untied",
            "-L",
            "8192",
            "--positions",
            "none",
            "--dtype",
            "bf16",
            "-f",
            "json",
        )
    )
    assert document["token_embedding"] == 525336576
    assert document["lm_head"] == 525336576
    assert document["position_embedding"] == 0
    assert document["bytes"] == 2 * 2 * 525336576
    assert document["tying_saves"] == 525336576


def test_embed_params_csv_and_table() -> None:
    header, values = ok("embed-params", "-V", "10", "-D", "4", "-f", "csv").splitlines()
    record = dict(zip(header.split(","), values.split(","), strict=True))
    assert record["vocab_size"] == "10" and record["d_model"] == "4"
    assert record["token_embedding"] == "40" and record["lm_head"] == "0"
    table = ok("embed-params", "-V", "50257", "-D", "768", "-f", "table")
    assert "38,597,376" in table


# --- formats -------------------------------------------------------------


def test_auto_is_plain_on_a_pipe() -> None:
    assert ok("kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "-f", "auto") == "0.5108256237659907\n"


def test_no_color_and_no_box_drawing_when_not_a_terminal() -> None:
    text = ok("kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "-f", "table")
    assert "\x1b[" not in text
    assert not any(ch in text for ch in "─│┃━╭╮")


@pytest.mark.parametrize("eps", [1e-6, 1e-9, 1e-12])
def test_kl_cli_exact_for_rows_off_by_less_than_tol(eps: float) -> None:
    import mpmath
    import numpy as np

    rng = np.random.default_rng(3)
    p = rng.random(50)
    p = p / p.sum() * (1 + 5e-7)
    q = p * (1 + eps * rng.standard_normal(50))
    with mpmath.workdps(60):
        big_p = [mpmath.mpf(v) for v in p.tolist()]
        big_q = [mpmath.mpf(v) for v in q.tolist()]
        sp, sq = mpmath.fsum(big_p), mpmath.fsum(big_q)
        exact = mpmath.fsum(
            (a / sp) * mpmath.log((a / sp) / (b / sq)) for a, b in zip(big_p, big_q, strict=True)
        )
        value = float(ok("kl", ",".join(map(repr, p.tolist())), ",".join(map(repr, q.tolist()))))
        assert abs((mpmath.mpf(value) - exact) / exact) <= 1e-12


def test_xent_logits_with_temperature() -> None:
    z = [2.0, 1.0, 0.1]
    expected = -(z[0] / 2 - math.log(sum(math.exp(v / 2) for v in z)))
    assert float(ok("xent", "0", "2,1,0.1", "--logits", "-t", "2")) == pytest.approx(
        expected, rel=1e-15
    )


def test_xent_normalize_and_tol() -> None:
    assert float(ok("xent", "0", "1,3", "--normalize")) == pytest.approx(math.log(4), rel=1e-15)
    assert run("xent", "0", "0.25,0.7501").exit_code == 2
    assert float(ok("xent", "0", "0.25,0.7501", "--tol", "1e-3")) == pytest.approx(
        -math.log(0.25 / 1.0001), rel=1e-15
    )
