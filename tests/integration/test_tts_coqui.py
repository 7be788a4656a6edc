"""The Coqui client against a stand-in `coqui-tts` env: a real interpreter (ours) with a stub `TTS.api`
on its path, at the place `thtui setup coqui-tts` installs to. The client's real code path runs: argv
without a shell, request on stdin, licence gate, environment, report parsing, cache and provenance."""

from __future__ import annotations

import json
import os
import sys
import wave
from pathlib import Path

import pytest

from thtui.core.config import Settings
from thtui.core.tts import TtsError, TtsLicenseRequired, TtsUnavailable, read_provenance, synthesize
from thtui.core.tts.coqui_backend import DEFAULT_MODEL

XTTS = "tts_models/multilingual/multi-dataset/xtts_v2"

STUB_API = """
import json, math, os, struct, sys, wave

class TTS:
    def __init__(self, model_name, progress_bar=True):
        self.model = model_name
    def to(self, device):
        self.device = device
        return self
    def tts_to_file(self, text, file_path, **kwargs):
        print(" > Text splitted to sentences.")  # Coqui chats on stdout; the client must cope
        print(" > {not json either")
        if "FAIL" in text:
            raise RuntimeError("model exploded")
        with open(os.environ["FAKE_COQUI_LOG"], "a") as log:
            log.write(json.dumps({"model": self.model, "text": text, "kwargs": kwargs, "device": self.device,
                                  "tos": os.environ.get("COQUI_TOS_AGREED"), "tts_home": os.environ.get("TTS_HOME")}) + "\\n")
        rate, n = 22050, 22050 * max(1, len(text) // 10) // 4
        with wave.open(file_path, "wb") as wf:
            wf.setnchannels(1); wf.setsampwidth(2); wf.setframerate(rate)
            wf.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) for i in range(n)))
"""


@pytest.fixture
def coqui_env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    stub = tmp_path / "stub site"
    (stub / "TTS").mkdir(parents=True)
    (stub / "TTS" / "__init__.py").write_text("")
    (stub / "TTS" / "api.py").write_text(STUB_API)
    python = settings.envs_dir / "coqui-tts" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{stub}" exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    log = tmp_path / "coqui.log"
    monkeypatch.setenv("FAKE_COQUI_LOG", str(log))
    monkeypatch.delenv("THTUI_ACCEPT_XTTS_LICENSE", raising=False)
    monkeypatch.setenv("COQUI_TOS_AGREED", "1")  # inherited agreement must not leak to non-XTTS runs
    return log


def _calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_not_installed(settings: Settings) -> None:
    with pytest.raises(TtsUnavailable) as info:
        synthesize(settings, "Hello.", backend="coqui")
    python = settings.envs_dir / "coqui-tts" / "bin" / "python"
    assert (
        str(info.value) == f"Coqui is not installed: run `thtui setup coqui-tts` (no interpreter at {python})"
    )


def test_default_model_speaks_through_the_env(settings: Settings, coqui_env: Path) -> None:
    text = 'It\'s "quoted"; $(rm -rf ~) & `backticks` | ünïcode'
    r = synthesize(settings, text, backend="coqui")
    assert (r.backend, r.voice, r.cached) == ("coqui", DEFAULT_MODEL, False)
    with wave.open(str(r.path)) as wf:
        assert wf.getnframes() > 0 and r.duration_s == pytest.approx(wf.getnframes() / wf.getframerate())
    (call,) = _calls(coqui_env)
    assert call["text"] == text  # verbatim: no shell ever saw it
    assert call["model"] == DEFAULT_MODEL and call["kwargs"] == {} and call["device"] == "cpu"
    assert call["tos"] is None
    assert call["tts_home"] == str(settings.weights_dir / "coqui-tts")
    prov = read_provenance(r.path)
    assert prov["backend"] == "coqui" and prov["voice"] == DEFAULT_MODEL and prov["generator"] == "coqui-tts"
    assert synthesize(settings, text, backend="coqui").cached
    assert len(_calls(coqui_env)) == 1


def test_xtts_needs_the_licence_acknowledged(settings: Settings, coqui_env: Path) -> None:
    with pytest.raises(TtsLicenseRequired) as info:
        synthesize(settings, "Hello.", backend="coqui", voice=XTTS)
    assert "Coqui Public Model License (CPML): non-commercial use only" in str(info.value)
    assert "--accept-xtts-license" in str(info.value)
    assert _calls(coqui_env) == []  # refused before the env ran


def test_xtts_with_acknowledgement_sets_tos_and_speaker(settings: Settings, coqui_env: Path) -> None:
    r = synthesize(settings, "Hello.", backend="coqui", voice=XTTS, accept_xtts_license=True)
    (call,) = _calls(coqui_env)
    assert call["tos"] == "1" and call["kwargs"] == {"language": "en", "speaker": "Ana Florence"}
    prov = read_provenance(r.path)
    assert prov["voice_license"] == "CPML (non-commercial)" and prov["license_acknowledged"] is True


def test_xtts_acknowledged_by_setting(settings: Settings, coqui_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("THTUI_ACCEPT_XTTS_LICENSE", "1")
    synthesize(
        settings, "Hola.", backend="coqui", voice=XTTS, options={"language": "es", "speaker": "Craig Gutsy"}
    )
    assert _calls(coqui_env)[0]["kwargs"] == {"language": "es", "speaker": "Craig Gutsy"}


def test_worker_failure_is_reported_and_leaves_nothing(settings: Settings, coqui_env: Path) -> None:
    with pytest.raises(TtsError) as info:
        synthesize(settings, "Please FAIL now.", backend="coqui")
    assert str(info.value) == f"Coqui failed ({DEFAULT_MODEL}): RuntimeError: model exploded"
    assert os.listdir(settings.cache_dir / "tts") == []


def test_broken_env_says_so(settings: Settings, coqui_env: Path) -> None:
    python = settings.envs_dir / "coqui-tts" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')  # no TTS package on the path
    with pytest.raises(
        TtsError, match=rf"^Coqui failed \({DEFAULT_MODEL}\): ModuleNotFoundError: No module named 'TTS'"
    ):
        synthesize(settings, "Hello.", backend="coqui")


def test_unknown_option(settings: Settings, coqui_env: Path) -> None:
    with pytest.raises(TtsError, match=r"unknown Coqui option\(s\) \['length_scale'\]"):
        synthesize(settings, "Hello.", backend="coqui", options={"length_scale": 1.2})
