"""Steps of the model commands: kl-normal (and the VAE loss), distill, kl-approx."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nncalc.cli.pipeline import ScalarStep, Summary, header_labels
from nncalc.cli.steps import reports, targets
from nncalc.cli.steps.distributions import check_temperature, same_width
from nncalc.core.arrays import FloatArray, IntArray
from nncalc.core.distill import DEFAULT_ALPHA, check_alpha, distill_rows
from nncalc.core.distribution import class_indices, pair_rows
from nncalc.core.gaussian import check_gaussian, kl_normal_terms
from nncalc.core.policy import (
    ESTIMATORS,
    RunningMean,
    check_log_probs,
    estimator_value,
    estimator_values,
)
from nncalc.core.softmax import check_logits
from nncalc.errors import NncalcError, plural
from nncalc.io.operands import Operand
from nncalc.io.reader import Chunk
from nncalc.output.sinks import ScalarSink, Value
from nncalc.output.spec import Format, Output, Table, Units

if TYPE_CHECKING:
    from nncalc.core.reduce import Reduction


def vae_kl_weight(
    recon: float | None, beta: float | None, batch: bool, reduction: Reduction | None
) -> float:
    """The KL weight beta of the VAE loss R + beta * KL (1 by default)."""
    if recon is None:
        if beta is not None:
            raise NncalcError(
                "--beta weights the KL in the VAE loss: give --recon R too", operand="--beta"
            )
        return 1.0
    if not np.isfinite(recon):
        raise NncalcError(
            "the reconstruction loss must be a finite number", operand="--recon", token=repr(recon)
        )
    if beta is not None and not (np.isfinite(beta) and beta >= 0):
        raise NncalcError("beta must be a finite number >= 0", operand="--beta", token=repr(beta))
    if batch and reduction is not None and reduction.kind == "none":
        raise NncalcError(
            "the VAE loss adds R to the batch's reduced KL; --reduction none gives one KL per row",
            operand="--recon",
            hint="use --reduction mean or sum, as for R",
        )
    return 1.0 if beta is None else beta


class KlNormal(ScalarStep):
    """KL between diagonal Gaussians per row; the second one is N(0, I) by default."""

    name = "kl_normal"

    def __init__(
        self,
        mu: str | None,
        spread: str | None,
        mu2: str | None,
        spread2: str | None,
        *,
        std: bool,
        recon: float | None,
        beta: float | None,
    ) -> None:
        self.std = std
        spread_name = "SIGMA" if std else "LOGVAR"
        kind = "sigma" if std else "log-variance"
        given = [(mu, "MU", "mean"), (spread, spread_name, kind)]
        given += [(mu2, "--mu2", "mean")] if mu2 is not None else []
        given += [(spread2, "--logvar2", kind)] if spread2 is not None else []
        super().__init__([(text, name) for text, name, _ in given])
        self.kinds = [kind for _, _, kind in given]
        self.recon = recon
        self.beta = beta
        self.kl_weight = 1.0
        self.summarizes = recon is not None
        self.last: list[FloatArray] = []

    def start(self, batch: bool, reduction: Reduction | None) -> None:
        self.kl_weight = vae_kl_weight(self.recon, self.beta, batch, reduction)

    def rows(self, chunks: Sequence[Chunk]) -> tuple[FloatArray, None]:
        same_width(chunks)
        for chunk, kind in zip(chunks, self.kinds, strict=True):
            with chunk.locate():
                check_gaussian(chunk.values, kind=kind)
        width = chunks[0].values.shape[1]
        given = {name: chunk.values for (_, name), chunk in zip(self.operands, chunks, strict=True)}
        arrays = np.broadcast_arrays(
            given["MU"],
            given["SIGMA" if self.std else "LOGVAR"],
            given.get("--mu2", np.zeros((1, width))),
            given.get("--logvar2", np.full((1, width), 1.0 if self.std else 0.0)),
        )
        terms = kl_normal_terms(*arrays, std=self.std)
        self.last = [a[-1] for a in arrays] + [terms[-1]]
        return np.sum(terms, axis=-1), None

    def tables(self, value: float, names: list[str] | None, units: Units) -> list[Table]:
        return reports.kl_normal_tables(value, self.last, units, std=self.std)

    def conclude(self, sink: ScalarSink, output: Output) -> Summary | None:
        if self.recon is None:
            return None
        kl_value = sink.result()
        loss = self.recon + self.kl_weight * kl_value
        shown = sink.shown_reduction
        record: dict[str, Value] = {
            "loss": loss,
            "recon": self.recon,
            "beta": self.kl_weight,
            "kl": kl_value,
            "unit": sink.base.unit,
            "reduction": shown,
            "rows": sink.count,
        }
        return Summary("VAE loss = recon + beta * KL", record, ("loss", loss))


class Distill(ScalarStep):
    """A*T^2*KL(teacher_T || student_T) + (1-A)*CE(label, student) per row."""

    name = "distill"
    labelled = classes = (0, 1)

    def __init__(
        self,
        teacher: str | None,
        student: str | None,
        label: str | None,
        *,
        temperature: float,
        alpha: float | None,
        target_col: bool = False,
    ) -> None:
        check_temperature(temperature)
        self.alpha = DEFAULT_ALPHA if alpha is None else alpha
        check_alpha(self.alpha)
        if target_col and label is not None:
            raise NncalcError(
                "the labels come from --target-col or --label, not both", operand="--label"
            )
        self.class_name = label if targets.is_class_name(label) else None
        self.target_col = target_col
        operands = [(teacher, "TEACHER"), (student, "STUDENT")]
        read_labels = label is not None and self.class_name is None
        super().__init__(operands + ([(label, "--label")] if read_labels else []))
        self.names: list[str] | None = None
        self.labelled_rows = label is not None or target_col
        self.alpha_given = alpha is not None
        self.temperature = temperature
        self.last: tuple[float, float | None, FloatArray, FloatArray, int | None] | None = None

    def opened(self, operands: Sequence[Operand]) -> None:
        if len(operands) > 2:  # a class index per row: each element of a tensor
            operands[2].one_per_row()
        elif self.labelled_rows:  # labels by name or column: the header's classes
            self.names = header_labels(operands)

    def rows(self, chunks: Sequence[Chunk]) -> tuple[FloatArray, None]:
        teacher, student = chunks[:2]
        same_width([teacher, student])
        for chunk in (teacher, student):
            with chunk.locate():
                check_logits(chunk.values)
        indices = self._indices(chunks, teacher.values.shape[1])
        terms = distill_rows(
            teacher.values, student.values, indices, temperature=self.temperature, alpha=self.alpha
        )
        hard = None if terms.hard is None else float(terms.hard[-1])
        label = None if indices is None else int(indices[-1])
        self.last = (float(terms.soft[-1]), hard, terms.teacher[-1], terms.student[-1], label)
        return terms.loss, None

    def _indices(self, chunks: Sequence[Chunk], classes: int) -> IntArray | None:
        """Each row's label: from --label (an index per row, or a class name), or --target-col."""
        if len(chunks) > 2:
            return self._labels(chunks[2], classes)
        if self.class_name is not None:
            index = targets.named_class(self.class_name, self.names, classes, "--label")
            return np.full(len(chunks[0]), index, dtype=np.int64)
        if self.target_col:
            return targets.column_targets(chunks, self.names, classes).astype(np.int64)
        return None

    @staticmethod
    def _labels(chunk: Chunk, classes: int) -> IntArray:
        with chunk.locate():
            if chunk.values.shape[1] != 1:
                raise NncalcError(
                    f"rows have {plural(chunk.values.shape[1], 'value')}; "
                    "give one class index per row"
                )
            return class_indices(chunk.values[:, 0], classes)

    def conclude(self, sink: ScalarSink, output: Output) -> Summary | None:
        # Only once every input row has passed: an error stays the only stderr line.
        if not self.labelled_rows and self.alpha_given:
            sys.stderr.write(
                "nncalc: note: --alpha applies only with --label; "
                "without labels the loss is the soft term T^2*KL alone\n"
            )
        return None

    def tables(self, value: float, names: list[str] | None, units: Units) -> list[Table]:
        assert self.last is not None
        soft, hard, teacher, student, label = self.last
        return reports.distill_tables(
            value,
            soft,
            hard,
            teacher,
            student,
            label,
            names,
            temperature=self.temperature,
            alpha=self.alpha,
            units=units,
        )


