"""The fashion domain: Fashion-MNIST's real product photos as image items (the paper's §3.3, fashion).

=============  ==============================================================
module         what it does
=============  ==============================================================
idx            reads IDX files, validating magic numbers and sizes
source         finds Debian's ``dataset-fashion-mnist`` and reads a split
measure        the fashion vocabulary; brightness and texture from pixels
build          builds a fashion world (items, shoppers, interactions)
classifier     reads a product photo's category (the evaluation's judge; a creator's reader)
=============  ==============================================================

A fashion world has a GeneRec-Sim world's file layout, so
``World.load(path).simulator()`` answers for its shoppers as for GeneRec-Sim's users.
"""
