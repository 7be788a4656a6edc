"""Side-by-side video: the solutions of one run in a labelled grid, one mp4.

How it is built (one ffmpeg call):
- every video is scaled into the same tile box (aspect kept, black bars), 25 fps by default, and held on
  its last frame (`tpad` clone) so that every tile lasts as long as the longest one;
- tiles are placed with `xstack`; each tile has a label strip above it;
- labels are drawn with Pillow into one transparent PNG overlaid on the grid. Pillow carries its own
  font, so this works with any ffmpeg (drawtext needs a freetype build *and* a font file on the system);
- one audio track for all: the run's prepared audio when known, else the longest video's own audio.
  Every solution was driven by the same audio, so one track is the honest soundtrack for all tiles.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from thtui.core import tools
from thtui.core.config import Settings
from thtui.core.events import Event, EventSink, discard
from thtui.core.report._probe import VideoInfo, probe_video

LABEL_BG = (24, 24, 28, 255)
LABEL_FG = (240, 240, 240, 255)


class CompareError(RuntimeError):
    """Nothing usable to compare, or ffmpeg failed; the message says which and why."""


@dataclass(frozen=True)
class Tile:
    label: str
    video: Path | None = None  # a video tile ...
    image: Path | None = None  # ... or a still image (the source portrait), held for the whole length


@dataclass(frozen=True)
class GridLayout:
    cols: int
    rows: int
    tile_w: int
    tile_h: int  # video box height, without the label strip
    label_h: int

    @property
    def cell_h(self) -> int:
        return self.label_h + self.tile_h

    @property
    def width(self) -> int:
        return self.cols * self.tile_w

    @property
    def height(self) -> int:
        return self.rows * self.cell_h

    def origin(self, index: int) -> tuple[int, int]:
        """Top-left corner of cell `index` (row-major)."""
        return (index % self.cols) * self.tile_w, (index // self.cols) * self.cell_h

    def label_box(self, index: int) -> tuple[int, int, int, int]:
        x, y = self.origin(index)
        return x, y, x + self.tile_w, y + self.label_h

    def video_box(self, index: int) -> tuple[int, int, int, int]:
        x, y = self.origin(index)
        return x, y + self.label_h, x + self.tile_w, y + self.cell_h


@dataclass(frozen=True)
class GridResult:
    path: Path
    layout: GridLayout
    labels: list[str]
    duration: float
    audio_from: str | None  # path of the audio used, None when silent
    skipped: list[str]  # "label: reason" for tiles left out


# Events ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridStarted(Event):
    out: str
    labels: tuple[str, ...]
    duration: float


@dataclass(frozen=True)
class GridProgress(Event):
    done_s: float
    total_s: float


@dataclass(frozen=True)
class GridFinished(Event):
    out: str
    skipped: tuple[str, ...]


# Layout and labels -------------------------------------------------------------------------------


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


def plan_layout(count: int, aspect: float, tile_h: int = 360, label_h: int | None = None) -> GridLayout:
    """Up to three tiles side by side; more go into the squarest grid."""
    if count < 1:
        raise CompareError("no tiles to lay out")
    cols = count if count <= 3 else math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    tile_h = _even(tile_h)
    tile_w = _even(tile_h * max(0.25, min(aspect, 4.0)))
    return GridLayout(cols, rows, tile_w, tile_h, _even(label_h or max(24, tile_h // 10)))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType: a scalable built-in font
    except TypeError:
        return ImageFont.load_default()


def _fit_text(draw: ImageDraw.ImageDraw, text: str, font, max_w: int) -> str:
    if draw.textlength(text, font=font) <= max_w:
        return text
    while len(text) > 1 and draw.textlength(text + "…", font=font) > max_w:
        text = text[:-1]
    return text + "…"


def render_labels(layout: GridLayout, labels: Sequence[str]) -> Image.Image:
    """A transparent canvas the size of the grid with a filled, labelled strip above every used tile."""
    canvas = Image.new("RGBA", (layout.width, layout.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    font = _font(max(10, int(layout.label_h * 0.62)))
    pad = max(4, layout.label_h // 4)
    for i, label in enumerate(labels):
        x0, y0, x1, y1 = layout.label_box(i)
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=LABEL_BG)
        text = _fit_text(draw, label, font, layout.tile_w - 2 * pad)
        top, bottom = draw.textbbox((0, 0), text, font=font)[1::2]
        draw.text((x0 + pad, y0 + (layout.label_h - (bottom + top)) / 2), text, font=font, fill=LABEL_FG)
    return canvas


# ffmpeg graph ------------------------------------------------------------------------------------


def build_argv(
    ffmpeg: str,
    tiles: Sequence[Tile],
    layout: GridLayout,
    labels_png: Path,
    duration: float,
    out: Path,
    *,
    audio: Path | None,
    fps: int = 25,
) -> list[str]:
    """The exact ffmpeg argv (no shell). Inputs: tiles..., [audio], labels PNG."""
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-nostats"]
    for t in tiles:
        if t.image is not None:
            argv += ["-loop", "1", "-framerate", str(fps), "-t", f"{duration:.3f}", "-i", str(t.image)]
        else:
            argv += ["-i", str(t.video)]
    audio_index = None
    if audio is not None:
        audio_index = len(tiles)
        argv += ["-i", str(audio)]
    label_index = len(tiles) + (1 if audio is not None else 0)
    argv += ["-i", str(labels_png)]

    w, h, cell_h = layout.tile_w, layout.tile_h, layout.cell_h
    parts: list[str] = []
    for i in range(len(tiles)):
        parts.append(
            f"[{i}:v:0]fps={fps},scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{cell_h}:({w}-iw)/2:{layout.label_h}+({h}-ih)/2:color=black,setsar=1,format=yuv420p,"
            # Hold the last frame for as long as needed; -t on the output ends the grid.
            f"tpad=stop=-1:stop_mode=clone,trim=duration={duration:.3f},setpts=PTS-STARTPTS[t{i}]"
        )
    cells = layout.cols * layout.rows
    for i in range(len(tiles), cells):  # empty cells: black, so xstack gets a full grid
        parts.append(f"color=c=black:s={w}x{cell_h}:r={fps}:d={duration:.3f},format=yuv420p[t{i}]")
    if cells == 1:
        parts.append("[t0]null[grid]")
    else:
        positions = "|".join(f"{x}_{y}" for x, y in (layout.origin(i) for i in range(cells)))
        inputs = "".join(f"[t{i}]" for i in range(cells))
        parts.append(f"{inputs}xstack=inputs={cells}:layout={positions}[grid]")
    parts.append(f"[grid][{label_index}:v]overlay=0:0:format=auto,format=yuv420p[v]")

    argv += ["-filter_complex", ";".join(parts), "-map", "[v]"]
    if audio_index is not None:
        argv += ["-map", f"{audio_index}:a:0", "-af", "apad", "-c:a", "aac", "-b:a", "128k"]
    argv += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-r", str(fps)]
    argv += ["-t", f"{duration:.3f}", "-movflags", "+faststart", str(out)]
    return argv


def compose_videos(
    tiles: Sequence[Tile],
    out: Path,
    *,
    audio: Path | None = None,
    tile_h: int = 360,
    fps: int = 25,
    sink: EventSink = discard,
) -> GridResult:
    """Lay out `tiles` (videos and at most a few still images) into one mp4 at `out`.

    `audio`: the common soundtrack; None picks the longest video that has audio. Unreadable videos are
    skipped and reported in `GridResult.skipped`; none readable raises CompareError."""
    ff = tools.ffmpeg()
    if not ff.found:
        raise CompareError("ffmpeg not found: install imageio-ffmpeg (pip) or ffmpeg (apt)")
    usable: list[tuple[Tile, VideoInfo | None]] = []
    skipped: list[str] = []
    for t in tiles:
        if t.image is not None:
            if Path(t.image).is_file():
                usable.append((t, None))
            else:
                skipped.append(f"{t.label}: image {t.image} not found")
            continue
        if t.video is None or not Path(t.video).is_file():
            skipped.append(f"{t.label}: no video")
            continue
        try:
            usable.append((t, probe_video(Path(t.video))))
        except Exception as exc:
            skipped.append(f"{t.label}: {exc}")
    videos = [(t, i) for t, i in usable if i is not None]
    if not videos:
        raise CompareError("no playable videos to compare" + (f" ({'; '.join(skipped)})" if skipped else ""))

    duration = max(i.duration for _, i in videos)
    first = videos[0][1]
    layout = plan_layout(len(usable), first.width / first.height, tile_h=tile_h)
    if audio is None:
        with_audio = [(t, i) for t, i in videos if i.has_audio]
        if with_audio:
            audio = Path(max(with_audio, key=lambda ti: ti[1].duration)[0].video)  # type: ignore[arg-type]
    labels = [t.label for t, _ in usable]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sink(GridStarted(out=str(out), labels=tuple(labels), duration=duration))

    with tempfile.TemporaryDirectory(prefix="thtui-grid-") as tmp:
        labels_png = Path(tmp) / "labels.png"
        render_labels(layout, labels).save(labels_png)
        partial = out.with_name(f".{out.stem}.partial{out.suffix or '.mp4'}")
        argv = build_argv(
            ff.path, [t for t, _ in usable], layout, labels_png, duration, partial, audio=audio, fps=fps
        )  # type: ignore[arg-type]
        _run_ffmpeg(argv, duration, sink)
        os.replace(partial, out)
    sink(GridFinished(out=str(out), skipped=tuple(skipped)))
    return GridResult(out, layout, labels, duration, str(audio) if audio else None, skipped)


_OUT_TIME = re.compile(r"^out_time_(?:us|ms)=(\d+)$")


def _run_ffmpeg(argv: list[str], duration: float, sink: EventSink) -> None:
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        m = _OUT_TIME.match(line.strip())
        if m:
            sink(GridProgress(done_s=min(duration, int(m.group(1)) / 1e6), total_s=duration))
    err = proc.stderr.read() if proc.stderr else ""
    if proc.wait() != 0:
        Path(argv[-1]).unlink(missing_ok=True)
        tail = "\n".join(err.strip().splitlines()[-5:])
        raise CompareError(f"ffmpeg failed (exit {proc.returncode}): {tail}")


def select_jobs(run, job_ids: Sequence[str | int] | None) -> list:
    """The jobs a grid shows: the given ids (or solution names), in that order; by default the first
    successful job of each solution for the run's first input case."""
    if job_ids:
        by_id = {j.job_id: j for j in run.jobs}
        by_solution: dict[str, object] = {}
        for j in run.jobs:
            if j.video is not None:
                by_solution.setdefault(j.solution, j)
        wanted = [str(j) for j in job_ids]
        missing = [w for w in wanted if w not in by_id and w not in by_solution]
        if missing:
            raise CompareError(f"run {run.run_id} has no job or finished solution {', '.join(missing)}")
        return [by_id.get(w) or by_solution[w] for w in wanted]
    chosen: dict[str, object] = {}
    for j in run.jobs:
        if j.video is not None and j.case_index == 0:
            chosen.setdefault(j.solution, j)
    if not chosen:
        raise CompareError(f"run {run.run_id} has no finished videos to compare")
    return list(chosen.values())


