"""Can the chosen voice read this text? A voice reads the script of its language; other letters come out
as spelled-out letter names (Arabic through the bundled English voice: 25.7 s of "alef, lam…" for 39
characters) or silence. Checked before any model loads, so the user hears about it in one line.

The script of a letter is the first word of its Unicode name (LATIN, ARABIC, CYRILLIC, CJK, …); a voice's
script comes from its language code (Piper's en_US-joe-medium -> en -> LATIN; Coqui tts_models/<lang>/…).
Digits, punctuation and emoji belong to no script and never count.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

from thtui.core.media.errors import InputError

# Language code -> the script its voices read. Languages not listed are not checked (no false refusals).
_LATIN = [
    "ca",
    "cs",
    "cy",
    "da",
    "de",
    "en",
    "es",
    "eu",
    "fi",
    "fr",
    "hu",
    "is",
    "it",
    "lb",
    "lv",
    "nl",
    "no",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sq",
    "sv",
    "sw",
    "tr",
    "vi",
    "id",
    "ms",
]
LANG_SCRIPT = {
    **dict.fromkeys(_LATIN, "LATIN"),
    **dict.fromkeys(("ru", "uk", "bg", "kk", "mk", "sr"), "CYRILLIC"),
    **dict.fromkeys(("ar", "fa", "ur"), "ARABIC"),
    "zh": "CJK",
    "el": "GREEK",
    "ka": "GEORGIAN",
    "he": "HEBREW",
    **dict.fromkeys(("hi", "ne", "mr"), "DEVANAGARI"),
    "ml": "MALAYALAM",
    "te": "TELUGU",
}
# What to try instead, by script (Piper voice-name prefixes; the full list is rhasspy/piper-voices).
SCRIPT_VOICES = {
    "LATIN": "en_US-…, de_DE-…, fr_FR-…, es_ES-… (e.g. en_US-lessac-medium)",
    "ARABIC": "ar_JO-… (Arabic) or fa_IR-… (Persian)",
    "CYRILLIC": "ru_RU-…, uk_UA-…, bg_BG-… or kk_KZ-…",
    "CJK": "zh_CN-…",
    "GREEK": "el_GR-…",
    "GEORGIAN": "ka_GE-…",
    "DEVANAGARI": "hi_IN-… or ne_NP-…",
    "MALAYALAM": "ml_IN-…",
    "TELUGU": "te_IN-…",
}
# Share of letters outside the voice's script above which the text is refused: a foreign name in a
# sentence is fine, a sentence in another script is not.
FOREIGN_SHARE = 0.3


def letter_script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if not name:
        return None
    return name.split()[0]


def text_scripts(text: str) -> Counter[str]:
    return Counter(s for s in map(letter_script, text) if s)


def voice_language(backend: str, voice: str | None) -> str | None:
    """The language code a voice speaks ("en"), or None when it cannot be told (multilingual, unknown)."""
    if backend == "coqui":
        parts = (voice or "tts_models/en/ljspeech/tacotron2-DDC").split("/")
        return parts[1] if len(parts) > 2 and parts[1] != "multilingual" else None
    if voice in (None, "", "joe"):
        return "en"
    assert voice is not None
    if voice.endswith(".onnx"):
        try:
            config = json.loads(Path(voice + ".json").expanduser().read_text(encoding="utf-8"))
            code = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get("voice")
        except (OSError, ValueError, AttributeError):
            return None
        return str(code).replace("-", "_").split("_")[0].lower() if code else None
    head = Path(voice).name.split("-")[0]
    return head.split("_")[0].lower() if "_" in head else None


def check_voice_reads(text: str, backend: str, voice: str | None) -> None:
    """InputError when most letters of `text` are in a script the voice does not read."""
    lang = voice_language(backend, voice)
    script = LANG_SCRIPT.get(lang or "")
    if script is None:
        return
    counts = text_scripts(text)
    total = sum(counts.values())
    foreign = {s: n for s, n in counts.items() if s != script}
    if not total or sum(foreign.values()) / total <= FOREIGN_SHARE:
        return
    main = max(foreign, key=lambda s: foreign[s])
    instead = SCRIPT_VOICES.get(main)
    hint = f"; choose a voice that reads it with --voice: {instead}" if instead else "; choose a voice for it"
    shown = voice or ("en_US-joe-medium (the bundled default)" if backend == "piper" else "the default model")
    raise InputError(
        f"the text is in {main.title()} script, which voice {shown} ({lang}, {script.title()} script) "
        f"cannot read: it would spell out letter names{hint}",
        kind="text",
        code="wrong_script",
    )
