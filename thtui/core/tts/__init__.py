"""Text to speech: Piper in-process (bundled CC0 voice, offline) or Coqui through its own env.

synthesize(settings, text, backend="piper", voice=None, *, options=None,
           accept_xtts_license=False, max_chars=5000) -> TtsResult(path, duration_s, rtf,
           backend, voice, cached, text_hash, sidecar)
export(result, dest) -> Path          copy (or transcode) + provenance sidecar
read_provenance(wav) -> dict | None   who made this WAV (backend, voice, RTF, text hash)
"""

from thtui.core.tts.api import BACKENDS, export, synthesize
from thtui.core.tts.cache import TtsResult, read_provenance, sidecar_path
from thtui.core.tts.errors import TtsError, TtsLicenseRequired, TtsProgress, TtsUnavailable
from thtui.core.tts.text import MAX_TEXT_CHARS, chunk_text, clean_text

__all__ = [
    "BACKENDS",
    "MAX_TEXT_CHARS",
    "TtsError",
    "TtsLicenseRequired",
    "TtsProgress",
    "TtsResult",
    "TtsUnavailable",
    "chunk_text",
    "clean_text",
    "export",
    "read_provenance",
    "sidecar_path",
    "synthesize",
]