def compose_grid(
    settings: Settings,
    run_id: str,
    job_ids: Sequence[str | int] | None,
    out: Path,
    include_source: bool = False,
    sink: EventSink | None = None,
    *,
    tile_h: int = 360,
) -> GridResult:
    """Side-by-side video of a run, written to `out` (mp4, h264 + aac).

    `job_ids`: job ids or solution names, in grid order; None = the first successful job of every
    solution (first input case). Tiles are labelled with the solution name; with `include_source` the
    input portrait comes first. The soundtrack is the jobs' common input audio. Failed or missing videos
    named explicitly are skipped and listed in `GridResult.skipped`.

    Blocking (seconds to a minute): the TUI calls it from a thread worker; progress arrives on `sink` as
    GridStarted / GridProgress / GridFinished. Raises CompareError (nothing to compare, ffmpeg failed)
    or thtui.core.report.source.RunNotFound."""
    from thtui.core.report.source import load_run  # local: source pulls in the store

    run = load_run(settings, run_id)
    jobs = select_jobs(run, job_ids)
    tiles: list[Tile] = []
    if include_source:
        image = next((j.image for j in jobs if j.image is not None and j.image.is_file()), None)
        if image is None:
            raise CompareError(f"run {run_id} does not record a readable source image")
        tiles.append(Tile("source", image=image))
    tiles += [
        Tile(j.label if j.video is not None else f"{j.label} ({j.status})", video=j.video) for j in jobs
    ]
    audio = next((j.audio for j in jobs if j.audio is not None and j.audio.is_file()), None)
    return compose_videos(tiles, out, audio=audio, tile_h=tile_h, sink=sink or discard)
