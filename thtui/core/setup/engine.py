"""The step engine: runs clone -> patch-repo -> env -> torch -> requirements -> patch-site -> weights ->
verify for one target, skipping every step whose recorded fingerprint still matches and whose result is
still on disk. Killed at any moment, the next run continues after the last finished step.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from thtui import __version__
from thtui.core.catalog.loader import LoadedSolution
from thtui.core.config import Settings
from thtui.core.downloads import Cancelled, DownloadError
from thtui.core.events import EventSink, discard
from thtui.core.gpu_info import GpuReport, probe_gpus
from thtui.core.install_status import InstallStatus, target_status
from thtui.core.setup.context import Step, StepContext
from thtui.core.setup.events import (
    SetupFinished,
    SetupStarted,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
    WaitingForLock,
)
from thtui.core.setup.record import Record, SetupBusy, setup_lock
from thtui.core.setup.session import Session, StepFailure
from thtui.core.setup.steps_env import ENV, REQUIREMENTS, TORCH
from thtui.core.setup.steps_source import CLONE, PATCH_REPO, PATCH_SITE
from thtui.core.setup.steps_verify import VERIFY
from thtui.core.setup.steps_weights import WEIGHTS
from thtui.core.setup.target import STEPS, SetupTarget, dependents, target_of

STEP_LIST: tuple[Step, ...] = (CLONE, PATCH_REPO, ENV, TORCH, REQUIREMENTS, PATCH_SITE, WEIGHTS, VERIFY)
assert tuple(s.name for s in STEP_LIST) == STEPS


@dataclass(frozen=True)
class InstallResult:
    solution: str
    ok: bool
    status: InstallStatus  # what `thtui status` says now
    ran: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed_step: str | None = None
    error: str | None = None  # one line
    hint: str = ""
    log_path: str | None = None
    seconds: float = 0.0
    cancelled: bool = False


def new_log_path(settings: Settings, name: str) -> Path:
    base = settings.logs_dir / name / time.strftime("%Y%m%d-%H%M%S")
    path, n = base.with_suffix(".log"), 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}.log")
    return path


def install(
    settings: Settings,
    solution: LoadedSolution | SetupTarget,
    sink: EventSink = discard,
    *,
    cancel: threading.Event | None = None,
    gpu: GpuReport | None = None,
    wait: bool = False,
    force: bool = False,
    use_lock: bool = True,
) -> InstallResult:
    """Install (or finish installing, or update) one solution. Never raises for expected failures:
    a failed step, a busy lock or a cancel all come back as an InstallResult (and as events).
    `use_lock=False` resolves the requirements afresh instead of installing the manifest's lock file."""
    return _locked(
        settings, target_of(solution), sink, cancel, gpu, wait, STEP_LIST, force=force, use_lock=use_lock
    )


def verify(
    settings: Settings,
    solution: LoadedSolution | SetupTarget,
    sink: EventSink = discard,
    *,
    cancel: threading.Event | None = None,
    gpu: GpuReport | None = None,
    rehash: bool = False,
) -> InstallResult:
    """Rerun only the verify step (imports, GPU/arch, weight checksums) of an installed solution."""
    target = target_of(solution)
    record = Record.load(settings, target.name)
    missing = [s for s in STEPS[:-1] if s not in record.steps]
    if missing:
        status = target_status(settings, target)
        return InstallResult(
            target.name,
            False,
            status,
            error=f"{target.name} is not installed ({status.state}; next step: {missing[0]})",
            hint=f"run `thtui setup {target.name}`",
        )
    return _locked(settings, target, sink, cancel, gpu, False, (VERIFY,), force=True, rehash=rehash)


def _locked(
    settings, target, sink, cancel, gpu, wait, steps, *, force, rehash=False, use_lock=True
) -> InstallResult:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    cancel = cancel or threading.Event()
    try:
        with setup_lock(
            settings,
            target.name,
            wait=wait,
            cancel=cancel,
            on_wait=lambda who: sink(WaitingForLock(solution=target.name, holder=who)),
        ):
            session = Session(target.name, settings, sink, cancel, new_log_path(settings, target.name))
            try:
                probe = (lambda: gpu) if gpu is not None else probe_gpus
                ctx = StepContext(
                    session, settings, target, Record.load(settings, target.name), probe, rehash, use_lock
                )
                return _run(ctx, steps, force, t0)
            finally:
                session.close()
    except SetupBusy as exc:
        return InstallResult(target.name, False, target_status(settings, target), error=str(exc))
    except Cancelled:
        return InstallResult(target.name, False, target_status(settings, target), cancelled=True)


