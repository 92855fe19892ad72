"""The ``fastprop`` command line: demo, explain, train, predict, info, bench.

Every error is one line on stderr and a non-zero exit status (2 for bad arguments, 1 for
bad data or files), never a traceback. ``main(argv)`` returns the status instead of
exiting, so it can be called from Python.

This module holds ``main``, the argument parser and the helpers the commands share; each
command lives in its own module, imported when the parser is built: ``explain``
(``fastprop explain``), ``demo`` (``fastprop demo``) and ``models`` (``fastprop train``,
``predict`` and ``info``). ``fastprop bench`` runs ``fastprop._bench``.

>>> from fastprop.cli import main
>>> main(["explain", "--list"])  # doctest: +ELLIPSIS
three-inputs-relu-sigmoid-bce ...
0
"""

from __future__ import annotations

import argparse
import sys

from .._version import __version__
from ..engines import ENGINES
from ..io import ModelFileError
from ..losses import LOSSES
from ..optim import OPTIMIZERS
from ._common import UsageError


class _Help(argparse.HelpFormatter):
    """Help that shows each option's default (unless it is None/False or already said)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text or \
                not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _bench(args) -> int:
    import importlib.util

    if importlib.util.find_spec("fastprop._bench") is None:
        print("fastprop bench: not available yet", file=sys.stderr)
        return 1
    from .. import _bench

    return int(_bench.main(args.rest) or 0)


# -------------------------------------------------------------------- the parser
def _parser() -> _Parser:
    # Imported here, not at the top: ``fastprop --version`` need not import them.
    from .demo import _demo
    from .explain import OPTIMIZER_CHOICES, _explain
    from .models import _info, _predict, _train

    p = _Parser(prog="fastprop", description="Train multilayer perceptrons by "
                "backpropagation, and see every number of a step.")
    p.add_argument("--version", action="version", version=f"fastprop {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    engine = _Parser(add_help=False)
    engine.add_argument("--engine", choices=list(ENGINES), default="cython",
                        help="the compiled engine or the NumPy reference")
    progress = _Parser(add_help=False)
    progress.add_argument("--progress", action=argparse.BooleanOptionalAction, default="auto",
                          help="progress bar (default: only on a terminal)")

    d = sub.add_parser("demo", parents=[engine, progress], help="the main job, on built-in data")
    d.add_argument("--out", default="fastprop-output", help="directory for the PNGs")
    d.add_argument("--no-plots", action="store_true", help="write no pictures")
    d.add_argument("--epochs", type=int, default=150, help="epochs on two moons")
    d.set_defaults(func=_demo)

    e = sub.add_parser("explain", parents=[engine], help="one training step, printed like a "
                       "worked example")
    e.add_argument("--list", action="store_true", help="list the built-in worked examples")
    e.add_argument("--example", metavar="NAME", help="a worked example (see --list)")
    e.add_argument("--sizes", help="your own network: layer sizes, e.g. 2,1,1")
    e.add_argument("--weights", help="weights in edge order (AC, BC, … layer by layer), "
                   "e.g. 0.5,0.3,0.8; one number sets them all (default: random, --seed)")
    e.add_argument("--biases", help="biases, layer by layer (default 0)")
    e.add_argument("--x", help="input, e.g. 1,2 (a batch: 1,2;3,4)")
    e.add_argument("--y", help="target, e.g. 1 (a batch: 1;0)")
    e.add_argument("--activation", help="hidden activation (default relu)")
    e.add_argument("--output", help="output activation (default: the loss's)")
    e.add_argument("--loss", choices=list(LOSSES), help="loss (default bce)")
    e.add_argument("--lr", type=float, help="learning rate η (default: the example's, "
                   "else 0.1)")
    e.add_argument("--optimizer", choices=OPTIMIZER_CHOICES, help="step with this "
                   "optimizer at rate --lr, its state shown formula by formula "
                   "(sgd-momentum: momentum 0.9; default: plain gradient descent)")
    e.add_argument("--steps", type=int, default=1, help="trace this many steps in a row, "
                   "each from where the one before left the weights and the optimizer")
    e.add_argument("--batch-size", type=int, help="each step on the next this many rows "
                   "of --x/--y, in order (default: all of them, the mean over the rows)")
    e.add_argument("--no-bias", action="store_true", help="no biases (as in the examples)")
    e.add_argument("--seed", type=int, help="seed of random weights (default 0)")
    e.add_argument("--digits", type=int, default=5, help="decimals printed")
    e.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                   help="how to print the step")
    e.add_argument("--png", metavar="PATH", help="also draw the network with the step")
    e.add_argument("--html", metavar="PATH", help="also write the step as one web page: "
                   "the network drawn, the stages one by one, each number's formula on "
                   "hover (self-contained: opens offline)")
    e.add_argument("--check", metavar="ANSWERS.json", help="check your own numbers for the "
                   "step (any fields of --format json, to the digits you computed): the "
                   "first wrong one and the slip behind it; exit status 0 when all agree, "
                   "1 when one does not")
    e.set_defaults(func=_explain)

    t = sub.add_parser("train", parents=[engine, progress], help="train on a CSV file")
    t.add_argument("csv", help="CSV file: a header row, then one row per sample; text, "
                   "true/false and empty or NA cells are fine")
    t.add_argument("--target", required=True, help="the column to predict: its name (or "
                   "its position, 0 first, -1 last)")
    t.add_argument("--delimiter", help="the CSV's delimiter (default: sniffed among , ; "
                   "tab |)")
    t.add_argument("--categorical", metavar="COL,...", help="columns to one-hot even if "
                   "they hold numbers")
    t.add_argument("--numeric", metavar="COL,...", help="columns to read as numbers")
    t.add_argument("--task", choices=["auto", "classification", "regression"],
                   default="auto", help="auto: classes for text, true/false or at most 20 "
                   "distinct integers; else regression")
    t.add_argument("--hidden", default="64,64", help="hidden layer sizes ('none': none)")
    t.add_argument("--activation", default="relu", help="hidden activation")
    t.add_argument("--loss", choices=list(LOSSES),
                   help="default: bce for two classes, cross_entropy for more, mse for a "
                   "number")
    t.add_argument("--epochs", type=int, default=50, help="epochs to train")
    t.add_argument("--batch-size", type=int, default=32, help="samples per step")
    t.add_argument("--lr", type=float, help="learning rate (adam 0.001, sgd 0.01)")
    t.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam", help="optimizer")
    t.add_argument("--val-split", type=float, default=0.2,
                   help="fraction held out for validation (0 for none)")
    t.add_argument("--early-stopping", type=int, nargs="?", const=10, default=None,
                   metavar="PATIENCE", help="stop when the validation loss has not improved "
                   "for PATIENCE epochs (default 10) and keep the best epoch's weights: on "
                   "whenever there is a validation split")
    t.add_argument("--no-early-stopping", action="store_true",
                   help="train every epoch, keep the last")
    t.add_argument("--lr-schedule", choices=["constant", "cosine", "step", "plateau"],
                   default="constant", help="cosine: down to 0 over the epochs; step: ×0.1 "
                   "every third of them; plateau: halve after 3 epochs without improvement")
    t.add_argument("--clip-norm", type=float, metavar="C",
                   help="clip each step's gradient to L2 norm C")
    t.add_argument("--seed", type=int, default=0, help="seed of the split, weights, order")
    t.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="the parameters' dtype")
    t.add_argument("-o", "--output", default="model.npz", help="model file")
    t.add_argument("--plot", metavar="PNG", help="also save the loss curve")
    t.set_defaults(func=_train)

    r = sub.add_parser("predict", parents=[engine], help="predict with a saved model")
    r.add_argument("model")
    r.add_argument("csv")
    r.add_argument("-o", "--output", help="CSV file for the predictions (default: stdout)")
    r.add_argument("--target", help="the column holding the truth, to score against "
                   "(default: the model's target, when the file has it)")
    r.add_argument("--delimiter", help="the CSV's delimiter (default: sniffed)")
    r.set_defaults(func=_predict)

    i = sub.add_parser("info", help="describe a saved model")
    i.add_argument("model")
    i.set_defaults(func=_info)

    sub.add_parser("bench", add_help=False, help="benchmarks against other libraries")
    return p


def _safe_streams() -> None:
    """Never crash on a console that cannot encode ∂, δ or σ: print '?' instead."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "∂δσηŷ−→·".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="replace")


def main(argv: list[str] | None = None) -> int:
    """Run the ``fastprop`` command line with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status: 0 on success, 1 when the data or a file is bad, 2 for bad
    arguments, 130 when interrupted.

    Examples
    --------
    >>> from fastprop.cli import main
    >>> status = main(["explain", "--example", "two-inputs-sigmoid-mse"])  # doctest: +SKIP
    """
    _safe_streams()
    argv = sys.argv[1:] if argv is None else list(argv)
    command = "fastprop"
    try:
        if argv[:1] == ["bench"]:  # everything after "bench" is the benchmark's own
            return _bench(argparse.Namespace(rest=argv[1:]))
        args = _parser().parse_args(argv)
        if args.command is None:
            raise UsageError("fastprop: error: choose a command: demo, explain, train, "
                             "predict, info or bench (see fastprop --help)")
        command = f"fastprop {args.command}"
        return args.func(args)
    except UsageError as exc:
        message = _one_line(exc)
        prefix = "" if message.startswith("fastprop") else f"{command}: error: "
        print(prefix + message, file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `fastprop explain … | head`
        return 0
    except (ValueError, TypeError, OSError, ModelFileError, ImportError,
            FloatingPointError) as exc:
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
