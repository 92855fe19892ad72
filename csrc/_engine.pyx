"""The compiled engine: its entry points (predict, loss, gradient, one update, train) and
the epoch driver.

Every entry point checks the arrays it receives (``_checks.pxd``) before any kernel runs;
the passes (``_step.pxd``) and kernels (``_layers.pxd``, ``_optim.pxd``) trust their
arguments. ``train`` runs whole epochs — gather, forward, loss, backward, update for
every mini-batch, shuffling included — with the GIL released and no allocation per step.
"""

cimport numpy as cnp
from cpython.ref cimport PyObject
from libc.stdint cimport int64_t
from libc.string cimport memcpy
from libc.time cimport CLOCKS_PER_SEC, clock, clock_t
from cython cimport floating

from _checks cimport _buffer, _data, _fill, _fill_optimizer, _rows_checked
from _checks cimport _fill_dropout, _typenum, _workspace
from _fpenv cimport fastprop_flush_denormals, fastprop_restore_fpenv
from _layers cimport output_loss_delta
from _order cimport KeyIndex, fill_epoch_order
from _signals cimport Pending, pending_start, reraise, signal_raised
from _codes cimport DIVERGED_LOSS, DONE, PY_ERROR, STOPPED
from _step cimport Job, Net, Work, forward, gather_batch, loss_and_grad, step_stream
from _reduced_step cimport reduced_step
from _step cimport train_step, update
from _mm cimport mm_configure, mm_state

import numpy as np


cnp.import_array()

mm_configure(0, -1, 0)


def _configure_kernels(int mode, int isa, size_t blas_threads_query):
    """This module's matrix products: see ``fastprop._kernels``."""
    mm_configure(mode, isa, blas_threads_query)


def _kernel_state():
    return mm_state()


