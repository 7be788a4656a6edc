"""The media layer: ffmpeg (system, or the bundled imageio-ffmpeg binary) driven through ffmpeg-python.

Public API (import from here):
    probe(path) -> MediaInfo                         streams, duration, fps, size, codecs
    load_image(path) -> PIL RGB image                EXIF orientation, RGBA/grey -> RGB; InputError
    normalize_audio(src, dest, rate=, channels=, fmt=)   16 kHz mono 16-bit WAV by default
    measure(path) -> AudioLevels                     exact duration, peak and RMS level
    still_to_video(image, dest, duration_s, fps=, audio=)
    normalize_video(src, dest, audio=, fps=)         h264 yuv420p + aac, faststart
    thumbnail(video, dest_png, at_s=)                PNG frame at a time
    validate_video(path, expected_duration, tolerance) -> VideoCheck
All writers are atomic: a temp file beside the destination, renamed on success, removed on failure.
"""

from thtui.core.media.atomic import atomic_output, write_bytes_atomic, write_text_atomic
from thtui.core.media.audio import AudioLevels, decode_mono, measure, normalize_audio, transcode_audio
from thtui.core.media.errors import InputError, MediaError, check_file
from thtui.core.media.ffmpeg_exec import ffmpeg_exe, has_encoder, pick_encoder
from thtui.core.media.image import (
    Box,
    center_square,
    crop_box,
    even_size,
    fit_square,
    load_image,
    resize_square,
    save_image,
    to_rgb,
)
from thtui.core.media.probe import MediaInfo, StreamInfo, probe
from thtui.core.media.video import VideoCheck, normalize_video, still_to_video, thumbnail, validate_video

__all__ = [
    "AudioLevels",
    "Box",
    "InputError",
    "MediaError",
    "MediaInfo",
    "StreamInfo",
    "VideoCheck",
    "atomic_output",
    "center_square",
    "check_file",
    "crop_box",
    "decode_mono",
    "even_size",
    "ffmpeg_exe",
    "fit_square",
    "has_encoder",
    "load_image",
    "measure",
    "normalize_audio",
    "normalize_video",
    "pick_encoder",
    "probe",
    "resize_square",
    "save_image",
    "still_to_video",
    "thumbnail",
    "to_rgb",
    "transcode_audio",
    "validate_video",
    "write_bytes_atomic",
    "write_text_atomic",
]
