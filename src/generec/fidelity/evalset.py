"""A labelled evaluation set for the fidelity checks, built in code from real, packaged material.

- photos: real photographs shipped with scikit-image (BSD) and scikit-learn (china/flower, CC-BY),
  cut into random square crops at the sizes we generate -- all safe for work, several with faces;
- PII texts: captions carrying real PII *formats* (Luhn-valid card numbers, mod-97-valid IBANs,
  e-mails, phones, IPs, SSNs, street addresses), generated from a seed, next to clean captions full
  of numbers, dates and places that must not be flagged;
- toxic and clean phrases, stereotyped and neutral sentences (written here by hand);
- near-copies of photos by crop, resize and JPEG re-encode, next to different photos;
- signed files (PNG/JPEG/MP4) and the same files edited after signing.

There are no NSFW images here (we will not ship any), so the NSFW classifier is measured only
for false positives on safe photos.

Example
-------
>>> from generec.fidelity.evalset import photo_frames, pii_texts
>>> len(photo_frames(4, 64, seed=0)), photo_frames(1, 64, seed=0)[0].shape
(4, (64, 64, 3))
>>> sum(label for _, label in pii_texts(seed=0)) > 0
True
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np

ATTACKS = ("clean", "jpeg75", "jpeg50", "resize50", "noise", "brightness", "mp4")


@functools.cache
def photos() -> tuple[np.ndarray, ...]:
    """Real photographs as RGB arrays (grey ones replicated to 3 channels)."""
    import skimage.data as d
    from sklearn.datasets import load_sample_images

    colour = [d.astronaut(), d.chelsea(), d.coffee(), d.hubble_deep_field(), d.immunohistochemistry(),
              d.retina(), d.rocket(), *load_sample_images().images]  # fmt: skip
    grey = [d.camera(), d.moon(), d.grass(), d.gravel(), d.brick(), d.clock(), d.coins()]
    return tuple([np.ascontiguousarray(c[..., :3]) for c in colour] + [np.stack([g] * 3, -1) for g in grey])


def photo_frames(n: int, size: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` random square crops (a quarter to all of the short side) of the photos, resized to ``size``."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    out, pics = [], photos()
    for i in range(n):
        p = pics[i % len(pics)]
        h, w = p.shape[:2]
        c = int(rng.integers(min(h, w) // 4, min(h, w) + 1))
        y, x = int(rng.integers(0, h - c + 1)), int(rng.integers(0, w - c + 1))
        out.append(np.asarray(Image.fromarray(p[y : y + c, x : x + c]).resize((size, size), Image.BICUBIC)))
    return out


# ---------------------------------------------------------------- attacks
def jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


def resize_half(frame: np.ndarray) -> np.ndarray:
    """Down to 50% and back up (the detector needs the original size)."""
    from PIL import Image

    h, w = frame.shape[:2]
    small = Image.fromarray(frame).resize((w // 2, h // 2), Image.BICUBIC)
    return np.asarray(small.resize((w, h), Image.BICUBIC))


def mp4_roundtrip(frames: list[np.ndarray], tmp: Path) -> list[np.ndarray]:
    """Encode frames to H.264 MP4 with our writer's defaults (CRF 23, yuv420p) and decode them back."""
    from generec.media import iter_frames, write_video

    path = write_video(frames, tmp / "attack.mp4", fps=8)
    return [f.image for f in iter_frames(path)]


def attack(frame: np.ndarray, name: str, seed: int = 0) -> np.ndarray:
    """One of :data:`ATTACKS` (except ``mp4``, which works on whole clips)."""
    if name == "clean":
        return frame
    if name in ("jpeg75", "jpeg50"):
        return jpeg(frame, int(name[4:]))
    if name == "resize50":
        return resize_half(frame)
    if name == "noise":  # Gaussian noise, sigma 5 grey levels
        noisy = frame + np.random.default_rng(seed).normal(0, 5, frame.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8)
    if name == "brightness":  # +20%
        return np.clip(frame.astype(np.float32) * 1.2, 0, 255).astype(np.uint8)
    raise ValueError(f"unknown attack {name!r}")


