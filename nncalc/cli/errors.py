"""Library errors cross the command-line edge here, once.

The core and the reader raise :class:`~nncalc.errors.NncalcError` worded for
Python callers: argument names such as ``temperature``, fixes such as
``normalize=True``. :func:`for_cli` rewords them in terms of the command
line's options before they are printed, from two tables: the option that
gives each argument (:data:`FLAGS`) and the command line's words for each
:class:`~nncalc.errors.Kind` of problem (:data:`WORDING`).
"""

from __future__ import annotations

from dataclasses import dataclass

from nncalc.errors import Kind, NncalcError

# The option that gives each argument the core names in ``NncalcError.param``.
FLAGS = {
    "alpha": "--alpha",
    "batch_size": "--batch-size",
    "config": "--config",
    "d_model": "--d-model",
    "dtype": "--dtype",
    "eps": "--eps",
    "ignore_index": "--ignore-index",
    "label_smoothing": "--label-smoothing",
    "learned_positions": "--positions",
    "max_len": "--max-len",
    "pad_to_multiple": "--pad-to-multiple",
    "preset": "--preset",
    "reduction": "--reduction",
    "schedule": "--schedule",
    "temperature": "--temperature",
    "tol": "--tol",
    "type_vocab_size": "--type-vocab-size",
    "vocab_size": "--vocab-size",
    "weight": "--weight",
}

# Arguments whose errors name the argument's value as their operand (a
# config's path, a preset's name): the option goes before it, "--config PATH".
VALUE_OPERANDS = frozenset({"config", "preset"})


@dataclass(frozen=True)
class Wording:
    """The command line's words for a kind of problem.

    ``message`` and ``hint`` replace the core's when given; in them
    ``{flag}`` is the option of the error's ``param`` and ``{hint}`` the
    core's own hint.
    """

    message: str | None = None
    hint: str | None = None


WORDING = {
    Kind.UNNORMALIZED: Wording(
        hint="pass --normalize to rescale it, or --logits if these are logits"
    ),
    Kind.NEGATIVE_PROBABILITY: Wording(hint="pass --logits if these are logits"),
    Kind.SIGMA_NOT_POSITIVE: Wording(hint="without --std the operand is log sigma^2"),
    Kind.REQUIRED: Wording(message="{flag} is required", hint="or pass --config or --preset"),
    Kind.NO_VOCAB_SIZE: Wording(hint="pass --vocab-size"),
    Kind.NO_D_MODEL: Wording(hint="pass --d-model"),
    Kind.NO_MAX_LEN: Wording(hint="pass --max-len, or --positions none"),
    Kind.UNKNOWN_PRESET: Wording(hint="{hint}; --preset list shows them"),
    Kind.CONFIG_DTYPE: Wording(hint="--dtype overrides it"),
}


def for_cli(error: NncalcError) -> NncalcError:
    """The error as the command line says it (options, not argument names).

    An error about an argument (``param``) that names no operand is put on
    the argument's option (``--alpha: '1.5': alpha must be in [0, 1]``); one
    whose operand is the argument's value gets the option before it
    (``--config cfg.json: ...``). An error located in an operand by the reader
    keeps that operand. A :class:`~nncalc.errors.Kind` with a :class:`Wording`
    gets the command line's message and hint.
    """
    flag = FLAGS.get(error.param or "")
    wording = WORDING.get(error.kind) if error.kind is not None else None
    if flag is None and wording is None:
        return _names_of_classes(error)
    operand = error.where.operand
    message, hint = error.message, error.hint
    if wording is not None:
        fields = {"flag": flag, "hint": hint}
        message = message if wording.message is None else wording.message.format_map(fields)
        hint = hint if wording.hint is None else wording.hint.format_map(fields)
    if flag is not None and (wording is None or wording.message is None):
        if operand is None:
            operand = flag
        elif error.param in VALUE_OPERANDS:
            operand = f"{flag} {operand}"
    return error.reworded(message, operand=operand, hint=hint)


# Operands that take class indices, one a line in a file; names are taken elsewhere.
CLASS_OPERANDS = {
    "TARGET": "give PRED's file a column of them and pass --target-col",
    "--label": "name one class with --label NAME, or write the classes' indices",
}


def _names_of_classes(error: NncalcError) -> NncalcError:
    """A file of class names given where class indices are read (``xent @names.txt``,
    ``distill --label @names.txt``) fails on its second line, the first taken for a
    header: the hint says where names are read."""
    from nncalc.cli.steps.targets import is_class_name

    where = error.where
    fix = CLASS_OPERANDS.get(where.operand or "")
    if (
        fix is None
        or where.source is None
        or error.hint is not None
        or error.message != "not a number"
        or (where.row, where.column) != (1, 1)  # the first row after a one-name header
        or not is_class_name(where.token)
    ):
        return error
    hint = f"a file of class names is not read as class indices: {fix}"
    return error.reworded(error.message, operand=where.operand, hint=hint)
