"""Why a job failed, in words a user can act on.

Order of evidence: the runner's own knowledge first (timeout, cancel), then log patterns (the manifest's
own, then generic ones for errors every PyTorch system shares), then the exit status, then the output
check. A pattern only explains a failure: a successful job whose log mentions "out of memory" in a
retried warning is still a success.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from thtui.core.catalog.schema import FailurePattern

# Generic patterns, tried after the manifest's own. (class, regex, message)
GENERIC_PATTERNS: list[tuple[str, str, str]] = [
    (
        "out_of_memory",
        r"CUDA out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation|"
        r"out of memory",
        "The GPU ran out of memory. Use a GPU with more free memory, a shorter audio or a smaller image.",
    ),
    (
        "cuda_arch_mismatch",
        r"no kernel image is available for execution|is not compatible with the current PyTorch installation|"
        r"CUDA error: invalid device function",
        "This env's PyTorch was not built for this GPU's architecture; reinstall the solution with a "
        "newer torch profile.",
    ),
    (
        "face_not_detected",
        r"[Ff]ace not detected|[Nn]o face (?:was |is )?(?:detected|found)|can not detect the landmark",
        "No face was found in the image. Use a frontal, well-lit portrait.",
    ),
    (
        "missing_weights",
        r"(?:FileNotFoundError|No such file or directory).*\.(?:pth|pt|ckpt|safetensors|onnx|bin|pkl|tar)\b",
        "A weight file is missing. Run setup for this solution again to fetch its weights.",
    ),
    (
        "missing_dependency",
        r"ModuleNotFoundError: No module named|ImportError: |command not found|No such file or directory: .ffmpeg",
        "A module or program the solution needs is missing from its env. Run setup again.",
    ),
]

STATUS_MESSAGES = {
    "timeout": "The job ran longer than the timeout and was stopped (whole process tree).",
    "crash": "The process exited with an error; see the log tail.",
    "no_output": "The process finished but left no valid video.",
}


@dataclass(frozen=True)
class PatternHit:
    failure: str
    message: str
    line: str
    line_no: int
    source: str  # "manifest" | "generic"


@dataclass(frozen=True)
class Failure:
    failure_class: str  # a thtui.core.catalog.schema.FailureClass
    message: str
    evidence: str  # the log line, exit status or output problem that decided it
    log_tail: tuple[str, ...]


class LogScanner:
    """Sees every final log line once (no need to keep the whole log); remembers the first hit of each
    pattern and the last `tail` lines."""

    def __init__(self, manifest: list[FailurePattern] | tuple = (), tail: int = 40):
        self._patterns = [(p.failure, re.compile(p.pattern), p.message, "manifest") for p in manifest]
        self._patterns += [(c, re.compile(rx), msg, "generic") for c, rx, msg in GENERIC_PATTERNS]
        self.hits: list[PatternHit] = []
        self._hit_ids: set[int] = set()
        self.tail: deque[str] = deque(maxlen=tail)
        self.lines = 0

    def add(self, line: str) -> None:
        self.lines += 1
        self.tail.append(line)
        for i, (cls, rx, msg, src) in enumerate(self._patterns):
            if i not in self._hit_ids and rx.search(line):
                self._hit_ids.add(i)
                self.hits.append(PatternHit(cls, msg, line.strip()[:300], self.lines, src))

    def best_hit(self) -> PatternHit | None:
        """The manifest's own explanation wins (its message is specific); among equals, the first line."""
        for source in ("manifest", "generic"):
            hits = [h for h in self.hits if h.source == source]
            if hits:
                return min(hits, key=lambda h: h.line_no)
        return None


def classify(
    *,
    returncode: int | None,
    timed_out: bool,
    output_problem: str | None,
    scanner: LogScanner,
) -> Failure | None:
    """None when the job succeeded (exit 0 and a valid output); else the failure with its evidence."""
    tail = tuple(scanner.tail)
    if timed_out:
        return Failure("timeout", STATUS_MESSAGES["timeout"], "timeout", tail)
    if returncode == 0 and output_problem is None:
        return None
    hit = scanner.best_hit()
    if hit is not None:
        return Failure(hit.failure, hit.message, f"log line {hit.line_no}: {hit.line}", tail)
    if returncode != 0:
        how = (
            f"killed by signal {-returncode}"
            if returncode is not None and returncode < 0
            else f"exit {returncode}"
        )
        return Failure("crash", STATUS_MESSAGES["crash"], how, tail)
    return Failure("no_output", STATUS_MESSAGES["no_output"], output_problem or "no output", tail)
