"""Typed events that flow out of the core. The CLI renders them with rich; the TUI posts them as
Textual messages. Producers take an `EventSink` callback and never know which front end listens.

Each subsystem defines its own frozen dataclasses deriving from `Event` next to its code; this module
holds only the shared base and the sink type.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    at: float = field(default_factory=time.time, kw_only=True)


EventSink = Callable[[Event], None]


def discard(_: Event) -> None:
    """A sink for callers that do not care."""


class Collector:
    """A sink that keeps every event: handy in tests and for the CLI's final summary."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]
