import matplotlib as mpl

from helpers.plotting import STYLE, set_plot_style


def test_set_plot_style_applies_the_book_defaults():
    with mpl.rc_context():
        set_plot_style()
        for key, value in STYLE.items():
            expected = list(value) if isinstance(value, tuple) else value
            assert mpl.rcParams[key] == expected, key

