"""The result of scoring one video: every value optional (absent = None, never 0), with the reason for
each absent score, how each was measured and which direction is better."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from thtui.core.scores.lipsync import SIGN_CONVENTION
from thtui.core.scores.models import LICENCE_NOTE

UP, DOWN, NEAR_ZERO, NEITHER = "↑", "↓", "→0", "·"  # '·': no better direction; compare with real video
# The reason `finish` gives a score that nothing explained: every path in the scorer that leaves a score
# absent names its own reason, so a user seeing this (and the tests) knows a reason is missing.
NO_REASON = "not computed"


@dataclass(frozen=True)
class MetricInfo:
    direction: str
    unit: str
    method: str


METRICS: dict[str, MetricInfo] = {
    "face_found": MetricInfo(UP, "fraction", "frames (25 fps) with a tracked face / all frames"),
    "face_gap_frames": MetricInfo(DOWN, "frames", "longest run of frames without a face"),
    "face_gap_s": MetricInfo(DOWN, "s", "longest run without a face, in seconds"),
    "lipsync_offset_frames": MetricInfo(
        NEAR_ZERO,
        "frames",
        f"lag of best mouth/loudness correlation, -15..+15 (narrowed to +-12..14 when fewer than 25 frames overlap at larger lags: a video under 1.6 s); {SIGN_CONVENTION}",
    ),
    "lipsync_offset_ms": MetricInfo(NEAR_ZERO, "ms", "the same lag in milliseconds"),
    "lipsync_corr": MetricInfo(
        UP,
        "Pearson r",
        "PROXY, not LSE: r of inner-lip gap (62-66)/inter-ocular vs 150-4000 Hz log energy per 40 ms, at the best lag",
    ),
    "lipsync_confidence": MetricInfo(
        UP,
        "r",
        "peak r minus the median r over the 31 lags; when the search is narrowed (a video under 1.6 s: "
        "+-12..14) over those lags, scaled by the lags searched / 15",
    ),
    "identity_distance": MetricInfo(
        DOWN,
        "dlib distance",
        "mean Euclidean distance of dlib 128-d descriptors to the portrait's; <0.6 same person",
    ),
    "identity_distance_worst5": MetricInfo(DOWN, "dlib distance", "mean of the worst 5 % of sampled frames"),
    "head_roll_std_deg": MetricInfo(
        NEITHER, "deg", "std of head roll: angle of the eye-centre line (in-plane tilt)"
    ),
    "head_yaw_std_deg": MetricInfo(
        NEITHER, "deg", "std of head yaw: cv2.solvePnP of 8 rigid landmarks on a generic face (rough)"
    ),
    "head_pitch_std_deg": MetricInfo(NEITHER, "deg", "std of head pitch (PnP; rougher than roll)"),
    "head_speed_deg_s": MetricInfo(
        NEITHER,
        "deg/s",
        "mean angular speed of the 5-frame-smoothed pose; includes landmark/PnP noise (a still head with a "
        "moving jaw reads ~10 deg/s: see head_frozen)",
    ),
    "head_frozen": MetricInfo(
        DOWN,
        "flag",
        "true when roll spreads < 1 deg and the eyes' midpoint < 1.5 % inter-ocular (robust std)",
    ),
    "blinks_per_min": MetricInfo(
        NEITHER, "1/min", "eye-aspect-ratio dips below 0.75 x the median; people ~15-20"
    ),
    "blink_count": MetricInfo(NEITHER, "count", "blinks found"),
    "sharpness": MetricInfo(
        UP, "Laplacian var", "face crop rescaled to 128 px wide, median over sampled frames"
    ),
    "sharpness_portrait": MetricInfo(UP, "Laplacian var", "the same on the source portrait"),
    "sharpness_ratio": MetricInfo(
        UP, "ratio", "sharpness / sharpness_portrait (Laplacian variance; CPBD is the cpbd score)"
    ),
    "cpbd": MetricInfo(
        UP,
        "0-1",
        "CPBD (Narvekar & Karam 2011; the `cpbd` package's algorithm, reimplemented) of the face at the "
        "video's resolution: landmark box grown to whole 64-px tiles; mean over sampled frames",
    ),
    "cpbd_portrait": MetricInfo(
        UP, "0-1", "the same CPBD on the source portrait's face, at the portrait's own resolution"
    ),
    "jitter": MetricInfo(DOWN, "% inter-ocular", "mean |2nd difference| of 8 rigid landmarks"),
    "flicker": MetricInfo(DOWN, "grey levels", "mean |change| of the eye-aligned upper face between frames"),
    "psnr": MetricInfo(UP, "dB", "vs the reference video, frame by frame at 25 fps, reference resized"),
    "ssim": MetricInfo(UP, "0-1", "vs the reference video: grey SSIM (Gaussian 11, sigma 1.5)"),
    "lmd": MetricInfo(
        DOWN, "px", "landmark distance: mean over frames/points, mouth points, after rescaling"
    ),
}


@dataclass
class VideoScores:
    video: str
    portrait: str
    audio: str | None  # what the loudness came from (the video itself by default)
    reference: str | None = None
    fps: int = 25
    frames: int = 0
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    face_found: float | None = None
    face_gap_frames: int | None = None
    face_gap_s: float | None = None
    lipsync_offset_frames: int | None = None
    lipsync_offset_ms: float | None = None
    lipsync_corr: float | None = None
    lipsync_confidence: float | None = None
    identity_distance: float | None = None
    identity_distance_worst5: float | None = None
    head_roll_std_deg: float | None = None
    head_yaw_std_deg: float | None = None
    head_pitch_std_deg: float | None = None
    head_speed_deg_s: float | None = None
    head_frozen: bool | None = None
    blinks_per_min: float | None = None
    blink_count: int | None = None
    sharpness: float | None = None
    sharpness_portrait: float | None = None
    sharpness_ratio: float | None = None
    cpbd: float | None = None
    cpbd_portrait: float | None = None
    jitter: float | None = None
    flicker: float | None = None
    psnr: float | None = None
    ssim: float | None = None
    lmd: float | None = None
    missing: dict[str, str] = field(default_factory=dict)  # score name -> why it is absent
    messages: list[str] = field(default_factory=list)  # what the user should know (short video, no face...)
    sampling: dict[str, str] = field(default_factory=dict)  # which scores used sampled frames, how many
    series: dict[str, list[float | None]] = field(default_factory=dict)  # per frame, for plots

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in METRICS}

    def mark_missing(self, names: list[str] | tuple[str, ...], reason: str) -> None:
        for name in names:
            if getattr(self, name) is None:
                self.missing.setdefault(name, reason)

    def finish(self) -> VideoScores:
        """Every metric is either a value or named in `missing`: no silently absent number."""
        for name in METRICS:
            value = getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):
                setattr(self, name, None)  # NaN/inf is no measurement: absent, with a reason below
                self.missing.setdefault(name, "not a finite number")
            if getattr(self, name) is None and name not in self.missing:
                if name in ("psnr", "ssim", "lmd") and self.reference is None:
                    self.missing[name] = "no reference video given (--reference)"
                else:
                    self.missing[name] = NO_REASON
        return self

    def to_json(self, *, with_series: bool = True) -> dict[str, Any]:
        data = {k: _clean(v) for k, v in asdict(self).items() if k != "series"}
        data["lipsync_sign_convention"] = SIGN_CONVENTION
        data["lipsync_note"] = "proxy from landmarks and loudness, not SyncNet LSE-C/D"
        data["metrics"] = {name: asdict(info) for name, info in METRICS.items()}
        data["models"] = LICENCE_NOTE
        if with_series:
            data["series"] = {k: [_clean(v) for v in vs] for k, vs in self.series.items()}
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VideoScores:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _clean(v: Any) -> Any:
    """NaN and inf are not JSON and not numbers a user can read: absent."""
    if isinstance(v, float):
        return round(v, 4) if math.isfinite(v) else None
    return v


# Absent-score reasons in a few words, for one-line summaries (the full reason is in `missing`).
_BRIEF = (
    ("no audio track", "no audio"),
    ("below 10 fps", "under 10 fps"),
    ("the mouth never moves", "mouth never moves"),
    ("loudness is constant", "silent audio"),
    ("frames with both a face and audio", "too few frames with face and audio"),
    ("no face found in the portrait", "no face in the portrait"),
    ("no face found in any frame", "no face in the video"),
    ("no face on the frames sampled", "no face on sampled frames"),
    ("no frames could be decoded", "no frames decoded"),
    ("no reference video", "no --reference"),
    ("not a finite number", "not a finite number"),
)
_SHORT_VIDEO = re.compile(r"^the video is [\d.]+ s: .*?at least ([\d.]+) s")
BRIEF_MAX = 32


def brief_reason(reason: str | None) -> str:
    """'the video is 1.20 s: lip-sync needs at least 1.48 s (...)' -> 'video under 1.48 s'."""
    if not reason:
        return "no reason recorded"
    if m := _SHORT_VIDEO.match(reason):
        return f"video under {m[1]} s"
    for needle, short in _BRIEF:
        if needle in reason:
            return short
    head = re.split(r": | \(", reason, maxsplit=1)[0]
    return head if len(head) <= BRIEF_MAX else head[: BRIEF_MAX - 1].rsplit(" ", 1)[0] + "…"
