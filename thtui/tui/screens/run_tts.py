"""The Run form's TTS voices and preview (text mode): synthesise the typed words once, in a worker, and say how
long the speech is and where its WAV is (the run uses the same cached file). Event handlers stay in run.py:
Textual's @on handlers are collected per MessagePump class, not from a plain mixin."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.widgets import Input, Select

from thtui.tui.screens.base import deliver
from thtui.tui.widgets.toggles import PlainRadioButton


class TtsPreview:
    """Mixed into RunScreen."""

    def _fill_voices(self, backend: str) -> None:
        voice = self.query_one("#voice", Select)
        options = self.voices.get(backend, [])
        voice.set_options([(v, v) for v in options])
        if options:
            voice.value = options[0]

    def action_preview_tts(self) -> None:
        v = self.collect()
        if v.mode != "text":
            self.query_one("#mode-text", PlainRadioButton).value = True
            self._set_mode("text")
        if not v.text.strip():
            self._checked = True
            self.show_errors({"text": "type the words to speak"})
            self.query_one("#text", Input).focus()
            return
        self._set_error("#tts-error", Text(f"synthesising with {v.tts}…", style="italic"))
        self._synthesize(v.text, v.tts, v.voice)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="tts-preview",
        description="Synthesising speech",
    )
    def _synthesize(self, text: str, backend: str, voice: str | None) -> None:
        from thtui.core.tts import synthesize

        try:
            result = synthesize(self.tapp.settings, text, backend=backend, voice=voice)
        except Exception as exc:
            deliver(self, self._tts_done, Text(f"✗ {exc}", style="bold red"))
            return
        cached = " (cached)" if getattr(result, "cached", False) else ""
        msg = f"✓ {result.duration_s:.1f} s of speech by {result.backend}/{result.voice}{cached}"
        if getattr(result, "rtf", None):
            msg += f", RTF {result.rtf:.2f}"
        msg += f"\n  WAV: {result.path}"  # what the run will use; also playable on its own
        deliver(self, self._tts_done, Text(msg, style="green"))

    def _tts_done(self, text: Text) -> None:
        self._set_error("#tts-error", text)
