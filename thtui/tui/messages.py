"""Messages from worker threads to the UI. Workers never touch widgets: they post these (post_message is
thread-safe) and the App, on the UI thread, updates its state and tells the screens through signals.

High-rate messages coalesce (`can_replace`): if the UI is behind, only the newest one is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from thtui.core.events import Event
from thtui.core.jobs.events import JobProgress
from thtui.core.setup.events import StepProgress


@dataclass
class InstallEvent(Message, bubble=False):
    """A setup-engine event (step started/progress/finished/failed) for one solution."""

    solution: str
    event: Event

    def can_replace(self, message: Message) -> bool:
        # Only progress ticks of the same step are superseded; every other event must arrive.
        return (
            isinstance(self.event, StepProgress)
            and isinstance(message, InstallEvent)
            and message.solution == self.solution
            and isinstance(message.event, StepProgress)
        )


@dataclass
class InstallDone(Message, bubble=False):
    solution: str
    action: str  # install / reinstall / uninstall / verify
    ok: bool
    detail: str = ""
    refused: bool = False  # stopped before any step ran (no env manager, no git): nothing was changed


@dataclass
class RunEvent(Message, bubble=False):
    """A runner event (run started, stage, job queued/started/progress/finished, run finished).
    `key` is the TUI's handle of the run (the core names it only once it starts)."""

    key: str
    event: Event

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(self.event, JobProgress)
            and isinstance(message, RunEvent)
            and isinstance(message.event, JobProgress)
            and message.event.job_id == self.event.job_id
        )


@dataclass
class RunDone(Message, bubble=False):
    key: str
    error: str | None = None


@dataclass
class MonitorSampled(Message, bubble=False):
    snapshot: Any  # thtui.core.monitor MonitorSnapshot
    processes: tuple = ()  # thtui.tui.services.GpuProcessRow, owners named

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MonitorSampled)


@dataclass
class LogsPending(Message, bubble=False):
    """A log buffer has new lines; views that follow it pull them in one batch."""

    key: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LogsPending) and message.key == self.key


@dataclass
class WorkFailed(Message, bubble=False):
    """A worker raised: shown to the user as one line, with the full error in the app log."""

    what: str
    error: str
