"""Argument checks of the compiled entry points: every array a kernel will read or write
is checked here (type, dtype, contiguity, size) and its pointer put into a ``Job``."""

cimport numpy as cnp

from _step cimport MAX_HYPER, MAX_STATE, Job

import numpy as np

cdef extern from *:
    """
    static double fastprop_empty = 0;  /* the address given for an empty array */
    """
    double fastprop_empty


cdef inline void* _data(object arr, str name, int typenum, Py_ssize_t size) except NULL:
    """Pointer to a C-contiguous array of ``typenum`` and ``size`` elements, else TypeError."""
    if not isinstance(arr, cnp.ndarray):
        raise TypeError(f"{name} must be a numpy array")
    cdef cnp.ndarray a = <cnp.ndarray>arr
    if cnp.PyArray_TYPE(a) != typenum or not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise TypeError(f"{name} must be a C-contiguous array of type number {typenum}, "
                        f"got {a.dtype} (contiguous: {bool(cnp.PyArray_IS_C_CONTIGUOUS(a))})")
    if size >= 0 and cnp.PyArray_SIZE(a) != size:
        raise ValueError(f"{name} must have {size} elements, got {cnp.PyArray_SIZE(a)}")
    if cnp.PyArray_SIZE(a) == 0:
        return <void*>&fastprop_empty
    return cnp.PyArray_DATA(a)


cdef inline int _typenum(object dtype):
    return cnp.NPY_FLOAT32 if dtype == np.float32 else cnp.NPY_FLOAT64


cdef inline void _fill(Job* job, object plan, object ws, Py_ssize_t rows) except *:
    buf, a_off, z_off, m_off, h_off, offs = ws
    cdef int t = _typenum(plan.dtype)
    cdef Py_ssize_t n_layers = len(plan.sizes) - 1
    job.net.n_layers = n_layers
    job.net.sizes = <const Py_ssize_t*>_data(plan.sizes, "sizes", cnp.NPY_INTP, n_layers + 1)
    job.net.act = <const int*>_data(plan.act, "act", cnp.NPY_INT, n_layers)
    job.net.w_off = <const Py_ssize_t*>_data(plan.w_off, "w_off", cnp.NPY_INTP, n_layers)
    job.net.b_off = <const Py_ssize_t*>_data(plan.b_off, "b_off", cnp.NPY_INTP, n_layers) \
        if plan.bias else NULL
    job.net.loss = plan.loss
    job.net.slope = plan.slope
    job.net.loss_param = plan.loss_param
    job.work.base = _data(buf, "workspace", t, -1)
    job.work.pack = job.work.base  # (plan.workspace puts the packing scratch first)
    job.work.a_off = <const Py_ssize_t*>_data(a_off, "a_off", cnp.NPY_INTP, n_layers + 1)
    job.work.z_off = <const Py_ssize_t*>_data(z_off, "z_off", cnp.NPY_INTP, n_layers + 1)
    job.work.m_off = <const Py_ssize_t*>_data(m_off, "m_off", cnp.NPY_INTP, n_layers + 1)
    job.work.h_off = <const Py_ssize_t*>_data(h_off, "h_off", cnp.NPY_INTP, n_layers + 1)
    job.work.dropping = False
    job.work.drop_stream = 0
    job.net.dropout = <const double*>_data(plan.dropout, "dropout", cnp.NPY_FLOAT64,
                                           n_layers + 1) if plan.has_dropout else NULL
    job.work.z_out, job.work.a_out, job.work.d0, job.work.d1, job.work.xb, job.work.yb = offs
    job.n_params = plan.n_params


cdef inline object _workspace(object plan, Py_ssize_t rows, object scratch):
    """``plan.workspace(rows)``, kept in ``scratch`` (a dict owned by one network) and
    reused by the next call with the same plan and rows: a large network's workspace
    is megabytes, and fresh pages cost a page fault and a zeroing each."""
    if scratch is None:
        return plan.workspace(rows)
    kept = scratch.get("workspace")
    if kept is None or kept[0] is not plan or kept[1] != rows:
        kept = scratch["workspace"] = (plan, rows, plan.workspace(rows))
    return kept[2]


cdef inline object _buffer(object scratch, str key, Py_ssize_t size, object dtype):
    """A 1-D array of ``size`` elements of ``dtype``, kept in ``scratch`` (a view of
    the kept array when that is longer)."""
    if scratch is None:
        return np.empty(size, dtype=dtype)
    kept = scratch.get(key)
    if kept is None or kept.dtype != dtype or kept.shape[0] < size:
        kept = scratch[key] = np.empty(size, dtype=dtype)
    return kept[:size]


cdef inline Py_ssize_t _rows_checked(object plan, object X, object Y, str name="X") except -1:
    cdef Py_ssize_t n = X.shape[0] if isinstance(X, cnp.ndarray) and X.ndim == 2 else -1
    if n <= 0 or X.shape[1] != plan.n_in:
        raise ValueError(f"{name} must be 2-D with {plan.n_in} columns and >= 1 row")
    if Y is not None and (not isinstance(Y, cnp.ndarray) or Y.shape != (n, plan.n_out)):
        raise ValueError(f"Y must have shape ({n}, {plan.n_out})")
    return n


cdef inline void _fill_optimizer(Job* job, object dtype, Py_ssize_t n, object optimizer,
                                 object params, object backup, object grad) except *:
    """The optimizer's code, hyperparameters and state buffers (as its class in
    ``fastprop.optim`` lists them) into ``job``."""
    import fastprop._codes as codes  # (the Python enums: a cimport would give C's)

    cdef int t = _typenum(dtype)
    cdef Py_ssize_t i
    job.n_params = n
    job.params = _data(params, "params", t, n)
    job.backup = _data(backup, "backup", t, n)
    job.grad = _data(grad, "grad", t, n)
    if optimizer.code not in {int(code) for code in codes.OptimizerCode}:
        raise ValueError(f"unknown optimizer {optimizer.kind!r} (code {optimizer.code})")
    job.optimizer = optimizer.code
    job.lr, job.weight_decay, job.t = optimizer.lr, optimizer.weight_decay, optimizer.t
    job.lrs = NULL  # (``train`` sets the per-epoch rates and the clipping)
    job.clip_norm = job.clip_value = job.unclipped_squares = 0
    arguments = optimizer.kernel_arguments()
    names = optimizer._state_names()
    if len(arguments) > MAX_HYPER or len(names) > MAX_STATE:
        raise ValueError(f"optimizer {optimizer.kind!r} has more kernel arguments or state "
                         "buffers than the kernels take")
    for i in range(MAX_HYPER):
        job.hyper[i] = arguments[i] if i < len(arguments) else 0
    for i in range(MAX_STATE):
        job.state[i] = _data(optimizer.state[names[i]], names[i], t, n) \
            if i < len(names) and names[i] is not None else NULL


cdef inline void _fill_dropout(Job* job, object plan, object dropout) except *:
    """Dropout's seed and first epoch into ``job`` (``dropout`` = (seed, first epoch), or
    None: no masks)."""
    job.work.dropping = dropout is not None and plan.has_dropout
    if job.work.dropping:
        job.drop_seed = int(dropout[0]) & 0xFFFFFFFFFFFFFFFF
        job.drop_first_epoch = int(dropout[1]) & 0xFFFFFFFFFFFFFFFF
