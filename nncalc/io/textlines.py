"""Input bytes -> blocks of text lines: decompressed, decoded as UTF-8, newlines unified."""

from __future__ import annotations

import codecs
import io
import select
from collections.abc import Callable
from typing import BinaryIO, TextIO, cast

from nncalc.errors import NncalcError
from nncalc.io import compressed, tokens
from nncalc.io.tokens import MAX_LINE_CHARS

CHUNK_BYTES = 2 << 20
FEWEST_LINES = 2  # in a block, however long, unless the input has no more ready


BLOCK_BYTES = 1 << 20  # one read: whatever is ready, up to this


def utf8_decoder() -> codecs.IncrementalDecoder:
    """UTF-8 (a leading BOM dropped), decoded as the bytes arrive."""
    return codecs.getincrementaldecoder("utf-8-sig")()


def more_ready(stream: BinaryIO | TextIO) -> bool:
    """Whether a read would not wait: always for files, for pipes when data is in."""
    if isinstance(stream, compressed.Prefixed) and stream.has_head():
        return True
    try:
        ready, _, _ = select.select([stream.fileno()], [], [], 0)
    except (AttributeError, OSError, ValueError):
        return True
    return bool(ready)


def stream_name(stream: BinaryIO | TextIO) -> str | None:
    """What messages call an input: its file name, ``stdin``, or None when unknown."""
    name = getattr(stream, "name", None)
    if not isinstance(name, str):
        return None
    return "stdin" if name == "<stdin>" else name


