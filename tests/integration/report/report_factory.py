"""Runs built directly in the store's format (database rows + the files beside each job), with small
synthetic videos, so compare/report tests need neither the runs engine nor a GPU."""

from __future__ import annotations

import json
import subprocess
from dataclasses import MISSING, dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np

from thtui.core import tools
from thtui.core.config import Settings
from thtui.core.metrics import JobMetrics
from thtui.core.report.compare import LABEL_BG, GridResult
from thtui.core.store import JobRow, Store

# lavfi sources that look nothing like a dark label strip (bright, busy).
PATTERNS = {
    "alpha": "testsrc2=s={w}x{h}:r=25",
    "beta": "smptebars=s={w}x{h}:r=25",
    "gamma": "rgbtestsrc=s={w}x{h}:r=25",
}


def ffmpeg() -> str:
    ff = tools.ffmpeg()
    assert ff.found, "ffmpeg (imageio-ffmpeg) is a dependency"
    return ff.path  # type: ignore[return-value]


def make_video(
    path: Path, seconds: float, pattern: str, size: tuple[int, int] = (160, 160), audio: bool = True
) -> Path:
    w, h = size
    argv = [
        ffmpeg(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        "-f",
        "lavfi",
        "-i",
        pattern.format(w=w, h=h) + f":d={seconds}",
    ]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=f=330:sample_rate=16000:d={seconds}", "-c:a", "aac", "-shortest"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    return path


def make_inputs(directory: Path, seconds: float) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    image, audio = directory / "portrait.png", directory / "speech.wav"
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=0xC08040:s=160x160", "-frames:v", "1", str(image)], check=True)  # fmt: skip
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=f=220:sample_rate=16000:d={seconds}", str(audio)], check=True)  # fmt: skip
    return image, audio


@dataclass(frozen=True)
class JobSpec:
    solution: str
    seconds: float | None  # length of its result.mp4; None = failed, no video
    wall_s: float = 3.0
    vram_mb: float | None = 2048.0
    energy_j: float | None = 360.0
    repeat: int = 1


def metrics_for(spec: JobSpec, audio_s: float) -> JobMetrics:
    """JobMetrics for a fake job. Built by field name (with the spellings the metrics module has used), so
    a renamed or added field does not break these fixtures: unknown fields get None."""
    ok = spec.seconds is not None
    vram = spec.vram_mb
    values = {
        "status": "ok" if ok else "failed",
        "exit_code": 0 if ok else 1,
        "failure_class": None if ok else "face_not_detected",
        "failure_message": None if ok else "Face not detected in the portrait; try a frontal photo.",
        "wall_s": spec.wall_s,
        "audio_s": audio_s,
        "rtf": spec.wall_s / audio_s,
        "vram_peak_mb": vram,
        "vram_peak_job_mb": vram,
        "vram_mean_mb": vram and vram / 2,
        "vram_mean_job_mb": vram and vram / 2,
        "vram_peak_device_mb": vram and vram + 500,
        "vram_attribution": "process",
        "vram_attribution_note": "",
        "gpu_index": 0,
        "gpu_util_mean": 55.0,
        "gpu_util_mean_pct": 55.0,
        "energy_j": spec.energy_j,
        "energy_method": "nvml-energy-counter",
        "rss_peak_mb": 900.0,
        "cpu_time_s": 2.5,
        "sample_rate_hz": 4.0,
        "n_samples": 12,
        "warmup": False,
        "repeat": spec.repeat,
        "extra": {},
    }
    fields = JobMetrics.__dataclass_fields__
    required = {n for n, f in fields.items() if f.default is MISSING and f.default_factory is MISSING}
    return JobMetrics(**{n: values.get(n) for n in fields if n in values or n in required})


def make_run(
    settings: Settings,
    run_id: str,
    jobs: list[JobSpec],
    *,
    audio_s: float = 2.0,
    fingerprint: dict | None = None,
    size: tuple[int, int] = (160, 160),
) -> Path:
    """Register a finished run in the store and lay out its files as the runs engine does."""
    run_dir = settings.outputs_dir / run_id
    image, audio = make_inputs(run_dir / "inputs", audio_s)
    rows = []
    for seq, spec in enumerate(jobs):
        suffix = f"/r{spec.repeat}" if sum(j.solution == spec.solution for j in jobs) > 1 else ""
        job_dir = run_dir / spec.solution / (f"r{spec.repeat}" if suffix else "")
        rows.append(
            JobRow(
                f"{run_id}/{spec.solution}{suffix}",
                seq,
                spec.solution,
                0,
                str(image),
                str(audio),
                spec.repeat,
                False,
                str(job_dir),
            )  # fmt: skip
        )
    store = Store(settings.db_path)
    try:
        store.create_run(run_id, {"image": str(image), "audio": str(audio), "repeats": 1}, run_dir, rows)
        for row, spec in zip(rows, jobs, strict=True):
            job_dir = Path(row.job_dir)
            job_dir.mkdir(parents=True, exist_ok=True)
            if spec.seconds is not None:
                pattern = PATTERNS.get(spec.solution, "testsrc=s={w}x{h}:r=25")
                make_video(job_dir / "result.mp4", spec.seconds, pattern, size)
            (job_dir / "log.txt").write_text(f"{spec.solution}: done\n")
            m = metrics_for(spec, audio_s)
            (job_dir / "metrics.json").write_text(json.dumps(m.to_json()))
            store.job_started(row.id, pid=1234, pid_create_time=None, gpu=0)
            store.job_finished(row.id, m, log_tail="done")
        store.set_run_status(run_id, "done")
    finally:
        store.close()
    run_json = {"run_id": run_id, "status": "done", "image": str(image), "audio": str(audio)}
    if fingerprint is not None:
        run_json["fingerprint"] = fingerprint
    (run_dir / "run.json").write_text(json.dumps(run_json, indent=2))
    return run_dir


# ---- checks shared by the tests -------------------------------------------------------------------


def frame_at(video: Path, t: float, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        [
            ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-ss",
            f"{t}",
            "-i",
            str(video),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],  # fmt: skip
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8)[: width * height * 3].reshape(height, width, 3).astype(int)


def streams(video: Path) -> str:
    return subprocess.run([ffmpeg(), "-hide_banner", "-i", str(video)], capture_output=True, text=True).stderr


def assert_labelled(frame: np.ndarray, result: GridResult) -> None:
    """Each used cell: a dark strip close to LABEL_BG with bright text pixels, unlike the video below."""
    lay = result.layout
    for i in range(len(result.labels)):
        x0, y0, x1, y1 = lay.label_box(i)
        strip = frame[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]
        vx0, vy0, vx1, vy1 = lay.video_box(i)
        video = frame[vy0:vy1, vx0:vx1]
        background = np.median(strip.reshape(-1, 3), axis=0)
        assert np.abs(background - np.array(LABEL_BG[:3])).max() < 24, (
            f"tile {i}: strip is not the label colour"
        )
        assert (strip.sum(axis=2) > 600).sum() > 20, f"tile {i}: no text pixels in the label strip"
        assert abs(strip.mean() - video.mean()) > 30, f"tile {i}: label strip looks like the video below it"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.imgs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.add(a["id"])  # type: ignore[arg-type]
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])  # type: ignore[arg-type]
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if tag in ("link", "script"):
            raise AssertionError(f"self-contained report must not load <{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Links:
    p = Links()
    p.feed(html)
    p.close()
    return p


def resolve(href: str, base: Path) -> Path:
    if href.startswith("file:"):
        return Path(unquote(urlparse(href).path))
    return base / unquote(href)


def check_links(html: str, base: Path, ids: set[str] | None = None) -> Links:
    p = parse(html)
    assert p.hrefs, "links to the videos"
    for href in p.hrefs:
        if href.startswith("#"):
            assert href[1:] in p.ids, f"dangling anchor {href}"
            continue
        target = resolve(href, base)
        assert target.is_file(), f"link {href} does not resolve ({target})"
    return p
