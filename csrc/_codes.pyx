"""The kernels' codes as Python enums: ``ActivationCode``, ``LossCode``, ``OptimizerCode``
and ``Status``, the outcome of an engine's training call.

The enums are declared once, in ``_codes.pxd``: the kernels cimport them from there (C
constants), and this module includes the same declarations, which Cython turns into
Python ``IntEnum`` classes.

>>> from fastprop._codes import Status
>>> Status.DIVERGED_LOSS.value
2
"""

include "_codes.pxd"
