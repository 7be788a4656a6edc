"""Probing: the `ffmpeg -i` banner parser (the only probe the bundled binary allows), the ffprobe JSON
parser, and live probes of real files in every container the tests use."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_factory import convert_audio, make_portrait, make_speech_wav, make_tone, make_video

from thtui.core import tools
from thtui.core.media import MediaError, probe
from thtui.core.media.probe import parse_ffmpeg_banner, parse_ffprobe_json

MP4_BANNER = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/a, from 'x'.mp4':
  Metadata:
    major_brand     : isom
  Duration: 00:01:02.50, start: 0.000000, bitrate: 307 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 640x360 [SAR 1:1 DAR 16:9], 205 kb/s, 29.97 fps, 29.97 tbr, 12800 tbn (default)
    Metadata:
      handler_name    : VideoHandler
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 76 kb/s (default)
At least one output file must be specified
"""

MP3_COVER_BANNER = """\
Input #0, mp3, from 'file:/music/song.mp3':
  Duration: 00:00:04.52, start: 0.050111, bitrate: 1467 kb/s
  Stream #0:0: Audio: mp3 (mp3float), 22050 Hz, 5.1, fltp, 64 kb/s, start 0.050113
  Stream #0:1: Video: png, rgb24(pc, gbr/unknown/unknown), 512x512 [SAR 11811:11811 DAR 1:1], 90k tbr, 90k tbn, start 0.050111 (attached pic)
"""


def test_banner_parser_reads_container_streams_and_duration() -> None:
    info = parse_ffmpeg_banner("/tmp/a.mp4", MP4_BANNER)
    assert info is not None
    assert info.format_name == "mov,mp4,m4a,3gp,3g2,mj2"
    assert info.duration_s == pytest.approx(62.5)
    v, a = info.video, info.audio
    assert (v.codec, v.width, v.height, v.fps, v.pix_fmt) == ("h264", 640, 360, 29.97, "yuv420p")
    assert (a.codec, a.sample_rate, a.channels) == ("aac", 44100, 2)


def test_banner_parser_treats_cover_art_as_audio_file() -> None:
    info = parse_ffmpeg_banner("/music/song.mp3", MP3_COVER_BANNER)
    assert info is not None and info.has_audio and not info.has_video
    assert info.streams[1].attached_pic and info.audio.channels == 6


def test_banner_parser_returns_none_when_ffmpeg_could_not_open() -> None:
    text = "[in#0 @ 0x1] Error opening input: Invalid data found when processing input\n"
    assert parse_ffmpeg_banner("/x", text) is None


def test_ffprobe_json_parser() -> None:
    data = {
        "streams": [
            {
                "index": 0,
                "codec_type": "video",
                "codec_name": "h264",
                "width": 512,
                "height": 512,
                "pix_fmt": "yuv420p",
                "avg_frame_rate": "25/1",
                "disposition": {"attached_pic": 0},
            },
            {"index": 1, "codec_type": "audio", "codec_name": "aac", "sample_rate": "16000", "channels": 1},
        ],
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "2.000000"},
    }
    info = parse_ffprobe_json("/x.mp4", data, 123)
    assert info.duration_s == 2.0 and info.size_bytes == 123
    assert (info.video.width, info.video.fps) == (512, 25.0)
    assert (info.audio.sample_rate, info.audio.channels) == (16000, 1)


@pytest.mark.parametrize("ext", [".mp3", ".ogg", ".m4a", ".flac"])
def test_live_probe_of_converted_audio(tmp_path: Path, ext: str) -> None:
    wav = make_speech_wav(tmp_path / "s.wav", 1.5, rate=22050)
    info = probe(convert_audio(wav, tmp_path / f"s{ext}"), use_ffprobe=False)
    assert info.has_audio and not info.has_video and not info.is_image
    assert info.audio.sample_rate == 22050 and info.audio.channels == 1
    assert info.duration_s == pytest.approx(1.5, abs=0.1)


def test_live_probe_wav_png_mp4(tmp_path: Path) -> None:
    wav = probe(make_tone(tmp_path / "t.wav", 0.5, 8000, channels=2), use_ffprobe=False)
    assert (wav.audio.codec, wav.audio.sample_rate, wav.audio.channels) == ("pcm_s16le", 8000, 2)
    assert wav.duration_s == pytest.approx(0.5, abs=0.01)
    png = probe(make_portrait(tmp_path / "p.png", size=96), use_ffprobe=False)
    assert png.is_image and (png.video.width, png.video.height) == (96, 96)
    mp4 = probe(make_video(tmp_path / "v.mp4", 1.0), use_ffprobe=False)
    assert mp4.has_video and mp4.has_audio and mp4.video.fps == 25
    assert mp4.duration_s == pytest.approx(1.0, abs=0.1)


def test_live_probe_of_text_raises_media_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("hello\n" * 20)
    with pytest.raises(MediaError, match="Invalid data found when processing input"):
        probe(bad, use_ffprobe=False)


@pytest.mark.skipif(
    not tools.ffprobe().found, reason="no system ffprobe here (CI has only the bundled ffmpeg)"
)
def test_ffprobe_and_banner_agree(tmp_path: Path) -> None:
    mp4 = make_video(tmp_path / "v.mp4", 1.0)
    a, b = probe(mp4, use_ffprobe=True), probe(mp4, use_ffprobe=False)
    assert (a.video.width, a.video.height, a.audio.sample_rate) == (
        b.video.width,
        b.video.height,
        b.audio.sample_rate,
    )
    assert a.duration_s == pytest.approx(b.duration_s, abs=0.02)
