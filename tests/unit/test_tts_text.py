"""Text checks and chunking for TTS: empty, wordless and over-long text are refused with the limit named."""

from __future__ import annotations

import pytest

from thtui.core.inputs import InputError
from thtui.core.tts import chunk_text, clean_text


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n", None])
def test_empty_or_whitespace_text(text) -> None:
    with pytest.raises(InputError) as info:
        clean_text(text)
    assert str(info.value) == "text is empty: give the words to speak"
    assert info.value.code == "empty" and info.value.kind == "text"


def test_text_without_words() -> None:
    with pytest.raises(InputError, match=r"^text has no words to speak: '\.\.\. !!! \?'$"):
        clean_text("...   !!! ?")


def test_too_long_text_names_the_limit() -> None:
    with pytest.raises(InputError) as info:
        clean_text("a" * 5001)
    assert str(info.value) == (
        "text is 5,001 characters; the limit is 5,000 (about 5 minutes of speech): "
        "shorten it or record the audio instead"
    )
    with pytest.raises(InputError, match=r"^text is 21 characters; the limit is 20 "):
        clean_text("x" * 21, max_chars=20)


def test_clean_text_normalises_whitespace_and_controls() -> None:
    assert clean_text("  Hello\x1b[31m   world\r\n\tagain ") == "Hello [31m world again"


def test_chunks_follow_sentences_and_stay_short() -> None:
    text = "First sentence. Second one! Third? " + ("word " * 120).strip() + ", and more words here."
    chunks = chunk_text(text, 100)
    assert chunks[0] == "First sentence. Second one! Third?"
    assert all(len(c) <= 100 for c in chunks)
    assert " ".join(chunks).split() == text.split()  # nothing lost or reordered
