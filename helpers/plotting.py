"""Plot defaults for consistent, readable figures in every lecture.

Applied by :func:`helpers.repro.setup_notebook`; figures are static PNGs at twice
the pixel density they are shown at, so they render in the book without JavaScript
and stay sharp on high-density screens.
"""

from __future__ import annotations

import matplotlib as mpl

STYLE = {
    "figure.figsize": (6.0, 3.6),
    "figure.dpi": 96,
    "savefig.dpi": 96,
    "figure.constrained_layout.use": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 1.6,
    "image.cmap": "viridis",
    "svg.hashsalt": "cs329p",
}


def set_plot_style() -> None:
    """Apply the book's matplotlib defaults and make notebooks emit PNG figures.

    Used by every lecture through :func:`helpers.repro.setup_notebook`.
    """
    mpl.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - both ship with ipykernel
        return
    shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        # In a kernel, figures must be captured as outputs even if MPLBACKEND says Agg.
        if "inline" not in mpl.get_backend():
            shell.run_line_magic("matplotlib", "inline")
        # 2x pixels, shown at the figure's size: sharp on high-density screens and zoom
        set_matplotlib_formats("retina")