class LineSource:
    """The lines of an input stream, split off a block at a time.

    A block ends at ``limit`` lines or CHUNK_BYTES characters, or as soon as
    it holds a whole line and the input has nothing more ready (a pipe whose
    writer paused). Every line is bounded by MAX_LINE_CHARS. A binary stream
    is checked for gzip, bzip2 and xz data on its first read and decoded as
    UTF-8; a byte that is not UTF-8 is an error naming its line and column,
    raised before any line of its block is handed out.
    """

    def __init__(
        self,
        stream: BinaryIO | TextIO,
        operand: str,
        *,
        on_read: Callable[[int], None] | None = None,
        source: str | None = None,
    ) -> None:
        self.stream = stream
        self.operand = operand
        self.on_read = on_read  # told the bytes of every read (progress)
        self.source = source if source is not None else stream_name(stream)
        self.compression: str | None = None
        self.line_number = 0  # lines split off the input
        self.quoted = False  # whether the last block holds a double quote
        self.hashed = False  # ... or a '#' (a comment line, perhaps)
        self._ready_long = False
        self._input: BinaryIO | TextIO | None = None
        self._decoder = utf8_decoder()
        self._carry = ""  # input after the last whole line
        self._ready: list[str] = []  # lines split off, _ready[_at:] not handed out
        self._at = 0
        self._text = ""  # whole lines read after them, not split yet
        self._text_lines = 0  # how many
        self._fresh = False  # whether no line of the text was handed out yet
        self._ready_quoted = False  # whether the text of the last read holds a quote
        self._ready_hashed = False  # ... or a '#'
        self.long = False  # whether the last block may hold a number over MAX_TOKEN_CHARS
        self._held_cr = False
        self._eof = False

    @property
    def file(self) -> str | None:
        """The name of the file read, as messages show it (None: stdin or unnamed)."""
        if self.source is None or self.source == "stdin":
            return None
        from nncalc.output.safe import visible_controls

        return visible_controls(self.source)

    def name_file(self, error: NncalcError) -> NncalcError:
        """``error``, about this input, placed in its file: ``FILE:LINE:COLUMN``."""
        file = self.file
        if file is not None and error.where.operand in (None, self.operand):
            error.located(operand=self.operand, source=file)
        return error

    @property
    def exhausted(self) -> bool:
        """Whether every line of the input has been split off."""
        return self._eof and not self._carry and not self._text and self._at == len(self._ready)

    def _open(self) -> BinaryIO | TextIO:
        if self._input is None:
            if isinstance(self.stream, io.TextIOBase):
                self._input = self.stream
            else:
                self.compression, self._input = compressed.opened(
                    cast(BinaryIO, self.stream), self.on_read
                )
        return self._input

    def _read_some(self, lines_before: int, partial: int) -> str:
        """The text of one read ('' at the end), newlines translated to '\\n'.

        ``lines_before`` lines and ``partial`` characters of the current line
        came before this read: they place an encoding error.
        """
        stream = self._open()
        read = getattr(stream, "read1", None) or stream.read
        try:
            data = read(BLOCK_BYTES)
        except UnicodeDecodeError:  # a text stream decodes as it reads
            raise NncalcError(
                "input is not UTF-8 text", operand=self.operand, line=lines_before + 1
            ) from None
        except Exception as error:
            if self.compression is not None:
                raise compressed.read_error(self.compression, error, self.operand) from None
            if isinstance(error, OSError):
                message = f"cannot read: {error.strerror}"
                raise NncalcError(message, operand=self.operand) from None
            raise
        if isinstance(data, str):
            text = data
        else:
            try:
                text = self._decoder.decode(data, final=not data)
            except UnicodeDecodeError as error:
                raise self._not_utf8(error, lines_before, partial) from None
        if not data:
            self._eof = True
        # Universal newlines, as text files are read: "\r\n" and "\r" end lines.
        if self._held_cr:
            text = "\r" + text
            self._held_cr = False
        if text.endswith("\r") and not self._eof:
            text = text[:-1]
            self._held_cr = True
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def _not_utf8(self, error: UnicodeDecodeError, lines_before: int, partial: int) -> NncalcError:
        """``FILE:LINE:COLUMN: not UTF-8 (byte 0xE9)`` for the first bad byte."""
        before = error.object[: error.start]
        # Line ends in these bytes are not unified yet: "\r\n", "\r" and "\n" each end one.
        newlines = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
        if self._held_cr and not before.startswith(b"\n"):
            newlines += 1
            partial = 0
        if newlines:
            before = before[max(before.rfind(b"\n"), before.rfind(b"\r")) + 1 :]
            partial = 0
        line = lines_before + newlines + 1
        column = partial + len(before.decode("utf-8", "replace")) + 1
        byte = error.object[error.start]
        hint = "convert it to UTF-8, e.g. with iconv -f latin1 -t utf-8"
        message = f"not UTF-8 (byte 0x{byte:02X})"
        if self.source is None:
            message = f"line {line}, column {column}: {message}"
            return NncalcError(message, operand=self.operand, line=line, hint=hint)
        error_at = NncalcError(message, operand=self.operand, line=line, column=column, hint=hint)
        if self.source == "stdin":
            return error_at.located(source="stdin")
        return self.name_file(error_at)

    def _too_long(self, line: int) -> NncalcError:
        return NncalcError(
            f"line {line} is longer than {MAX_LINE_CHARS:,} characters",
            operand=self.operand,
            hint="is this text with one row per line?",
        )

    def read_block(self, limit: int) -> list[str]:
        """Split up to ``limit`` whole lines off the input (the first is line
        ``line_number + 1`` before the call; none only at the end).

        Lines left over from the last read come first, without reading; else
        reads until the block is full or, once it holds a whole line, until
        the input has nothing more ready. The first block of a read is split
        off its text, and the rest of the text (unless :meth:`take_text`
        takes it whole) is split into lines once: a block costs what its own
        lines do, however many a read held.
        """
        if self._at == len(self._ready):
            if not self._text:
                self._read_text(limit)
            if self._fresh:  # the rest of the read may yet go to NumPy whole
                return self._handed_out(self._first_lines(limit))
            self.split_text()
        block = self._ready[self._at : self._at + limit]
        self._at += len(block)
        if self._at == len(self._ready):
            self._ready, self._at = [], 0
        return self._handed_out(block)

    def _handed_out(self, block: list[str]) -> list[str]:
        # Whether the block holds a quote (or '#'): looked for line by line
        # only when the text it came from holds one.
        self.quoted = self._ready_quoted and any('"' in line for line in block)
        self.hashed = self._ready_hashed and any("#" in line for line in block)
        self.long = self._ready_long
        self.line_number += len(block)
        return block

    def _first_lines(self, limit: int) -> list[str]:
        """Split the first ``limit`` lines off the text; the rest stays text."""
        self._fresh = False
        block = self._text.split("\n", limit)
        if len(block) > limit:
            self._text = block.pop()
            self._text_lines -= limit
        else:
            self._text, self._text_lines = "", 0
            if block[-1] == "":
                block.pop()
        return block

    def split_text(self) -> None:
        """Split the whole text into the lines :meth:`read_block` hands out
        (there are none left)."""
        lines = self._text.split("\n")
        if lines[-1] == "":
            lines.pop()
        self._ready, self._at = lines, 0
        self._text, self._text_lines, self._fresh = "", 0, False

    @property
    def text_lines(self) -> int:
        """The lines of the text :meth:`peek_text` gives."""
        return self._text_lines

    def peek_text(self, limit: int) -> str | None:
        """The whole lines read and not handed out, as one text (reading when
        there are none): a block for NumPy to parse at once, with no Python
        string per line. None at the end, or when the text holds a double
        quote, a ``#`` or a number over MAX_TOKEN_CHARS: such lines are read
        with :meth:`read_block`. The text stays unread until :meth:`take_text`.
        """
        if self._at < len(self._ready):
            return None
        if not self._text:
            self._read_text(limit)
        text = self._text
        if not text or '"' in text or "#" in text:
            return None
        if self._ready_long and tokens.text_has_long_token(text):
            return None
        return text

    def take_text(self) -> int:
        """Mark the text :meth:`peek_text` gave as read; the number of its lines."""
        lines, self._text, self._text_lines = self._text_lines, "", 0
        self._fresh = False
        self.line_number += lines
        self.quoted = self.hashed = self.long = False
        return lines

    def _read_text(self, limit: int) -> None:
        """Read whole lines into the text (there are none left to hand out)."""
        pieces = [self._carry]
        size = len(self._carry)
        newlines = self._carry.count("\n")
        partial = size - self._carry.rfind("\n") - 1
        # A block holds at least one whole line, however long (up to MAX_LINE_CHARS),
        # and two when the input has them ready (a file): rows of an LLM's vocabulary
        # (over 1 MB of text each) are then parsed a line a process (nncalc.io.textrows).
        while (
            not self._eof and newlines < limit and (size < CHUNK_BYTES or newlines < FEWEST_LINES)
        ):
            if newlines and not more_ready(self._open()):
                break
            text = self._read_some(self.line_number + newlines, partial)
            count = tokens.count_newlines(text)
            if count:
                if partial + text.index("\n") > MAX_LINE_CHARS:
                    raise self._too_long(self.line_number + newlines + 1)
                partial = len(text) - text.rindex("\n") - 1
            else:
                partial += len(text)
            newlines += count
            if partial > MAX_LINE_CHARS:
                raise self._too_long(self.line_number + newlines + 1)
            pieces.append(text)
            size += len(text)
        joined = "".join(pieces)
        if self._eof:
            self._carry = ""
            if joined and not joined.endswith("\n"):
                newlines += 1  # the last line, without a line end
        else:
            end = joined.rfind("\n") + 1
            joined, self._carry = joined[:end], joined[end:]
        self._text, self._text_lines, self._fresh = joined, newlines, True
        self._ready_quoted = '"' in joined
        self._ready_hashed = "#" in joined
        # Checked once a read: blocks of a read with no long number need no check.
        self._ready_long = tokens.text_has_long_token(joined)
