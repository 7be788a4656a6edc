"""Runs *inside the coqui-tts env* (its own interpreter), started by thtui.core.tts.coqui_backend.

Standalone on purpose: that env has coqui-tts and torch but not thtui. Reads one JSON request on
stdin, writes the WAV, prints one JSON line as its last line of stdout:
    {"model", "text", "out", "speaker"?, "language"?, "speaker_wav"?, "device"?}
    -> {"ok": true, "load_seconds", "synth_seconds", "device"} | {"ok": false, "error"}
"""

from __future__ import annotations

import json
import sys
import time


def _device(requested: str | None) -> str:
    if requested:
        return requested
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except Exception:
        return "cpu"


def main() -> int:
    try:
        req = json.loads(sys.stdin.read())
        started = time.perf_counter()
        from TTS.api import TTS  # coqui-tts keeps the historical package name

        device = _device(req.get("device"))
        tts = TTS(req["model"], progress_bar=False).to(device)
        loaded = time.perf_counter()
        kwargs = {k: req[k] for k in ("speaker", "language", "speaker_wav") if req.get(k)}
        tts.tts_to_file(text=req["text"], file_path=req["out"], **kwargs)
        done = time.perf_counter()
    except Exception as exc:  # report, never a traceback the client must parse
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(
        json.dumps(
            {"ok": True, "load_seconds": loaded - started, "synth_seconds": done - loaded, "device": device}
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
