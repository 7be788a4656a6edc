"""`thtui score --paper …`: paper-standard scores from the evaluator env (thtui/evaluator), on demand.

    thtui score --paper --video V [--image I] [--audio A] [--reference GT] [--device D] [--json]
    thtui score --paper RUN|latest [--json]      every successful job of a run, stored with it

The first use installs the evaluator (`thtui setup evaluator`: env, torch, weights; resumable).
Exit codes: 0 scored (a partial result too); 1 the evaluator could not run; 2 an unusable input.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from thtui.cli.common import CliError, console, print_json, settings_from


def _ensure_installed(settings: Any) -> Any:
    from thtui.core.events import Event
    from thtui.core.scores.paper_target import EvaluatorManifestError, evaluator_env, evaluator_target
    from thtui.core.setup import StepFailed, StepFinished, StepStarted, install

    env = evaluator_env(settings)
    if env.ready:
        return env
    err = console(stderr=True)
    err.print("the evaluator is not installed: installing it first (thtui setup evaluator)…", markup=False)

    def show(ev: Event) -> None:
        if isinstance(ev, StepStarted):
            err.print(f"  [{ev.index}/{ev.total}] {ev.title}", markup=False)
        elif isinstance(ev, StepFinished):
            err.print(f"  done {ev.step} ({ev.seconds:.0f} s) {ev.detail}", markup=False)
        elif isinstance(ev, StepFailed):
            err.print(f"  failed {ev.step}: {ev.error}  (log: {ev.log_path})", markup=False)

    try:
        result = install(settings, evaluator_target(settings), show)
    except EvaluatorManifestError as exc:
        raise CliError(str(exc), code=1) from None
    env = evaluator_env(settings)
    if not result.ok or not env.ready:
        raise CliError(f"the evaluator could not be installed: {result.error or env.status.state}", code=1)
    return env


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _print(data: dict[str, Any], title: str) -> None:
    from rich.table import Table

    from thtui.core.scores.paper_run import PAPER_METRICS, SYNC_SIGN

    t = Table(title=title, title_justify="left")
    for col in ("score", "value", "better", "how / why missing"):
        t.add_column(col, overflow="fold")
    for key, info in PAPER_METRICS.items():
        value = data.get(key)
        why = (data.get("missing") or {}).get(key, "") if value is None else info.method
        t.add_row(key, _fmt(value), info.direction, why)
    out = console()
    out.print(t)
    ev = data.get("evaluator") or {}
    out.print(
        f"evaluator on {ev.get('device', '?')}, weights: {ev.get('weights', '?')}; {SYNC_SIGN}", markup=False
    )


def score_video_paper(args: argparse.Namespace) -> int:
    from thtui.core.scores.paper_pipeline import PaperInput, score_paper

    for flag in ("video", "image", "audio", "reference"):
        path = getattr(args, flag)
        if path is not None and not Path(path).is_file():
            raise CliError(f"--{flag} {path}: no such file")
    settings = settings_from(args)
    env = _ensure_installed(settings)
    if not args.json:
        console(stderr=True).print(f"paper scores of {args.video} (evaluator env)…", markup=False)
    item = PaperInput("", "", "", str(args.video.resolve()),
                      str(args.image.resolve()) if args.image else None,
                      str(args.audio.resolve()) if args.audio else None,
                      str(args.reference.resolve()) if args.reference else None)  # fmt: skip
    device = None if args.device == "auto" else args.device
    status, data, reason = score_paper(env, item, device=device, whole_frame=args.whole_frame)
    if status != "ok" and reason and reason.startswith("evaluator:"):
        code = (
            2 if (data.get("evaluator") or {}).get("exit_code") == 2 else 1
        )  # 2: the evaluator's "unusable"
        if args.json:
            print_json({**data, "status": status, "reason": reason})
            return code
        raise CliError(reason, code=code)
    if args.json:
        print_json({**data, "status": status})
    else:
        _print(data, f"paper scores of {args.video.name}")
    return 0


def score_run_paper(args: argparse.Namespace) -> int:
    from thtui.cli.common import resolve_run_id
    from thtui.core.scores.paper_pipeline import PaperScored, rescore_run_paper
    from thtui.core.scores.paper_store import paper_summary

    settings = settings_from(args)
    run_id = resolve_run_id(settings, args.run)
    _ensure_installed(settings)
    err = console(stderr=True)
    got: dict[str, dict[str, Any]] = {}

    def show(ev: Any) -> None:
        if isinstance(ev, PaperScored):
            v = ev.values
            line = (
                f"LSE-C {_fmt(v.get('lse_c'))} LSE-D {_fmt(v.get('lse_d'))} offset {_fmt(v.get('av_offset'))} "
                f"CSIM {_fmt(v.get('csim'))}"
                if ev.status == "ok"
                else f"no paper scores ({ev.reason})"
            )
            err.print(f"paper    {ev.job_id}: {line}", markup=False)
            got[ev.job_id] = {"status": ev.status, "values": v}

    statuses = rescore_run_paper(settings, run_id, sink=show)
    if not statuses:
        raise CliError(f"run {run_id} has no successful job with a video to score", code=1)
    if args.json:
        from thtui.core.scores.paper_store import paper_job_scores
        from thtui.core.store import Store

        store = Store(settings.db_path)
        try:
            print_json(
                {
                    j: {"status": s, **paper_summary(paper_job_scores(store, j, None) or {})}
                    for j, s in statuses.items()
                }
            )
        finally:
            store.close()
    return 0 if all(s == "ok" for s in statuses.values()) else 1


def cmd_score_paper(args: argparse.Namespace) -> int:
    if args.run is not None:
        if args.video or args.image or args.audio or args.reference:
            raise CliError("give either RUN or --video, not both")
        return score_run_paper(args)
    if args.video is None:
        raise CliError("--paper needs a run (thtui score --paper latest) or --video V [--image I]")
    return score_video_paper(args)
