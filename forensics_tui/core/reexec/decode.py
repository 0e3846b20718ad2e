"""Decoding a response body without letting it grow past the size cap.

A re-execution asks for ``Accept-Encoding: identity``, but a server may compress anyway, and
65 KB of zstd can inflate to gigabytes.  So the raw bytes are read (already capped on the wire)
and decoded here with an output bound for every encoding: zlib's ``max_length`` for gzip and
deflate, a bounded ``read`` for zstd.  An encoding that cannot be decoded with a bound (brotli
without the package, anything unknown) is kept as the raw bytes, with a note saying so.
"""

from __future__ import annotations

import io
import zlib

__all__ = ["decode_body"]

_CHUNK = 64 * 1024


def _zlib(data: bytes, wbits: int, cap: int) -> tuple[bytes, bool]:
    decoder = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    while pending and len(out) <= cap:
        out += decoder.decompress(pending, cap + 1 - len(out))
        pending = decoder.unconsumed_tail
        if decoder.eof:
            break
    truncated = len(out) > cap or bool(decoder.unconsumed_tail)
    return bytes(out[:cap]), truncated


def _deflate(data: bytes, cap: int) -> tuple[bytes, bool]:
    try:
        return _zlib(data, zlib.MAX_WBITS, cap)
    except zlib.error:  # "deflate" is often raw deflate without the zlib header
        return _zlib(data, -zlib.MAX_WBITS, cap)


def _zstd(data: bytes, cap: int) -> tuple[bytes, bool]:
    import zstandard

    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
    out = bytearray()
    while len(out) <= cap:
        chunk = reader.read(min(_CHUNK, cap + 1 - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out[:cap]), len(out) > cap


def _one(data: bytes, coding: str, cap: int) -> tuple[bytes, bool]:
    if coding in ("gzip", "x-gzip"):
        return _zlib(data, 16 + zlib.MAX_WBITS, cap)
    if coding == "deflate":
        return _deflate(data, cap)
    if coding == "zstd":
        return _zstd(data, cap)
    raise LookupError(coding)


def decode_body(data: bytes, content_encoding: str, cap: int) -> tuple[bytes, bool, str | None]:
    """``(decoded bytes, truncated, note)``; never more than ``cap`` bytes decoded.

    Encodings are undone in reverse order of the header (``gzip, zstd`` = zstd first).  A body
    that fails to decode or uses an encoding without a bounded decoder comes back raw with a
    note.
    """
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    truncated = False
    for coding in reversed(codings):
        try:
            data, cut = _one(data, coding, cap)
        except LookupError:
            return data, truncated, f"Content-Encoding {coding} kept undecoded (no bounded decoder)"
        except Exception as exc:  # any decoder error on untrusted bytes: keep them raw
            return data, truncated, f"Content-Encoding {coding} could not be decoded: {exc}"
        truncated = truncated or cut
    return data, truncated, None
