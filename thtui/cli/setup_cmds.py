"""`thtui setup`, `status`, `verify`, `uninstall`, `bootstrap`: the headless twins of the setup engine.

The CLI only renders thtui.core.setup events (rich progress bars, one line per finished step) and turns
results into exit codes; everything else is in the core.
"""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from thtui.cli.common import CliError, catalog_from, console, print_json, settings_from, subcommand
from thtui.core.bootstrap import describe, plan_bootstrap, run_bootstrap
from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.events import Event
from thtui.core.setup import (
    COQUI,
    InstallResult,
    Kept,
    LogLine,
    Removed,
    SetupFinished,
    SetupStarted,
    SetupTarget,
    StepFailed,
    StepFinished,
    StepNote,
    StepProgress,
    StepSkipped,
    StepStarted,
    WaitingForLock,
    coqui_target,
    install,
    install_problem,
    target_of,
    target_status,
    uninstall,
    verify,
)
from thtui.core.setup.preflight import gpu_required_note
from thtui.core.setup.record import env_backend_of
from thtui.core.wording import plural

EVALUATOR = "evaluator"  # thtui.core.scores.paper_target.EVALUATOR (not imported here: start-up cost)


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub, "setup", "install solutions (clone, env, torch, requirements, weights, verify); resumable"
    )
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"solution names, {COQUI} for Coqui TTS, or {EVALUATOR} for paper scores",
    )
    p.add_argument("--all", action="store_true", help="every solution in the catalog")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="install N solutions at once (default 1)")
    p.add_argument(
        "--wait", action="store_true", help="wait for a setup of the same solution already running"
    )
    p.add_argument("--force", action="store_true", help="redo every step even when up to date")
    p.add_argument(
        "--no-lock",
        action="store_true",
        help="resolve the requirements afresh instead of installing the manifest's lock file",
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="print every log line (the log file has them anyway)"
    )
    p.set_defaults(func=cmd_setup)

    p = subcommand(
        sub, "status", "install state of every solution: not installed / partial / ready / broken / outdated"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)

    p = subcommand(sub, "verify", "rerun the verify step: imports, torch on this GPU, weight checksums")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument(
        "--rehash", action="store_true", help="hash every weight again instead of trusting the cache"
    )
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_verify)

    p = subcommand(sub, "uninstall", "remove env, clone and the weights no other installed solution uses")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.set_defaults(func=cmd_uninstall)

    p = subcommand(sub, "bootstrap", "prepare a fresh Ubuntu GPU box: apt packages, Miniforge, uv")
    p.add_argument("--dry-run", action="store_true", help="print every action, run nothing")
    p.add_argument("--no-uv", action="store_true", help="do not install uv (pip is used instead)")
    p.set_defaults(func=cmd_bootstrap)


