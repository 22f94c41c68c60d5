"""Embedding sizes of real models, from Hugging Face ``config.json`` files or presets.

:func:`resolve` reads the fields of a config (:mod:`nncalc.core.config_files`
finds and parses it) and combines them with values given by the caller. The
result is a :class:`Model`: the sizes the counts need (and the parameter
dtype, when given or named by the config), plus which config fields were
used, what was assumed and which given values (:class:`Flags`) replaced
config values, so the output can say so. Errors name the config's path or
the preset as their operand and ``param="config"`` or ``param="preset"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from nncalc.core.config_files import (
    LEARNED,
    NONE,
    ConfigText,
    Family,
    families,
    json_kind,
    preset_config,
    preset_names,
    presets,
    read_config,
    unknown_family,
)
from nncalc.core.dtypes import canonical_dtype, known_dtypes
from nncalc.core.limits import MAX_SIZE, MAX_SIZE_TEXT, LongNumber, check_size
from nncalc.errors import Kind, NncalcError

__all__ = [
    "LEARNED",
    "NONE",
    "ConfigText",
    "Family",
    "Flags",
    "Model",
    "families",
    "preset_config",
    "preset_names",
    "preset_summaries",
    "presets",
    "read_config",
    "resolve",
]

_V = TypeVar("_V", int, bool, str)


@dataclass(frozen=True)
class Flags:
    """Values given by the caller (the command line's options), which win over a config's.

    ``None`` means "not given". ``dtype`` is any spelling
    :func:`~nncalc.core.dtypes.canonical_dtype` knows.
    """

    vocab_size: int | None = None
    d_model: int | None = None
    tied: bool | None = None
    learned_positions: bool | None = None
    max_len: int | None = None
    type_vocab_size: int | None = None
    dtype: str | None = None


@dataclass
class Model:
    """Everything the embedding counts need, and where each value came from.

    ``dtype`` is a canonical dtype name: the given one, else the config's
    ``dtype`` or ``torch_dtype`` field; ``None`` when neither says (the
    counts then use :data:`~nncalc.core.dtypes.DEFAULT_DTYPE`).
    """

    vocab_size: int
    d_model: int
    tied: bool
    positions: str
    max_len: int | None
    position_offset: int = 0
    type_vocab_size: int = 0
    dtype: str | None = None
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


def resolve(config: ConfigText | None, flags: Flags) -> Model:
    """Combine a config (or none) with the given values; given values win.

    Without a config, ``flags.vocab_size`` and ``flags.d_model`` are required
    (:class:`NncalcError` with ``kind=Kind.REQUIRED`` and that ``param``).
    A config must hold (or ``flags`` give) the vocabulary size and width,
    and the context length where positions are learned; fields of the wrong
    type or range (sizes above 10**18, a ``torch_dtype`` that names no
    dtype) raise :class:`NncalcError` naming the config and the field. A
    given size above 10**18 or an unknown given dtype raises with ``param``
    naming it.
    """
    flags = _checked(flags)
    if config is None:
        return _from_flags(flags)
    return _Resolver(config, flags).model()


def _checked(flags: Flags) -> Flags:
    """``flags`` with a canonical dtype, once each given size is known to be printable."""
    for name in ("vocab_size", "d_model", "max_len", "type_vocab_size"):
        value = getattr(flags, name)
        if isinstance(value, int) and abs(value) > MAX_SIZE:
            check_size(name, value, minimum=0 if name == "type_vocab_size" else 1)
    if flags.dtype is None:
        return flags
    return replace(flags, dtype=canonical_dtype(flags.dtype))


def _from_flags(flags: Flags) -> Model:
    if flags.vocab_size is None or flags.d_model is None:
        missing = "vocab_size" if flags.vocab_size is None else "d_model"
        raise NncalcError(
            f"{missing} is required", hint="or give a config", param=missing, kind=Kind.REQUIRED
        )
    learned = flags.learned_positions is not False and flags.max_len is not None
    return Model(
        vocab_size=flags.vocab_size,
        d_model=flags.d_model,
        tied=True if flags.tied is None else flags.tied,
        positions=LEARNED if learned else NONE,
        max_len=flags.max_len,
        type_vocab_size=flags.type_vocab_size or 0,
        dtype=flags.dtype,
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
        self.data = self.top = config.data
        self.prefix = ""
        nested = self.data.get("text_config")
        if "vocab_size" not in self.data and isinstance(nested, dict):
            # Multimodal configs (Gemma 3, Qwen2-VL, ...) keep the language model's here.
            self.data = nested
            self.prefix = "text_config."

    def model(self) -> Model:
        model_type, family, known = self._family()
        vocab = self._size("vocab_size", ("vocab_size",), Kind.NO_VOCAB_SIZE, self.flags.vocab_size)
        width = self._size("d_model", family.width_keys, Kind.NO_D_MODEL, self.flags.d_model)
        tied = self._tied(family)
        positions = self._positions(family, known=known)
        context = self._context(family, learned=positions == LEARNED)
        types = self._token_types(family)
        dtype = self._dtype()
        return Model(
            vocab_size=vocab,
            d_model=width,
            tied=tied,
            positions=positions,
            max_len=context,
            position_offset=family.position_offset if positions == LEARNED else 0,
            type_vocab_size=types,
            dtype=dtype,
            source=self.source,
            preset=self.preset,
            model_type=model_type,
            fields=self.fields,
            assumed=self.assumed,
            overrides=self.overrides,
        )

    # Each reader: a given value wins (noted in overrides), else the config
    # field (noted in fields), else the family default (noted in assumed).

    def _given(self, name: str, value: _V | None) -> _V | None:
        """``value`` (a field of :class:`Flags`), noted in overrides when given."""
        if value is not None:
            shown = _bool(value) if isinstance(value, bool) else value
            self.overrides.append(f"{name}={shown}")
        return value

    def _family(self) -> tuple[str | None, Family, bool]:
        model_type = self.data.get("model_type")
        if model_type is None:
            return None, unknown_family(), False
        if not isinstance(model_type, str):
            raise self._error(
                f"{self.prefix}model_type: expected a string, got {json_kind(model_type)}"
            )
        self.fields.append(self.prefix + "model_type")
        family = families().get(model_type)
        if family is None:
            return model_type, unknown_family(), False
        return model_type, family, True

    def _size(self, name: str, keys: tuple[str, ...], missing: Kind, given: int | None) -> int:
        found = self._first(keys)
        if (size := self._given(name, given)) is not None:
            return size
        if found is None:
            hint = f"set Flags.{name}"
            raise self._error(f"no {self._names(keys)} field", hint=hint, kind=missing)
        key, value = found
        return self._whole(key, value, minimum=1)

    def _tied(self, family: Family) -> bool:
        if (tied := self._given("tied", self.flags.tied)) is not None:
            return tied
        value = self.data.get("tie_word_embeddings")
        if value is None:
            self.assumed.append(f"tie_word_embeddings={_bool(family.tie_word_embeddings)}")
            return family.tie_word_embeddings
        if not isinstance(value, bool):
            raise self._error(
                f"{self.prefix}tie_word_embeddings: expected true or false, got {json_kind(value)}"
            )
        self.fields.append(self.prefix + "tie_word_embeddings")
        return value

    def _positions(self, family: Family, *, known: bool) -> str:
        learned = self.flags.learned_positions
        if learned is not None:
            chosen = LEARNED if learned else NONE
            self._given("positions", chosen)
            return chosen
        if not known:
            self.assumed.append(f"positions={family.positions}")
        return family.positions

    def _context(self, family: Family, *, learned: bool) -> int | None:
        found = self._first(family.context_keys)
        if (given := self._given("max_len", self.flags.max_len)) is not None:
            return given
        if found is None:
            if learned:
                raise self._error(
                    f"no {self._names(family.context_keys)} field for the learned position table",
                    hint="set Flags.max_len, or Flags.learned_positions=False",
                    kind=Kind.NO_MAX_LEN,
                )
            return None
        key, value = found
        return self._whole(key, value, minimum=1)

    def _token_types(self, family: Family) -> int:
        if (given := self._given("type_vocab_size", self.flags.type_vocab_size)) is not None:
            return given
        if not family.type_vocab_size:
            return 0
        value = self.data.get("type_vocab_size")
        if value is None:
            self.assumed.append(f"type_vocab_size={family.type_vocab_size}")
            return family.type_vocab_size
        return self._whole("type_vocab_size", value, minimum=0)

    def _dtype(self) -> str | None:
        """The given dtype, else the config's ``dtype`` (newer) or ``torch_dtype`` field.

        Looked for beside the sizes, then (for a nested ``text_config``) at
        the top level. A field that names no dtype is an error naming it.
        """
        if (given := self._given("dtype", self.flags.dtype)) is not None:
            return given
        found = self._dtype_field()
        if found is None:
            return None
        name, value = found
        try:
            dtype = canonical_dtype(value) if isinstance(value, str) else None
        except NncalcError:
            dtype = None
        if dtype is None:
            raise self._error(
                f"{name}: not a dtype name, got {json_kind(value)};"
                f" known: {known_dtypes()} and their PyTorch names",
                hint="Flags.dtype overrides it",
                kind=Kind.CONFIG_DTYPE,
            )
        self.fields.append(name)
        return dtype

    def _dtype_field(self) -> tuple[str, Any] | None:
        places = [(self.data, self.prefix)]
        if self.prefix:
            places.append((self.top, ""))
        for data, prefix in places:
            for key in ("dtype", "torch_dtype"):
                if data.get(key) is not None:
                    return prefix + key, data[key]
        return None

    def _first(self, keys: tuple[str, ...]) -> tuple[str, Any] | None:
        for key in keys:
            if self.data.get(key) is not None:
                return key, self.data[key]
        return None

    def _whole(self, key: str, value: Any, *, minimum: int) -> int:
        name = self.prefix + key
        need = "positive" if minimum == 1 else "zero or more"
        if isinstance(value, LongNumber):
            if value.negative:
                raise self._error(f"{name}: must be {need}, got {json_kind(value)}")
            raise self._error(f"{name}: must be at most {MAX_SIZE_TEXT}, got {json_kind(value)}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(f"{name}: expected a whole number, got {json_kind(value)}")
        if value < minimum:
            raise self._error(f"{name}: must be {need}, got {value}")
        if value > MAX_SIZE:
            raise self._error(f"{name}: must be at most {MAX_SIZE_TEXT}, got {value}")
        self.fields.append(name)
        return value

    def _names(self, keys: tuple[str, ...]) -> str:
        """``hidden_size, n_embd or d_model``: the fields looked for, in order."""
        names = [self.prefix + key for key in keys]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"

    def _error(
        self, message: str, hint: str | None = None, kind: Kind | None = None
    ) -> NncalcError:
        return NncalcError(message, operand=self.label, hint=hint, param=self.source, kind=kind)


def _bool(value: bool) -> str:
    return "true" if value else "false"
