"""Binary tensor operands: ``@f.npy``, ``@f.npz[:name]``, ``@f.safetensors[:name]``, ``@f.jsonl``.

NumPy and the standard library only (no torch, no safetensors package). The
format is recognised from the file's first bytes, and from its extension
only where those cannot tell (JSON Lines, a missing or unreadable file, a
file too short to hold a signature):

- ``.npy``: ``b"\\x93NUMPY"``; read a chunk of rows at a time (never whole).
- ``.npz``: a zip (``b"PK\\x03\\x04"``) of ``.npy`` members; the member is read
  whole (and decompressed) when opened: a zip member cannot be read in rows.
- ``.safetensors``: an 8-byte little-endian header size, then a JSON header
  starting with ``{``; read a chunk of rows at a time.
- ``.jsonl``/``.ndjson``: one array (or object) of numbers per line.
- Pickle-based files (``.pt``, ``.pth``, ``.bin``, ``.pkl``, ``.pickle``, a file
  starting with the pickle opcode ``b"\\x80"``, a zip holding ``data.pkl``) are
  refused: loading one runs the code it holds.

``path:name`` picks a tensor in a ``.npz`` or ``.safetensors`` file; a path
containing ``:`` that exists as a file whole is that file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, BinaryIO

from nncalc.errors import NncalcError

if TYPE_CHECKING:  # the readers are imported when a tensor is opened (start-up)
    from nncalc.io.tensor_rows import TensorReader

NAMED_SUFFIXES = (".npz", ".safetensors")
TENSOR_SUFFIXES = (".npy", *NAMED_SUFFIXES)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle")
SUFFIXES = (*TENSOR_SUFFIXES, *JSONL_SUFFIXES, *PICKLE_SUFFIXES)

PICKLE_HINT = (
    "convert it where it was made: safetensors.torch.save_file({'logits': t}, "
    "'f.safetensors'), or np.save('f.npy', t.float().numpy())"
)

__all__ = ["is_tensor_operand", "open_tensor", "split_name"]


def _suffix(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def split_name(path: str) -> tuple[str, str | None]:
    """``path[:name]`` -> (file, name or None).

    A path that is a file as a whole wins (``C:\\data\\x.npy``); otherwise the
    first ``:`` after which the part before is a file splits it (so a name
    may hold ``:``). When no such file exists, a ``:`` after a ``.npz`` or
    ``.safetensors`` suffix splits it, for the error about the file.
    """
    if ":" not in path or os.path.isfile(path):
        return path, None
    colons = [i for i, char in enumerate(path) if char == ":"]
    for i in colons:
        if os.path.isfile(path[:i]):
            return path[:i], path[i + 1 :]
    for i in colons:
        if _suffix(path[:i]) in NAMED_SUFFIXES:
            return path[:i], path[i + 1 :]
    return path, None


def _sniff(handle: BinaryIO) -> str | None:
    """The format a file's first bytes show: npy, zip, safetensors, pickle or None."""
    head = handle.read(9)
    handle.seek(0)
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\x80"):
        return "pickle"
    if len(head) == 9 and head[8:9] == b"{":
        length = int.from_bytes(head[:8], "little")
        if length <= os.fstat(handle.fileno()).st_size - 8:
            return "safetensors"
    return None


def _zip_kind(handle: BinaryIO) -> str:
    """A zip's kind from its member names: npz, pickle (a torch file) or zip."""
    import zipfile

    try:
        with zipfile.ZipFile(handle) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        reason = " ".join(str(error).split())[:120]
        raise NncalcError(f"a damaged or truncated zip archive ({reason})") from None
    finally:
        handle.seek(0)
    if any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        return "pickle"
    if names and all(name.endswith(".npy") for name in names):
        return "npz"
    return "zip"


def is_tensor_operand(path: str) -> bool:
    """Whether ``@path`` (given without the ``@``) is for :func:`open_tensor`.

    True for a regular file whose first bytes show .npy, .npz (any zip),
    .safetensors or pickle, and, where they cannot tell, for the extensions .npy, .npz,
    .safetensors, .jsonl, .ndjson, .pt, .pth, .bin, .pkl, .pickle (so a
    missing ``x.npy`` gets the tensor reader's "no such file"). A pipe or
    device is never opened here (reading would take its bytes). ``path``
    may end in ``:name``.
    """
    file, _ = split_name(path)
    if not os.path.isfile(file):  # never open a pipe: its bytes belong to the text reader
        return _suffix(file) in SUFFIXES
    try:
        with open(file, "rb") as handle:
            if _sniff(handle) is not None:
                return True
    except (OSError, ValueError):
        pass
    return _suffix(file) in SUFFIXES


