"""Text that GeneRec stores and shows back: no control characters, and no server paths in messages.

A NUL byte, an escape sequence or a bidirectional override in a title or a chat message is never
what a person meant to write: it breaks terminals and logs, lets a title display as something
else than what it says, and PostgreSQL refuses NUL in text outright. :func:`clean_text` removes
them (lone UTF-16 surrogates too, which no database can encode), keeping line breaks and tabs
where the text may span lines. The store applies it to every title, caption and conversation
turn it writes; the service applies it at the API so an empty result is refused with a reason.

>>> clean_text("cats\\x00 in the\\u202e snow")
'cats in the snow'
>>> clean_text("line one\\r\\nline two", multiline=True)
'line one\\nline two'
>>> hide_paths("/srv/gr/tmp/123@h~x/trim.mp4: video is truncated", "/srv/gr")
'trim.mp4: video is truncated'
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

# Bidirectional embeddings, overrides and isolates (Unicode TR9): they reorder what a reader sees.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_KEEP_MULTILINE = "\n\t"
_PATH_TAIL = r"(?:/[^\s'\":,;)]*)?(?![^\s'\":,;)])"  # the rest of a path, up to a space, quote or punctuation


def clean_text(text: str, *, multiline: bool = False) -> str:
    """``text`` without control characters (Unicode Cc), bidi overrides and lone surrogates.

    ``multiline``: keep line breaks (``\\r\\n`` and ``\\r`` become ``\\n``) and tabs; otherwise every
    whitespace run becomes one space. Leading and trailing whitespace is removed either way.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n") if multiline else re.sub(r"\s+", " ", text)
    keep = _KEEP_MULTILINE if multiline else ""
    out = "".join(c for c in text if c in keep or not (unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI))
    return out.strip()


def hide_paths(message: str, *roots: str | os.PathLike[str]) -> str:
    """``message`` with every path under one of ``roots`` cut to its last part (the file's own name).

    Error messages name files so that a person at the terminal can find them; a user of the service
    must hear what is wrong, not where the server keeps its files.
    """
    spelled = {str(Path(r)) for r in roots} | {str(Path(r).resolve()) for r in roots}
    for root in sorted((r for r in spelled if r not in ("/", ".")), key=len, reverse=True):
        pattern = re.escape(root) + _PATH_TAIL
        message = re.sub(pattern, lambda m: Path(m.group(0)).name, message)
    return message
