"""GeneRec: a framework for generative recommendation.

GeneRec retrieves human-made items, repurposes them (the AI editor) and creates
new ones (the AI creator) for one user, guided by what that user says and does,
and checks everything generated before anyone sees it.
"""

__version__ = "0.1.0"
