"""Write GeneRec-Sim media: each item's video and its uploader-chosen thumbnail.

A file depends only on its item's metadata (frames come from the item's seed,
encoding is bit-exact with a fixed thread count), so rendering can happen in any
order, in any number of processes, now or lazily later, and give the same bytes.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from generec.data.sim.render import render_item

ENCODER = {"preset": "superfast", "threads": 1, "crf": 23}
"""Fixed encoder settings: part of the byte-identity promise."""
BATCH = 16


def media_paths(root: Path, item_id: str) -> tuple[Path, Path]:
    return root / "media" / f"{item_id}.mp4", root / "thumbnails" / f"{item_id}.png"


def write_item_media(root: Path, item_id: str, meta: Mapping[str, Any]) -> tuple[Path, Path]:
    """Render one item and write ``media/<id>.mp4`` and ``thumbnails/<id>.png`` under ``root``."""
    from generec.media import write_image, write_video

    video, thumb = media_paths(root, item_id)
    frames = render_item(meta)
    write_video(iter(frames), video, int(meta["fps"]), **ENCODER)
    thumb.parent.mkdir(parents=True, exist_ok=True)
    write_image(frames[int(meta["thumbnail_frame"])], thumb)
    return video, thumb


def _render_batch(root: str, batch: Sequence[tuple[str, str]]) -> int:
    for item_id, meta_json in batch:
        write_item_media(Path(root), item_id, json.loads(meta_json))
    return len(batch)


def render_all(
    root: Path, item_ids: Sequence[str], metas: Sequence[str], *, workers: int = 2, progress: bool = True
) -> None:
    """Render every item (``metas`` are the items' metadata JSON) with ``workers`` processes."""
    (root / "media").mkdir(exist_ok=True)
    (root / "thumbnails").mkdir(exist_ok=True)
    pairs = list(zip(item_ids, metas, strict=True))
    batches = [pairs[k : k + BATCH] for k in range(0, len(pairs), BATCH)]
    bar = tqdm(total=len(pairs), desc="media", unit="video", disable=not progress, mininterval=0.5)
    with bar:
        if workers <= 1 or len(batches) < 2:
            for batch in batches:
                bar.update(_render_batch(str(root), batch))
            return
        # "spawn": forking a process that holds Arrow's thread pool can deadlock.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for done in pool.map(_render_batch, [str(root)] * len(batches), batches):
                bar.update(done)
