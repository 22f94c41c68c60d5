"""Where model configs come from: ``config.json`` files, presets, the family table.

A Hugging Face ``config.json`` names its family in ``model_type``;
:file:`families.json` says how each family builds its embeddings (a learned
position table or RoPE/ALiBi/relative positions, a token-type table, the
default tying). Presets (:file:`presets.json`) are the embedding fields of
well-known published configs. Nothing here touches a network; the fields
are read by :func:`nncalc.core.model_configs.resolve`.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from nncalc.core.limits import MAX_CONFIG_BYTES, LongNumber, parse_json_int
from nncalc.errors import Kind, NncalcError

LEARNED = "learned"
NONE = "none"


@dataclass(frozen=True)
class Family:
    """How one ``model_type`` builds its embeddings (a :file:`families.json` entry)."""

    positions: str
    tie_word_embeddings: bool
    width_keys: tuple[str, ...]
    context_keys: tuple[str, ...]
    position_offset: int = 0
    type_vocab_size: int = 0


@dataclass(frozen=True)
class ConfigText:
    """A parsed config: its JSON object, a label for messages, where it came from.

    ``label`` is the file's path (``"-"`` for stdin) or the preset's name;
    ``source`` is ``"config"`` or ``"preset"``, the ``param`` of its errors.
    """

    data: dict[str, Any]
    label: str
    source: str
    preset: str | None = None


# -- data files ---------------------------------------------------------------


@cache
def _data(name: str) -> dict[str, Any]:
    text = resources.files("nncalc.core").joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def families() -> dict[str, Family]:
    """The known ``model_type`` families, from :file:`families.json`."""
    data = _data("families.json")
    defaults = data["defaults"]
    known = {}
    for name, entry in data["families"].items():
        merged = {**defaults, **entry}
        known[name] = Family(
            positions=merged["positions"],
            tie_word_embeddings=merged["tie_word_embeddings"],
            width_keys=tuple(merged["width_keys"]),
            context_keys=tuple(merged["context_keys"]),
            position_offset=merged["position_offset"],
            type_vocab_size=merged.get("type_vocab_size", 0),
        )
    return known


def unknown_family() -> Family:
    defaults = _data("families.json")["defaults"]
    return Family(
        positions=NONE,
        tie_word_embeddings=defaults["tie_word_embeddings"],
        width_keys=tuple(defaults["width_keys"]),
        context_keys=tuple(defaults["context_keys"]),
    )


@cache
def presets() -> dict[str, dict[str, Any]]:
    """Preset name -> ``{"repo": ..., "config": {...}}``, from :file:`presets.json`."""
    loaded: dict[str, dict[str, Any]] = _data("presets.json")["presets"]
    return loaded


def preset_names() -> list[str]:
    return list(presets())


# -- reading configs ----------------------------------------------------------


def read_config(path: str) -> ConfigText:
    """Parse a config file (``-`` reads stdin) into a JSON object.

    Raises :class:`NncalcError` (operand ``path``, ``param="config"``) for a
    file that cannot be read, is larger than
    :data:`~nncalc.core.limits.MAX_CONFIG_BYTES` (found by one bounded read,
    so an endless file stops there), is not UTF-8, is empty, or is not a JSON
    object. Integers too long to be sizes are kept as
    :class:`~nncalc.core.limits.LongNumber` (see :func:`parse_config`).
    """

    def fail(message: str) -> NncalcError:
        return NncalcError(message, operand=path, param="config")

    try:
        if path == "-":
            data = _read_stdin(fail)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise fail(f"cannot read the file ({error.strerror or type(error).__name__})") from None
    if len(data) > MAX_CONFIG_BYTES:
        limit = MAX_CONFIG_BYTES // (1024 * 1024)
        raise fail(f"larger than {limit} MiB, the limit for a config: expected a JSON config")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail("not UTF-8 text: expected a JSON config") from None
    return ConfigText(parse_config(text, path), path, "config")


def _read_stdin(fail: Callable[[str], NncalcError]) -> bytes:
    """At most :data:`MAX_CONFIG_BYTES` + 1 bytes of stdin."""
    stream = sys.stdin
    if stream is None:
        raise fail("cannot read stdin: it is closed")
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        data: bytes = binary.read(MAX_CONFIG_BYTES + 1)
        return data
    # A text stream without bytes underneath (an embedding program's): bounded by characters.
    return stream.read(MAX_CONFIG_BYTES + 1).encode("utf-8", "surrogateescape")


def parse_config(text: str, label: str) -> dict[str, Any]:
    """The JSON object in ``text``; errors name ``label`` (``param="config"``).

    An integer of more than :data:`~nncalc.core.limits.MAX_JSON_INT_DIGITS`
    digits becomes a :class:`~nncalc.core.limits.LongNumber` instead of an
    ``int`` (Python would refuse to convert one over 4300 digits): the
    field that holds it is refused when it is read.
    """

    def fail(message: str) -> NncalcError:
        return NncalcError(message, operand=label, param="config")

    if not text.strip():
        raise fail("the file is empty: expected a JSON config")
    try:
        data = json.loads(text, parse_int=parse_json_int)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise fail(f"not valid JSON: {error.msg} at {where}") from None
    except RecursionError:
        raise fail("not a config: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise fail(f"expected a JSON object of config fields, got {json_kind(data)}")
    return data


def preset_config(name: str) -> ConfigText:
    """A preset's published config, found by name or Hub repo (any case)."""
    wanted = name.strip().lower()
    for preset, entry in presets().items():
        if wanted in (preset, str(entry["repo"]).lower()):
            return ConfigText(dict(entry["config"]), preset, "preset", preset)
    close = difflib.get_close_matches(wanted, preset_names(), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise NncalcError(
        "unknown preset",
        token=name,
        hint=f"{hint}known: {', '.join(preset_names())}",
        param="preset",
        kind=Kind.UNKNOWN_PRESET,
    )


def json_kind(value: Any) -> str:
    """A short description of a JSON value for messages: ``"768" (a string)``."""
    if isinstance(value, LongNumber):
        return repr(value).strip("<>")
    names = {
        bool: "a boolean",
        int: "a whole number",
        str: "a string",
        float: "a decimal number",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }
    text = json.dumps(value) if not isinstance(value, (list, dict)) else ""
    if len(text) > 20:
        text = text[:17] + "..."
    kind = names.get(type(value), type(value).__name__)
    return f"{text} ({kind})" if text and value is not None else kind
