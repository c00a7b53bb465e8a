"""The AI editor: repurpose an existing item for one user (paper §5.1).

- :class:`ThumbnailSelector` - the frame closest to the user's guidance (Eq. 1);
- :class:`Clipper` - the clip of ``L`` consecutive frames closest to it (Eq. 2), cut with audio;
- :mod:`generec.editor.batch` - both for every user x every item at once, in bounded memory;
- :class:`StyleTransfer` - restyle a video from an instruction or a reference image
  (needs the ``editor`` extra);
- :class:`Reviser` - content revision: noise an item, denoise it under the user's guidance (§5.1.3);
- :class:`ThumbnailGenerator` - retrieval-augmented thumbnail generation (§5.1.1).

Example
-------
>>> from generec.editor import ThumbnailSelector, Clipper       # doctest: +SKIP
>>> ThumbnailSelector(encoder).select("v.mp4", guidance, out="cover.png")  # doctest: +SKIP
"""

from generec.editor.batch import PackedFrames, batch_clip, batch_select, loop_clip, loop_select
from generec.editor.clipping import CLIP_LENGTHS, Clip, Clipper, clip_scores
from generec.editor.revision import Reviser
from generec.editor.thumbnail_generation import ThumbnailGenerator
from generec.editor.thumbnail_selection import (
    FrameFeatures,
    Thumbnail,
    ThumbnailSelector,
    UserEmbMap,
    extract_frame_features,
    guidance_vector,
    select_frame,
    user_hist,
)

__all__ = [
    "CLIP_LENGTHS",
    "Clip",
    "Clipper",
    "FrameFeatures",
    "PackedFrames",
    "Reviser",
    "Thumbnail",
    "ThumbnailGenerator",
    "ThumbnailSelector",
    "UserEmbMap",
    "batch_clip",
    "batch_select",
    "clip_scores",
    "extract_frame_features",
    "guidance_vector",
    "loop_clip",
    "loop_select",
    "select_frame",
    "user_hist",
]
