"""A delay carried by the streams' start times, not by the samples: `-itsoffset` with `-c copy` is how
many people shift audio, and a player honours it. The scorer must read it on the file's timeline (it
decoded the audio from its first sample and read a 0.4 s delay as 2 frames)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from thtui.core import tools

pytestmark = pytest.mark.slow


def _itsoffset(src: Path, dest: Path, seconds: float) -> Path:
    """Audio delayed (> 0) or video delayed (< 0: audio advanced) by a stream offset, streams copied."""
    ff = [str(tools.ffmpeg().path), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    late, early = (["-itsoffset", f"{abs(seconds)}", "-i", str(src)], ["-i", str(src)])
    first, second = (early, late) if seconds > 0 else (late, early)
    # input 0 gives the video, input 1 the audio
    argv = [*ff, *first, *second, "-map", "0:v", "-map", "1:a", "-c", "copy", str(dest)]
    subprocess.run(argv, check=True)
    return dest


@pytest.mark.parametrize(("seconds", "expected"), [(0.4, 10), (-0.4, -10)])
def test_a_stream_start_offset_reads_as_the_delay_it_plays_as(controls, tmp_path, seconds, expected) -> None:
    from thtui.core.scores import score_video

    video = _itsoffset(controls["synced"], tmp_path / "shifted.mp4", seconds)
    s = score_video(video, controls["portrait"])
    assert s.lipsync_offset_frames is not None
    assert abs(s.lipsync_offset_frames - expected) <= 1, s.lipsync_offset_frames