def open_tensor(
    text: str,
    operand: str,
    *,
    one_per_row: bool = False,
    on_read: Callable[[int], None] | None = None,
) -> TensorReader:
    """The reader of a tensor operand ``@path[:name]`` (a leading ``@`` is dropped).

    ``one_per_row`` reads every element as a row of one value (targets,
    masks); ``on_read`` is told the bytes of every read (a progress bar).
    Every problem is a :class:`NncalcError` naming ``operand`` and the file.
    See :class:`nncalc.io.tensor_rows.TensorReader` for the rows it gives.
    """
    path = text[1:] if text.startswith("@") else text
    file, name = split_name(path)
    handle = _open(file, operand, text)
    try:
        return _reader(handle, file, name, operand, text, one_per_row, on_read)
    except NncalcError as error:
        handle.close()
        if error.where.operand is None:
            error.where = replace(error.where, operand=operand, token=error.where.token or text)
        raise
    except BaseException:
        handle.close()
        raise


def _open(file: str, operand: str, text: str) -> BinaryIO:
    where: dict[str, Any] = {"operand": operand, "token": text}
    if os.path.isdir(file):
        raise NncalcError("is a directory, not a file", **where)
    if os.path.exists(file) and not os.path.isfile(file):
        raise NncalcError("not a regular file (tensors are read at offsets)", **where)
    try:
        return open(file, "rb")
    except FileNotFoundError:
        raise NncalcError("no such file", **where) from None
    except PermissionError:
        raise NncalcError("permission denied", **where) from None
    except OSError as error:
        raise NncalcError(f"cannot read: {error.strerror}", **where) from None
    except ValueError:  # a NUL byte in the path
        raise NncalcError("cannot read: not a valid path", **where) from None


def _reader(
    handle: BinaryIO,
    file: str,
    name: str | None,
    operand: str,
    text: str,
    one_per_row: bool,
    on_read: Callable[[int], None] | None,
) -> TensorReader:
    from nncalc.io import tensor_files
    from nncalc.io.tensor_rows import FileRows

    kind = _sniff(handle)
    if kind == "zip":
        kind = _zip_kind(handle)
    suffix = _suffix(file)
    if kind is None and suffix == ".safetensors":
        kind = "safetensors"  # its header's checks say what is wrong with it
    if kind == "pickle" or (kind is None and suffix in PICKLE_SUFFIXES):
        raise NncalcError(
            "a pickle-based file: loading it runs the code it holds, so nncalc does not",
            hint=PICKLE_HINT,
        )
    if kind is None and suffix in JSONL_SUFFIXES:
        from nncalc.io.jsonl import JsonlReader

        _no_name(name, "a JSON Lines file")
        return JsonlReader(operand, text, handle, on_read=on_read)
    size = os.fstat(handle.fileno()).st_size
    if kind == "npy":
        _no_name(name, "a .npy file holds one tensor")
        layout = tensor_files.npy_layout(handle, size)
    elif kind == "safetensors":
        tensors = tensor_files.safetensors_layouts(handle, size)
        found = tensors[_pick(list(tensors), name)]
        if isinstance(found, str):
            raise NncalcError(found)
        layout = found
    elif kind == "npz":
        return _npz_reader(handle, name, operand, text, one_per_row)
    elif kind == "zip":
        raise NncalcError("a zip archive without .npy members: not a .npz file")
    elif suffix in TENSOR_SUFFIXES:
        raise NncalcError(f"not a {suffix} file: its first bytes are not that format's")
    else:
        known = ", ".join(TENSOR_SUFFIXES + JSONL_SUFFIXES)
        raise NncalcError(f"not a tensor file ({known})")
    return FileRows(operand, text, handle, layout, one_per_row=one_per_row, on_read=on_read)


def _no_name(name: str | None, what: str) -> None:
    if name is not None:
        raise NncalcError(f"{what}: there is nothing to name after ':'")


def _pick(names: list[str], name: str | None) -> str:
    """``name`` if the file holds it, or the only name; listing the names otherwise."""
    from nncalc.io.tensor_files import name_list, quoted

    if name is None and len(names) == 1:
        name = names[0]
    if name is None:
        raise NncalcError(
            f"holds {len(names):,} tensors: name one as @file:NAME ({name_list(names)})"
        )
    if name not in names:
        raise NncalcError(f"holds no tensor {quoted(name)} (it holds {name_list(names)})")
    return name


def _npz_reader(
    handle: BinaryIO, name: str | None, operand: str, text: str, one_per_row: bool
) -> TensorReader:
    """The member of a .npz, read whole (np.load cannot map a zip member)."""
    import zipfile
    import zlib

    import numpy as np

    from nncalc.io.tensor_files import check_row_dtype, quoted
    from nncalc.io.tensor_rows import ArrayRows

    with handle:
        try:
            archive = np.load(handle, allow_pickle=False)
            name = _pick(list(archive.files), name)
            array = archive[name]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            if isinstance(error, NncalcError):
                raise
            reason = " ".join(str(error).split())[:120]
            what = "the archive" if name is None else f"member {quoted(name)}"
            raise NncalcError(f"cannot read {what} ({reason})") from None
    check_row_dtype(array.dtype)
    return ArrayRows(operand, text, array, one_per_row=one_per_row)
