"""A run in a background process that outlives the one asking for it (the TUI's "detach" option): the
same `thtui run` command line a user would type, started in a session of its own (no controlling
terminal, so a logout's SIGHUP never reaches it) with stdin closed and its output in a log file. It
records itself in the run store like any run (owner pid + create time), so `thtui runs --follow`,
`thtui run --cancel` and the TUI find it there.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from thtui.core.config import Settings
from thtui.core.jobs.spec import RunSpec
from thtui.core.plan import new_run_id


@dataclass(frozen=True)
class DetachedRun:
    run_id: str
    pid: int
    log_path: Path
    process: subprocess.Popen | None = field(default=None, compare=False, repr=False)  # to poll/reap it


def spec_argv(spec: RunSpec) -> list[str]:
    """`thtui run` arguments for a spec (what the CLI's flags can say; grace and tolerance keep defaults)."""
    argv = ["run", "--solutions", ",".join(spec.solutions)]
    for image in spec.images:
        argv += ["--image", str(Path(image).resolve())]
    for audio in spec.audios:
        argv += ["--audio", str(Path(audio).resolve())]
    for ref in spec.references:  # the papers' protocol: each video gives its case's portrait and speech
        argv += ["--reference", str(Path(ref).resolve())]
    for video in spec.videos:  # the user's own video as the source
        argv += ["--video", str(Path(video).resolve())]
    if spec.prompt is not None:
        # One item, so a prompt starting with '-' is not read as a flag.
        argv.append(f"--prompt={spec.prompt}")
    if spec.text is not None:
        argv += [f"--text={spec.text}", "--tts", spec.tts]  # one item, as --prompt: "-hi" is text, not a flag
    if spec.voice:
        argv += ["--voice", spec.voice]
    argv += ["--repeat", str(spec.repeat)]
    if spec.warmup:
        argv.append("--warmup")
    if spec.gpus:
        argv += ["--gpus", ",".join(map(str, spec.gpus))]
    if spec.timeout:
        argv += ["--timeout", f"{spec.timeout:g}"]
    if spec.pack:
        argv.append("--pack")
    if not spec.score:
        argv.append("--no-score")
    if spec.cluster:  # one item: the address as given (the form's cluster field)
        argv.append(f"--cluster={spec.cluster}")
    return argv


def detached_log(settings: Settings, run_id: str) -> Path:
    return settings.state_dir / "detached" / f"{run_id}.log"


def start_detached(settings: Settings, argv: list[str], run_id: str | None = None) -> DetachedRun:
    """Start `python -m thtui ARGV --run-id ID` in the background; returns at once (the caller watches the
    store for the run, or the process for an early refusal, whose message is in the log)."""
    run_id = run_id or new_run_id()
    log_path = detached_log(settings, run_id)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    globals_ = ["--data-root", str(settings.data_root), "--outputs", str(settings.outputs_dir)]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "thtui", *globals_, *argv, "--run-id", run_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    return DetachedRun(run_id, proc.pid, log_path, proc)
