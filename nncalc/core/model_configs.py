"""Embedding sizes of real models, read from Hugging Face ``config.json`` files.

A config names its family in ``model_type``; :file:`families.json` says how
each family builds its embeddings (a learned position table or RoPE/ALiBi/
relative positions, a token-type table, the default tying). Presets
(:file:`presets.json`) are the embedding fields of well-known published
configs and go through the same reader. Nothing here touches a network.

The result is a :class:`Model`: the sizes the counts need, plus which config
fields were used, what was assumed and which flags replaced config values,
so the output can say so.
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from nncalc.errors import NncalcError

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
class Flags:
    """Values given on the command line; ``None`` means "not given"."""

    vocab_size: int | None = None
    d_model: int | None = None
    tied: bool | None = None
    learned_positions: bool | None = None
    max_len: int | None = None
    type_vocab_size: int | None = None


@dataclass
class Model:
    """Everything the embedding counts need, and where each value came from."""

    vocab_size: int
    d_model: int
    tied: bool
    positions: str
    max_len: int | None
    position_offset: int = 0
    type_vocab_size: int = 0
    source: str = "flags"
    preset: str | None = None
    model_type: str | None = None
    fields: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    @property
    def learned_positions(self) -> bool:
        return self.positions == LEARNED

    def provenance(self) -> dict[str, str | None]:
        """The record entries that say where the numbers came from."""

        def words(items: list[str]) -> str | None:
            return " ".join(items) if items else None

        return {
            "source": self.source,
            "preset": self.preset,
            "model_type": self.model_type,
            "positions": self.positions,
            "fields": words(self.fields),
            "assumed": words(self.assumed),
            "overrides": words(self.overrides),
        }


@dataclass(frozen=True)
class ConfigText:
    """A parsed config: its JSON object, a label for messages, where it came from."""

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


def _unknown_family() -> Family:
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


def preset_summaries() -> list[dict[str, str | int | bool | None]]:
    """One row per preset: name, Hub repo and the sizes its config resolves to."""
    rows: list[dict[str, str | int | bool | None]] = []
    for name, entry in presets().items():
        model = resolve(preset_config(name), Flags())
        rows.append(
            {
                "preset": name,
                "repo": entry["repo"],
                "model_type": model.model_type,
                "vocab_size": model.vocab_size,
                "d_model": model.d_model,
                "tied": model.tied,
                "positions": model.positions,
                "max_len": model.max_len,
            }
        )
    return rows


# -- reading configs ----------------------------------------------------------


def read_config(path: str) -> ConfigText:
    """Parse a config file (``-`` reads stdin) into a JSON object, or fail on one line."""
    label = f"--config {path}"
    try:
        if path == "-":
            text = sys.stdin.read().removeprefix("\ufeff")
        else:
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read()
    except UnicodeDecodeError:
        raise NncalcError("not UTF-8 text: expected a JSON config", operand=label) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise NncalcError(f"cannot read the file ({reason})", operand=label) from None
    if not text.strip():
        raise NncalcError("the file is empty: expected a JSON config", operand=label)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise NncalcError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            operand=label,
        ) from None
    except RecursionError:
        raise NncalcError("not a config: JSON nested too deeply", operand=label) from None
    if not isinstance(data, dict):
        raise NncalcError(
            f"expected a JSON object of config fields, got {_kind(data)}", operand=label
        )
    return ConfigText(data, label, "config")


def preset_config(name: str) -> ConfigText:
    """A preset's published config, found by name or Hub repo (any case)."""
    wanted = name.strip().lower()
    for preset, entry in presets().items():
        if wanted in (preset, str(entry["repo"]).lower()):
            return ConfigText(dict(entry["config"]), f"--preset {preset}", "preset", preset)
    close = difflib.get_close_matches(wanted, preset_names(), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise NncalcError(
        "unknown preset",
        operand="--preset",
        token=name,
        hint=f"{hint}known: {', '.join(preset_names())}; --preset list shows them",
    )


def resolve(config: ConfigText | None, flags: Flags) -> Model:
    """Combine a config (or none) with the command-line flags; flags win."""
    if config is None:
        return _from_flags(flags)
    return _Resolver(config, flags).model()


def _from_flags(flags: Flags) -> Model:
    if flags.vocab_size is None or flags.d_model is None:
        missing = "--vocab-size" if flags.vocab_size is None else "--d-model"
        raise NncalcError(f"{missing} is required", hint="or pass --config or --preset")
    learned = flags.learned_positions is not False and flags.max_len is not None
    return Model(
        vocab_size=flags.vocab_size,
        d_model=flags.d_model,
        tied=True if flags.tied is None else flags.tied,
        positions=LEARNED if learned else NONE,
        max_len=flags.max_len,
        type_vocab_size=flags.type_vocab_size or 0,
    )


class _Resolver:
    """Reads one config's fields, noting each one used or assumed."""

    def __init__(self, config: ConfigText, flags: Flags) -> None:
        self.flags = flags
        self.label = config.label
        self.source = config.source
        self.preset = config.preset
        self.fields: list[str] = []
        self.assumed: list[str] = []
        self.overrides: list[str] = []
        self.data = config.data
        self.prefix = ""
        nested = self.data.get("text_config")
        if "vocab_size" not in self.data and isinstance(nested, dict):
            # Multimodal configs (Gemma 3, Qwen2-VL, ...) keep the language model's here.
            self.data = nested
            self.prefix = "text_config."

    def model(self) -> Model:
        model_type, family, known = self._family()
        vocab = self._size("vocab_size", ("vocab_size",), self.flags.vocab_size, "--vocab-size")
        width = self._size("d_model", family.width_keys, self.flags.d_model, "--d-model")
        tied = self._tied(family)
        positions = self._positions(family, known=known)
        context = self._context(family, learned=positions == LEARNED)
        types = self._token_types(family)
        return Model(
            vocab_size=vocab,
            d_model=width,
            tied=tied,
            positions=positions,
            max_len=context,
            position_offset=family.position_offset if positions == LEARNED else 0,
            type_vocab_size=types,
            source=self.source,
            preset=self.preset,
            model_type=model_type,
            fields=self.fields,
            assumed=self.assumed,
            overrides=self.overrides,
        )

    # Each reader: a flag wins (noted in overrides), else the config field
    # (noted in fields), else the family default (noted in assumed).

    def _family(self) -> tuple[str | None, Family, bool]:
        model_type = self.data.get("model_type")
        if model_type is None:
            return None, _unknown_family(), False
        if not isinstance(model_type, str):
            raise self._error(
                f"{self.prefix}model_type: expected a string, got {_kind(model_type)}"
            )
        self.fields.append(self.prefix + "model_type")
        family = families().get(model_type)
        if family is None:
            return model_type, _unknown_family(), False
        return model_type, family, True

    def _size(self, name: str, keys: tuple[str, ...], flag: int | None, option: str) -> int:
        found = self._first(keys)
        if flag is not None:
            self.overrides.append(f"{name}={flag}")
            return flag
        if found is None:
            raise self._error(f"no {self._names(keys)} field", hint=f"pass {option}")
        key, value = found
        return self._whole(key, value, minimum=1)

    def _tied(self, family: Family) -> bool:
        if self.flags.tied is not None:
            self.overrides.append(f"tied={_bool(self.flags.tied)}")
            return self.flags.tied
        value = self.data.get("tie_word_embeddings")
        if value is None:
            self.assumed.append(f"tie_word_embeddings={_bool(family.tie_word_embeddings)}")
            return family.tie_word_embeddings
        if not isinstance(value, bool):
            raise self._error(
                f"{self.prefix}tie_word_embeddings: expected true or false, got {_kind(value)}"
            )
        self.fields.append(self.prefix + "tie_word_embeddings")
        return value

    def _positions(self, family: Family, *, known: bool) -> str:
        learned = self.flags.learned_positions
        if learned is None:
            if not known:
                self.assumed.append(f"positions={family.positions}")
            return family.positions
        chosen = LEARNED if learned else NONE
        self.overrides.append(f"positions={chosen}")
        return chosen

    def _context(self, family: Family, *, learned: bool) -> int | None:
        found = self._first(family.context_keys)
        if self.flags.max_len is not None:
            self.overrides.append(f"max_len={self.flags.max_len}")
            return self.flags.max_len
        if found is None:
            if learned:
                raise self._error(
                    f"no {self._names(family.context_keys)} field for the learned position table",
                    hint="pass --max-len, or --positions none",
                )
            return None
        key, value = found
        return self._whole(key, value, minimum=1)

    def _token_types(self, family: Family) -> int:
        if self.flags.type_vocab_size is not None:
            self.overrides.append(f"type_vocab_size={self.flags.type_vocab_size}")
            return self.flags.type_vocab_size
        if not family.type_vocab_size:
            return 0
        value = self.data.get("type_vocab_size")
        if value is None:
            self.assumed.append(f"type_vocab_size={family.type_vocab_size}")
            return family.type_vocab_size
        return self._whole("type_vocab_size", value, minimum=0)

    def _first(self, keys: tuple[str, ...]) -> tuple[str, Any] | None:
        for key in keys:
            if self.data.get(key) is not None:
                return key, self.data[key]
        return None

    def _whole(self, key: str, value: Any, *, minimum: int) -> int:
        name = self.prefix + key
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(f"{name}: expected a whole number, got {_kind(value)}")
        if value < minimum:
            need = "positive" if minimum == 1 else "zero or more"
            raise self._error(f"{name}: must be {need}, got {value}")
        self.fields.append(name)
        return value

    def _names(self, keys: tuple[str, ...]) -> str:
        """``hidden_size, n_embd or d_model``: the fields looked for, in order."""
        names = [self.prefix + key for key in keys]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"

    def _error(self, message: str, hint: str | None = None) -> NncalcError:
        return NncalcError(message, operand=self.label, hint=hint)


def _kind(value: Any) -> str:
    """A short description of a JSON value for messages: ``"768" (a string)``."""
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


def _bool(value: bool) -> str:
    return "true" if value else "false"
