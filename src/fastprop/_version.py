"""The one place fastprop's version is set (read by setuptools and by ``fastprop.__version__``)."""

__version__ = "0.1.0"
