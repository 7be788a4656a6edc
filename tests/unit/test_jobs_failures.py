"""Failure classification: timeout first, then the manifest's patterns, generic ones, exit status, output."""

from __future__ import annotations

from thtui.core.catalog.schema import FailurePattern
from thtui.core.jobs.failures import LogScanner, classify

MANIFEST = [
    FailurePattern(pattern=r"Face not detected", failure="face_not_detected", message="use a frontal photo")
]


def scan(*lines: str, tail: int = 40) -> LogScanner:
    s = LogScanner(MANIFEST, tail=tail)
    for line in lines:
        s.add(line)
    return s


def test_success_ignores_alarming_log_lines() -> None:
    s = scan("warning: CUDA out of memory, retrying with a smaller batch", "done")
    assert classify(returncode=0, timed_out=False, output_problem=None, scanner=s) is None


def test_timeout_wins_over_everything() -> None:
    f = classify(returncode=-9, timed_out=True, output_problem=None, scanner=scan("CUDA out of memory"))
    assert f.failure_class == "timeout"


def test_manifest_pattern_beats_generic_and_keeps_evidence() -> None:
    s = scan("loading", "RuntimeError: CUDA out of memory. Tried to allocate 2 GiB", "Face not detected!")
    f = classify(returncode=1, timed_out=False, output_problem=None, scanner=s)
    assert f.failure_class == "face_not_detected" and f.message == "use a frontal photo"
    assert f.evidence == "log line 3: Face not detected!" and f.log_tail[-1] == "Face not detected!"


def test_generic_classes() -> None:
    cases = {
        "torch.OutOfMemoryError: CUDA out of memory.": "out_of_memory",
        "CUDA error: no kernel image is available for execution on the device": "cuda_arch_mismatch",
        "FileNotFoundError: [Errno 2] No such file or directory: 'checkpoints/SadTalker_V0.0.2_256.safetensors'": "missing_weights",
        "ModuleNotFoundError: No module named 'basicsr'": "missing_dependency",
    }
    for line, expected in cases.items():
        f = classify(returncode=1, timed_out=False, output_problem=None, scanner=LogScanner([]))
        assert f.failure_class == "crash"  # nothing in the log: the exit status decides
        s = LogScanner([])
        s.add(line)
        assert (
            classify(returncode=1, timed_out=False, output_problem=None, scanner=s).failure_class == expected
        ), line


def test_exit_status_then_output() -> None:
    f = classify(returncode=-11, timed_out=False, output_problem=None, scanner=scan("segfault soon"))
    assert f.failure_class == "crash" and f.evidence == "killed by signal 11"
    f = classify(returncode=0, timed_out=False, output_problem="no output at /x/*.mp4", scanner=scan("ok"))
    assert f.failure_class == "no_output" and "no output at" in f.evidence
    # Exit 0 without a video but with an explanation in the log (some scripts print and exit 0).
    f = classify(returncode=0, timed_out=False, output_problem="no output", scanner=scan("Face not detected"))
    assert f.failure_class == "face_not_detected"


def test_tail_is_bounded() -> None:
    s = scan(*[f"line {i}" for i in range(100)], tail=5)
    f = classify(returncode=2, timed_out=False, output_problem=None, scanner=s)
    assert f.log_tail == tuple(f"line {i}" for i in range(95, 100)) and s.lines == 100