# -- helpers ------------------------------------------------------------------------------------------
def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return (
        f"ETA {s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"ETA {s // 60}:{s % 60:02d}"
    )


def _targets(settings: Settings, names: list[str], everything: bool) -> list[SetupTarget]:
    catalog: Catalog | None = None
    try:
        catalog = catalog_from(settings)
    except CliError:
        if everything or any(n not in (COQUI, EVALUATOR) for n in names):
            raise
    if everything:
        names = [s.name for s in catalog or [] if s.solution.kind == "upstream"] + [
            n for n in names if n == COQUI
        ]
    if not names:
        raise CliError("name at least one solution (or --all); `thtui status` lists them")
    out = []
    for name in dict.fromkeys(names):
        if name == COQUI:
            out.append(coqui_target())
            continue
        if name == EVALUATOR:  # paper-standard scores' env (solutions/evaluator/evaluator.yaml)
            out.append(_evaluator_target(settings))
            continue
        if catalog is None or name not in catalog:
            known = ", ".join([*(catalog.names() if catalog else []), COQUI, EVALUATOR])
            raise CliError(f"unknown solution {name!r}; known: {known}")
        loaded = catalog.get(name)
        if loaded.solution.kind == "builtin":
            console().print(f"{name} is built in: nothing to install.")
            continue
        if loaded.solution.gpu_required:
            from thtui.core.gpu_info import probe_gpus

            note = gpu_required_note(name, True, len(probe_gpus().gpus))
            if note:
                console().print(f"[yellow]note:[/] {escape(note)}")
        out.append(target_of(loaded))
    return out


def _evaluator_target(settings: Settings) -> SetupTarget:
    from thtui.core.scores.paper_target import EvaluatorManifestError, evaluator_target

    try:
        return evaluator_target(settings)
    except EvaluatorManifestError as exc:
        raise CliError(str(exc)) from None


def _preflight(settings: Settings, targets: list[SetupTarget]) -> None:
    """Fail in one line, before any work, when a required tool is missing."""
    problem = install_problem(settings, targets)
    if problem is not None:
        raise CliError(problem, code=1)


class SetupView:
    """An EventSink that draws one progress row per running solution and one line per finished step."""

    def __init__(self, out: Console, verbose: bool = False):
        self.out = out
        self.verbose = verbose
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[amount]}", markup=False),
            TextColumn("{task.fields[speed]}", markup=False),
            TextColumn("{task.fields[eta]}", markup=False),
            console=out,
            transient=True,
        )
        self._tasks: dict[str, object] = {}
        self._step: dict[str, str] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> SetupView:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _print(self, text: str) -> None:
        self.progress.console.print(text, highlight=False)

    def __call__(self, ev: Event) -> None:  # called from worker threads
        with self._lock:
            self._handle(ev)

    def _handle(self, ev: Event) -> None:
        name = getattr(ev, "solution", "")
        task = self._tasks.get(name)
        blank = {"amount": "", "speed": "", "eta": ""}
        if isinstance(ev, SetupStarted):
            self._tasks[name] = self.progress.add_task(f"{name}: starting", total=None, **blank)
            self._print(
                f"[bold]{escape(name)}[/]: {plural(len(ev.steps), 'step')}; full log: {escape(ev.log_path)}"
            )
        elif isinstance(ev, WaitingForLock):
            self._print(f"{escape(name)}: another setup is running ({escape(ev.holder)}); waiting for it")
        elif isinstance(ev, StepStarted) and task is not None:
            self._step[name] = f"{name} [{ev.index}/{ev.total}] {ev.title}"
            self.progress.update(task, description=self._step[name], total=None, completed=0, **blank)  # type: ignore[arg-type]
        elif isinstance(ev, StepProgress) and task is not None:
            amount = f"{human_bytes(ev.done)}/{human_bytes(ev.total)}" if ev.total else human_bytes(ev.done)
            self.progress.update(
                task,  # type: ignore[arg-type]
                description=f"{name} {ev.step}: {ev.item}",
                total=ev.total,
                completed=ev.done,
                amount=amount,
                speed=f"{human_bytes(ev.speed)}/s",
                eta=_eta(ev.eta),
            )
        elif isinstance(ev, LogLine):
            if self.verbose:
                self._print(f"[dim]{escape(name)} {escape(ev.step)}: {escape(ev.text)}[/]")
            elif task is not None:
                tail = ev.text if len(ev.text) < 70 else ev.text[:67] + "..."
                self.progress.update(task, description=f"{self._step.get(name, name)} | {tail}")  # type: ignore[arg-type]
        elif isinstance(ev, StepNote):
            self._print(f"  [yellow]note[/] {escape(name)} {escape(ev.step)}: {escape(ev.text)}")
        elif isinstance(ev, StepSkipped):
            self._print(f"  [dim]- {escape(name)} {escape(ev.step)}: {escape(ev.reason)}[/]")
        elif isinstance(ev, StepFinished):
            detail = f" {ev.detail}" if ev.detail else ""
            self._print(
                f"  [green]✓[/] {escape(name)} {escape(ev.step)} ({ev.seconds:.1f} s){escape(detail)}"
            )
        elif isinstance(ev, StepFailed):
            self._print(f"  [red]✗ {escape(name)} {escape(ev.step)}: {escape(ev.error)}[/]")
            if ev.hint:
                self._print(f"    -> {escape(ev.hint)}")
            self._print(f"    log: {escape(ev.log_path)}")
        elif isinstance(ev, SetupFinished) and task is not None:
            self.progress.remove_task(task)  # type: ignore[arg-type]
            del self._tasks[name]


def _run_all(work, jobs: int, out: Console) -> tuple[list, bool]:  # type: ignore[no-untyped-def]
    """Run `work(cancel)` callables on `jobs` threads; Ctrl-C sets cancel and waits for a clean stop."""
    cancel = threading.Event()
    results: list = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures: list[Future] = [pool.submit(w, cancel) for w in work]
        try:
            while True:
                done, pending = wait_futures(futures, timeout=0.2)
                if not pending:
                    break
        except KeyboardInterrupt:
            cancel.set()
            out.print("cancelling: finished steps are kept, downloads resume on the next `thtui setup`")
            wait_futures(futures)
        try:
            results = [f.result() for f in futures]
        except OSError as exc:  # e.g. the data root is not writable: one line, not a traceback
            raise CliError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), code=1) from None
    return results, cancel.is_set()


def _summary(out: Console, results: list[InstallResult]) -> None:
    if len(results) < 2:
        for r in results:
            if r.ok:
                out.print(f"[green]{escape(r.solution)} is {r.status.state}[/] ({r.seconds:.0f} s)")
            elif r.error and not r.log_path:  # busy / not installed: no step ran, nothing was printed yet
                out.print(f"[red]{escape(r.solution)}: {escape(r.error)}[/]")
                if r.hint:
                    out.print(f"  -> {escape(r.hint)}")
        return
    t = Table(title="setup", title_justify="left")
    for col in ("solution", "result", "time", "detail"):
        t.add_column(col)
    for r in results:
        state = "[green]ready[/]" if r.ok else ("cancelled" if r.cancelled else f"[red]{r.status.state}[/]")
        detail = r.error or ("" if r.ok else r.status.detail)
        t.add_row(r.solution, state, f"{r.seconds:.0f} s", escape(detail))
    out.print(t)


