"""Held-out words for calibrating and testing the open-vocabulary mapping (written apart from the frozen set).

``MAPPED``: a word this install's GeneRec-Sim vocabulary has a clear value for (word -> value);
``UNKNOWN``: a word it has none for, which must be reported back, not forced onto a value;
``REQUEST_WORDS``: words of asking that must not be mapped either (they are not content).
"""

MAPPED = {
    "owl": "bird", "pigeon": "bird", "crow": "bird", "salmon": "fish", "trout": "fish", "tuna": "fish",
    "poodle": "dog", "beagle": "dog", "labrador": "dog", "tabby": "cat", "man": "person", "girl": "person",
    "boy": "person", "child": "person", "jeep": "car", "taxi": "car", "sedan": "car", "soccer ball": "ball",
    "tennis ball": "ball", "sunflower": "flower", "lily": "flower", "orchid": "flower", "daffodil": "flower",
    "crimson": "red", "maroon": "red", "turquoise": "blue", "azure": "blue", "lime": "green", "emerald": "green",
    "lavender": "purple", "magenta": "pink", "tangerine": "orange", "beige": "brown", "chocolate": "brown",
    "lemon": "yellow", "metropolis": "city", "downtown": "city", "seashore": "beach", "shore": "beach",
    "dunes": "desert", "blizzard": "snow", "garage": "indoor", "office": "indoor", "midnight": "night",
    "woodland": "forest", "reef": "underwater", "deep sea": "underwater", "caricature": "cartoon",
    "manga": "cartoon", "monochrome": "grayscale", "pencil": "sketch", "doodle": "sketch", "16-bit": "pixelated",
    "synthwave": "neon", "aquarelle": "watercolour", "antique": "sepia", "twirling": "spinning",
    "whirling": "spinning", "hopping": "bouncing", "motionless": "static", "giant": "large", "enormous": "large",
    "miniature": "small",
}  # fmt: skip

UNKNOWN = (
    "zebra", "giraffe", "lion", "cow", "pig", "sheep", "spider", "snake", "robot", "boat", "bicycle", "helicopter",
    "rocket", "castle", "volcano", "waterfall", "river", "moon", "stars", "clouds", "fog", "fireworks", "candle",
    "guitar", "pizza", "book", "laptop", "umbrella", "low poly", "scary", "funny", "loud", "cheerful", "bridge",
    "windmill", "tractor", "octopus", "butterfly", "unicorn", "stained glass",
    # everyday verbs: content, but nothing this install has
    "playing", "walking", "swimming", "running", "sitting", "sleeping", "eating", "singing", "reading", "laughing",
    "driving", "falling", "cooking", "talking", "waving",
)  # fmt: skip

REQUEST_WORDS = ("right", "popular", "trending", "today", "lately", "usual", "boring", "cool", "nice", "favourite")
"""Words of a request that are no value either: calibration must not map them (no content to report)."""
