"""`thtui run` (the matrix of solutions x inputs, live, resumable) and `thtui runs` (past runs).

The run itself happens in thtui.core.jobs on a worker thread; this module feeds its events and the
monitor's snapshots to the views in thtui.cli.run_views (a live table, or plain lines for a log) and prints
the result. Ctrl-C (or SIGTERM) stops the running jobs cleanly and prints how to resume.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import threading
from dataclasses import asdict
from pathlib import Path

from rich.live import Live
from rich.markup import escape

from thtui.cli.common import (
    CliError,
    catalog_from,
    console,
    print_json,
    resolve_run_id,
    settings_from,
    subcommand,
)
from thtui.cli.run_views import LiveState, print_line, result_table
from thtui.cli.score_run import job_scores_of, print_scores
from thtui.core.jobs import (
    JobLog,
    JobProgress,
    RunError,
    RunResult,
    RunSpec,
    RunStage,
    preflight,
    resume_run,
    start_run,
)
from thtui.core.jobs.checks import gpu_warning
from thtui.core.jobs.matrix import build_matrix, plan_for
from thtui.core.jobs.pack_dispatch import describe_packing, packer_for
from thtui.core.jobs.run_inputs import frame_note, prompt_warning
from thtui.core.jobs.signals import StopOnSignals, exit_status
from thtui.core.monitor import Monitor, MonitorSnapshot, open_backend
from thtui.core.scores.pipeline import summary
from thtui.core.store import Store
from thtui.core.wording import plural

STOP_WAIT_S = 60.0  # a job's tree gets SIGTERM, then SIGKILL after its grace period (10 s by default)


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(sub, "run", "run solutions on an image and audio (or text), live, measured and resumable")
    p.add_argument("solution", nargs="?", help="one solution (or use --solutions a,b)")
    p.add_argument("--solutions", help="comma-separated solutions")
    p.add_argument("--image", action="append", type=Path, default=[], help="portrait (repeatable)")
    p.add_argument(
        "--video",
        action="append",
        type=Path,
        default=[],
        help="your own video as the source instead of --image (repeatable): systems that redraw a video's "
        "mouth (wav2lip, musetalk, latentsync) take it, portrait systems its first frame",
    )
    p.add_argument(
        "--prompt",
        metavar="TEXT",
        help="text prompt for systems that take one (else their manifest's default); up to 1000 characters",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--audio", action="append", type=Path, default=[], help="driving audio (repeatable)")
    g.add_argument("--text", help="text to speak (synthesised once, shared by every solution)")
    p.add_argument(
        "--reference",
        action="append",
        type=Path,
        default=[],
        metavar="VIDEO|DIR",
        help="the papers' protocol (repeatable; a folder: its videos, sorted): each reference video is one "
        "case, its first frame with a face the portrait and its own audio the speech; every result is "
        "scored against it (PSNR, SSIM, LMD) and the report gets a paper-style table. Not with "
        "--image/--audio/--text/--video",
    )
    p.add_argument("--tts", choices=["piper", "coqui"], default="piper")
    p.add_argument(
        "--voice",
        help="TTS voice (Piper: default en_US-joe-medium, bundled; other names are downloaded once)",
    )
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="timed runs per solution and input")
    p.add_argument("--warmup", action="store_true", help="one untimed run per solution first")
    p.add_argument(
        "--gpus", help="GPU indices to use, e.g. 0,1 (default: all); one job per GPU at a time unless --pack"
    )
    p.add_argument(
        "--pack",
        action="store_true",
        help="let several jobs share a GPU while their solutions' VRAM estimates fit its memory (minus "
        "a headroom of 10%% or 2 GiB, whichever is larger; at most 4 jobs per GPU; a job too big for every GPU runs alone on "
        "the largest). Faster sweeps, less clean numbers: jobs sharing a GPU contend for it, so their "
        "wall time, RTF and GPU utilisation are not single-job numbers, and energy per job cannot be "
        "separated on a shared GPU (left empty). Such jobs are marked shared_gpu in metrics.json",
    )
    p.add_argument(
        "--timeout", type=float, metavar="S", help="seconds per job before its process tree is ended"
    )
    p.add_argument(
        "--no-score",
        action="store_true",
        help="do not score each video (lip-sync proxy, identity, motion...) on the CPU as it lands",
    )
    p.add_argument("--dry-run", action="store_true", help="check everything and show the jobs; run nothing")
    p.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="continue an interrupted run (an id, or 'latest'), skipping finished jobs",
    )
    p.add_argument("--retry-failed", action="store_true", help="with --resume: run failed jobs again too")
    p.add_argument("--cluster", nargs="?", const="", metavar="ADDRESS", help="run the jobs on the nodes of a "
                   "Ray cluster (HOST:PORT; alone: $RAY_ADDRESS); see thtui cluster --help")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the result as JSON (no live view)")
    p.add_argument(
        "--kill-orphans",
        action="store_true",
        help="end processes left running by an interrupted run (its thtui was killed) before starting; "
        "without it they are reported (and, at a terminal, you are asked)",
    )
    p.add_argument(
        "--detach",
        action="store_true",
        help="run in the background (survives logout); prints the run id and how to follow it",
    )
    p.add_argument("--attach", metavar="RUN_ID", help="follow a run started elsewhere (Ctrl+C only detaches)")
    p.add_argument("--cancel", metavar="RUN_ID", help="stop a run started elsewhere (e.g. with --detach)")
    p.add_argument("--run-id", help=argparse.SUPPRESS)  # the id --detach chose for its background run
    p.set_defaults(func=cmd_run)


def _spec(args: argparse.Namespace) -> RunSpec:
    names = [n.strip() for n in (args.solutions or "").split(",") if n.strip()]
    if args.solution:
        names.insert(0, args.solution)
    if not names:
        raise CliError("name a solution (thtui run static ...) or give --solutions a,b")
    try:
        gpus = tuple(int(g) for g in args.gpus.split(",")) if args.gpus else None
    except ValueError:
        raise CliError(f"--gpus takes indices like 0,1; got {args.gpus!r}") from None
    references = _references(args)
    try:
        return RunSpec(solutions=tuple(names), images=tuple(args.image), audios=tuple(args.audio), text=args.text,
                       tts=args.tts, voice=args.voice, repeat=args.repeat, warmup=args.warmup, gpus=gpus,
                       timeout=args.timeout, pack=args.pack, score=not args.no_score,
                       videos=tuple(args.video), prompt=args.prompt, references=references)  # fmt: skip
    except RunError as exc:
        raise CliError(str(exc)) from None


def _references(args: argparse.Namespace) -> tuple[Path, ...]:
    """--reference paths as videos (a folder: its videos), each checked now: one line naming a bad one."""
    if not args.reference:
        return ()
    from thtui.core.media.errors import InputError, MediaError
    from thtui.core.reference_inputs import check_reference, expand_references, spec_conflict

    if problem := spec_conflict(_GivenInputs(args)):
        raise CliError(problem)
    try:
        videos = expand_references(args.reference)
        for video in videos:
            check_reference(video)
    except (InputError, MediaError) as exc:
        raise CliError(str(exc)) from None
    return tuple(videos)


class _GivenInputs:
    """The other input flags, as reference_inputs.spec_conflict reads them from a RunSpec."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.images, self.audios, self.text = args.image, args.audio, args.text
        self.videos = getattr(args, "video", None) or ()


