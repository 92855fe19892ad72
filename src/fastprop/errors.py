"""fastprop's own exceptions."""


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or gradient.

    Raised by ``Network.fit``/``Network.step``. The network keeps the parameters it had
    before the step that produced the non-finite value, and ``history`` holds what was
    recorded up to that point.

    Attributes
    ----------
    epoch, batch : int
        Where the non-finite value appeared (0-based).
    history : History or None
        The training history so far (``fit`` only).

    Examples
    --------
    >>> import fastprop as fp
    >>> net = fp.Network([1, 1], loss="mse", init=1.0)
    >>> try:
    ...     net.fit([[1e200]], [0.0], epochs=1, lr=1e200)
    ... except fp.DivergenceError as exc:
    ...     print(exc.epoch, exc.batch, len(exc.history.loss))
    0 0 0
    """

    def __init__(self, message: str, epoch: int = -1, batch: int = -1, history=None):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.history = history
