"""Run preflight checks that need no solution: the folders a run writes to and the text it will speak.

Called by thtui.core.jobs.checks.preflight before the run folder exists, so a read-only outputs dir, a
data root that is a file, or text the TTS would refuse (emoji only, over the length limit, a script the
voice cannot read) leave nothing behind — no run folder whose run.json says "running" forever.
"""

from __future__ import annotations

from typing import Any

from thtui.core.config import Settings, check_folders
from thtui.core.media.errors import InputError
from thtui.core.paths_check import PathProblem


def folder_and_text_problems(settings: Settings, spec: Any) -> list[str]:
    problems: list[str] = []
    try:
        check_folders(settings, "data_root", "outputs_dir")
    except PathProblem as exc:
        problems.append(str(exc))
    text = getattr(spec, "text", None)
    if text is not None and not getattr(spec, "audios", None):
        from thtui.core.tts.script import check_voice_reads
        from thtui.core.tts.text import clean_text

        try:
            check_voice_reads(clean_text(text), getattr(spec, "tts", "piper") or "piper", spec.voice)
        except InputError as exc:
            problems.append(str(exc))
    return problems