cdef void swap_contents(floating* a, floating* b, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating t
    for i in range(n):
        t = a[i]
        a[i] = b[i]
        b[i] = t


cdef int run_epochs(Job* job, floating* params, floating* backup) noexcept nogil:
    """All epochs of ``job``: each batch is gathered (in the epoch's order), forwarded,
    its loss and gradient computed and the optimizer applied. Parameters are double
    buffered: the update writes p′ into the other buffer, so p stays intact until p′ is
    known to be finite. On return ``params`` holds the result and, after a complete
    run, ``backup`` the parameters before the last update.

    The buffers alternate at every step, so the run starts from whichever makes the
    last step land in ``params``: with an odd number of steps, from ``backup`` (after
    a copy or, when ``backup`` must be kept, a swap). No copy back at the end, then,
    unless the run stops early."""
    cdef floating* cur = params
    cdef floating* prev = backup
    cdef floating* swap
    cdef bint reducing = job.reduce != NULL  # synchronous steps over MPI
    cdef Py_ssize_t batches = job.steps if reducing else (job.n + job.batch - 1) // job.batch
    cdef bint updated = False
    cdef const floating* xb
    cdef const floating* yb
    cdef const floating* wb
    cdef Py_ssize_t e, start, rows, batch_index
    cdef double loss, total, batch_weight, total_weight, all_weight
    cdef int status = DONE
    cdef clock_t last_tick = clock(), now
    cdef bint signals_due = False
    cdef long interval = 1, countdown = 1
    if (job.epochs * batches) % 2 == 1:
        if job.backup_valid:
            swap_contents(params, backup, job.n_params)
        else:
            memcpy(backup, params, job.n_params * sizeof(floating))
        cur = backup
        prev = params
    for e in range(job.epochs):
        if job.lrs != NULL:  # the schedule's rate of this epoch
            job.lr = job.lrs[e]
        if job.shuffle:
            fill_epoch_order(job.order, job.n, job.seed, job.first_epoch + e, job.keys)
        total = 0
        total_weight = 0
        batch_index = 0
        start = 0
        while batch_index < batches:  # (one process: until start reaches job.n)
            if job.stop[0]:
                status = STOPPED
                break
            if signals_due:  # between two steps: Python's signal handlers (~every 20 ms)
                signals_due = False
                if signal_raised(&job.pending):
                    status = PY_ERROR
                    break
            # (a rank whose shard has run out takes part in the steps with no rows)
            rows = min(job.batch, job.n - start) if start < job.n else 0
            batch_weight = gather_batch(job, start, rows, &xb, &yb, &wb)
            if job.work.dropping:
                job.work.drop_stream = step_stream(job.drop_seed,
                                                   job.drop_first_epoch + e, batch_index)
            if reducing:
                status = reduced_step(job, cur, prev, xb, yb, wb, rows, batch_weight,
                                      &loss, &all_weight)
            else:
                status = train_step(job, cur, prev, xb, yb, wb, rows, &loss)
            if status != DONE:
                break
            swap = cur
            cur = prev
            prev = swap
            updated = True
            # the epoch's loss: the (weighted) mean [over every rank's rows]
            total += loss if reducing else loss * batch_weight
            total_weight += all_weight if reducing else batch_weight
            batch_index += 1
            start += rows
            countdown -= 1
            if countdown == 0:  # look at the clock every `interval` steps (~1–5 ms)
                now = clock()
                if now - last_tick < CLOCKS_PER_SEC / 1000 and interval < (1 << 24):
                    interval *= 2
                elif now - last_tick > CLOCKS_PER_SEC / 200 and interval > 1:
                    interval //= 2
                last_tick = now
                countdown = interval
                signals_due = True
        if status != DONE:
            job.fail_epoch, job.fail_batch = e, batch_index
            break
        job.losses[e] = total / total_weight
    if status == DIVERGED_LOSS and (updated or job.backup_valid):
        cur = prev  # back to the parameters before the previous update
    if cur != params:
        if status == DONE:
            swap_contents(params, backup, job.n_params)
        else:  # training ends here: backup is no longer needed
            memcpy(params, cur, job.n_params * sizeof(floating))
    return status


# ------------------------------------------------------------------ Python entry points
cdef double forward_chunks(const Net* net, const floating* params, const floating* X,
                           const floating* Y, const floating* weights, floating* out,
                           Py_ssize_t n, Py_ssize_t chunk, const Work* w,
                           Pending* pending, int* status) noexcept nogil:
    """Forward over the n rows of X in chunks of ``chunk`` rows (the workspace's size):
    ŷ into ``out`` when it is not NULL; with targets Y, returns the mean loss (with
    ``weights``, the weighted mean: each chunk's weighted mean × its Σ w). Between chunks
    it runs Python's signal handlers; ``status`` becomes PY_ERROR when one raised."""
    cdef Py_ssize_t start = 0, rows, i
    cdef Py_ssize_t n_in = net.sizes[0], k = net.sizes[net.n_layers]
    cdef floating* base = <floating*>w.base
    cdef double total = 0, chunk_weight, total_weight = 0
    while start < n:
        rows = min(chunk, n - start)
        forward(net, params, X + start * n_in, rows, w)
        if out != NULL:
            memcpy(out + start * k, base + w.a_out, rows * k * sizeof(floating))
        if Y != NULL:
            chunk_weight = rows
            if weights != NULL:
                chunk_weight = 0
                for i in range(rows):
                    chunk_weight += weights[start + i]
            total += chunk_weight * output_loss_delta(
                net.loss, net.act[net.n_layers - 1], base + w.z_out, base + w.a_out,
                Y + start * k, weights + start if weights != NULL else NULL, NULL, rows, k,
                <floating>net.slope, net.loss_param)
            total_weight += chunk_weight
        start += rows
        if start < n and signal_raised(pending):
            status[0] = PY_ERROR
            return 0.0
    status[0] = DONE
    return total / total_weight if total_weight != 0 else 0.0


def _forward_all(plan, params, X, Y, weights, out):
    """``forward_chunks`` over every row of X, in chunks of up to 256 rows, with the
    arguments checked: ŷ into ``out`` (or None), and the (weighted) mean loss when Y is
    given."""
    cdef Py_ssize_t n = _rows_checked(plan, X, Y), chunk = min(n, 256)
    cdef int t = _typenum(plan.dtype)
    cdef Job job
    ws = plan.workspace(chunk)
    _fill(&job, plan, ws, chunk)
    cdef void* p = _data(params, "params", t, plan.n_params)
    cdef void* x = _data(X, "X", t, -1)
    cdef void* y = _data(Y, "Y", t, n * plan.n_out) if Y is not None else NULL
    cdef void* w = _data(weights, "weights", t, n) if weights is not None else NULL
    cdef void* o = _data(out, "out", t, n * plan.n_out) if out is not None else NULL
    cdef double result
    cdef int status
    pending_start(&job.pending)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            result = forward_chunks[float](&job.net, <float*>p, <float*>x, <float*>y,
                                           <float*>w, <float*>o, n, chunk, &job.work,
                                           &job.pending, &status)
        else:
            result = forward_chunks[double](&job.net, <double*>p, <double*>x, <double*>y,
                                            <double*>w, <double*>o, n, chunk, &job.work,
                                            &job.pending, &status)
    if status == PY_ERROR:
        reraise(&job.pending)
    return result


def predict(plan, params, X, out):
    """ŷ for every row of X into ``out`` (n × outputs), in chunks of up to 256 rows."""
    _forward_all(plan, params, X, None, None, out)
    return out


def loss(plan, params, X, Y, weights=None):
    """Mean loss over all rows of (X, Y), computed in chunks of up to 256 rows; with
    ``weights`` (one per row, the parameters' dtype) the weighted mean."""
    if Y is None:
        raise ValueError("Y (the targets) is required")
    return _forward_all(plan, params, X, Y, weights, None)


def gradient(plan, params, X, Y, grad, scratch=None, weights=None, dropout=None):
    """Loss of the whole batch (X, Y) and its gradient into ``grad`` (flat); with
    ``weights`` (one per row, the parameters' dtype) the weighted mean loss; with
    ``dropout`` = (seed, epoch, batch) the masks of that training step."""
    cdef Py_ssize_t n = _rows_checked(plan, X, Y)
    cdef int t = _typenum(plan.dtype)
    cdef Job job
    ws = _workspace(plan, n, scratch)
    _fill(&job, plan, ws, n)
    if dropout is not None:
        _fill_dropout(&job, plan, dropout[:2])
        if job.work.dropping:
            job.work.drop_stream = step_stream(job.drop_seed, job.drop_first_epoch,
                                               int(dropout[2]))
    cdef void* p = _data(params, "params", t, plan.n_params)
    cdef void* g = _data(grad, "grad", t, plan.n_params)
    cdef void* x = _data(X, "X", t, -1)
    cdef void* y = _data(Y, "Y", t, -1)
    cdef void* rw = _data(weights, "weights", t, n) if weights is not None else NULL
    cdef double result
    with nogil:
        if t == cnp.NPY_FLOAT32:
            result = loss_and_grad[float](&job.net, <float*>p, <float*>x, <float*>y,
                                          <float*>rw, n, &job.work, <float*>g)
        else:
            result = loss_and_grad[double](&job.net, <double*>p, <double*>x, <double*>y,
                                           <double*>rw, n, &job.work, <double*>g)
    return result


def apply_update(optimizer, params, grad):
    """One optimizer step in place (``fastprop.optim`` rules); returns False if a new
    parameter is not finite (the buffer then holds it: the caller decides)."""
    cdef int t = _typenum(params.dtype)
    cdef Job job
    _fill_optimizer(&job, params.dtype, params.shape[0], optimizer, params, params, grad)
    cdef int bad
    with nogil:
        job.t += 1
        if t == cnp.NPY_FLOAT32:
            bad = update[float](&job, <float*>job.params, <float*>job.params, 0, job.n_params)
        else:
            bad = update[double](&job, <double*>job.params, <double*>job.params, 0, job.n_params)
    optimizer.t = job.t
    return not bad


cdef bint descend(floating* p, const floating* g, floating lr, Py_ssize_t n) noexcept nogil:
    """p ← p − lr·g, applied only when every new parameter is finite (a first pass checks:
    p′ − p′ is 0 exactly for finite p′); returns whether it was applied."""
    cdef Py_ssize_t i
    cdef floating v
    cdef int bad = 0
    for i in range(n):
        v = p[i] - lr * g[i]
        bad |= (v - v) != 0
    if bad:
        return False
    for i in range(n):
        p[i] = p[i] - lr * g[i]
    return True


def sgd_step(params, grad, double lr):
    """Plain gradient descent on the flat buffer ``params`` in place (``lr`` rounded to
    its dtype first, as NumPy rounds a Python float); returns False, and changes nothing,
    when a new parameter would not be finite."""
    cdef int t = _typenum(params.dtype)
    cdef Py_ssize_t n = params.shape[0] if isinstance(params, np.ndarray) else -1
    cdef void* p = _data(params, "params", t, n)
    cdef void* g = _data(grad, "grad", t, n)
    cdef bint applied
    with nogil:
        if t == cnp.NPY_FLOAT32:
            applied = descend[float](<float*>p, <float*>g, <float>lr, n)
        else:
            applied = descend[double](<double*>p, <double*>g, lr, n)
    return applied


def train(plan, params, X, Y, *, Py_ssize_t epochs, first_epoch, Py_ssize_t batch_size,
          optimizer, seed, losses, backup, backup_valid, stop, scratch=None, weights=None,
          dropout=None, lrs=None, double clip_norm=0, double clip_value=0, reduce=None,
          sums=None, Py_ssize_t steps=0):
    """Run ``epochs`` epochs without the GIL (see ``NumpyEngine.train`` for the contract).

    ``scratch`` (a dict owned by the network, or None) keeps the workspace, gradient and
    shuffle buffers between calls. With ``weights`` (one per sample, the parameters'
    dtype; else None) each batch's loss is the weighted mean over its rows and the
    epoch's loss the weighted mean over the epoch. ``dropout`` = (seed, first epoch)
    draws ``fastprop.dropout``'s masks at every step (None: no dropout). ``lrs`` (float64,
    one per epoch, or None: the optimizer's rate throughout) is each epoch's learning
    rate; ``clip_norm`` and ``clip_value`` (> 0; 0: off) clip every step's gradient.

    Synchronous steps over MPI (``fastprop.distributed``): ``reduce`` (a callable, or
    None: one process alone) is called once a step to replace ``sums`` (the dtype's,
    n_params + 3 values: this rank's [Σ w·g | Σ w·L | Σ w | 1 if not finite], see
    ``reduced_step``) in place by their sums over the ranks, and every epoch has
    ``steps`` steps (at least this rank's batches; the rows run out, its later steps
    have none). What it raises ends the run and is raised again here.

    Returns ``(status, epoch, batch)``: status a ``fastprop._codes.Status`` (DONE,
    STOPPED by the flag, DIVERGED_LOSS or DIVERGED_UPDATE: epoch and batch say where).
    """
    cdef Py_ssize_t n = _rows_checked(plan, X, Y)
    cdef int t = _typenum(plan.dtype)
    if batch_size < 1 or epochs < 0:
        raise ValueError("batch_size must be >= 1 and epochs >= 0")
    cdef Py_ssize_t rows = min(batch_size, n)
    cdef Job job
    ws = _workspace(plan, rows, scratch)
    _fill(&job, plan, ws, rows)
    grad = _buffer(scratch, "grad", plan.n_params, plan.dtype)
    _fill_optimizer(&job, plan.dtype, plan.n_params, optimizer, params, backup, grad)
    job.backup_valid = bool(backup_valid)
    job.X = _data(X, "X", t, -1)
    job.Y = _data(Y, "Y", t, -1)
    job.n, job.batch, job.epochs = n, batch_size, epochs
    job.shuffle = seed is not None
    job.seed = (int(seed) & 0xFFFFFFFFFFFFFFFF) if seed is not None else 0
    job.first_epoch = int(first_epoch) & 0xFFFFFFFFFFFFFFFF
    _fill_dropout(&job, plan, dropout)
    order = _buffer(scratch, "order", n if job.shuffle else 0, np.int64)
    keys = _buffer(scratch, "keys", (2 * n if job.shuffle else 0) * sizeof(KeyIndex), np.uint8)
    job.order = <int64_t*>_data(order, "order", cnp.NPY_INT64, -1)
    job.keys = <KeyIndex*>_data(keys, "keys", cnp.NPY_UINT8, -1)
    job.losses = <double*>_data(losses, "losses", cnp.NPY_FLOAT64, -1)
    if losses.shape[0] < epochs:
        raise ValueError("losses is shorter than epochs")
    job.stop = <volatile char*>_data(stop, "stop", cnp.NPY_INT8, 1)
    if lrs is not None:
        if lrs.shape[0] < epochs or not (np.isfinite(lrs[:epochs]) & (lrs[:epochs] >= 0)).all():
            raise ValueError("lrs must hold a finite rate >= 0 for every epoch")
        job.lrs = <const double*>_data(lrs, "lrs", cnp.NPY_FLOAT64, -1)
    if not (clip_norm >= 0 and clip_value >= 0):
        raise ValueError("clip_norm and clip_value must be >= 0")
    job.clip_norm, job.clip_value = clip_norm, clip_value
    # ‖g‖ ≤ (c − 10⁻⁶)·(1 − 10⁻⁶) gives c/(‖g‖ + 10⁻⁶) > 1 even after float32 rounding
    # of the norm and the quotient (relative 6·10⁻⁸ each): such a step is not clipped
    job.unclipped_squares = (max(clip_norm - 1e-6, 0) * (1 - 1e-6)) ** 2
    job.fail_epoch = job.fail_batch = -1
    pending_start(&job.pending)
    job.weights = _data(weights, "weights", t, n) if weights is not None else NULL
    job.reduce, job.sums, job.steps = NULL, NULL, 0
    if reduce is not None:
        if steps < (n + batch_size - 1) // batch_size or dropout is not None:
            raise ValueError("a reduced run needs steps >= this rank's batches, no dropout")
        job.sums = _data(sums, "sums", t, plan.n_params + 3)
        job.reduce, job.steps = <PyObject*>reduce, steps
    batch_weights = _buffer(scratch, "batch_weights", rows if weights is not None else 0,
                            plan.dtype)
    job.batch_weights = _data(batch_weights, "batch_weights", t, -1)
    cdef int status
    cdef unsigned long fpenv
    with nogil:
        fpenv = fastprop_flush_denormals()
        if t == cnp.NPY_FLOAT32:
            status = run_epochs(&job, <float*>job.params, <float*>job.backup)
        else:
            status = run_epochs(&job, <double*>job.params, <double*>job.backup)
        fastprop_restore_fpenv(fpenv)
    optimizer.t = job.t
    if status == PY_ERROR:
        reraise(&job.pending)
    return status, job.fail_epoch, job.fail_batch
