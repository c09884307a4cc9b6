"""Tested building blocks for the CS329P Practical Machine Learning course book.

Every lecture notebook starts with ``helpers.setup_notebook()`` and imports the
algorithms it teaches from the modules below, organised by concept (the lectures
that use a module are in its docstring):

Book infrastructure
    :mod:`helpers.repro` (seeding, thread count, stable number formatting),
    :mod:`helpers.display` (rendering a helper's source in a notebook),
    :mod:`helpers.claims` (checking the notes' claims; feeds the claims ledger),
    :mod:`helpers.plotting` (figure defaults),
    :mod:`helpers.checks` (the input validators every module shares).
Data
    :mod:`helpers.housing` (the simulated house sales, 1.3 and Part 2),
    :mod:`helpers.website` (the loopback listing site, 1.3),
    :mod:`helpers.scraping` (a polite scraper, 1.3),
    :mod:`helpers.integration` (joining tables, 1.2),
    :mod:`helpers.labeling` (self-training, active learning, weak supervision, 1.4),
    :mod:`helpers.cleaning` (parsers and error detectors, 2.x),
    :mod:`helpers.transforms` (scaling, images, video, text, 2.3),
    :mod:`helpers.features` (feature engineering, 2.4).
Models
    :mod:`helpers.learning` (kinds of learning, 3.1),
    :mod:`helpers.trees` (CART, random forest, gradient boosting, 3.2),
    :mod:`helpers.linear` (linear and softmax regression, 3.3),
    :mod:`helpers.sgd` (mini-batch SGD, 3.4),
    :mod:`helpers.neural` (MLP and CNN pieces, 3.5-3.6),
    :mod:`helpers.training` (a reusable torch training loop),
    :mod:`helpers.sequence` (RNNs and text sequences, 3.7),
    :mod:`helpers.normalization` and :mod:`helpers.attention` (10.1, appendix).
Validation and combination
    :mod:`helpers.monitoring` (drift statistics, 1.1),
    :mod:`helpers.metrics` (accuracy to AUC, 4.1),
    :mod:`helpers.complexity` (complexity and learning curves, 4.2),
    :mod:`helpers.validation` (splits and cross-validation, 4.3),
    :mod:`helpers.bias_variance` (5.1), :mod:`helpers.ensembles` (bagging, 5.2),
    :mod:`helpers.boosting` (5.3), :mod:`helpers.stacking` (5.4).
Distribution shift and dependent data
    :mod:`helpers.shift` (two-sample tests, importance weights, label shift, 6.1-7.1),
    :mod:`helpers.timeseries` (walk-forward splits, autocorrelation, lags, 8.1),
    :mod:`helpers.graphs` (homophily, neighbour features, label propagation, 8.1).
Tuning and transfer
    :mod:`helpers.tuning` (search spaces, HPO, 9.1-9.2), :mod:`helpers.nas` (9.3),
    :mod:`helpers.transfer` (fine-tuning, 11.1-11.2),
    :mod:`helpers.generalization` (the appendix's generalisation bound).

Lecture-specific code is imported from its module, e.g. ``from helpers.sgd import data_iter``.
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
