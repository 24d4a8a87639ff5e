"""Text landing files before DuckDB reads them: gzip, byte-order marks, and telling UTF-8 from
other encodings (a file that is not UTF-8 is rejected whole, with an honest record count)."""

from __future__ import annotations

import codecs
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

# The longest CSV line read (DuckDB's default is 2 MiB); a longer one makes the row a reject.
MAX_LINE_BYTES = 16 * 1024 * 1024


# Bytes read to judge a text file's encoding before DuckDB reads it.
HEAD_BYTES = 64 * 1024


TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class NotUtf8(Exception):
    """A text file that is not UTF-8; the message says what it looks like instead."""


def open_binary(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_head(path: Path) -> tuple[bytes, bool]:
    """The first bytes of a text file (decompressed) and whether they are all it holds; a
    compressed stream that ends early gives what came before the break."""
    chunks: list[bytes] = []
    size = 0
    with open_binary(path) as handle:
        while size < HEAD_BYTES:
            try:
                chunk = handle.read1(HEAD_BYTES - size)
            except EOFError:
                return b"".join(chunks), False
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks), False


def encoding_problem(head: bytes, complete: bool) -> str | None:
    """Why a text file is not UTF-8, judged on its first bytes (None: it looks like UTF-8)."""
    for bom, name in TEXT_BOMS:
        if head.startswith(bom):
            return f"it starts with a {name.upper()} byte-order mark"
    if _looks_like_utf16_or_32(head):
        return "most bytes of its first line are NUL (UTF-16 or UTF-32 without a BOM?)"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError as error:
        return f"byte 0x{head[error.start]:02x} at offset {error.start} is not UTF-8"
    return None


def guess_text(raw: bytes) -> str:
    """Decode a file that is not UTF-8 as well as can be, only to count and show its lines."""
    for bom, name in TEXT_BOMS:
        if raw.startswith(bom):
            return raw.decode(name, errors="replace")
    if _looks_like_utf16_or_32(raw):
        return raw.decode("utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be", errors="replace")
    return raw.decode("latin-1")


def _looks_like_utf16_or_32(head: bytes) -> bool:
    """ASCII text in UTF-16 or UTF-32 is mostly NUL bytes; UTF-8 text with a stray NUL is not
    (that NUL is the row's reject, `nul_byte`)."""
    first_line = head.split(b"\n", 1)[0]
    return len(first_line) > 0 and first_line.count(b"\x00") * 3 >= len(first_line)


def utf8_lines(path: Path) -> Iterator[str]:
    """A text file's lines (byte-order mark stripped, line ends kept). Raises NotUtf8, or
    EOFError/zlib.error/OSError when a compressed stream ends early or is corrupt."""
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        try:
            yield from text
        except UnicodeDecodeError as error:
            raise NotUtf8(f"a byte is not UTF-8 ({error.reason})") from error
