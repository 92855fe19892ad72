# The codes that cross from Python into the kernels, named on both sides: each member
# equals the ``code`` of the catalogue record of the same name (``fastprop.activations``,
# ``fastprop.losses``, ``fastprop.optim``), which tests/test_catalogue.py checks. Python
# sees these enums as ``fastprop._codes.ActivationCode`` and so on (cpdef enums).

cpdef enum ActivationCode:
    IDENTITY = 0
    RELU = 1
    LEAKY_RELU = 2
    SIGMOID = 3
    TANH = 4
    SOFTMAX = 5
    GELU = 6
    GELU_TANH = 7
    SILU = 8
    ELU = 9
    SELU = 10
    SOFTPLUS = 11
    EXP = 12

cpdef enum LossCode:
    MSE = 0
    BCE = 1
    CROSS_ENTROPY = 2
    MAE = 3
    HUBER = 4
    POISSON = 5

cpdef enum OptimizerCode:
    SGD = 0
    ADAM = 1
    ADAMW = 2
    RMSPROP = 3
    ADAGRAD = 4

# Outcomes of a training step and of an epoch driver
cpdef enum Status:
    DONE = 0
    STOPPED = 1          # the stop flag was set (Ctrl-C): ended at a step boundary
    DIVERGED_LOSS = 2    # non-finite loss at a step: parameters before the previous update
    DIVERGED_UPDATE = 3  # the update made a parameter non-finite: it was not applied
    PY_ERROR = 4         # a Python exception (KeyboardInterrupt) raised by a signal check
