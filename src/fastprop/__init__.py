"""fastprop: train dense neural networks by backpropagation, fast.

>>> import fastprop as fp
>>> net = fp.Network([3, 2, 1], bias=False, init=1.0)
>>> net
Network([3, 2, 1], relu→sigmoid, bce, float64, cython, no bias)
"""

from . import callbacks, data, examples, metrics, schedules, shuffle
from ._version import __version__
from .dataset import Dataset
from .errors import DivergenceError
from .gradcheck import gradcheck
from .history import History
from .io import ModelFileError
from .loading import load
from .network import Network
from .optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

__all__ = [
    "Adagrad",
    "Adam",
    "AdamW",
    "Dataset",
    "DivergenceError",
    "History",
    "ModelFileError",
    "Network",
    "Optimizer",
    "RMSprop",
    "SGD",
    "__version__",
    "callbacks",
    "data",
    "examples",
    "gradcheck",
    "load",
    "metrics",
    "schedules",
    "shuffle",
]


def __getattr__(name):  # lazy: importing fastprop never imports the optional extras
    if name == "Trace":
        from .trace import Trace

        return Trace
    if name == "MultiStepTrace":
        from .trace_steps import MultiStepTrace

        return MultiStepTrace
    if name == "TabularModel":
        from .tabular import TabularModel

        return TabularModel
    raise AttributeError(f"module 'fastprop' has no attribute {name!r}")
