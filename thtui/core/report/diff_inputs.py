"""What each run was given (portraits, audio, text, TTS, voice, repeat/warm-up/pack), for `report --diff`.

Two runs are only comparable as a speed-up or regression when they were given the same inputs: a run on
2.38 s of audio takes longer than one on 0.70 s whatever changed in between. Files are compared by content
(sha256), not by path, so the same portrait copied elsewhere still counts as the same input.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from thtui.core.report.source import RunView

# Metrics that grow with the length of the input (totals, not rates): their deltas mean nothing when the
# inputs differ. RTF (time per second of audio) is the fair comparison then.
LENGTH_BOUND = frozenset({"wall_s", "energy_wh", "audio_s"})
# (key, label) in the order the diff shows them.
INPUT_ITEMS = (
    ("images", "images"),
    ("audio", "audio files"),
    ("audio_seconds", "audio length"),
    ("text", "text"),
    ("tts", "tts"),
    ("voice", "voice"),
    ("repeat", "repeat"),
    ("warmup", "warm-up"),
    ("pack", "pack"),
)


def _digest(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def _files(paths: list[str]) -> tuple[list[str], list[str]]:
    """(what is compared: content digests, or the path when the file is gone; what is shown)."""
    keys, shown = [], []
    for p in paths:
        digest = _digest(Path(p))
        keys.append(digest or p)
        shown.append(f"{Path(p).name} (sha256 {digest[:10]})" if digest else f"{p} (file gone)")
    return keys, shown


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def run_inputs(run: RunView) -> dict[str, tuple[Any, str]]:
    """key -> (value compared, value shown) for every INPUT_ITEMS key this run recorded."""
    raw = run.raw
    spec = raw.get("spec") if isinstance(raw.get("spec"), dict) else {}
    spec = {**{k: v for k, v in raw.items() if k != "spec"}, **spec}
    inputs = raw.get("inputs") if isinstance(raw.get("inputs"), dict) else {}
    options = raw.get("options") if isinstance(raw.get("options"), dict) else {}
    jobs_by_case = sorted(run.jobs, key=lambda j: j.case_index)
    out: dict[str, tuple[Any, str]] = {}

    images = _list(spec.get("images")) or _list(spec.get("image"))
    images = images or list(dict.fromkeys(str(j.image) for j in jobs_by_case if j.image))
    if images:
        keys, shown = _files(images)
        out["images"] = (keys, ", ".join(shown))
    text = spec.get("text") or inputs.get("text")
    audios = _list(spec.get("audios")) or _list(spec.get("audio"))
    audios = audios or list(dict.fromkeys(str(j.audio) for j in jobs_by_case if j.audio))
    if audios and not text:  # with text the audio is the TTS output: the text and voice say what it was
        keys, shown = _files(audios)
        out["audio"] = (keys, ", ".join(shown))

    seconds = inputs.get("audio_seconds")
    lengths = [float(s) for s in seconds.values() if s is not None] if isinstance(seconds, dict) else []
    if not lengths:  # older runs and copied folders: what the jobs were given
        per_case: dict[int, float] = {}
        for j in jobs_by_case:
            s = j.metrics.get("audio_s")
            if isinstance(s, (int, float)) and j.case_index not in per_case:
                per_case[j.case_index] = float(s)
        lengths = list(per_case.values())
    if lengths:
        rounded = [round(s, 2) for s in lengths]
        out["audio_seconds"] = (rounded, ", ".join(f"{s:.2f} s" for s in rounded))

    merged = {**spec, **options}
    tts_result = inputs.get("tts_result") if isinstance(inputs.get("tts_result"), dict) else {}
    for key in ("text", "tts", "voice"):
        # The voice actually used (the backend's default when none was asked for) is in the TTS result.
        v = merged.get(key) or inputs.get(key) or (tts_result.get(key) if key == "voice" and text else None)
        if key == "tts" and not text:
            v = None  # no text, no TTS (the spec keeps the backend's default name)
        out[key] = (v, repr(v) if key == "text" and v else (str(v) if v else "—"))
    for key, default in (("repeat", 1), ("warmup", False), ("pack", False)):
        v = merged.get(key, merged.get("repeats") if key == "repeat" else None)
        v = default if v is None else v
        out[key] = (v, str(v).lower() if isinstance(v, bool) else str(v))
    return out


def input_rows(a: RunView, b: RunView) -> list[tuple[str, str, str, bool]]:
    """(label, A shown, B shown, differs) for each input either run recorded."""
    ia, ib = run_inputs(a), run_inputs(b)
    rows = []
    for key, label in INPUT_ITEMS:
        if key not in ia and key not in ib:
            continue
        va, vb = ia.get(key, (None, "—")), ib.get(key, (None, "—"))
        rows.append((label, va[1], vb[1], va[0] != vb[0]))
    return rows
