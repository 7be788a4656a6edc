"""Coqui TTS (the maintained `coqui-tts` fork) through its own env, which the setup engine installs at
`settings.envs_dir/coqui-tts`. We run that env's interpreter on coqui_worker.py by argv (never a shell)
and pass the request on stdin, so no text or path is ever parsed by a shell or by argv limits.

XTTS weights are under the Coqui Public Model License (non-commercial); they run only after the user
acknowledged it (flag or THTUI_ACCEPT_XTTS_LICENSE=1), and then with COQUI_TOS_AGREED=1 so the model
never waits for an interactive prompt.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from thtui.core.config import Settings
from thtui.core.envs import env_environ
from thtui.core.plan import env_prefix, env_python
from thtui.core.tts.errors import TtsError, TtsLicenseRequired, TtsUnavailable

ENV_NAME = "coqui-tts"
DEFAULT_MODEL = "tts_models/en/ljspeech/tacotron2-DDC"
XTTS_DEFAULT_SPEAKER = "Ana Florence"
ACCEPT_ENV = "THTUI_ACCEPT_XTTS_LICENSE"
OPTIONS = ("speaker", "language", "speaker_wav", "device")
TIMEOUT_S = 3600.0  # the first run downloads the model
XTTS_LICENSE_NOTICE = (
    "XTTS weights are licensed under the Coqui Public Model License (CPML): non-commercial use only "
    "(https://coqui.ai/cpml). Acknowledge it with --accept-xtts-license or THTUI_ACCEPT_XTTS_LICENSE=1."
)


def coqui_python(settings: Settings) -> Path:
    return env_python(settings, ENV_NAME)


def models_dir(settings: Settings) -> Path:
    """TTS_HOME for the worker: Coqui's model downloads stay under thtui's weights dir."""
    return settings.weights_dir / ENV_NAME


def is_xtts(model: str) -> bool:
    return "xtts" in model.lower()


def license_accepted(flag: bool) -> bool:
    return flag or os.environ.get(ACCEPT_ENV, "").strip().lower() in ("1", "true", "yes")


def check_options(model: str, options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TtsError(f"unknown Coqui option(s) {unknown}; known: {sorted(OPTIONS)}")
    opts = {k: str(v) for k, v in sorted(options.items()) if v not in (None, "")}
    if is_xtts(model):
        # XTTS is multi-speaker and multilingual: it fails without both.
        opts.setdefault("language", "en")
        if "speaker_wav" not in opts:
            opts.setdefault("speaker", XTTS_DEFAULT_SPEAKER)
    return opts


def synthesize_to(
    settings: Settings,
    model: str,
    text: str,
    options: dict[str, Any],
    out: Path,
    *,
    accept_xtts_license: bool,
) -> dict[str, Any]:
    """Write `text` spoken by `model` to `out`; returns the worker's report (load/synth seconds)."""
    if is_xtts(model) and not license_accepted(accept_xtts_license):
        raise TtsLicenseRequired(XTTS_LICENSE_NOTICE)
    python = coqui_python(settings)
    if not python.exists():
        raise TtsUnavailable(
            f"Coqui is not installed: run `thtui setup {ENV_NAME}` (no interpreter at {python})"
        )
    # The env's own bin first on PATH, no leaking PYTHONPATH/VIRTUAL_ENV, models under the weight store
    # (the same TTS_HOME `thtui setup coqui-tts` uses).
    extra = {"TTS_HOME": str(models_dir(settings))}
    if is_xtts(model):
        extra["COQUI_TOS_AGREED"] = "1"
    env = env_environ(env_prefix(settings, ENV_NAME), **extra)
    if not is_xtts(model):
        env.pop("COQUI_TOS_AGREED", None)
    request = {"model": model, "text": text, "out": str(out), **options}
    worker = Path(__file__).with_name("coqui_worker.py")
    try:
        proc = subprocess.run(
            [str(python), str(worker)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TtsError(f"Coqui took longer than {TIMEOUT_S:g} s") from None
    except OSError as exc:
        raise TtsUnavailable(f"Coqui is not installed correctly: cannot run {python} ({exc})") from None
    report = _last_json(proc.stdout)
    if report is None or not report.get("ok"):
        why = (report or {}).get("error") or _tail(proc.stderr) or f"exit code {proc.returncode}"
        raise TtsError(f"Coqui failed ({model}): {why}")
    if not out.is_file() or out.stat().st_size == 0:
        raise TtsError(f"Coqui reported success but wrote no audio ({model})")
    return report


def _last_json(stdout: str) -> dict[str, Any] | None:
    # Coqui prints its own progress lines to stdout; our report is the last JSON line.
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and "ok" in data:
                return data
    return None


def _tail(text: str, lines: int = 3) -> str:
    kept = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    return " | ".join(kept[-lines:])