def _run(ctx: StepContext, steps: tuple[Step, ...], force: bool, t0: float) -> InstallResult:
    s, settings, target, record = ctx.session, ctx.settings, ctx.target, ctx.record
    name, fps, log = target.name, target.fingerprints(), str(s.log_path)
    record.failed, record.log = None, log
    record.save(settings)
    s.sink(SetupStarted(solution=name, steps=tuple(st.name for st in steps), log_path=log))
    s.write_log("setup", f"thtui {__version__}: setup {name} from {target.manifest} (digest {target.digest})")
    s.write_log("setup", f"data root {settings.data_root}; fingerprints {fps}")
    ran: list[str] = []
    skipped: list[str] = []

    def result(ok: bool, **kw) -> InstallResult:  # type: ignore[no-untyped-def]
        status = target_status(settings, target, check_running=False)
        secs = time.monotonic() - t0
        s.write_log("setup", f"finished: {status.state} {status.detail} ({secs:.1f} s)")
        s.sink(
            SetupFinished(
                solution=name,
                ok=ok,
                state=status.state,
                seconds=secs,
                log_path=log,
                cancelled=kw.get("cancelled", False),
            )
        )
        return InstallResult(name, ok, status, tuple(ran), tuple(skipped), log_path=log, seconds=secs, **kw)

    for index, step in enumerate(steps, 1):
        fp, done = fps[step.name], record.steps.get(step.name)
        not_applicable = step.applies(target)
        if not force and done and done.get("fingerprint") == fp:
            why = None if not_applicable else step.intact(ctx, done.get("info") or {})
            if why is None:
                s.write_log(step.name, "up to date")
                s.sink(StepSkipped(solution=name, step=step.name, reason="up to date"))
                skipped.append(step.name)
                continue
            s.log(step.name, f"redoing: {why}")
        for stale in (step.name, *dependents(step.name)):
            record.steps.pop(stale, None)
        record.complete = False
        if not_applicable:
            record.mark_done(step.name, fp, 0.0, {"skipped": not_applicable})
            record.save(settings)
            s.sink(StepSkipped(solution=name, step=step.name, reason=not_applicable))
            skipped.append(step.name)
            continue
        record.save(settings)
        s.write_log(step.name, f"--- {step.title(target)}")
        s.sink(
            StepStarted(
                solution=name, step=step.name, index=index, total=len(steps), title=step.title(target)
            )
        )
        started = time.monotonic()
        error, hint = None, ""
        try:
            outcome = step.run(ctx)
        except Cancelled:
            s.write_log(
                step.name, "cancelled; finished steps are kept and partial downloads resume next time"
            )
            return result(False, cancelled=True)
        except StepFailure as exc:
            error, hint = exc.error, exc.hint
        except DownloadError as exc:
            error, hint = str(exc), "rerun setup: downloads resume where they stopped"
        except (
            Exception
        ) as exc:  # a bug or an unexpected OS error: one line for the user, traceback in the log
            s.write_log(step.name, traceback.format_exc())
            error, hint = (
                (f"{type(exc).__name__}: {exc}".splitlines() or ["error"])[0],
                "unexpected; see the log",
            )
        if error is not None:
            record.failed = {"step": step.name, "error": error, "hint": hint, "log": log, "at": time.time()}
            record.save(settings)
            s.write_log(step.name, f"FAILED: {error}" + (f" ({hint})" if hint else ""))
            s.sink(StepFailed(solution=name, step=step.name, error=error, log_path=log, hint=hint))
            return result(False, failed_step=step.name, error=error, hint=hint)
        secs = time.monotonic() - started
        record.mark_done(step.name, fp, secs, outcome.info)
        record.save(settings)
        ran.append(step.name)
        s.write_log(step.name, f"done in {secs:.1f} s: {outcome.detail}")
        s.sink(StepFinished(solution=name, step=step.name, seconds=secs, detail=outcome.detail))

    record.complete = all(st in record.steps for st in STEPS)
    record.manifest_digest = target.digest
    record.save(settings)
    return result(True)
