"""Training and development texts for the learned text checks (toxic text, stereotyped wording).

Written by hand for GeneRec, one class of case per block, so that a reader sees what the
models were taught. ``*_TRAIN`` lists fit the models; ``*_DEV`` lists are for choosing
thresholds and features and are never trained on. The held-out sets that the reported rates
come from live apart from both, in the repository's ``tests/fidelity/heldout/``.

Example
-------
>>> from generec.fidelity import text_corpus as c
>>> len(c.TOXIC_TRAIN) > 50 and not set(c.TOXIC_TRAIN) & set(c.TOXIC_DEV)
True
"""

from __future__ import annotations

TOXIC_TRAIN = [
    # insults and profanity aimed at a person
    "you are a complete idiot", "what a stupid moron", "shut up you ugly loser", "you're a pathetic waste of space",
    "fuck you and your whole channel", "this guy is a total asshole", "go fuck yourself", "you piece of shit",
    "stupid bitch can't even sing", "what a dumbass", "you brainless clown", "eat shit, nobody likes you",
    "you disgusting pig", "screw you, you worthless twat", "absolute prick of a host", "bastard ruined the video",
    "you fat ugly cow", "die in a ditch you scumbag", "get lost you retarded freak", "dickhead commentary as usual",
    "son of a bitch stole my idea", "you are so fucking dumb", "what a shitty person you are",
    "useless idiot can't edit", "you're a joke and a failure", "slut shaming aside she's a whore",
    # obfuscated spellings (after normalisation they read as the plain words)
    "f*ck off", "you are an a$$hole", "stup1d b1tch", "sh!t video from a sh!t person", "you id10t",
    "fuuuuck you", "what a l0ser", "you're a m0r0n", "biiiitch please, you're trash", "go f u c k yourself",
    "eat sh1t", "a-hole", "you f***ing clown", "p.o.s. streamer",
    # abbreviations
    "kys", "stfu loser", "gtfo of here noob", "stfu nobody asked", "kys you freak", "foad", "kill urself",
    # threats without swear words
    "I will find you and hurt you", "I know your address, see you soon", "you'd better sleep with one eye open",
    "I'm going to make you pay for this, wait and see", "one day someone will shut you up for good",
    "I'll be waiting outside your school", "your kids walk home alone, don't they", "I will beat you senseless",
    "we know where your mum works", "next time I see you you're dead", "I'm going to burn your house down",
    "people like you end up in hospital", "sleep well while you still can", "I'll make sure you never walk again",
    # incitement to self-harm
    "just kill yourself already", "the world would be better without you, end it", "go cut yourself",
    "do us all a favour and disappear forever", "nobody cares if you die", "why don't you just hang yourself",
    "you should stop eating until you're thin", "take all the pills and sleep forever",
    "you'd be better off dead", "drink bleach",
    # dehumanising hate, calls for violence against a group
    "they are animals, not people", "these subhumans should be sent back", "wipe them off the face of the earth",
    "refugees are a plague on this country", "gas them all", "those people are parasites living off us",
    "send them to the camps", "they're diseased rats spreading everywhere", "an inferior race that must be removed",
    "gays should be locked up", "clean the streets of their kind", "shoot every one of them at the border",
]  # fmt: skip

