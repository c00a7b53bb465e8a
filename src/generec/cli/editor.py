"""``generec edit ...`` (one item) and ``generec reproduce thumbnails|clipping`` (the paper's Tables 1-2)."""

from __future__ import annotations

from pathlib import Path

import typer

from generec.cli import app

edit_app = typer.Typer(
    name="edit",
    no_args_is_help=True,
    help="AI editor on one video: personalized thumbnail, personalized clip, instruction-driven style.",
)
app.add_typer(edit_app, name="edit")

_ENCODER_HELP = (
    "Encoder directory (from `generec train encoder`, or a saved CLIP); "
    "needed by --backend generec / transformers_clip, optional for efficientnet."
)
_BACKEND_HELP = (
    "Encoder backend: generec (default) or transformers_clip, both with --encoder DIR; or efficientnet: "
    "image-only ImageNet features from packaged weights (extra `efficientnet`; no text, so no --text/--instruction)."
)
_ENCODER = typer.Option(None, "--encoder", "-e", help=_ENCODER_HELP)
_BACKEND = typer.Option("generec", "--backend", help=_BACKEND_HELP)
_TEXT = typer.Option(None, "--text", "-t", help="Instruction guiding the choice, e.g. 'a cover with the dog'.")
_LIKED = typer.Option(None, "--liked", "-l", help="Thumbnails of liked items (repeatable): User_Hist guidance.")


def load_cli_encoder(backend: str, encoder: Path | None, flags: tuple[str, str] = ("--backend", "--encoder")):
    """The encoder named by ``--backend`` / ``--encoder``; a backend with packaged weights needs no directory.

    Raises :class:`~generec.errors.ConfigError` naming ``--encoder`` when the backend needs a directory
    and none was given (an unknown backend name gets the registry's own error). ``flags`` names the two
    options in that message when a command has other ones (``--judge`` / ``--judge-encoder``).

    Example
    -------
    >>> enc = load_cli_encoder("efficientnet", None)  # doctest: +SKIP
    """
    from generec.encoders import available_encoders, load_encoder
    from generec.errors import ConfigError

    if encoder is None and backend in available_encoders():
        try:
            return load_encoder(backend, None)
        except ConfigError as exc:
            name, directory = flags
            raise ConfigError(
                f"{name} {backend} needs {directory} DIR (train one with `generec train encoder --world DIR "
                f"--out DIR`), or use {name} efficientnet, whose weights ship in a package"
            ) from exc
    return load_encoder(backend, encoder)


def _guidance(encoder, text: str | None, liked: list[Path] | None):
    from generec.editor.thumbnail_selection import user_hist
    from generec.errors import ConfigError
    from generec.media import read_image
    from generec.types import Guidance

    if not text and not liked:
        raise ConfigError("give an instruction with --text or liked thumbnails with --liked (or both)")
    # Embed the text now: an image-only backend (efficientnet) refuses it before any video is decoded.
    emb = encoder.encode_texts([text])[0] if text else None
    hist = user_hist(encoder.encode_images([read_image(p) for p in liked])) if liked else None
    return Guidance(instruction_text=text, instruction_emb=emb, user_hist=hist)