# -- commands -----------------------------------------------------------------------------------------
def cmd_setup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    targets = _targets(settings, list(args.names), args.all)
    if not targets:
        return 0
    _preflight(settings, targets)
    out = console()
    with SetupView(out, args.verbose) as view:
        work = [
            (
                lambda cancel, t=t: install(
                    settings,
                    t,
                    view,
                    cancel=cancel,
                    wait=args.wait,
                    force=args.force,
                    use_lock=not args.no_lock,
                )
            )
            for t in targets
        ]
        results, cancelled = _run_all(work, args.jobs, out)
    _summary(out, results)
    if cancelled:
        return 130
    return 0 if all(r.ok for r in results) else 1


def cmd_verify(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    targets = _targets(settings, list(args.names), False)
    out = console()
    with SetupView(out, args.verbose) as view:
        work = [
            (lambda cancel, t=t: verify(settings, t, view, cancel=cancel, rehash=args.rehash))
            for t in targets
        ]
        results, cancelled = _run_all(work, 1, out)
    _summary(out, results)
    return 130 if cancelled else (0 if all(r.ok for r in results) else 1)


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    catalog = catalog_from(settings)
    rows = []
    for loaded in catalog:
        if loaded.solution.kind == "builtin":
            rows.append(
                {"name": loaded.name, "state": "ready", "detail": "built in", "step": None, "log": None}
            )
            continue
        st = target_status(settings, target_of(loaded))
        rows.append(
            {"name": loaded.name, "state": st.state, "detail": st.detail, "step": st.step, "log": st.log}
        )
    st = target_status(settings, coqui_target())
    rows.append({"name": COQUI, "state": st.state, "detail": st.detail, "step": st.step, "log": st.log})
    from thtui.core.scores.paper_target import evaluator_env, manifest_path

    if manifest_path(settings).is_file():  # the paper-score env: `thtui setup evaluator`
        ev = evaluator_env(settings).status
        rows.append(
            {"name": EVALUATOR, "state": ev.state, "detail": ev.detail, "step": ev.step, "log": ev.log}
        )
    for r in rows:
        r["env_backend"] = None if r["detail"] == "built in" else env_backend_of(settings, r["name"])
    if args.json:
        print_json(rows)
        return 0
    colour = {"ready": "green", "broken": "red", "outdated": "yellow", "partial": "yellow"}
    t = Table(title=f"install status ({settings.data_root})", title_justify="left")
    for col in ("name", "state", "env", "detail", "log"):
        t.add_column(col, overflow="fold")
    for r in rows:
        c = colour.get(r["state"])
        state = f"[{c}]{r['state']}[/]" if c else r["state"]
        detail = (f"{r['step']}: " if r["state"] == "broken" and r["step"] else "") + (r["detail"] or "")
        log = escape(r["log"] or "") if r["state"] != "ready" else ""
        t.add_row(r["name"], state, r["env_backend"] or "", escape(detail), log)
    console().print(t)
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    targets = _targets(settings, list(args.names), False)
    out = console()
    rc = 0

    def show(ev: Event) -> None:
        if isinstance(ev, Removed):
            out.print(f"  removed {escape(ev.path)} ({human_bytes(ev.bytes)})", highlight=False)
        elif isinstance(ev, Kept):
            out.print(f"  kept    {escape(ev.path)} ({escape(ev.reason)})", highlight=False)

    for t in targets:
        r = uninstall(settings, t, show)
        if r.ok:
            out.print(f"{t.name}: uninstalled, {human_bytes(r.freed_bytes)} freed")
        else:
            out.print(f"[red]{escape(t.name)}: {escape(r.error or 'failed')}[/]")
            rc = 1
    return rc


def cmd_bootstrap(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    actions = plan_bootstrap(settings, with_uv=not args.no_uv)
    out = console()
    if args.dry_run:
        out.print(
            f"thtui bootstrap plan (dry run: nothing is changed; data root {settings.data_root})",
            markup=False,
            soft_wrap=True,
        )
        for a in actions:
            for line in describe(a):
                out.print(line, markup=False, highlight=False, soft_wrap=True)
        pending = sum(a.needed for a in actions)
        out.print(
            f"{plural(pending, 'action')} would run." if pending else "Nothing to do: this machine is ready.",
            markup=False,
        )
        return 0
    cancel = threading.Event()
    with SetupView(out) as view:
        worker = threading.Thread(
            target=lambda: setattr(worker, "ok", run_bootstrap(settings, actions, view, cancel=cancel))
        )
        worker.start()
        try:
            while worker.is_alive():
                time.sleep(0.2)
        except KeyboardInterrupt:
            cancel.set()
            worker.join()
            return 130
    ok = getattr(worker, "ok", False)
    out.print(
        "bootstrap done; next: `thtui setup --all`" if ok else "[red]bootstrap did not finish; see above[/]"
    )
    return 0 if ok else 1
