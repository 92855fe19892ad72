"""scikit-learn's stochastic solver, one epoch per compiled call (``fastprop.sklearn``):
the same passes as ``_engine.pyx`` with scikit-learn's loss scale, L2 penalty and Adam
eps, and no divergence check inside the epoch (scikit-learn checks after it)."""

cimport numpy as cnp
from libc.math cimport pow, sqrt
from libc.stdint cimport int64_t
from cython cimport floating

from _blas cimport dot
from _checks cimport _buffer, _data, _fill, _fill_optimizer, _rows_checked
from _checks cimport _typenum, _workspace
from _signals cimport pending_start, reraise, signal_raised
from _fpenv cimport fastprop_flush_denormals, fastprop_restore_fpenv
from _codes cimport ADAM, DONE, PY_ERROR, STOPPED
from _step cimport ADAM_BETA2, ADAM_EPS, Job, Net, Work, gather_batch, loss_and_grad, update
from _mm cimport mm_configure, mm_state

import numpy as np

cnp.import_array()
mm_configure(0, -1, 0)


def _configure_kernels(int mode, int isa, size_t blas_threads_query):
    """This module's matrix products: see ``fastprop._kernels``."""
    mm_configure(mode, isa, blas_threads_query)


def _kernel_state():
    return mm_state()


cdef int run_sklearn_epoch(Job* job, floating* params, double loss_scale, double grad_scale,
                           double alpha, double sk_eps, double* total) noexcept nogil:
    """One epoch of scikit-learn's 'sgd'/'adam' solver (``fastprop.sklearn._solver``):
    per batch of B rows, in ``job.order`` (or stored order),

        L_sk  = loss_scale·L + ½·alpha·Σ‖W‖²/B ;   g_sk = grad_scale·g + (alpha/B)·W
        (Adam, sk_eps ≥ 0: eps_t = sk_eps/√(1 − β₂ᵗ), scikit-learn's eps in PyTorch's rule)

    With sample weights (``job.weights``), L is the weighted mean over the batch and B
    becomes the batch's Σ w (scikit-learn's sw_sum). Then the optimizer step in place, with no divergence check (scikit-learn checks
    after the epoch). ``total`` receives Σ L_sk·B. Same arithmetic, in the same order, as
    the Python loop of ``_base._fit_stochastic``."""
    cdef Net* net = &job.net
    cdef Work* w = &job.work
    cdef floating* grad = <floating*>job.grad
    cdef const floating* xb
    cdef const floating* yb
    cdef const floating* wb
    cdef const floating* W
    cdef floating* gW
    cdef Py_ssize_t start = 0, rows, i, l, size
    cdef floating gs = <floating>grad_scale, c
    cdef double loss, squares, divisor
    cdef int status = DONE
    total[0] = 0
    while start < job.n:
        if job.stop[0]:
            status = STOPPED
            break
        rows = job.batch if start + job.batch <= job.n else job.n - start
        divisor = gather_batch(job, start, rows, &xb, &yb, &wb)
        loss = loss_and_grad(net, params, xb, yb, wb, rows, w, grad)
        if gs != 1:
            for i in range(job.n_params):
                grad[i] = grad[i] * gs
        loss = loss * loss_scale
        if alpha != 0:
            squares = 0
            c = <floating>(alpha / divisor)
            for l in range(net.n_layers):
                W = params + net.w_off[l]
                gW = grad + net.w_off[l]
                size = net.sizes[l] * net.sizes[l + 1]
                squares += dot(size, W, W)
                for i in range(size):
                    gW[i] = gW[i] + c * W[i]
            loss = loss + 0.5 * alpha * squares / divisor
        total[0] += loss * rows
        if job.optimizer == ADAM and sk_eps >= 0:
            job.hyper[ADAM_EPS] = sk_eps / sqrt(1.0 - pow(job.hyper[ADAM_BETA2],
                                                         <double>(job.t + 1)))
        job.t += 1
        update(job, params, params, 0, job.n_params)
        start += rows
        if signal_raised(&job.pending):  # Python's signal handlers, ~every 20 ms
            status = PY_ERROR
            break
    return status


def sklearn_epoch(plan, params, X, Y, order, Py_ssize_t batch_size, optimizer, *,
                  double loss_scale, double grad_scale, double alpha, double sk_eps,
                  stop, scratch=None, weights=None):
    """One epoch of scikit-learn's stochastic solver (see ``run_sklearn_epoch``), with
    the GIL released; returns Σ L_sk·B over the batches (the caller divides by n).
    ``order``: the epoch's sample order (int64, a permutation of range(n)) or None;
    ``weights``: one sample weight per row (the parameters' dtype) or None."""
    cdef Py_ssize_t n = _rows_checked(plan, X, Y), i
    cdef int t = _typenum(plan.dtype)
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    cdef Job job
    ws = _workspace(plan, min(batch_size, n), scratch)
    _fill(&job, plan, ws, min(batch_size, n))
    grad = _buffer(scratch, "grad", plan.n_params, plan.dtype)
    _fill_optimizer(&job, plan.dtype, plan.n_params, optimizer, params, params, grad)
    job.X = _data(X, "X", t, -1)
    job.Y = _data(Y, "Y", t, -1)
    job.n, job.batch = n, batch_size
    job.shuffle = order is not None
    job.order = <int64_t*>_data(order, "order", cnp.NPY_INT64, n) if job.shuffle else NULL
    if job.shuffle:
        for i in range(n):
            if not 0 <= job.order[i] < n:
                raise ValueError(f"order must hold sample indices in [0, {n}), "
                                 f"got {job.order[i]} at {i}")
    job.stop = <volatile char*>_data(stop, "stop", cnp.NPY_INT8, 1)
    pending_start(&job.pending)
    job.weights = _data(weights, "weights", t, n) if weights is not None else NULL
    batch_weights = _buffer(scratch, "batch_weights", min(batch_size, n), plan.dtype)
    job.batch_weights = _data(batch_weights, "batch_weights", t, -1)
    cdef int status
    cdef double total = 0
    cdef unsigned long fpenv
    with nogil:
        fpenv = fastprop_flush_denormals()
        if t == cnp.NPY_FLOAT32:
            status = run_sklearn_epoch(&job, <float*>job.params, loss_scale, grad_scale,
                                       alpha, sk_eps, &total)
        else:
            status = run_sklearn_epoch(&job, <double*>job.params, loss_scale, grad_scale,
                                       alpha, sk_eps, &total)
        fastprop_restore_fpenv(fpenv)
    optimizer.t = job.t
    if job.optimizer == ADAM and sk_eps >= 0:
        optimizer.eps = job.hyper[ADAM_EPS]
    if status == PY_ERROR:
        reraise(&job.pending)
    if status == STOPPED:
        raise KeyboardInterrupt
    return total