@edit_app.command("thumbnail")
def edit_thumbnail(
    video: Path = typer.Argument(..., help="Video file."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the selected frame (PNG/JPEG)."),
    encoder: Path | None = _ENCODER,
    backend: str = _BACKEND,
    text: str | None = _TEXT,
    liked: list[Path] | None = _LIKED,
    frames: int = typer.Option(32, "--frames", help="Candidate frames, evenly spaced over the video."),
) -> None:
    """Select the frame that best matches the guidance (paper Eq. 1) and save it as the thumbnail.

    Example: generec edit thumbnail film.mp4 --encoder models/encoder --text "a rabbit in the grass" -o cover.png
    """
    from generec.editor import ThumbnailSelector

    enc = load_cli_encoder(backend, encoder)
    thumb = ThumbnailSelector(enc, n_frames=frames).select(video, _guidance(enc, text, liked), out=out)
    typer.echo(f"frame {thumb.index} at {thumb.time:.2f} s (score {thumb.score:.4f}) -> {thumb.path}")


@edit_app.command("clip")
def edit_clip(
    video: Path = typer.Argument(..., help="Video file."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the clip (MP4 or WebM, with audio)."),
    encoder: Path | None = _ENCODER,
    backend: str = _BACKEND,
    text: str | None = _TEXT,
    liked: list[Path] | None = _LIKED,
    clip_len: int = typer.Option(8, "--clip-len", "-L", help="Sampled frames per clip (paper: 4, 8, 16, 32)."),
    stride: int = typer.Option(1, "--stride", help="Sampled frames the window slides by."),
    fps: float | None = typer.Option(None, "--fps", help="Sampling rate (default: every frame of the source)."),
    similarity: str = typer.Option("dot", "--similarity", help="Clip score: dot (t*.c, the paper's Eq. 2) or "
                                   "cosine (cos(t*, c): favours no clip for the length of its mean)."),
) -> None:  # fmt: skip
    """Cut the clip of --clip-len sampled frames that best matches the guidance (paper Eq. 2).

    Example: generec edit clip film.mp4 --encoder models/encoder --liked a.png --liked b.png --fps 2 -o mine.mp4
    """
    from generec.editor import Clipper
    from generec.editor.clipping import check_similarity

    check_similarity(similarity)  # before loading the encoder or decoding anything
    enc = load_cli_encoder(backend, encoder)
    clipper = Clipper(enc, clip_len=clip_len, stride=stride, fps=fps, similarity=similarity)
    clip = clipper.clip(video, _guidance(enc, text, liked), out)
    typer.echo(f"clip {clip.start:.2f}-{clip.end:.2f} s (score {clip.score:.4f}) -> {clip.path}")


@edit_app.command("style")
def edit_style(
    video: Path = typer.Argument(..., help="Video file."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the restyled video (MP4/WebM, with audio)."),
    instruction: str | None = typer.Option(None, "--instruction", "-i", help="e.g. 'make it look like a sketch'."),
    reference: Path | None = typer.Option(None, "--reference", "-r", help="A style picture of your own."),
    encoder: Path | None = typer.Option(None, "--encoder", "-e", help="Encoder directory, to read --instruction."),
    backend: str = _BACKEND,
    size: int = typer.Option(256, "--size", help="Longest side frames are restyled at (>= 256 keeps content)."),
    seconds: float | None = typer.Option(None, "--seconds", help="Restyle only the first SECONDS."),
    smoothing: float = typer.Option(0.7, "--smoothing", help="Temporal smoothing 0-1 (0: off)."),
) -> None:
    """Restyle a video following an instruction (matched to a style by the text encoder) or a reference image.

    Example: generec edit style clip.mp4 -i "make it look like a pencil sketch" -e models/encoder -o sketch.mp4
    """
    from generec.editor.style_transfer import StyleTransfer

    # Only an instruction needs the (text) encoder; a reference image alone is matched without one.
    enc = load_cli_encoder(backend, encoder) if encoder is not None or (instruction and reference is None) else None
    st = StyleTransfer(enc, size=size, smoothing=smoothing)
    res = st.restyle(video, out, instruction=instruction, reference_image=reference, max_seconds=seconds)
    numbers = ", ".join(f"{k} {v:.3f}" for k, v in res.metrics.items())
    typer.echo(f"style {res.style!r} -> {res.path} ({numbers})")


def _register_reproduce() -> None:
    try:  # the `reproduce` group is defined by generec.cli.reproduce; attach to it when it exists
        from generec.cli.reproduce import reproduce_app
    except ImportError:  # pragma: no cover - only while that module is missing
        return

    reproduce_app.command("thumbnails")(reproduce_thumbnails)
    reproduce_app.command("clipping")(reproduce_clipping)


_WORLD = typer.Option(..., "--world", "-w", help="GeneRec-Sim world directory (`generec world build`).")
_MODEL = typer.Option(None, "--model", "-m", help="Saved MMGCN trained on this world's thumbnail features "
                      "(default: train one here).")  # fmt: skip
_OUT = typer.Option(Path("results"), "--out", "-o", help="Directory for the CSV tables and the plot.")
_RUNS = typer.Option(10, "--runs", help="Random draws of the K unseen items per user (mean ± spread).")
_SEED = typer.Option(0, "--seed", help="Seed of the draws and of MMGCN.")
_CACHE = typer.Option(None, "--cache-dir", help="Frame-feature cache (default: <world>/.feature-cache).")
_EPOCHS = typer.Option(60, "--epochs", help="MMGCN training epochs when no --model is given.")
_JUDGE = typer.Option(None, "--judge", help="Also grade the picks by Cosine@K in a second encoder's space, which "
                      "no method selects with (columns Cosine-judge@K): a backend, e.g. efficientnet.")  # fmt: skip
_JUDGE_ENCODER = typer.Option(None, "--judge-encoder", help="Directory of the --judge encoder, for backends that "
                              "need one (generec, transformers_clip).")  # fmt: skip


def _prepare(world: Path, encoder: Path | None, backend: str, model: Path | None, cache: Path | None, seed: int,
             epochs: int, judge: str | None = None, judge_encoder: Path | None = None):  # fmt: skip
    from generec.encoders import FeatureCache
    from generec.errors import ConfigError
    from generec.evaluation.personalization import prepare_world
    from generec.recommender import load_model

    if judge is None and judge_encoder is not None:
        raise ConfigError("--judge-encoder needs --judge BACKEND (the judge's backend)")
    # The protocol only embeds frames and thumbnails, so an image-only backend (efficientnet) is enough.
    enc = load_cli_encoder(backend, encoder)
    grader = None if judge is None else load_cli_encoder(judge, judge_encoder, ("--judge", "--judge-encoder"))
    if grader is not None and grader.id == enc.id:
        raise ConfigError(f"--judge is the encoder that selects ({enc.id}); a judge must be another encoder")
    rec = load_model(str(model)) if model is not None else None
    cache_dir = cache if cache is not None else Path(world) / ".feature-cache"
    return prepare_world(world, enc, model=rec, cache=FeatureCache(cache_dir), mmgcn_epochs=epochs, seed=seed,
                         judge=grader)  # fmt: skip


def _report(result, out: Path, stem: str) -> None:
    typer.echo(result.format())
    gaps = result.gaps
    n_runs = len(next(iter(result.runs.values())))
    typer.echo(f"\nper-run gaps (better - worse, mean ± sd over {n_runs} runs; runs won):")
    for _, g in gaps.iterrows():
        mark = "tie (|t| < 2)" if abs(g["t"]) < 2 else "holds" if g["holds"] else "DOES NOT HOLD"
        won = int(round(g["runs_won"] * n_runs))
        typer.echo(f"  {g['better']} > {g['worse']} on {g['metric']}: {g['gap']:+.4f} ± {g['sd']:.4f}  "
                   f"{won}/{n_runs}  {mark}")  # fmt: skip
    csv, png = result.save(out, stem)
    typer.echo(f"saved {csv}, {csv.with_name(stem + '_gaps.csv')} and {png}")


def reproduce_thumbnails(
    world: Path = _WORLD, encoder: Path | None = _ENCODER, backend: str = _BACKEND, model: Path | None = _MODEL,
    out: Path = _OUT, runs: int = _RUNS, seed: int = _SEED, cache_dir: Path | None = _CACHE, epochs: int = _EPOCHS,
    judge: str | None = _JUDGE, judge_encoder: Path | None = _JUDGE_ENCODER,
) -> None:  # fmt: skip
    """Table 1 (thumbnails): Random Frame, Original, Eq. 1, Eq. 1 + cover prior, oracle; Cosine@K, PS@K, Click@K.

    The cover prior's settings are chosen on 30 % of the users (validation); the table reports the others.

    Example: generec reproduce thumbnails --world demo-world --encoder models/encoder
    Image-only, no encoder to train: generec reproduce thumbnails --world demo-world --backend efficientnet
    Graded in a second space too: generec reproduce thumbnails --world demo-world -e models/encoder --judge efficientnet
    """
    from generec.evaluation.personalization import thumbnail_experiment

    data = _prepare(world, encoder, backend, model, cache_dir, seed, epochs, judge, judge_encoder)
    _report(thumbnail_experiment(data, runs=runs, seed=seed), out, "table1_thumbnails")


def reproduce_clipping(
    world: Path = _WORLD, encoder: Path | None = _ENCODER, backend: str = _BACKEND, model: Path | None = _MODEL,
    out: Path = _OUT, runs: int = _RUNS, seed: int = _SEED, cache_dir: Path | None = _CACHE, epochs: int = _EPOCHS,
    clip_len: int = typer.Option(8, "--clip-len", "-L", help="Frames per clip (the paper tried 4, 8, 16, 32)."),
    stride: int = typer.Option(1, "--stride", help="Frames the window slides by."),
    judge: str | None = _JUDGE, judge_encoder: Path | None = _JUDGE_ENCODER,
) -> None:  # fmt: skip
    """Table 2 (clipping): Random clip, 1st Clip, Unclipped, Eq. 2, Eq. 2 + cover prior, oracle; Cosine/PS/Click/Like@K.

    Beyond the paper, rows "Eq. 2, cosine" (+ its own tuned cover prior) pick the clip of highest
    cos(t*, c) instead of t*.c; the paper's "Eq. 2" rows are unchanged.
    Click@K and Like@K come from the world's user simulator on exactly the frames shown: Click is
    the chance the user opens it, Like the chance they like it after watching (it pays for the time).

    Example: generec reproduce clipping --world demo-world --encoder models/encoder --clip-len 8
    Image-only, no encoder to train: generec reproduce clipping --world demo-world --backend efficientnet
    Graded in a second space too: generec reproduce clipping --world demo-world -e models/encoder --judge efficientnet
    """
    from generec.editor.clipping import check_clip_params
    from generec.evaluation.personalization import clipping_experiment

    check_clip_params(clip_len, stride)
    data = _prepare(world, encoder, backend, model, cache_dir, seed, epochs, judge, judge_encoder)
    result = clipping_experiment(data, clip_len=clip_len, stride=stride, runs=runs, seed=seed)
    _report(result, out, f"table2_clipping_L{clip_len}")


_register_reproduce()
