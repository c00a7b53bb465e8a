"""Batch work beyond one process: engines (``local``, ``ray``) and the batch jobs that run on them.

The jobs (:func:`select_all`, :func:`clip_all`, :func:`rank_all`, :func:`encode_all`) split the
work into shards and give the single-process path's results on any engine. Ray is the ``ray``
extra, imported only when ``get_engine("ray")`` is asked for.

Example
-------
>>> from generec.distributed import get_engine
>>> get_engine("local").name
'local'
"""

from generec.distributed.batch import Shard, clip_all, encode_all, grid, rank_all, select_all
from generec.distributed.engine import ENGINES, Engine, LocalEngine, RayEngine, get_engine

__all__ = [
    "ENGINES",
    "Engine",
    "LocalEngine",
    "RayEngine",
    "Shard",
    "clip_all",
    "encode_all",
    "get_engine",
    "grid",
    "rank_all",
    "select_all",
]
