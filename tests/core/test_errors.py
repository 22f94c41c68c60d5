"""Bad input to the Python API raises a ValueError worded for Python callers.

Every public function (and every core function the command line calls) is
given bad input; the error must be an :class:`NncalcError` (so a
``ValueError``), name no command-line option, and carry the ``param`` and
``kind`` the command line rewords it by.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nncalc
from nncalc import (
    NncalcValueError,
    cross_entropy,
    cross_entropy_loss,
    distillation_loss,
    embedding_params,
    entropy,
    js_divergence,
    kl_divergence,
    kl_estimators,
    kl_normal,
    log_softmax,
    softmax,
)
from nncalc.cli.errors import FLAGS, WORDING, for_cli
from nncalc.core import model_configs as models
from nncalc.core import sgd
from nncalc.core.arrays import as_rows
from nncalc.core.distill import check_alpha
from nncalc.core.distribution import class_indices, pair_rows, validate_distribution
from nncalc.core.gaussian import check_gaussian
from nncalc.core.policy import check_log_probs
from nncalc.core.softmax import check_logits
from nncalc.core.xent import (
    check_smoothing,
    check_weight,
    index_xent_rows,
    log_predictions,
    nll_rows,
)
from nncalc.errors import Kind, NncalcError

NAN, INF = float("nan"), float("inf")
ROW = [0.5, 0.5]


def _config(data: dict[str, Any], label: str = "cfg.json") -> models.ConfigText:
    return models.ConfigText(data, label, "config")


# (id, call, param, kind): the error's expected ``param`` and ``kind``.
CASES: list[tuple[str, Callable[[], object], str | None, Kind | None]] = [
    ("softmax-nan", lambda: softmax([NAN, 1.0]), None, None),
    ("softmax-all-masked", lambda: softmax([-INF, -INF]), None, None),
    ("softmax-3d", lambda: softmax(np.zeros((2, 2, 2))), None, None),
    ("softmax-empty", lambda: softmax([]), None, None),
    ("softmax-t0", lambda: softmax([1.0, 2.0], 0.0), "temperature", None),
    ("softmax-tnan", lambda: softmax([1.0, 2.0], NAN), "temperature", None),
    ("log-softmax-tinf", lambda: log_softmax([1.0, 2.0], INF), "temperature", None),
    ("log-softmax-nan", lambda: log_softmax([[1.0, 2.0], [NAN, 0.0]]), None, None),
    ("kl-negative", lambda: kl_divergence([1.5, -0.5], ROW), None, Kind.NEGATIVE_PROBABILITY),
    ("kl-unnormalized", lambda: kl_divergence([0.5, 0.6], ROW), None, Kind.UNNORMALIZED),
    ("kl-inf", lambda: kl_divergence([INF, 0.0], ROW), None, None),
    ("kl-widths", lambda: kl_divergence([1.0], ROW), None, None),
    ("kl-batches", lambda: kl_divergence([ROW, ROW], [ROW, ROW, ROW]), None, None),
    ("kl-zero-row", lambda: kl_divergence([0.0, 0.0], ROW, normalize=True), None, None),
    ("entropy-unnormalized", lambda: entropy([0.2, 0.2]), None, Kind.UNNORMALIZED),
    ("entropy-nan", lambda: entropy([NAN, 1.0]), None, None),
    ("js-negative", lambda: js_divergence(ROW, [2.0, -1.0]), None, Kind.NEGATIVE_PROBABILITY),
    ("xent-index-range", lambda: cross_entropy(np.array([2]), ROW), None, None),
    ("xent-index-negative", lambda: cross_entropy(np.array([-1]), ROW), None, None),
    ("xent-eps", lambda: cross_entropy(np.array([0]), ROW, eps=0.7), "eps", None),
    ("xent-pred", lambda: cross_entropy(np.array([0]), [0.5, 0.6]), None, Kind.UNNORMALIZED),
    (
        "xent-logits-nan",
        lambda: cross_entropy(np.array([0]), [NAN, 0.0], from_logits=True),
        None,
        None,
    ),
    ("xent-target-width", lambda: cross_entropy([0.2, 0.3, 0.5], ROW), None, None),
    (
        "loss-weight-count",
        lambda: cross_entropy_loss(np.array([0]), ROW, weight=[1.0]),
        "weight",
        None,
    ),
    (
        "loss-weight-negative",
        lambda: cross_entropy_loss(np.array([0]), ROW, weight=[1.0, -1.0]),
        "weight",
        None,
    ),
    (
        "loss-weight-nan",
        lambda: cross_entropy_loss(np.array([0]), ROW, weight=[1.0, NAN]),
        "weight",
        None,
    ),
    (
        "loss-smoothing",
        lambda: cross_entropy_loss(np.array([0]), ROW, label_smoothing=1.5),
        "label_smoothing",
        None,
    ),
    (
        "loss-reduction",
        lambda: cross_entropy_loss(np.array([0]), ROW, reduction="avg"),
        "reduction",
        None,
    ),
    (
        "loss-ignore-soft",
        lambda: cross_entropy_loss([ROW], ROW, ignore_index=0),
        "ignore_index",
        None,
    ),
    ("loss-index-range", lambda: cross_entropy_loss(np.array([5]), ROW), None, None),
    ("distill-alpha", lambda: distillation_loss(ROW, ROW, alpha=1.5), "alpha", None),
    ("distill-alpha-nan", lambda: distillation_loss(ROW, ROW, alpha=NAN), "alpha", None),
    ("distill-t0", lambda: distillation_loss(ROW, ROW, temperature=0.0), "temperature", None),
    ("distill-widths", lambda: distillation_loss(ROW, [0.1, 0.2, 0.3]), None, None),
    ("distill-label", lambda: distillation_loss(ROW, ROW, [2]), None, None),
    ("distill-label-fraction", lambda: distillation_loss(ROW, ROW, [0.5]), None, None),
    ("kl-normal-sigma", lambda: kl_normal([0.0], [0.0], std=True), None, Kind.SIGMA_NOT_POSITIVE),
    ("kl-normal-nan", lambda: kl_normal([NAN], [0.0]), None, None),
    ("kl-normal-logvar-inf", lambda: kl_normal([0.0], [INF]), None, None),
    ("kl-normal-shapes", lambda: kl_normal([0.0, 1.0], [0.0, 1.0, 2.0]), None, None),
    ("kl-approx-shapes", lambda: kl_estimators([0.0, 1.0], [0.0]), None, None),
    ("kl-approx-nan", lambda: kl_estimators([NAN], [0.0]), None, None),
    ("kl-approx-logq", lambda: kl_estimators([0.0], [-INF]), None, None),
    ("kl-approx-plus-inf", lambda: kl_estimators([INF], [0.0]), None, None),
    ("embed-vocab", lambda: embedding_params(0, 8), "vocab_size", None),
    ("embed-bool", lambda: embedding_params(True, 8), "vocab_size", None),
    ("embed-width", lambda: embedding_params(8, -1), "d_model", None),
    ("embed-max-len", lambda: embedding_params(8, 8, max_len=0), "max_len", None),
    ("embed-batch", lambda: embedding_params(8, 8, batch_size=2), "batch_size", None),
    (
        "embed-batch-zero",
        lambda: embedding_params(8, 8, max_len=4, batch_size=0),
        "batch_size",
        None,
    ),
    ("embed-pad", lambda: embedding_params(8, 8, pad_to_multiple=0), "pad_to_multiple", None),
    ("embed-types", lambda: embedding_params(8, 8, type_vocab_size=-1), "type_vocab_size", None),
    ("embed-offset", lambda: embedding_params(8, 8, position_offset=-1), "position_offset", None),
    ("embed-dtype", lambda: embedding_params(8, 8, dtype="fp12"), "dtype", None),
    # Core functions the command line calls directly.
    ("as-rows", lambda: as_rows(np.zeros((1, 0))), None, None),
    ("check-logits", lambda: check_logits(np.array([[-INF, -INF]])), None, None),
    ("check-alpha", lambda: check_alpha(-0.1), "alpha", None),
    ("check-smoothing", lambda: check_smoothing(-0.1), "label_smoothing", None),
    ("check-weight", lambda: check_weight(np.array([1.0, 2.0, 3.0]), 2), "weight", None),
    (
        "check-sigma",
        lambda: check_gaussian(np.array([[-1.0]]), kind="sigma"),
        None,
        Kind.SIGMA_NOT_POSITIVE,
    ),
    ("check-mean", lambda: check_gaussian(np.array([[NAN]]), kind="mean"), None, None),
    ("check-log-probs", lambda: check_log_probs(np.array([[-INF]]), sampling=True), None, None),
    ("validate", lambda: validate_distribution([[0.5, 0.6]]), None, Kind.UNNORMALIZED),
    ("class-indices", lambda: class_indices(np.array([1e30]), 3), None, None),
    ("pair-rows", lambda: pair_rows(np.ones((2, 2)), np.ones((3, 2))), None, None),
    ("log-predictions-eps", lambda: log_predictions([ROW], eps=-0.1), "eps", None),
    ("log-predictions-eps-half", lambda: log_predictions([ROW], eps=0.5), "eps", None),
    ("validate-tol", lambda: validate_distribution([ROW], tol=1.0), "tol", None),
    ("kl-zero-row-any-tol", lambda: kl_divergence([0.0, 0.0], ROW, tol=0.9), None, None),
    ("embed-dtype-alias-unknown", lambda: embedding_params(8, 8, dtype="float12"), "dtype", None),
    ("embed-vocab-huge", lambda: embedding_params(10**5000, 8), "vocab_size", None),
    ("nll-rows", lambda: nll_rows(np.array([0, 1]), np.zeros((3, 2))), None, None),
    ("index-xent-rows", lambda: index_xent_rows(np.array([0, 1]), np.zeros((3, 2))), None, None),
    ("sgd-one-column", lambda: sgd.problem_from_rows(np.ones((3, 1))), None, None),
    ("sgd-nan", lambda: sgd.problem_from_rows(np.array([[1.0, NAN]])), None, None),
    ("sgd-schedule", lambda: sgd.learning_rate("linear", 0.1, 0.0, 1), "schedule", None),
    (
        "sgd-batch",
        lambda: sgd.compare(sgd.synthetic_problem(4, 2), batch_size=5, lr=0.1, epochs=1, seeds=1),
        "batch_size",
        None,
    ),
    ("sgd-online", lambda: sgd.OnlineLearner(2, lr=0.1, schedule="cosine"), "schedule", None),
    (
        "configs-required-vocab",
        lambda: models.resolve(None, models.Flags(d_model=8)),
        "vocab_size",
        Kind.REQUIRED,
    ),
    (
        "configs-required-width",
        lambda: models.resolve(None, models.Flags(vocab_size=8)),
        "d_model",
        Kind.REQUIRED,
    ),
    (
        "configs-no-vocab",
        lambda: models.resolve(_config({"hidden_size": 8}), models.Flags()),
        "config",
        Kind.NO_VOCAB_SIZE,
    ),
    (
        "configs-no-width",
        lambda: models.resolve(_config({"vocab_size": 8}), models.Flags()),
        "config",
        Kind.NO_D_MODEL,
    ),
    (
        "configs-no-max-len",
        lambda: models.resolve(
            _config({"model_type": "gpt2", "vocab_size": 8, "n_embd": 4}), models.Flags()
        ),
        "config",
        Kind.NO_MAX_LEN,
    ),
    (
        "configs-type",
        lambda: models.resolve(_config({"vocab_size": "8", "d_model": 4}), models.Flags()),
        "config",
        None,
    ),
    (
        "configs-dtype-flag",
        lambda: models.resolve(None, models.Flags(vocab_size=8, d_model=8, dtype="fp12")),
        "dtype",
        None,
    ),
    (
        "configs-dtype-field",
        lambda: models.resolve(
            _config({"vocab_size": 8, "d_model": 4, "torch_dtype": "fp12"}), models.Flags()
        ),
        "config",
        Kind.CONFIG_DTYPE,
    ),
    (
        "configs-huge-field",
        lambda: models.resolve(_config({"vocab_size": 10**19, "d_model": 4}), models.Flags()),
        "config",
        None,
    ),
    (
        "configs-unknown-preset",
        lambda: models.preset_config("gpt-2"),
        "preset",
        Kind.UNKNOWN_PRESET,
    ),
]


@pytest.mark.parametrize(
    ("call", "param", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_a_value_error_that_names_no_option(
    call: Callable[[], object], param: str | None, kind: Kind | None
) -> None:
    try:
        call()
    except ValueError as error:
        caught = error
    else:
        pytest.fail("no error raised")
    assert isinstance(caught, NncalcError) and isinstance(caught, NncalcValueError)
    text = str(caught)
    assert text and "--" not in text, text
    assert (caught.param, caught.kind) == (param, kind)


@pytest.mark.parametrize("content", ["", "{bad", "[1]", "\xff"])
def test_config_files_that_cannot_be_read_name_their_path(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cfg.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(ValueError) as caught:
        models.read_config(str(path))
    error = caught.value
    assert isinstance(error, NncalcError) and error.param == "config"
    assert str(error).startswith(f"{path}: ") and "--" not in str(error)


def test_a_missing_config_file_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(NncalcError, match="cannot read the file") as caught:
        models.read_config(str(tmp_path / "missing.json"))
    assert caught.value.param == "config" and caught.value.where.operand is not None


def test_python_hints_name_arguments() -> None:
    with pytest.raises(NncalcError) as caught:
        kl_divergence([0.5, 0.6], ROW)
    assert "normalize=True" in str(caught.value)
    with pytest.raises(NncalcError) as caught:
        kl_normal([0.0], [-1.0], std=True)
    assert "std=False" in str(caught.value)
    with pytest.raises(NncalcError) as caught:
        models.resolve(None, models.Flags(d_model=8))
    assert str(caught.value) == "vocab_size is required (or give a config)"


# -- the command line's rewording of the same errors -------------------------

PYTHON_WORDS = ("=True", "=False", "Flags.", "take their softmax", "give a config")


@pytest.mark.parametrize("call", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_for_cli_leaves_no_python_wording(call: Callable[[], object]) -> None:
    with pytest.raises(NncalcError) as caught:
        call()
    text = str(for_cli(caught.value))
    assert not any(words in text for words in PYTHON_WORDS), text


def test_every_kind_has_command_line_words() -> None:
    assert set(WORDING) == set(Kind)


def test_every_param_the_command_line_can_reach_has_an_option() -> None:
    params = {case[2] for case in CASES} - {None, "position_offset"}
    assert params <= set(FLAGS)
    assert all(re.fullmatch(r"--[a-z][a-z-]*", flag) for flag in FLAGS.values())


@pytest.mark.parametrize(
    ("call", "line"),
    [
        (lambda: check_alpha(1.5), "--alpha: '1.5': alpha must be in [0, 1]"),
        (
            lambda: check_weight(np.array([1.0, -2.0]), 2),
            "--weight column 2: '-2.0': a class weight must be a finite number >= 0",
        ),
        (
            lambda: softmax([1.0], 0.0),
            "--temperature: '0.0': temperature must be a positive number",
        ),
        (
            lambda: models.resolve(None, models.Flags(d_model=8)),
            "--vocab-size is required (or pass --config or --preset)",
        ),
        (
            lambda: models.resolve(_config({"hidden_size": 8}), models.Flags()),
            "--config cfg.json: no vocab_size field (pass --vocab-size)",
        ),
        (
            lambda: models.resolve(
                models.ConfigText({"hidden_size": 8}, "gpt2", "preset", "gpt2"), models.Flags()
            ),
            "--preset gpt2: no vocab_size field (pass --vocab-size)",
        ),
        (
            lambda: kl_divergence([0.5, 0.6], ROW),
            "row 1: row sums to 1.1, not 1 within tolerance 1e-06"
            " (pass --normalize to rescale it, or --logits if these are logits)",
        ),
    ],
)
def test_for_cli_words(call: Callable[[], object], line: str) -> None:
    with pytest.raises(NncalcError) as caught:
        call()
    assert str(for_cli(caught.value)) == line


def test_for_cli_keeps_an_operand_the_reader_named() -> None:
    error = NncalcError("eps must be in (0, 0.5), got 0.7", param="eps", operand="PRED")
    assert str(for_cli(error)) == "PRED: eps must be in (0, 0.5), got 0.7"
    plain = NncalcError("not a number", operand="P", row=2, column=1, token="x")
    assert for_cli(plain) is plain


# -- no option in any string the core can raise -----------------------------

OPTION = re.compile(r"(?<![\w-])--[a-z]")


def test_no_string_in_the_core_names_an_option() -> None:
    core = Path(nncalc.__file__).resolve().parent / "core"
    found = []
    for path in sorted(core.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and OPTION.search(text):
                found.append(f"{path.name}:{node.lineno}: {text[:60]!r}")
    assert found == []