# ---- commands ---------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.cancel or args.attach:
        from thtui.cli import run_detach

        return (
            run_detach.cancel(settings, args.cancel)
            if args.cancel
            else run_detach.follow(settings, args.attach)
        )
    catalog = catalog_from(settings)
    if args.resume:
        given = (args.solution, args.solutions, args.image, args.audio, args.text, args.video, args.reference)
        if any(given) or args.prompt is not None:
            raise CliError("--resume takes its inputs and solutions from the run; give nothing else")
        args.resume = resolve_run_id(settings, args.resume)
        from thtui.core.jobs.foreign import refuse_resume_of_a_live_run

        try:
            refuse_resume_of_a_live_run(settings.db_path, args.resume)
        except RunError as exc:
            raise CliError(str(exc)) from None
        spec = None
    else:
        spec = _spec(args)
        if args.cluster is not None:  # thtui.cli.cluster_cmd: Ray is imported only for a cluster run
            from thtui.cli.cluster_cmd import with_cluster

            spec = with_cluster(args, spec)
        if args.retry_failed:
            raise CliError("--retry-failed only makes sense with --resume RUN_ID")
    if args.detach and not args.dry_run:
        from thtui.cli import run_detach
        from thtui.core.plan import new_run_id

        if spec is not None:
            try:  # refused here, at the terminal, rather than in the background log
                if spec.cluster:
                    from thtui.cli.cluster_cmd import check_cluster_run

                    check_cluster_run(settings, catalog, spec)
                else:
                    preflight(settings, catalog, spec, open_backend().device_count())
            except RunError as exc:
                raise CliError(str(exc)) from None
            ignored_prompt = prompt_warning(spec, catalog)
            if ignored_prompt:  # said here too: the background log is not where one looks first
                console(stderr=True).print(f"warning: {ignored_prompt}", markup=False, soft_wrap=True)
        return run_detach.detach(settings, args.resume or new_run_id())
    monitor = Monitor(open_backend(), rate_hz=4.0)
    try:
        if args.dry_run:
            if spec is None:
                raise CliError("--dry-run shows a new run; it does not combine with --resume")
            return _dry_run(settings, catalog, spec, monitor)
        return _run(args, settings, catalog, spec, monitor)
    finally:
        monitor.close()


