"""Offline scores for a talking-head video (no network, no torch): dlib landmarks and descriptors from the
`face-recognition-models` package, numpy and OpenCV. One face pass per video, shared by every score.

    from thtui.core.scores import score_video
    scores = score_video(video, portrait, audio=None, reference=None, on_progress=sink)
    scores.to_json()  # face_found, lipsync_offset_frames, lipsync_corr, identity_distance, ...

Light to import: numpy, cv2 and dlib load inside the functions that use them.
"""

from __future__ import annotations

from thtui.core.scores.result import METRICS, MetricInfo, VideoScores
from thtui.core.scores.scorer import ScoreProgress, score_video

__all__ = ["METRICS", "MetricInfo", "ScoreProgress", "VideoScores", "score_video"]