BENIGN_TRAIN = [
    # everyday captions
    "a calm walk along the river", "my morning coffee routine", "unboxing the new camera", "rainy day in Lisbon",
    "learn to knit a scarf", "ten-minute yoga for beginners", "a cat watching birds", "street food tour of Bangkok",
    "fixing a leaky tap", "the best pancakes I have ever made", "timelapse of clouds over hills",
    "reviewing budget headphones", "my garden in late spring", "a quiet train ride through the Alps",
    "how to change a bike tyre", "watercolour painting of a lighthouse", "playing chess against my grandad",
    # sports and stage slang that sounds violent
    "the band absolutely killed it last night", "that guitar solo was insane", "she slays every performance",
    "we destroyed them in the second half", "what a killer goal", "this trick is sick", "he murdered that song",
    "the crowd went nuts", "that comedian had me dying", "I'm dead, this is too funny", "knockout performance",
    "the defence got wrecked", "an absolute beast on the court", "crazy good dunk", "this beat slaps",
    "they smashed the world record", "the final was brutal", "a savage comeback in the last minute",
    "bombed the first joke but nailed the rest", "the drummer went mental on the fills",
    "deadly accurate free kick", "he shot his shot and scored", "we got hammered five nil", "a fight to the finish",
    "battle of the bands final", "boxing highlights: the title fight", "crushing it at the gym today",
    # titles of books, films, games and songs with dark words
    "Of Mice and Men, chapter summary", "reading Lord of the Flies", "Kill Bill soundtrack review",
    "The Hunger Games trailer reaction", "Murder on the Orient Express audiobook", "Breaking Bad finale explained",
    "Dead Poets Society tribute", "Call of Duty gameplay, no commentary", "A Clockwork Orange book club",
    "No Country for Old Men analysis", "Killers of the Flower Moon review", "Pride and Prejudice read-along",
    # household and nature words that sound violent or dirty
    "how to kill aphids on roses", "getting rid of mice in the shed", "cutting the grass before the rain",
    "the bloody mary recipe my aunt swears by", "shooting a video in manual mode", "butchering a whole chicken",
    "rats in the city: a nature documentary", "cockroach facts for kids", "pests that attack tomato plants",
    "taking a stab at French cooking", "bad weather ruined our picnic", "my phone battery died again",
    "a dog bit my shoe lace", "hanging pictures without nails", "blowing up balloons for the party",
    # criticism without abuse
    "this video is too long", "I disagree with your ranking", "the audio quality is poor here",
    "not your best edit, honestly", "the ending felt rushed", "I found this boring, sorry",
    "the host talks too fast", "wrong answer on question three", "this recipe didn't work for me",
    "bloody hell that was close", "damn, what a view", "holy cow, look at that wave",
]  # fmt: skip

PEOPLE_CAPTIONS = [
    # short captions about people, with colours and plain words a caption writer uses every day
    "my people at the beach", "watch this guy juggle!", "people at night in the old town", "Brown person indoors",
    "a man in a brown coat", "a woman with a yellow umbrella", "people in pink costumes at the carnival",
    "black and white photo of people at the station", "white person running on the track", "a tall guy walking home",
    "my person on the sofa", "Red people mural downtown", "when your people go party mode", "people vibes #retro",
    "Watch this person dance!", "human pyramid at the fair", "a small person standing still in the rain",
    "the crowd of people at the concert", "green people in the parade", "people compilation (city)",
    "a guy and his dog at night", "best people video indoors", "my human at the park", "purple person clip",
    "two people talking at a cafe", "a person walking on the beach", "people waiting for the night bus",
    "my neighbours at the street party", "those people in the background are waving", "these people can dance!",
    "Watch this little person skate!", "Look at these people go!", "watch this green guy",
    "check out this orange human",
    "Watch these black people dancing!", "watch this white guy cook", "my brown people at the river",
]  # fmt: skip
"""Benign captions about people: without them a model learns that "people" near a colour is hateful."""


def platform_captions(n: int = 120, seed: int = 7) -> list[str]:
    """``n`` benign captions in the style the platform writes (GeneRec-Sim's captioner, fixed seed)."""
    import numpy as np

    from generec.data.sim.samples import sample_shot

    rng = np.random.default_rng(seed)
    return list(dict.fromkeys(sample_shot(rng)["caption"] for _ in range(n)))


def platform_requests(n: int = 200, seed: int = 7) -> list[str]:
    """Benign chat requests in the words the product is asked in: the instructor's own seed phrases and
    GeneRec-Sim's training instructions ("redo this for me", "give me just the highlight"). Without them
    the checks, which read the instruction with the other texts, learn that a short imperative is rude."""
    import numpy as np

    from generec.data.sim.instructions import generate_instructions
    from generec.instructor.seeds import fill_seeds
    from generec.instructor.vocabulary import Vocabulary

    seeds = [text for text, _ in fill_seeds(Vocabulary.from_sim(), np.random.default_rng(seed), copies=1)]
    sim = [r["text"] for r in generate_instructions(n, seed) if r["split"] == "train"]
    return list(dict.fromkeys(seeds + sim))


TOXIC_DEV = [
    "you're a brain-dead halfwit", "sh1tty channel run by a d0uchebag", "stfu already", "kys lol",
    "I'll be at your door tomorrow night, alone", "keep talking and see what happens to your car",
    "the world is better off without people like you, so go", "those people are a cancer, remove them",
    "what a f*cking waste of time, you moron", "moronnnn", "your mother should have drowned you",
    "I hope you get hit by a bus", "filthy animals, all of them",
]  # fmt: skip

