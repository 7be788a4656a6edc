"""One setup run's plumbing: the log file, event emission, child processes and download progress.

Steps call `session.run(step, argv)`: output goes line by line to the log file and out as LogLine
events; a failure raises StepFailure carrying the first line that explains it; cancel kills the child's
whole process group (it runs in its own session, so pip's build subprocesses go too).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from thtui.core.config import Settings
from thtui.core.downloads import Cancelled
from thtui.core.events import EventSink
from thtui.core.setup.events import LogLine, StepNote, StepProgress
from thtui.core.setup.record import note_child


class StepFailure(Exception):
    """A step failed for a reason the user can act on. `error` is one line; `hint` says what to do."""

    def __init__(self, error: str, hint: str = ""):
        super().__init__(error)
        self.error = error
        self.hint = hint


_TOOL_ERROR = re.compile(r"^(ERROR|FATAL|fatal|error|E|CondaError|CondaValueError)\b\s*:")
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*)?(Error|Exception|Exit|Interrupt)\b(:|$)")
_ANY_ERROR = re.compile(r"\b(error|failed|failure|not found|cannot|could not)\b", re.I)


def first_error_line(lines: Sequence[str]) -> str | None:
    """The line that best explains a failed command: a tool's `ERROR:`/`fatal:` line, else a Python
    exception line (the end of a traceback, not its 'Traceback' header), else any error-ish line."""
    clean = [ln.strip() for ln in lines if ln.strip()]
    for pattern in (_TOOL_ERROR, _EXCEPTION, _ANY_ERROR):
        for ln in clean:
            if pattern.search(ln) and not ln.startswith("Traceback"):
                return ln[:400]
    return clean[-1][:400] if clean else None


class ProgressMeter:
    """Speed over the last few seconds and ETA for one transfer; rate-limits events to ~8 per second."""

    def __init__(self, emit: Callable[[int, int | None, float, float | None], None], window: float = 3.0):
        self._emit = emit
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()
        self._last_emit = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.popleft()
        finished = total is not None and done >= total
        if not finished and now - self._last_emit < 0.125:
            return
        self._last_emit = now
        t0, d0 = self._samples[0]
        speed = (done - d0) / (now - t0) if now > t0 and done >= d0 else 0.0
        eta = (total - done) / speed if (total is not None and speed > 0) else (0.0 if finished else None)
        self._emit(done, total, speed, eta)


class Session:
    def __init__(
        self,
        name: str,
        settings: Settings,
        sink: EventSink,
        cancel: threading.Event | None,
        log_path: Path,
    ):
        self.name = name
        self.settings = settings
        self.sink = sink
        self.cancel = cancel or threading.Event()
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed by close()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._log.close()

    # -- output ---------------------------------------------------------------------------------------
    def write_log(self, step: str, text: str) -> None:
        with self._lock:
            self._log.write(f"{time.strftime('%H:%M:%S')} [{step}] {text}\n")

    def log(self, step: str, text: str) -> None:
        self.write_log(step, text)
        self.sink(LogLine(solution=self.name, step=step, text=text))

    def note(self, step: str, text: str) -> None:
        self.write_log(step, f"NOTE: {text}")
        self.sink(StepNote(solution=self.name, step=step, text=text))

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def progress(self, step: str, item: str) -> ProgressMeter:
        def emit(done: int, total: int | None, speed: float, eta: float | None) -> None:
            self.sink(
                StepProgress(
                    solution=self.name, step=step, item=item, done=done, total=total, speed=speed, eta=eta
                )
            )

        return ProgressMeter(emit)

    # -- child processes ------------------------------------------------------------------------------
    def run(
        self,
        step: str,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        quiet: bool = False,
    ) -> list[str]:
        """Run argv (never through a shell); returns its output lines. Raises StepFailure / Cancelled."""
        self.check_cancel()
        self.write_log(step, f"$ {' '.join(str(a) for a in argv)}" + (f"   (in {cwd})" if cwd else ""))
        try:
            proc = subprocess.Popen(
                [str(a) for a in argv],
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: cancel kills pip's children too
            )
        except OSError as exc:
            raise StepFailure(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        note_child(self.settings, self.name, proc.pid)
        killer = threading.Thread(target=self._kill_on_cancel, args=(proc,), daemon=True)
        killer.start()
        lines: list[str] = []
        errors: list[str] = []
        buf = ""
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read1(65536):  # type: ignore[attr-defined]
                buf += chunk.decode("utf-8", "replace")
                *complete, buf = re.split(r"\r\n|\r|\n", buf)
                for line in complete:
                    self._take(step, line, lines, errors, quiet)
            if buf:
                self._take(step, buf, lines, errors, quiet)
            rc = proc.wait()
        finally:
            note_child(self.settings, self.name, None)
        if self.cancel.is_set():
            raise Cancelled()
        if rc != 0:
            self.write_log(step, f"exit status {rc}")
            why = first_error_line(errors or lines) or f"{Path(str(argv[0])).name} exited with status {rc}"
            raise StepFailure(why)
        return lines

    def _take(self, step: str, line: str, lines: list[str], errors: list[str], quiet: bool) -> None:
        line = line.rstrip()
        if not line:
            return
        if len(lines) < 5000:
            lines.append(line)
        if len(errors) < 20 and (_TOOL_ERROR.search(line.strip()) or _EXCEPTION.search(line.strip())):
            errors.append(line)
        if quiet:
            self.write_log(step, line)
        else:
            self.log(step, line)

    def _kill_on_cancel(self, proc: subprocess.Popen) -> None:
        while proc.poll() is None:
            if self.cancel.wait(0.2):
                for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0)):
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        return
                    try:
                        proc.wait(timeout=grace or None)
                        return
                    except subprocess.TimeoutExpired:
                        continue
                return
