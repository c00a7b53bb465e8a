"""Evaluation of the fashion domain: a classifier trained on real photos reads created products'
categories (:mod:`.classifier`); a memorisation check flags near-copies of training photos
(:mod:`.memorisation`)."""
