"""Parameter data types: their names, spellings and storage sizes.

Each dtype has one canonical name (``fp32``, ``bf16``, ``int4`` ...), the
name records show; :data:`DTYPE_ALIASES` maps every accepted spelling to
it: the canonical names, PyTorch's names (``float16``, ``bfloat16``,
``float8_e4m3fn``; a config's ``torch_dtype`` holds these) and the common
short ones (``half``, ``f32``). Spellings are matched without regard to
case, surrounding blanks or a ``torch.`` prefix.
"""

from __future__ import annotations

from nncalc.errors import NncalcError

# Canonical name -> bytes per parameter. int4 packs two parameters per byte.
DTYPE_BYTES: dict[str, float] = {
    "fp64": 8,
    "fp32": 4,
    "tf32": 4,
    "fp16": 2,
    "bf16": 2,
    "fp8": 1,
    "fp8_e4m3": 1,
    "fp8_e5m2": 1,
    "int8": 1,
    "uint8": 1,
    "int4": 0.5,
}

DEFAULT_DTYPE = "fp32"

# Canonical name -> its other spellings (lowercase).
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "fp64": ("float64", "double", "f64"),
    "fp32": ("float32", "float", "f32"),
    "tf32": ("tensorfloat32",),
    "fp16": ("float16", "half", "f16"),
    "bf16": ("bfloat16",),
    "fp8": ("float8",),
    "fp8_e4m3": ("float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3", "e4m3"),
    "fp8_e5m2": ("float8_e5m2", "float8_e5m2fnuz", "e5m2"),
    "int8": ("qint8",),
    "uint8": ("quint8",),
    "int4": (),
}

# Every accepted spelling (lowercase) -> its canonical name.
DTYPE_ALIASES: dict[str, str] = {
    spelling: name for name, others in _SPELLINGS.items() for spelling in (name, *others)
}


def dtype_spellings() -> list[str]:
    """Every accepted spelling, canonical names first (for completion and help)."""
    return [*DTYPE_BYTES, *(s for s in DTYPE_ALIASES if s not in DTYPE_BYTES)]


def known_dtypes() -> str:
    """The canonical names, comma-separated, for messages."""
    return ", ".join(DTYPE_BYTES)


def canonical_dtype(name: str) -> str:
    """The canonical name of a dtype spelling: ``"BFloat16"`` -> ``"bf16"``.

    Case, blanks around it and a ``torch.`` prefix do not matter. An unknown
    name (or a non-string) raises :class:`NncalcError` with ``param="dtype"``
    and the canonical names in its message.
    """
    key = name.strip().lower().removeprefix("torch.") if isinstance(name, str) else None
    canonical = DTYPE_ALIASES.get(key) if key is not None else None
    if canonical is None:
        raise NncalcError(
            f"unknown dtype (known: {known_dtypes()})",
            token=str(name),
            hint="any case; PyTorch names such as bfloat16 work too",
            param="dtype",
        )
    return canonical


def dtype_bytes(count: int, dtype: str) -> int:
    """Bytes that ``count`` parameters take at ``dtype`` (a canonical name).

    Exact: ``count`` times the dtype's size; for int4 (half a byte each) the
    total is rounded up to a whole byte, ceil(count / 2), once for the whole
    tensor (the parameters are packed two to a byte).
    """
    size = DTYPE_BYTES[dtype]
    return count * int(size) if size >= 1 else -(-count // int(1 / size))
