"""Tested building blocks for the CS329P Practical Machine Learning course book.

Every lecture notebook starts with ``helpers.setup_notebook()`` and imports the
algorithms it teaches from the modules below, organised by concept:

- :mod:`helpers.repro`     seeding, thread count, stable number formatting
- :mod:`helpers.display`   rendering a helper's source in a notebook
- :mod:`helpers.claims`    checking the notes' claims and feeding the claims ledger
- :mod:`helpers.plotting`  figure defaults
- :mod:`helpers.monitoring` data-drift statistics for a deployed model (lecture 1.1)
- :mod:`helpers.sgd`       mini-batch stochastic gradient descent (lecture 3.4)

Lecture-specific algorithms are imported from their module, e.g.
``from helpers.sgd import data_iter``.
"""

from helpers.claims import Claim, ClaimFailed, check_claim
from helpers.display import show_source
from helpers.plotting import set_plot_style
from helpers.repro import fmt, seed_everything, setup_notebook

__all__ = [
    "Claim",
    "ClaimFailed",
    "check_claim",
    "fmt",
    "seed_everything",
    "set_plot_style",
    "setup_notebook",
    "show_source",
]