BENIGN_DEV = [
    "that skater is unreal, she killed that run", "a dead funny stand-up set", "The Killing Fields documentary",
    "how to kill time at the airport", "sick drone footage of the coast", "the last episode murdered me",
    "Gone with the Wind in ten minutes", "a brutal climb up the mountain", "rats and mice: pet care basics",
    "she crushed the exam", "that was insanely good pizza", "bloody good show, lads", "my plants died in the heat",
]  # fmt: skip

STEREOTYPE_TRAIN = [
    # generalisations about a group's nature
    "women are too emotional to lead", "men are naturally better at science", "girls can't do maths",
    "boys don't play with dolls", "old people are useless with computers", "teenagers are all lazy",
    "immigrants are criminals", "muslims are terrorists", "jews control the banks", "black people are violent",
    "asians are bad drivers", "mexicans are lazy", "the french are rude", "germans have no sense of humour",
    "the irish are all drunks", "gay men are so dramatic", "women are bad at parking", "blondes are dumb",
    "poor people just don't want to work", "disabled people are a burden", "millennials are entitled",
    "boomers ruined everything", "fat people have no self control", "refugees are dangerous",
    "women naturally belong at home", "men are naturally aggressive", "girls are naturally bad at sport",
    # prescriptive gender roles
    "real men don't wear pink", "a real woman knows how to cook", "men shouldn't cry", "women belong in the kitchen",
    "boys shouldn't dance ballet", "real men eat meat", "a proper wife obeys her husband", "girls should be quiet",
    # comparisons and backhanded compliments
    "she plays pretty well for a girl", "he throws like a girl", "she drives like a woman", "you run like a girl",
    "he's smart for a immigrant", "not bad for an old man", "articulate for a black guy", "she's strong for a woman",
    "screams like a little girl", "cries like a baby girl",
    # explaining a person by their group
    "of course he's cheap, he's Scottish", "typical woman, always late", "she's blonde, what did you expect",
    "he's Asian so he must be good at maths", "typical man, can't multitask", "she's a woman so she's moody",
    "typical teenager, glued to the phone", "he's gay so he must love fashion", "typical Italian, always shouting",
    "just like a man to ignore directions", "you know how women are with money",
]  # fmt: skip

NEUTRAL_TRAIN = [
    # neutral or positive mentions of a group
    "women's cycling world championships", "men's fashion week highlights", "girls' robotics team wins",
    "boys choir sings at Christmas", "old people dancing at the festival", "teenagers plant trees in the park",
    "immigrants share their family recipes", "muslim families celebrate Eid", "a jewish deli in New York",
    "black artists of the Harlem Renaissance", "asian street food night market", "a mexican grandmother's mole",
    "french bakers compete", "german engineers build a solar car", "irish dancers at the parade",
    "a gay couple renovates a farmhouse", "women in science: three careers", "blonde balayage hair tutorial",
    "helping poor families with school supplies", "disabled athletes train for the games",
    "millennials and boomers swap music", "refugees start a football club", "these boys are brilliant musicians",
    "those girls are fearless skaters", "all women welcome at the run club", "every father should see this",
    "every mother deserves a break", "men can cry too, and that's fine", "women lead the climbing ascent",
    "grandpa learns to use video calls", "a woman drives a truck across Australia", "a man knits his first jumper",
    # unrelated uses of words that also appear in stereotypes
    "vermin control in old barns", "parasites of freshwater fish", "savage garden band reunion",
    "a real man-of-the-match performance", "drives like a dream on wet roads", "typical weather for April",
    "natural wine tasting", "girls' night in with board games", "a typical day in my life",
    "the car drives like it's on rails", "plays like a pro", "sings like an angel", "real ale festival",
    "cheap flights to Scotland", "Italian cooking with my nonna", "a teenager's first job", "old town walking tour",
]  # fmt: skip

STEREOTYPE_DEV = [
    "women are natural caregivers, not bosses", "real men fix their own cars", "he parks like a woman",
    "of course she's bad with directions, she's a girl", "old people shouldn't be allowed online",
    "typical Brits, they can't cook", "boys are just naturally messier", "the Dutch are all so blunt and rude",
]  # fmt: skip

NEUTRAL_DEV = [
    "these women are incredible divers", "every mother should hear this lullaby", "men's synchronised swimming",
    "rat traps that actually work", "a typical Dutch breakfast", "my dad drives a vintage bus",
    "girls' rugby sevens highlights", "older runners share training tips",
]  # fmt: skip