class KlApprox(ScalarStep):
    """Schulman's k1/k2/k3 estimators of KL(q || p) from log-probs of samples x ~ q."""

    def __init__(
        self,
        logp: str | None,
        logq: str | None,
        *,
        estimator: str,
        stats: bool,
        reduction: Reduction | None,
    ) -> None:
        if stats and reduction is not None:
            raise NncalcError(
                "--stats pools every sample into one estimate; --reduction does not apply",
                operand="--reduction",
            )
        super().__init__([(logp, "LOGP"), (logq, "LOGQ")])
        self.name = f"kl_approx_{estimator}"
        self.estimator = estimator
        self.summarizes = stats
        self.pooled = {name: RunningMean() for name in ESTIMATORS}
        self.pools = True  # whether the three are pooled: for --stats and the table

    def writing(self, output: Output) -> None:
        self.pools = self.summarizes or output.fmt is Format.table

    def rows(self, chunks: Sequence[Chunk]) -> tuple[FloatArray, None]:
        same_width(chunks)
        p_chunk, q_chunk = chunks
        with p_chunk.locate():
            check_log_probs(p_chunk.values, sampling=False)
        with q_chunk.locate():
            check_log_probs(q_chunk.values, sampling=True)
        logp, logq = pair_rows(p_chunk.values, q_chunk.values)
        if not self.pools:
            chosen = estimator_value(self.estimator, logp, logq)
        else:
            values = estimator_values(logp, logq)
            for name, samples in values.items():
                self.pooled[name].add(samples)
            chosen = values[self.estimator]
        if chosen.shape[-1] == 1:  # one sample a row: its mean is itself
            return chosen[..., 0], None
        with np.errstate(invalid="ignore"):
            return np.mean(chosen, axis=-1), None

    def _summary(self) -> dict[str, tuple[float, float]]:
        return {name: (stat.mean, stat.stderr) for name, stat in self.pooled.items()}

    def tables(self, value: float, names: list[str] | None, units: Units) -> list[Table]:
        return reports.kl_approx_tables(value, self.pooled, self.estimator, units)

    def conclude(self, sink: ScalarSink, output: Output) -> Summary | None:
        if not self.summarizes:
            return None
        base = sink.base
        scale = 1.0 / base.log
        summary = self._summary()
        value = summary[self.estimator][0] * scale
        record: dict[str, Value] = {}
        for name, (mean, stderr) in summary.items():
            record[f"{name}_mean"] = mean * scale
            record[f"{name}_stderr"] = stderr * scale
        record["samples"] = self.pooled["k3"].count
        record["unit"] = base.unit
        checked = (f"{self.estimator}_mean", value)
        return Summary(
            "KL estimators", record, checked, lambda: self.tables(value, None, Units(base, output))
        )
