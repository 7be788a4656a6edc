"""The single pass over the frames: landmarks for every frame, the expensive parts on sampled frames."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from thtui.core.events import EventSink
    from thtui.core.scores.decode import VideoSource


@dataclass
class PassResult:
    points: np.ndarray  # (n, 68, 2), NaN where no face
    every: int  # sampling step for sharpness; the identity descriptor takes every third of those
    sampled: list[int] = field(default_factory=list)
    distances: list[float] = field(default_factory=list)
    distance_at: dict[int, float] = field(default_factory=dict)
    sharpness: list[float] = field(default_factory=list)
    cpbd: list[float] = field(default_factory=list)  # on the sharpness frames; a frame without edges: none
    face_widths: list[float] = field(default_factory=list)  # landmark box width on the sharpness frames
    flicker: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.points)


def run_pass(src: VideoSource, portrait_descriptor: Any | None, samples: int, emit: EventSink) -> PassResult:
    import numpy as np

    from thtui.core.scores.appearance import descriptor, face_cpbd, face_width, sharpness, upper_face_patch
    from thtui.core.scores.decode import SCORE_FPS, iter_frames
    from thtui.core.scores.scorer import ScoreProgress
    from thtui.core.scores.track import FaceTracker

    estimate = int(math.ceil((src.duration_s or 0) * SCORE_FPS)) or None
    every = max(1, (estimate or samples) // samples)
    # The descriptor costs ~0.1-0.3 s a frame on one core: a third as many frames as sharpness.
    id_every = every * 3
    tracker = FaceTracker()
    rows: list[np.ndarray] = []
    nan = np.full((68, 2), np.nan, dtype=np.float32)
    out = PassResult(np.empty((0, 68, 2), dtype=np.float32), every)
    prev_patch = None
    for i, frame in enumerate(iter_frames(src)):
        face = tracker.step(frame)
        if face is None:
            rows.append(nan)
            prev_patch = None
        else:
            rows.append(face.points)
            patch = upper_face_patch(frame, face.points)
            if prev_patch is not None:
                out.flicker.append(float(np.abs(patch - prev_patch).mean()))
            prev_patch = patch
            if i % every == 0:
                out.sampled.append(i)
                sharp = sharpness(frame, face.points)
                if sharp is not None:
                    out.sharpness.append(sharp)
                out.face_widths.append(face_width(face.points))
                if (blur := face_cpbd(frame, face.points)) is not None:
                    out.cpbd.append(blur)
                if portrait_descriptor is not None and i % id_every == 0:
                    d = float(np.linalg.norm(descriptor(frame, face.shape) - portrait_descriptor))
                    out.distances.append(d)
                    out.distance_at[i] = d
        if i % SCORE_FPS == 0:
            emit(ScoreProgress("frames", i, estimate))
    if rows:
        out.points = np.stack(rows)
    return out