def _dry_run(settings, catalog, spec: RunSpec, monitor: Monitor) -> int:
    if spec.cluster:  # the nodes must have the solutions, not this box
        from thtui.cli.cluster_cmd import check_cluster_run

        check_cluster_run(settings, catalog, spec)
    try:
        if not spec.cluster:  # a cluster run was checked against its nodes just above
            preflight(settings, catalog, spec, monitor.backend.device_count())
    except RunError as exc:
        raise CliError(str(exc)) from None
    out = console()
    warning = gpu_warning(spec, monitor.backend.device_count(), monitor.backend.error)
    if warning:
        out.print(f"warning: {warning}", markup=False, soft_wrap=True)
    ignored_prompt, frames = prompt_warning(spec, catalog), frame_note(spec, catalog)  # as the run says first
    if ignored_prompt:
        out.print(f"warning: {ignored_prompt}", markup=False, soft_wrap=True)
    if frames:
        out.print(frames, markup=False, soft_wrap=True)
    audios = spec.audios or (settings.cache_dir / "tts" / f"{spec.tts}-<text>.wav",)
    jobs = build_matrix(
        spec, catalog, "<run-id>", settings.outputs_dir / "<run-id>", tuple(Path(a) for a in audios)
    )
    out.print(f"{plural(len(jobs), 'job')}; nothing has been run (all checks passed)", markup=False)
    if spec.pack:
        count = monitor.backend.device_count()
        gpus: list[int | None] = list(spec.gpus or range(count)) or [None]
        out.print(describe_packing(packer_for(monitor.backend, gpus), jobs), markup=False, soft_wrap=True)
    if spec.text:
        out.print(f"tts: {spec.tts} speaks {spec.text!r} once for every job", markup=False)
    shown: set[str] = set()
    for j in jobs:
        out.print(f"  {j.info.job_id}{'  (warm-up, untimed)' if j.info.warmup else ''}", markup=False)
        if j.solution not in shown:
            shown.add(j.solution)
            plan = plan_for(j, settings, 0 if j.loaded.solution.needs_gpu else None)
            out.print(
                f"      cwd  {plan.cwd}\n      argv {shlex.join(plan.argv)}", markup=False, soft_wrap=True
            )
    return 0


def _check_orphans(args, settings) -> None:
    """Before a run: processes of an interrupted run still alive (its thtui was killed) are named, and
    ended with --kill-orphans or when the user says so at a terminal, instead of sharing the GPU silently."""
    import sys

    from thtui.core.jobs.orphans import end_orphans, find_orphans

    store = Store(settings.db_path)
    try:
        orphans = [o for o in find_orphans(store) if o.run_id != args.resume]
    finally:
        store.close()
    if not orphans:
        return
    err = console(stderr=True)
    for o in orphans:
        err.print(f"warning: run {o.run_id} was interrupted but {plural(len(o.pids), 'process')} of it "
                  f"still run (pid {', '.join(map(str, o.pids))}), maybe holding a GPU", markup=False,
                  soft_wrap=True)  # fmt: skip
    end = args.kill_orphans
    if not end and not args.json and sys.stdin.isatty() and sys.stderr.isatty():
        try:
            end = input("end them before starting? [y/N] ").strip().lower() in ("y", "yes")
        except EOFError:
            end = False
    if end:
        ended = end_orphans(orphans)
        err.print(f"ended {plural(len(ended), 'process')} of interrupted runs", markup=False)
    else:
        err.print("continuing alongside them (thtui run --kill-orphans ends them first)", markup=False)