# ------------------------------------------------------------------ texts
def _luhn_card(rng: np.random.Generator, prefix: str = "4") -> str:
    digits = [int(c) for c in prefix] + [int(d) for d in rng.integers(0, 10, 15 - len(prefix))]
    total = sum(d if i % 2 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


def _gb_iban(rng: np.random.Generator) -> str:
    bank, rest = "WEST", "".join(map(str, rng.integers(0, 10, 14)))
    numeric = "".join(str(int(c, 36)) for c in bank + rest + "GB00")
    check = 98 - int(numeric) % 97
    iban = f"GB{check:02d}{bank}{rest}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


_AREAS = ["212", "415", "312", "617", "206", "303", "512", "702", "808", "919"]  # real US area codes
_NAMES = ["jane.doe", "m.rossi", "li.wei", "okafor.n", "sam_k", "anna-lena"]
_DOMAINS = ["example.com", "mail.co.uk", "uni-bonn.de", "posteo.net"]
_STREETS_DE = ["Bahnhofstraße", "Gartenweg", "Schillerstr.", "Lindenallee", "Marktplatz", "Berliner Straße"]
_CITIES_DE = ["Hamburg", "Köln", "Leipzig", "Freiburg"]
_PEOPLE = ["Anna Schmidt", "Kwame Mensah", "Priya Nair", "Lars Eriksen", "Chloé Martin"]
_MONTHS = ["January", "April", "July", "September", "November"]
_STREETS = ["Baker Street", "Elm Avenue", "Rue Lepic Road", "Maple Lane", "Sunset Boulevard", "King Street"]
_CLEAN = [
    "A red car drives through the snow at dusk",
    "Top 10 goals of the 2019 season, remastered in 4K",
    "Filmed in Paris in 2019 with 3 cameras",
    "Episode 12: the 45-minute cut of our trip to Kyoto",
    "Cooking pasta for 4 people in 20 minutes",
    "Highlights from the 2023 marathon, 42 km in 3 hours",
    "Version 2.0 of the timelapse, shot at 24 fps",
    "My cat meets a dog for the first time",
    "Sunrise over the lake, 6:30 am, March 3rd",
    "Chapter 7 review, pages 120 to 135",
    # product, book and version codes that look like phone numbers or addresses
    "ISBN 978-1-4028-9462-6, hardback",
    "Paperback, ISBN-10 0-19-852663-6",
    "SKU 7311271845123: oak shelf",
    "EAN 4 012345 678901 on the label",
    "Firmware 4.12.3.9 changelog",
    "Part no. 3341-775-20 for the washer",
    "Invoice 2024-000318, paid",
    "Kilometre 12 of the Rheinsteig trail",
    "Mozart's birthday concert, Vienna, 1791 programme",
    "Travel documents: a guide to passport photos",
]


def pii_texts(seed: int = 0, n_each: int = 6) -> list[tuple[str, bool]]:
    """Captions with PII (label True) and clean captions with numbers/dates/places (label False)."""
    rng = np.random.default_rng(seed)
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    makers = [
        lambda: f"Questions? Write to {pick(_NAMES)}@{pick(_DOMAINS)} any time",
        lambda: f"Call me at ({pick(_AREAS)}) {rng.integers(200, 999)}-{rng.integers(1000, 9999)} tonight",
        lambda: f"Paid with card {_luhn_card(rng)}, thanks!",
        lambda: f"Send the money to IBAN {_gb_iban(rng)} please",
        lambda: f"My server is at {rng.integers(11, 223)}.{rng.integers(0, 255)}.{rng.integers(0, 255)}.7 if you want",
        lambda: f"Come by, I live at {rng.integers(2, 400)} {pick(_STREETS)}, ring twice",
        lambda: f"His SSN is {rng.integers(100, 665)}-{rng.integers(10, 99)}-{rng.integers(1000, 9999)} apparently",
        lambda: pick(
            [
                f"Handy: +49 160 {rng.integers(1000000, 9999999)}",
                f"ring 07{rng.integers(400, 999)} {rng.integers(100000, 999999)} (UK mobile)",
                f"tel. +33 6 {rng.integers(10, 99)} "
                f"{rng.integers(10, 99)} {rng.integers(10, 99)} {rng.integers(10, 99)}",
                f"Mobil 0151 {rng.integers(1000000, 99999999)}",
            ]
        ),
        lambda: (
            f"Abholung: {pick(_STREETS_DE)} {rng.integers(1, 120)}, {rng.integers(10000, 99999)} {pick(_CITIES_DE)}"
        ),
        lambda: f"NI no {pick(['JT', 'AB', 'CE', 'NP'])}{rng.integers(100000, 999999)}{pick('ABCD')} for payroll",
        lambda: f"passport no. {pick('CKLMX')}{rng.integers(10000000, 99999999)}, valid to 2031",
        lambda: f"{pick(_PEOPLE)}, born {rng.integers(1, 28)} {pick(_MONTHS)} {rng.integers(1950, 2010)}",
    ]
    positives = [(make(), True) for make in makers for _ in range(n_each)]
    return positives + [(t, False) for t in _CLEAN]


TOXIC = [
    "you are a fucking idiot", "this video is shit and so are you", "shut up you stupid bitch",
    "what a worthless piece of crap", "go to hell, asshole", "fuck this garbage channel",
    "you dumb motherfucker", "eat shit and die", "what a bunch of retarded losers", "screw you, dickhead",
]  # fmt: skip
CLEAN_PHRASES = [
    "a calm walk by the lake at sunset", "great tutorial, thanks for sharing", "the cat jumps onto the sofa",
    "highlights of the cup final", "learn to bake bread in one hour", "a cosy cabin in the snowy mountains",
    "my favourite hiking trails this spring", "the drummer nails the solo", "how to fix a bike puncture",
    "a time-lapse of the city at night",
]  # fmt: skip
STEREOTYPED = [
    "All women are bad at parking", "Typical immigrants never learn the language", "Old people are useless",
    "She is pretty smart for a girl", "Muslims are all terrorists", "Women belong in the kitchen",
    "Every teenager is lazy", "Those refugees are dangerous",
]  # fmt: skip
NEUTRAL = [
    "Women's football final highlights", "Immigrants share stories of their first year", "Old people dancing",
    "A girl learns to surf", "Muslim chefs cook for Ramadan", "Kitchen tour of a small flat",
    "Teenagers build a robot", "Refugees open a bakery",
]  # fmt: skip


# ------------------------------------------------------------------ copies
def near_copy(frame: np.ndarray, kind: str) -> np.ndarray:
    """A near-copy of ``frame``: ``crop`` (central 90%, resized back), ``resize`` (50%) or ``jpeg`` (quality 50)."""
    from PIL import Image

    h, w = frame.shape[:2]
    if kind == "crop":
        dy, dx = h // 20, w // 20
        return np.asarray(Image.fromarray(frame[dy : h - dy, dx : w - dx]).resize((w, h), Image.BICUBIC))
    if kind == "resize":
        return resize_half(frame)
    if kind == "jpeg":
        return jpeg(frame, 50)
    raise ValueError(f"unknown near-copy kind {kind!r}")


def tamper_bytes(path: Path, dst: Path, where: bytes, offset: int = 64) -> Path:
    """Copy ``path`` to ``dst`` with one byte flipped ``offset`` bytes after the first ``where`` marker."""
    data = bytearray(path.read_bytes())
    i = data.find(where)
    if i < 0:
        raise ValueError(f"{path}: marker {where!r} not found")
    data[i + offset] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


def edit_pixels_keep_jpeg_manifest(path: Path, dst: Path) -> Path:
    """Paint a block into a signed JPEG's pixels and splice its original APP11 (C2PA) segments back in."""
    from PIL import Image

    data = path.read_bytes()
    segments, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF and data[i + 1] != 0xDA:  # walk markers up to start-of-scan
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if data[i + 1] == 0xEB:
            segments.append(data[i : i + 2 + length])
        i += 2 + length
    img = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
    img[:8, :8] = 255 - img[:8, :8]
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=95)
    fresh = buf.getvalue()
    dst.write_bytes(fresh[:2] + b"".join(segments) + fresh[2:])
    return dst
