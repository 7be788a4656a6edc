#!/usr/bin/env python3
"""Key press -> repaint latency of the TUI while a job floods its log with thousands of lines a second.

A throw-away builtin solution ("flood") prints RATE lines/s for DURATION seconds and then makes its video
with the `static` builtin, so the job goes through the real runner, log folding, the app's log buffer and
the visible Monitor log. While it floods, the benchmark presses keys that force a repaint and measures
the time until the repaint is on the screen.

    .venv/bin/python benchmarks/tui_latency.py                 # headless, in-process (precise)
    .venv/bin/python benchmarks/tui_latency.py --mode tmux     # the real `thtui` in tmux (end to end)
    .venv/bin/python benchmarks/tui_latency.py --rate 20000 --presses 60 --json

headless: keys go through Textual's input path; "repainted" is the first screen update rendered to
    ANSI text (the bytes a terminal would get) after the key took effect.
tmux: keys go through tmux send-keys; "repainted" is the first capture-pane that shows the new screen
    (includes tmux, the pty, and ~3 ms of capture polling).
Target: p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOOD = textwrap.dedent(
    """
    import sys, time
    from thtui.builtins import static
    rate, duration = float(sys.argv[1]), float(sys.argv[2])
    batch = max(1, int(rate / 100))  # 100 bursts a second
    n, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < duration:
        out = "".join(f"frame {n + i:08d} loss=0.{(n + i) % 9973:04d} lr=1e-4 step={(n + i) % 500}\\n" for i in range(batch))
        sys.stdout.write(out)
        sys.stdout.flush()
        n += batch
        ahead = n / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    sys.stderr.write(f"flood: {n} lines in {time.monotonic() - t0:.1f} s\\n")
    sys.exit(static.main(sys.argv[3:]))
    """
)


def make_solution(root: Path, rate: float, duration: float) -> Path:
    """solutions/flood/solution.yaml: a builtin that floods, then encodes like `static`."""
    import yaml

    script = root / "flood.py"
    script.write_text(FLOOD)
    manifest = {
        "name": "flood",
        "title": "Log flood (benchmark)",
        "summary": f"prints {rate:g} lines/s for {duration:g} s, then a still video",
        "kind": "builtin",
        "license": {"code": "MIT", "weights": "none", "commercial": "yes"},
        "needs_gpu": False,
        "infer": {
            "cwd": "{job}",
            "argv": [
                "{python}",
                str(script),
                str(rate),
                str(duration),
                "--image",
                "{image}",
                "--audio",
                "{audio}",
                "--fps",
                "{fps}",
                "--out",
                "{output}",
            ],
            "output": {"path": "{output}"},
        },
        "estimates": {"vram_gb": 0, "sec_per_sec": 1, "disk_gb": 0, "source": "benchmark"},
    }
    solutions = root / "solutions"
    (solutions / "flood").mkdir(parents=True)
    (solutions / "flood" / "solution.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return solutions


def summarise(samples: list[float]) -> dict:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {
        "n": len(s),
        "p50_ms": round(1000 * statistics.median(s), 1),
        "p95_ms": round(1000 * pick(0.95), 1),
        "max_ms": round(1000 * s[-1], 1),
        "mean_ms": round(1000 * statistics.fmean(s), 1),
    }


# ---- headless ----------------------------------------------------------------------------------------
async def headless(args: argparse.Namespace, work: Path) -> dict:
    from rich.console import Console
    from textual._compositor import CompositorUpdate  # noqa: F401  (type of the updates we render)

    from thtui.core.catalog import Catalog
    from thtui.core.config import load_settings
    from thtui.core.jobs import RunSpec
    from thtui.core.monitor import FakeGpuBackend
    from thtui.tui.app import ThtuiApp
    from thtui.tui.screens.monitor import MonitorScreen
    from thtui.tui.screens.results import ResultsScreen

    solutions = make_solution(work, args.rate, args.duration)
    settings = load_settings(
        {"data_root": work / "home", "outputs_dir": work / "outputs", "solutions_dir": solutions}
    )
    app = ThtuiApp(
        settings,
        Catalog.load(solutions),
        gpu_backend_factory=lambda: FakeGpuBackend(),
        tune_gc=not args.no_gc_tuning,
    )

    sink = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=args.cols)
    state = {"want": None, "event": asyncio.Event(), "updates": 0}
    original = app._display

    def display(screen, renderable) -> None:
        original(screen, renderable)
        if renderable is None or app._batch_count:  # held back (e.g. Textual's mode-switch hold)
            return
        # What a terminal would be sent: the update rendered to ANSI (headless mode skips this).
        sink.file.seek(0)
        sink.file.truncate()
        sink.file.write(renderable.render_segments(sink) if hasattr(renderable, "render_segments") else "")
        state["updates"] += 1
        want = state["want"]
        if want is not None and isinstance(screen, want):
            state["event"].set()

    app._display = display  # type: ignore[method-assign]
    samples: list[float] = []
    by_key: dict[str, list[float]] = {"4": [], "3": []}
    async with app.run_test(size=(args.cols, args.rows)) as pilot:
        await pilot.pause(0.5)
        key = app.start_run(RunSpec(solutions=("flood",), images=(ROOT / "assets" / "portrait.jpg",),
                                    audios=(ROOT / "assets" / "speech.wav",)))  # fmt: skip
        await pilot.press("3")
        deadline = time.monotonic() + 30
        while not any(j.state == "running" for j in app.runs.jobs.values()):
            if time.monotonic() > deadline:
                raise SystemExit("the flood job did not start")
            await asyncio.sleep(0.05)
        (job_id,) = app.runs.jobs
        buffer = app.logs.get(f"job:{job_id}")
        await asyncio.sleep(1.0)  # let the flood reach its pace
        lines0, t0 = buffer.written, time.monotonic()
        for i in range(args.presses):
            target, key_name = (ResultsScreen, "4") if i % 2 == 0 else (MonitorScreen, "3")
            state["want"], state["event"] = target, asyncio.Event()
            started = time.perf_counter()
            app.simulate_key(key_name)
            await asyncio.wait_for(state["event"].wait(), 5)
            samples.append(time.perf_counter() - started)
            by_key[key_name].append(samples[-1])
            await asyncio.sleep(args.gap)
        ingest = (buffer.written - lines0) / (time.monotonic() - t0)
        app.cancel_run(key)
        await app._wait_for_groups(("run",), 30)
    return {"mode": "headless", "latency": summarise(samples), "log_lines_per_s_in_ui": round(ingest),
            "to_results": summarise(by_key["4"]), "to_monitor": summarise(by_key["3"]),
            "target_rate": args.rate, "screen_updates": state["updates"]}  # fmt: skip


# ---- tmux --------------------------------------------------------------------------------------------
def tmux_mode(args: argparse.Namespace, work: Path) -> dict:
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is not installed")
    solutions = make_solution(work, args.rate, args.duration)
    socket, session = f"thtui-bench-{uuid.uuid4().hex[:6]}", "bench"
    thtui = Path(sys.executable).with_name("thtui")
    env = {"THTUI_HOME": work / "home", "THTUI_OUTPUTS": work / "outputs", "THTUI_SOLUTIONS": solutions,
           "THTUI_CONFIG": work / "none.yaml", "TERM": "tmux-256color"}  # fmt: skip
    command = " ".join(
        ["env", "-u", "COLUMNS", "-u", "LINES", *(f"{k}={v}" for k, v in env.items()), str(thtui)]
    )

    def tmux(*a: str) -> str:
        return subprocess.run(["tmux", "-L", socket, *a], capture_output=True, text=True, timeout=10).stdout

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", session)

    def wait(pattern: str, timeout: float = 30) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, screen()):
                return time.perf_counter()
            time.sleep(args.poll)
        raise SystemExit(f"timed out waiting for {pattern!r}:\n{screen()}")

    tmux("-f", os.devnull, "new-session", "-d", "-x", str(args.cols), "-y", str(args.rows), "-s", session,
         "-c", str(ROOT), command)  # fmt: skip
    samples: list[float] = []
    try:
        wait(r"1 Solutions.*4 Results")
        for keys in (["2"], ["Tab"] * 3, ["Space"]):  # Run; focus the solutions list; tick "flood"
            for k in keys:
                tmux("send-keys", "-t", session, k)
                time.sleep(0.2)
        tmux("send-keys", "-t", session, "C-r")
        wait(r"frame \d{8}", 30)  # the Monitor follows the flood
        time.sleep(1.0)
        for i in range(args.presses):
            key, pattern = ("4", r"\[4 Results\]") if i % 2 == 0 else ("3", r"\[3 Monitor\]")
            started = time.perf_counter()
            tmux("send-keys", "-t", session, key)
            samples.append(wait(pattern, 5) - started)
            time.sleep(args.gap)
    finally:
        tmux("send-keys", "-t", session, "q")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "y")
        time.sleep(2.0)
        tmux("kill-server")
    return {"mode": "tmux", "latency": summarise(samples), "target_rate": args.rate,
            "note": f"includes tmux, the pty and capture-pane polling every {args.poll * 1000:g} ms"}  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["headless", "tmux"], default="headless")
    p.add_argument("--rate", type=float, default=10000, help="lines per second the job prints")
    p.add_argument("--duration", type=float, default=25, help="seconds the job floods")
    p.add_argument("--presses", type=int, default=40)
    p.add_argument("--gap", type=float, default=0.2, help="seconds between key presses")
    p.add_argument("--poll", type=float, default=0.01, help="tmux mode: seconds between capture-pane polls")
    p.add_argument("--cols", type=int, default=120)
    p.add_argument("--rows", type=int, default=40)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--no-gc-tuning", action="store_true", help="leave the garbage collector alone (to compare)"
    )
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="thtui-bench-") as tmp:
        work = Path(tmp)
        result = asyncio.run(headless(args, work)) if args.mode == "headless" else tmux_mode(args, work)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        lat = result["latency"]
        print(f"{result['mode']}: key -> repaint over {lat['n']} presses while a job prints "
              f"{args.rate:g} lines/s: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, max {lat['max_ms']} ms")  # fmt: skip
        for name in ("to_results", "to_monitor"):
            if name in result:
                print(f"  {name}: {result[name]}")
        if "log_lines_per_s_in_ui" in result:
            print(f"the UI's log buffer took in {result['log_lines_per_s_in_ui']} lines/s")
        print("target: p95 < 100 ms -> " + ("PASS" if lat["p95_ms"] < 100 else "FAIL"))
    return 0 if result["latency"]["p95_ms"] < 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