def _run(args, settings, catalog, spec: RunSpec | None, monitor: Monitor) -> int:
    _check_orphans(args, settings)
    state = LiveState()
    out = console()
    live_view = out.is_terminal and not args.json
    cancel = threading.Event()
    box: dict[str, object] = {}

    def sink(e) -> None:
        state.on_event(e)
        if args.json and isinstance(e, RunStage) and e.level == "warning":  # stdout stays pure JSON
            console(stderr=True).print(f"warning: {e.detail}", markup=False, soft_wrap=True)
        if not live_view and not args.json and not isinstance(e, MonitorSnapshot | JobLog | JobProgress):
            try:
                print_line(out, e)
            except BrokenPipeError:  # the reader left (`| head`): stop the jobs cleanly, then say so
                box["broken_pipe"] = True
                cancel.set()

    def work() -> None:
        try:
            store = Store(settings.db_path)
            try:
                if spec is None:
                    box["result"] = resume_run(settings, catalog, args.resume, sink, cancel, monitor=monitor,
                                               store=store, retry_failed=args.retry_failed)  # fmt: skip
                else:
                    box["result"] = start_run(
                        settings,
                        catalog,
                        spec,
                        sink,
                        cancel,
                        monitor=monitor,
                        store=store,
                        run_id=args.run_id,
                    )
            finally:
                store.close()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc
        finally:
            done.set()

    monitor.subscribe(state.on_event)
    monitor.start()
    done = threading.Event()
    worker = threading.Thread(target=work, name="thtui-run", daemon=True)
    # Ctrl+C, SIGTERM and SIGHUP only set `cancel`: the run thread ends every job's process tree and
    # records the run as interrupted; this thread waits for that before anything else.
    with StopOnSignals(cancel) as stops:
        try:
            worker.start()
            if live_view:
                with Live(get_renderable=state.render, console=out, refresh_per_second=4, transient=False):
                    _wait(done, stops, out)
            else:
                _wait(done, stops, out)
        finally:
            _stop_jobs(done, cancel)
    if "broken_pipe" in box:
        raise BrokenPipeError  # thtui.cli.main ends quietly with 141 (the jobs were stopped above)
    if "error" in box:
        err = box["error"]
        if isinstance(err, RunError):
            raise CliError(str(err))
        raise err  # type: ignore[misc]
    result: RunResult = box["result"]  # type: ignore[assignment]
    if args.json:
        print_json(_result_json(result))
    else:
        _print_result(out, result)
    if stops.received is not None:
        return exit_status(stops.received)
    return {"done": 0, "failed": 1}.get(result.status, 130)


def _wait(done: threading.Event, stops: StopOnSignals, out) -> None:
    said = 0
    while not done.wait(0.25):
        if stops.count > said and not stops.hung_up:
            said = stops.count
            with contextlib.suppress(OSError):
                if said == 1:
                    why = signal.Signals(stops.received or signal.SIGINT).name
                    out.print(f"stopping ({why}): ending the running jobs (their process trees), keeping "
                              "finished ones…", markup=False)  # fmt: skip
                else:
                    out.print("still stopping: waiting for the jobs' processes to end…", markup=False)


def _stop_jobs(done: threading.Event, cancel: threading.Event) -> None:
    """Whatever way this thread leaves (an exception included): the run is cancelled and waited for, and
    any job tree still alive is ended, so no job outlives this process."""
    from thtui.core.jobs.proctree import end_all_trees

    if not done.is_set():
        cancel.set()
        done.wait(STOP_WAIT_S)
    end_all_trees()


def _print_result(out, result: RunResult) -> None:
    t = result_table(result)
    out.print(t)
    print_scores(out, result)  # thtui.cli.score_run: the automatic scores, when the run made them
    for (solution, case), stats in result.summary().items():
        wall = stats.get("wall_s")
        if wall is not None and wall.n > 1:
            rtf, vram = stats.get("rtf"), stats.get("vram_peak_mb")
            out.print(f"{solution} (case {case}): wall {wall.text()}" + (f"; RTF {rtf.text()}" if rtf else "")
                      + (f"; peak VRAM {vram.text('{:.0f}')}" if vram else ""), markup=False)  # fmt: skip
    for j in result.jobs:
        if j.status == "failed" and j.metrics is not None:
            why = f"{j.metrics.failure_class}: " if j.metrics.failure_class else ""
            out.print(f"[red]{escape(j.job.job_id)}[/red]: {escape(why + (j.metrics.failure_message or ''))}",
                      highlight=False)  # fmt: skip
            out.print(f"    log: {Path(j.job.job_dir) / 'log.txt'}", markup=False)
    out.print(f"files: {result.run_dir}  (result.mp4, log.txt, metrics.json, samples.csv per job; results.jsonl)",
              markup=False)  # fmt: skip
    if result.status != "interrupted" and _is_reference_run(result):
        out.print(f"paper-style table (each result against its reference video): thtui report {result.run_id}",
                  markup=False)  # fmt: skip
    if result.status == "interrupted":
        out.print(f"interrupted: continue with  thtui run --resume {result.run_id}", markup=False)
    if result.tts:
        tts = result.tts
        out.print(f"tts: {tts.get('backend')} ({tts.get('voice')}), {tts.get('duration_s', 0):.2f} s, "
                  f"RTF {tts.get('rtf', 0):.3f}{' (cached)' if tts.get('cached') else ''}", markup=False)  # fmt: skip


def _is_reference_run(result: RunResult) -> bool:
    from thtui.core.jobs.records import read_run_json

    return bool(((read_run_json(Path(result.run_dir)) or {}).get("spec") or {}).get("references"))


def _result_json(result: RunResult) -> dict:
    data = asdict(result)
    data["summary"] = [
        {"solution": sol, "case_index": case, **{k: asdict(v) for k, v in stats.items()}}
        for (sol, case), stats in result.summary().items()
    ]
    data["scores"] = {
        job_id: {"status": d.get("status"), **summary(d)} for job_id, d in job_scores_of(result).items()
    }
    return data
