"""Typed progress events of the setup engine (and of `bootstrap`, which reuses them).

Every event is a frozen dataclass deriving from `thtui.core.events.Event` (so it carries `at`, a Unix
time) and names the `solution` it concerns ("bootstrap" for machine setup). One `install()` call emits,
in order:

    SetupStarted(steps, log_path)          the plan: every step name, in order; where the full log goes
    WaitingForLock(holder)                 only when another process is installing the same solution
    per step, exactly one of:
        StepSkipped(step, reason)          already done with the same manifest part ("up to date")
        StepStarted(step, index, total, title)
            StepProgress(item, done, total, speed, eta)   bytes of a download (total/eta None if unknown)
            LogLine(step, text)            one line of a child process (pip, conda, git) or of the engine
            StepNote(step, text)           a remark worth showing, e.g. "no GPU: CUDA check skipped"
        then StepFinished(step, seconds, detail) or StepFailed(step, error, log_path, hint)
    SetupFinished(ok, state, seconds, log_path, cancelled)   always last, also after a failure

`uninstall()` emits `Removed(path, bytes)` per path it deletes and `Kept(path, reason)` for shared
weights it leaves. Front ends render these; they never parse log text.
"""

from __future__ import annotations

from dataclasses import dataclass

from thtui.core.events import Event


@dataclass(frozen=True)
class SetupEvent(Event):
    solution: str


@dataclass(frozen=True)
class SetupStarted(SetupEvent):
    steps: tuple[str, ...]
    log_path: str


@dataclass(frozen=True)
class WaitingForLock(SetupEvent):
    holder: str  # "pid 1234 since 12:03:01"


@dataclass(frozen=True)
class StepStarted(SetupEvent):
    step: str
    index: int  # 1-based position in SetupStarted.steps
    total: int
    title: str  # human description, e.g. "clone github.com/x/y @ 1a2b3c4d"


@dataclass(frozen=True)
class StepSkipped(SetupEvent):
    step: str
    reason: str


@dataclass(frozen=True)
class StepProgress(SetupEvent):
    step: str
    item: str  # what is moving, e.g. "checkpoints/model.pth"
    done: int  # bytes so far (including bytes resumed from a .part file)
    total: int | None
    speed: float  # bytes per second, smoothed
    eta: float | None  # seconds, None when total or speed is unknown


@dataclass(frozen=True)
class LogLine(SetupEvent):
    step: str
    text: str


@dataclass(frozen=True)
class StepNote(SetupEvent):
    step: str
    text: str


@dataclass(frozen=True)
class StepFinished(SetupEvent):
    step: str
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class StepFailed(SetupEvent):
    step: str
    error: str  # the first line that explains the failure
    log_path: str
    hint: str = ""


@dataclass(frozen=True)
class SetupFinished(SetupEvent):
    ok: bool
    state: str  # the InstallStatus state afterwards: ready / partial / broken
    seconds: float
    log_path: str
    cancelled: bool = False


@dataclass(frozen=True)
class Removed(SetupEvent):
    path: str
    bytes: int


@dataclass(frozen=True)
class Kept(SetupEvent):
    path: str
    reason: str
