"""Class targets given as text: a column of the predictions file (``--target-col``)
or a class name on the command line (``xent dog @pred.csv``, ``distill --label dog``).

Each is a class index (``2``) or a name of the class columns' header, looked
up by :func:`nncalc.io.columns.class_indices`; an unknown name is an error
listing the first few classes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError
from nncalc.io.chunks import Chunk
from nncalc.io.columns import class_indices
from nncalc.io.tokens import is_number

# A word that cannot be a number, a vector, '-' or @file: a class name.
NAME = re.compile(r"[^\W\d]\w*")


def is_class_name(text: str | None) -> bool:
    """Whether an operand's text is a class name rather than numbers, '-' or @file."""
    if text is None:
        return False
    word = text.strip()
    return NAME.fullmatch(word) is not None and not is_number(word)


def column_targets(
    chunks: Sequence[Chunk],
    names: Sequence[str] | None,
    classes: int,
    ignore_index: int | None = None,
) -> FloatArray:
    """The ``--target-col`` texts of the chunk that has them, as class indices
    (floats, as a file of indices gives them); ``ignore_index`` texts stay that value."""
    chunk = next(c for c in chunks if c.targets is not None)
    assert chunk.targets is not None
    texts = [text.strip() for text in chunk.targets]
    ignored = np.array([text == str(ignore_index) for text in texts], dtype=bool)
    with chunk.locate():
        indices = class_indices(
            ["0" if skip else text for text, skip in zip(texts, ignored, strict=True)],
            names,
            classes,
        )
    return np.where(ignored, float(ignore_index or 0), indices.astype(np.float64))


def named_class(name: str, names: Sequence[str] | None, classes: int, operand: str) -> int:
    """The index of the class ``name`` given on the command line (as ``operand``)."""
    try:
        return int(class_indices([name.strip()], names, classes)[0])
    except NncalcError as error:
        error.where = replace(error.where, operand=operand, row=None)
        raise error from None
