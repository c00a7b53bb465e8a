"""Evaluation of the fashion domain: a category classifier trained on real photos
(:mod:`generec.data.fashion.classifier`) reads created products' categories, a memorisation index
flags near-copies of training photos (:mod:`.creation`), and simulated shoppers weigh created
products against retrieved ones (:mod:`.utility`)."""
