"""Text checks and sentence chunking shared by every TTS backend."""

from __future__ import annotations

import re
import unicodedata

from thtui.core.media.errors import InputError

MAX_TEXT_CHARS = 5000  # ~5 minutes of speech; longer scripts belong in a recorded WAV
CHUNK_CHARS = 400  # one synthesis call per chunk keeps Piper's phoneme sequences short

_SENTENCE_END = re.compile(r"(?<=[.!?;:…。！？])\s+")
_WS = re.compile(r"\s+")


def clean_text(text: str | None, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Normalised text to speak. InputError when empty, wordless, or over `max_chars`."""
    if text is None or not text.strip():
        raise InputError("text is empty: give the words to speak", kind="text", code="empty")
    # NFC + drop control characters (a pasted terminal escape must not reach the phonemiser).
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if (ch.isprintable() or ch in "\n\t") else " " for ch in text)
    text = _WS.sub(" ", text).strip()
    if not any(ch.isalnum() for ch in text):
        raise InputError(f"text has no words to speak: {text[:40]!r}", kind="text", code="no_words")
    if len(text) > max_chars:
        raise InputError(
            f"text is {len(text):,} characters; the limit is {max_chars:,} "
            f"(about {_speech_length(max_chars)} of speech): shorten it or record the audio instead",
            kind="text",
            code="too_long",
        )
    return text


def _speech_length(chars: int) -> str:
    seconds = chars * 0.06  # ~1000 characters a minute of read-aloud English
    if seconds >= 90:
        return f"{round(seconds / 60)} minutes"
    return f"{max(1, round(seconds))} second{'s' if round(seconds) > 1 else ''}"


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def chunk_text(text: str, max_chars: int = CHUNK_CHARS) -> list[str]:
    """Sentences packed into chunks of at most `max_chars`; an over-long sentence is cut at commas,
    then at spaces, so no single synthesis call gets an unbounded input."""
    pieces: list[str] = []
    for sentence in split_sentences(text):
        if len(sentence) <= max_chars:
            pieces.append(sentence)
            continue
        for clause in re.split(r"(?<=[,])\s+", sentence):
            while len(clause) > max_chars:
                cut = clause.rfind(" ", 0, max_chars)
                cut = cut if cut > 0 else max_chars
                pieces.append(clause[:cut].strip())
                clause = clause[cut:].strip()
            if clause:
                pieces.append(clause)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= max_chars:
            chunks[-1] = f"{chunks[-1]} {piece}"
        else:
            chunks.append(piece)
    return chunks
