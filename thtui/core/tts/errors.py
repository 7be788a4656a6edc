"""TTS errors and progress events."""

from __future__ import annotations

from dataclasses import dataclass

from thtui.core.events import Event


class TtsError(RuntimeError):
    """A backend could not produce speech (missing install, bad voice, synthesis failure)."""


class TtsUnavailable(TtsError):
    """The backend is not installed here; the message says how to install it."""


class TtsLicenseRequired(TtsError):
    """The chosen model's licence must be acknowledged first (Coqui XTTS: CPML, non-commercial)."""


@dataclass(frozen=True)
class TtsProgress(Event):
    backend: str
    done: int
    total: int
    message: str = ""
