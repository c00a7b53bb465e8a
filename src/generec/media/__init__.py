"""Video and image I/O for GeneRec, on PyAV (FFmpeg) and Pillow.

Everything in GeneRec reads and writes media through this package:

- :func:`probe` / :func:`media_record` — what a file is (size, fps, length, codec, audio, SHA-256).
- :func:`iter_frames` / :func:`sample_frames` — stream frames (by count or fps, resized) in bounded memory.
- :func:`write_video` / :class:`VideoWriter` — MP4 (H.264) or WebM (VP9), deterministic bytes.
- :func:`cut` / :func:`thumbnail` — a playable segment with its audio; a still as PNG/JPEG.
- :func:`read_image` / :func:`write_image` / :func:`resize` / :func:`contact_sheet` — still images.

Frames are ``uint8`` ``H x W x 3`` RGB arrays. Bad input (missing, empty, a directory, not a video, no video
stream, over the limits in :class:`generec.config.MediaSettings`) raises :class:`generec.errors.MediaError`
with the file name and the problem. Truncated files are refused, not half-read: :func:`probe` (which every
reader calls first) checks that the data reaches the end the header promises; damage found only while
decoding raises ``MediaError`` after the frames before it were yielded.
"""

from generec.media.audio import Audio, read_audio
from generec.media.edit import cut, thumbnail
from generec.media.frames import Frame, iter_frames, read_frame, sample_frames
from generec.media.image import Size, contact_sheet, fit_size, read_image, resize, write_image
from generec.media.probe import VideoInfo, content_hash, media_record, probe
from generec.media.writer import VideoWriter, write_video

__all__ = [
    "Audio",
    "Frame",
    "Size",
    "VideoInfo",
    "VideoWriter",
    "contact_sheet",
    "content_hash",
    "cut",
    "fit_size",
    "iter_frames",
    "media_record",
    "probe",
    "read_audio",
    "read_frame",
    "read_image",
    "resize",
    "sample_frames",
    "thumbnail",
    "write_image",
    "write_video",
]
