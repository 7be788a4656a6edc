"""thtui: install, run and benchmark open-source talking-head systems side by side."""

__version__ = "0.1.0"
