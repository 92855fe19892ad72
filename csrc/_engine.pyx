# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled engine: forward, loss, backward, update and the epoch driver.

Every entry point checks the arrays it receives (dtype, contiguity, sizes) before any
kernel runs; the kernels themselves (``_layers.pxd``, ``_optim.pxd``) trust their
arguments. ``train`` runs whole epochs — gather, forward, loss, backward, update for
every mini-batch, shuffling included — with the GIL released and no allocation per step.
"""

cimport numpy as cnp
from cpython.exc cimport PyErr_CheckSignals
from libc.math cimport isfinite, pow, sqrt
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcpy
from libc.time cimport CLOCKS_PER_SEC, clock, clock_t
from cython cimport floating

from _blas cimport dot
from _fpenv cimport fastprop_flush_denormals, fastprop_restore_fpenv
from _layers cimport activate, dense_backward, dense_forward, output_loss_delta
from _layers cimport times_derivative
from _optim cimport adam_update, sgd_update
from _order cimport KeyIndex, fill_epoch_order

import numpy as np

cnp.import_array()

# train() outcomes
cdef enum:
    DONE = 0
    STOPPED = 1          # the stop flag was set (Ctrl-C): ended at a step boundary
    DIVERGED_LOSS = 2    # non-finite loss at a step: parameters before the previous update
    DIVERGED_UPDATE = 3  # the update made a parameter non-finite: it was not applied
    PY_ERROR = 4         # a Python exception (KeyboardInterrupt) raised by a signal check


ctypedef struct Net:
    Py_ssize_t n_layers
    const Py_ssize_t* sizes     # n_layers + 1 layer sizes
    const int* act              # activation code of each layer
    const Py_ssize_t* w_off     # offset of W_l in the flat buffer
    const Py_ssize_t* b_off     # offset of b_l, or NULL (no biases)
    int loss
    double slope


ctypedef struct Work:           # one workspace buffer, sized for `rows` samples
    void* base
    const Py_ssize_t* a_off     # a_l (l = 1 … L−1) at base + a_off[l]
    Py_ssize_t z_out, a_out, d0, d1, xb, yb


ctypedef struct Job:            # everything train() needs, prepared with the GIL
    Net net
    Work work
    const void* X
    const void* Y
    Py_ssize_t n, batch, n_params
    void* params
    void* backup
    bint backup_valid           # backup holds the parameters before the latest update
    void* grad
    void* state1
    void* state2
    int optimizer               # 0: SGD, 1: Adam
    double lr, momentum, weight_decay, beta1, beta2, eps
    bint nesterov
    long t
    Py_ssize_t epochs
    uint64_t first_epoch, seed
    bint shuffle
    int64_t* order
    KeyIndex* keys
    double* losses
    volatile char* stop
    Py_ssize_t fail_epoch, fail_batch


# ---------------------------------------------------------------------- the passes
cdef void forward(const Net* net, const floating* params, const floating* x,
                  Py_ssize_t rows, const Work* w) noexcept nogil:
    """a_0 = x ; z_l = a_l·W_l + b_l ; a_{l+1} = f_l(z_l). Hidden a_l in place; the
    output layer keeps both z (for the loss) and ŷ = a_L."""
    cdef floating* base = <floating*>w.base
    cdef const floating* a_in = x
    cdef floating* out
    cdef Py_ssize_t l, last = net.n_layers - 1, n_in, n_out
    for l in range(net.n_layers):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        out = base + (w.z_out if l == last else w.a_off[l + 1])
        dense_forward(a_in, params + net.w_off[l],
                      params + net.b_off[l] if net.b_off != NULL else NULL,
                      out, rows, n_in, n_out)
        if l == last:
            activate(net.act[l], out, base + w.a_out, rows, n_out, <floating>net.slope)
        else:
            activate(net.act[l], out, out, rows, n_out, <floating>net.slope)
            a_in = out


cdef double forward_loss(const Net* net, const floating* params, const floating* x,
                         const floating* y, Py_ssize_t rows, const Work* w) noexcept nogil:
    """Forward, then the fused loss and output δ (into the workspace's d0); returns L."""
    cdef floating* base = <floating*>w.base
    cdef Py_ssize_t last = net.n_layers - 1
    forward(net, params, x, rows, w)
    return output_loss_delta(net.loss, net.act[last], base + w.z_out, base + w.a_out, y,
                             base + w.d0, rows, net.sizes[net.n_layers],
                             <floating>net.slope)


cdef floating* backward_layer(const Net* net, Py_ssize_t l, const floating* params,
                              const floating* x, Py_ssize_t rows, const Work* w,
                              floating* delta, floating* grad) noexcept nogil:
    """Layer l's gradient into ``grad`` from its δ; returns δ_{l−1} (in the workspace's
    other δ buffer), or NULL for the first layer."""
    cdef floating* base = <floating*>w.base
    cdef Py_ssize_t n_in = net.sizes[l], n_out = net.sizes[l + 1]
    cdef const floating* a_in = x if l == 0 else base + w.a_off[l]
    cdef floating* delta_in = NULL
    if l > 0:
        delta_in = base + (w.d1 if delta == base + w.d0 else w.d0)
    dense_backward(a_in, params + net.w_off[l], delta, grad + net.w_off[l],
                   grad + net.b_off[l] if net.b_off != NULL else NULL,
                   delta_in, rows, n_in, n_out)
    if l > 0:  # δ_{l−1} = (δ_l·W_lᵀ) ⊙ f′(a_l)
        times_derivative(net.act[l - 1], a_in, delta_in, rows * n_in, <floating>net.slope)
    return delta_in


cdef double loss_and_grad(const Net* net, const floating* params, const floating* x,
                          const floating* y, Py_ssize_t rows, const Work* w,
                          floating* grad) noexcept nogil:
    """Forward, the fused loss and output δ, then backward into ``grad``; returns L."""
    cdef double loss = forward_loss(net, params, x, y, rows, w)
    cdef floating* delta = <floating*>w.base + w.d0
    cdef Py_ssize_t l
    for l in range(net.n_layers - 1, -1, -1):
        delta = backward_layer(net, l, params, x, rows, w, delta, grad)
    return loss


cdef int update(Job* job, const floating* cur, floating* nxt, Py_ssize_t start,
                Py_ssize_t stop) noexcept nogil:
    """The optimizer step for parameters [start, stop) of the flat buffer (``job.t`` is
    the step's number); 1 if a new parameter is not finite."""
    cdef floating* s1 = <floating*>job.state1 + start if job.state1 != NULL else NULL
    if job.optimizer == 0:
        return sgd_update(stop - start, cur + start, nxt + start,
                          <floating*>job.grad + start, s1, job.lr, job.momentum,
                          job.nesterov, job.weight_decay)
    return adam_update(stop - start, cur + start, nxt + start, <floating*>job.grad + start,
                       s1, <floating*>job.state2 + start, job.lr, job.beta1, job.beta2,
                       job.eps, job.weight_decay, job.t)


cdef int train_step(Job* job, const floating* cur, floating* nxt, const floating* x,
                    const floating* y, Py_ssize_t rows, double* loss) noexcept nogil:
    """One step: forward, loss, then backward layer by layer, each layer's parameters
    updated (into ``nxt``) as soon as its gradient is known, while that gradient is
    still in cache. Returns 0, DIVERGED_LOSS (nothing updated) or DIVERGED_UPDATE."""
    cdef const Net* net = &job.net
    cdef floating* grad = <floating*>job.grad
    cdef floating* delta = <floating*>job.work.base + job.work.d0
    cdef Py_ssize_t l, end = job.n_params
    cdef int bad = 0
    loss[0] = forward_loss(net, cur, x, y, rows, &job.work)
    if not isfinite(loss[0]):
        return DIVERGED_LOSS
    job.t += 1
    for l in range(net.n_layers - 1, -1, -1):
        delta = backward_layer(net, l, cur, x, rows, &job.work, delta, grad)
        bad |= update(job, cur, nxt, net.w_off[l], end)
        end = net.w_off[l]
    return DIVERGED_UPDATE if bad else 0


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
    cdef Net* net = &job.net
    cdef Work* w = &job.work
    cdef floating* base = <floating*>w.base
    cdef floating* cur = params
    cdef floating* prev = backup
    cdef floating* swap
    cdef Py_ssize_t batches = (job.n + job.batch - 1) // job.batch
    cdef bint updated = False
    cdef const floating* X = <const floating*>job.X
    cdef const floating* Y = <const floating*>job.Y
    cdef const floating* xb
    cdef const floating* yb
    cdef Py_ssize_t n_in = net.sizes[0], k = net.sizes[net.n_layers]
    cdef Py_ssize_t e, start, rows, i, batch_index
    cdef double loss, total
    cdef int status = DONE
    cdef clock_t last_tick = clock(), last_signal = last_tick, now
    cdef long interval = 1, countdown = 1
    if (job.epochs * batches) % 2 == 1:
        if job.backup_valid:
            swap_contents(params, backup, job.n_params)
        else:
            memcpy(backup, params, job.n_params * sizeof(floating))
        cur = backup
        prev = params
    for e in range(job.epochs):
        if job.shuffle:
            fill_epoch_order(job.order, job.n, job.seed, job.first_epoch + e, job.keys)
        total = 0
        batch_index = 0
        start = 0
        while start < job.n:
            if job.stop[0]:
                status = STOPPED
                break
            rows = job.batch if start + job.batch <= job.n else job.n - start
            if job.shuffle:  # gather the batch's rows
                for i in range(rows):
                    memcpy(base + w.xb + i * n_in, X + job.order[start + i] * n_in,
                           n_in * sizeof(floating))
                    memcpy(base + w.yb + i * k, Y + job.order[start + i] * k,
                           k * sizeof(floating))
                xb = base + w.xb
                yb = base + w.yb
            else:
                xb = X + start * n_in
                yb = Y + start * k
            status = train_step(job, cur, prev, xb, yb, rows, &loss)
            if status != DONE:
                break
            swap = cur
            cur = prev
            prev = swap
            updated = True
            total += loss * rows
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
                if now - last_signal >= CLOCKS_PER_SEC / 50:  # Ctrl-C check, ~every 20 ms
                    last_signal = now
                    with gil:
                        if PyErr_CheckSignals() == -1:
                            status = PY_ERROR
                if status != DONE:
                    break
        if status != DONE:
            job.fail_epoch, job.fail_batch = e, batch_index
            break
        job.losses[e] = total / job.n
    if status == DIVERGED_LOSS and (updated or job.backup_valid):
        cur = prev  # back to the parameters before the previous update
    if cur != params:
        if status == DONE:
            swap_contents(params, backup, job.n_params)
        else:  # training ends here: backup is no longer needed
            memcpy(params, cur, job.n_params * sizeof(floating))
    return status


# ------------------------------------------------------------------- argument checks
cdef void* _data(object arr, str name, int typenum, Py_ssize_t size) except NULL:
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
        return <void*>&_EMPTY
    return cnp.PyArray_DATA(a)


cdef double _EMPTY = 0


class Plan:
    """The layout arrays of an architecture, and workspace offsets for a number of rows."""

    def __init__(self, arch):
        self.sizes = np.asarray(arch.sizes, dtype=np.intp)
        self.act = np.asarray(arch.activation_codes, dtype=np.intc)
        self.w_off = np.asarray(arch.w_offsets, dtype=np.intp)
        self.b_off = np.asarray(arch.b_offsets, dtype=np.intp)
        self.bias, self.loss, self.slope = arch.bias, arch.loss_code, arch.leaky_slope
        self.n_params, self.dtype = arch.n_params, arch.dtype
        self.n_in, self.n_out = arch.sizes[0], arch.sizes[len(arch.sizes) - 1]
        if (self.sizes <= 0).any() or len(self.sizes) < 2 or len(self.act) != len(self.sizes) - 1:
            raise ValueError("invalid architecture")
        if ((self.act < 0) | (self.act > 5)).any() or not 0 <= self.loss <= 2:
            raise ValueError("invalid activation or loss code")
        expected, pos = [], 0
        for i, o in zip(arch.sizes[:len(arch.sizes) - 1], arch.sizes[1:]):
            expected.append(pos)
            pos += i * o + (o if self.bias else 0)
        if pos != self.n_params or list(self.w_off) != expected:
            raise ValueError("layout does not match the architecture")

    def workspace(self, Py_ssize_t rows):
        """(buffer, a_off, (z_out, a_out, d0, d1, xb, yb)) for ``rows`` samples."""
        sizes, pos = self.sizes, 0
        a_off = np.zeros(len(sizes), dtype=np.intp)
        for l in range(1, len(sizes) - 1):
            a_off[l] = pos
            pos += rows * sizes[l]
        k, width = self.n_out, max(sizes[1:])
        offs = []
        for size in (rows * k, rows * k, rows * width, rows * width, rows * sizes[0], rows * k):
            offs.append(pos)
            pos += size
        return np.zeros(pos, dtype=self.dtype), a_off, tuple(offs)


cdef int _typenum(object dtype):
    return cnp.NPY_FLOAT32 if dtype == np.float32 else cnp.NPY_FLOAT64


cdef void _fill(Job* job, object plan, object ws, Py_ssize_t rows) except *:
    buf, a_off, offs = ws
    cdef int t = _typenum(plan.dtype)
    cdef Py_ssize_t L = len(plan.sizes) - 1
    job.net.n_layers = L
    job.net.sizes = <const Py_ssize_t*>_data(plan.sizes, "sizes", cnp.NPY_INTP, L + 1)
    job.net.act = <const int*>_data(plan.act, "act", cnp.NPY_INT, L)
    job.net.w_off = <const Py_ssize_t*>_data(plan.w_off, "w_off", cnp.NPY_INTP, L)
    job.net.b_off = <const Py_ssize_t*>_data(plan.b_off, "b_off", cnp.NPY_INTP, L) \
        if plan.bias else NULL
    job.net.loss = plan.loss
    job.net.slope = plan.slope
    job.work.base = _data(buf, "workspace", t, -1)
    job.work.a_off = <const Py_ssize_t*>_data(a_off, "a_off", cnp.NPY_INTP, L + 1)
    job.work.z_out, job.work.a_out, job.work.d0, job.work.d1, job.work.xb, job.work.yb = offs
    job.n_params = plan.n_params


def _workspace(plan, Py_ssize_t rows, scratch):
    """``plan.workspace(rows)``, kept in ``scratch`` (a dict owned by one network) and
    reused by the next call with the same plan and rows: a large network's workspace
    is megabytes, and fresh pages cost a page fault and a zeroing each."""
    if scratch is None:
        return plan.workspace(rows)
    kept = scratch.get("workspace")
    if kept is None or kept[0] is not plan or kept[1] != rows:
        kept = scratch["workspace"] = (plan, rows, plan.workspace(rows))
    return kept[2]


def _buffer(scratch, str key, Py_ssize_t size, dtype):
    """A 1-D array of ``size`` elements of ``dtype``, kept in ``scratch`` (a view of
    the kept array when that is longer)."""
    if scratch is None:
        return np.empty(size, dtype=dtype)
    kept = scratch.get(key)
    if kept is None or kept.dtype != dtype or kept.shape[0] < size:
        kept = scratch[key] = np.empty(size, dtype=dtype)
    return kept[:size]


def _rows_checked(plan, X, Y, name="X"):
    cdef Py_ssize_t n = X.shape[0] if isinstance(X, cnp.ndarray) and X.ndim == 2 else -1
    if n <= 0 or X.shape[1] != plan.n_in:
        raise ValueError(f"{name} must be 2-D with {plan.n_in} columns and >= 1 row")
    if Y is not None and (not isinstance(Y, cnp.ndarray) or Y.shape != (n, plan.n_out)):
        raise ValueError(f"Y must have shape ({n}, {plan.n_out})")
    return n


# ------------------------------------------------------------------ Python entry points
def predict(plan, params, X, out):
    """ŷ for every row of X into ``out`` (n × outputs), in chunks of up to 256 rows."""
    cdef Py_ssize_t n = _rows_checked(plan, X, None), chunk = min(n, 256), start, rows
    cdef Py_ssize_t n_in = plan.n_in, k = plan.n_out
    cdef int t = _typenum(plan.dtype)
    cdef Job job
    ws = plan.workspace(chunk)
    _fill(&job, plan, ws, chunk)
    cdef void* p = _data(params, "params", t, plan.n_params)
    cdef char* x = <char*>_data(X, "X", t, -1)
    cdef char* o = <char*>_data(out, "out", t, n * k)
    cdef Py_ssize_t item = 4 if t == cnp.NPY_FLOAT32 else 8
    start = 0
    with nogil:
        while start < n:
            rows = min(chunk, n - start)
            if t == cnp.NPY_FLOAT32:
                forward[float](&job.net, <float*>p, <float*>(x + start * n_in * item), rows, &job.work)
                memcpy(o + start * k * item, <float*>job.work.base + job.work.a_out, rows * k * item)
            else:
                forward[double](&job.net, <double*>p, <double*>(x + start * n_in * item), rows, &job.work)
                memcpy(o + start * k * item, <double*>job.work.base + job.work.a_out, rows * k * item)
            start += rows
    return out


def loss(plan, params, X, Y):
    """Mean loss over all rows of (X, Y), computed in chunks of up to 256 rows."""
    cdef Py_ssize_t n = _rows_checked(plan, X, Y), chunk = min(n, 256), start, rows
    cdef Py_ssize_t n_in = plan.n_in, k = plan.n_out
    cdef int t = _typenum(plan.dtype)
    cdef Job job
    ws = plan.workspace(chunk)
    _fill(&job, plan, ws, chunk)
    cdef void* p = _data(params, "params", t, plan.n_params)
    cdef char* x = <char*>_data(X, "X", t, -1)
    cdef char* y = <char*>_data(Y, "Y", t, n * k)
    cdef Py_ssize_t item = 4 if t == cnp.NPY_FLOAT32 else 8
    cdef int out_act = job.net.act[job.net.n_layers - 1]
    cdef double total = 0
    start = 0
    with nogil:
        while start < n:
            rows = min(chunk, n - start)
            if t == cnp.NPY_FLOAT32:
                forward[float](&job.net, <float*>p, <float*>(x + start * n_in * item), rows, &job.work)
                total += rows * output_loss_delta[float](
                    job.net.loss, out_act, <float*>job.work.base + job.work.z_out,
                    <float*>job.work.base + job.work.a_out, <float*>(y + start * k * item),
                    NULL, rows, k, <float>job.net.slope)
            else:
                forward[double](&job.net, <double*>p, <double*>(x + start * n_in * item), rows, &job.work)
                total += rows * output_loss_delta[double](
                    job.net.loss, out_act, <double*>job.work.base + job.work.z_out,
                    <double*>job.work.base + job.work.a_out, <double*>(y + start * k * item),
                    NULL, rows, k, <double>job.net.slope)
            start += rows
    return total / n


def gradient(plan, params, X, Y, grad, scratch=None):
    """Loss of the whole batch (X, Y) and its gradient into ``grad`` (flat)."""
    cdef Py_ssize_t n = _rows_checked(plan, X, Y)
    cdef int t = _typenum(plan.dtype)
    cdef Job job
    ws = _workspace(plan, n, scratch)
    _fill(&job, plan, ws, n)
    cdef void* p = _data(params, "params", t, plan.n_params)
    cdef void* g = _data(grad, "grad", t, plan.n_params)
    cdef void* x = _data(X, "X", t, -1)
    cdef void* y = _data(Y, "Y", t, -1)
    cdef double result
    with nogil:
        if t == cnp.NPY_FLOAT32:
            result = loss_and_grad[float](&job.net, <float*>p, <float*>x, <float*>y, n, &job.work, <float*>g)
        else:
            result = loss_and_grad[double](&job.net, <double*>p, <double*>x, <double*>y, n, &job.work, <double*>g)
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


cdef void _fill_optimizer(Job* job, object dtype, Py_ssize_t n, object optimizer, object params,
                          object backup, object grad) except *:
    cdef int t = _typenum(dtype)
    job.n_params = n
    job.params = _data(params, "params", t, n)
    job.backup = _data(backup, "backup", t, n)
    job.grad = _data(grad, "grad", t, n)
    job.lr, job.weight_decay, job.t = optimizer.lr, optimizer.weight_decay, optimizer.t
    if optimizer.kind == "sgd":
        job.optimizer, job.momentum, job.nesterov = 0, optimizer.momentum, optimizer.nesterov
        job.state1 = _data(optimizer.state["momentum_buffer"], "momentum_buffer", t, n) \
            if optimizer.momentum else NULL
    elif optimizer.kind == "adam":
        job.optimizer = 1
        job.beta1, job.beta2 = optimizer.betas
        job.eps = optimizer.eps
        job.state1 = _data(optimizer.state["exp_avg"], "exp_avg", t, n)
        job.state2 = _data(optimizer.state["exp_avg_sq"], "exp_avg_sq", t, n)
    else:
        raise ValueError(f"unknown optimizer kind {optimizer.kind!r}")


def train(plan, params, X, Y, *, Py_ssize_t epochs, first_epoch, Py_ssize_t batch_size,
          optimizer, seed, losses, backup, backup_valid, stop, scratch=None):
    """Run ``epochs`` epochs without the GIL (see ``NumpyEngine.train`` for the contract).

    ``scratch`` (a dict owned by the network, or None) keeps the workspace, gradient and
    shuffle buffers between calls.

    Returns ``(status, epoch, batch)``: status 0 done, 1 stopped by the flag, 2 non-finite
    loss, 3 non-finite update (epoch and batch say where).
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
    order = _buffer(scratch, "order", n if job.shuffle else 0, np.int64)
    keys = _buffer(scratch, "keys", (2 * n if job.shuffle else 0) * sizeof(KeyIndex), np.uint8)
    job.order = <int64_t*>_data(order, "order", cnp.NPY_INT64, -1)
    job.keys = <KeyIndex*>_data(keys, "keys", cnp.NPY_UINT8, -1)
    job.losses = <double*>_data(losses, "losses", cnp.NPY_FLOAT64, -1)
    if losses.shape[0] < epochs:
        raise ValueError("losses is shorter than epochs")
    job.stop = <volatile char*>_data(stop, "stop", cnp.NPY_INT8, 1)
    job.fail_epoch = job.fail_batch = -1
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
        _reraise()
    return status, job.fail_epoch, job.fail_batch


# ------------------------------------------------ scikit-learn's stochastic epoch
cdef int run_sklearn_epoch(Job* job, floating* params, double loss_scale, double grad_scale,
                           double alpha, double sk_eps, double* total) noexcept nogil:
    """One epoch of scikit-learn's 'sgd'/'adam' solver (``fastprop.sklearn._solver``):
    per batch of B rows, in ``job.order`` (or stored order),

        L_sk  = loss_scale·L + ½·alpha·Σ‖W‖²/B ;   g_sk = grad_scale·g + (alpha/B)·W
        (Adam, sk_eps ≥ 0: eps_t = sk_eps/√(1 − β₂ᵗ), scikit-learn's eps in PyTorch's rule)

    then the optimizer step in place, with no divergence check (scikit-learn checks
    after the epoch). ``total`` receives Σ L_sk·B. Same arithmetic, in the same order, as
    the Python loop of ``_base._fit_stochastic``."""
    cdef Net* net = &job.net
    cdef Work* w = &job.work
    cdef floating* base = <floating*>w.base
    cdef floating* grad = <floating*>job.grad
    cdef const floating* X = <const floating*>job.X
    cdef const floating* Y = <const floating*>job.Y
    cdef const floating* xb
    cdef const floating* yb
    cdef const floating* W
    cdef floating* gW
    cdef Py_ssize_t n_in = net.sizes[0], k = net.sizes[net.n_layers]
    cdef Py_ssize_t start = 0, rows, i, l, size
    cdef floating gs = <floating>grad_scale, c
    cdef double loss, squares
    cdef int status = DONE
    cdef clock_t last_signal = clock()
    total[0] = 0
    while start < job.n:
        if job.stop[0]:
            status = STOPPED
            break
        rows = job.batch if start + job.batch <= job.n else job.n - start
        if job.shuffle:
            for i in range(rows):
                memcpy(base + w.xb + i * n_in, X + job.order[start + i] * n_in,
                       n_in * sizeof(floating))
                memcpy(base + w.yb + i * k, Y + job.order[start + i] * k,
                       k * sizeof(floating))
            xb = base + w.xb
            yb = base + w.yb
        else:
            xb = X + start * n_in
            yb = Y + start * k
        loss = loss_and_grad(net, params, xb, yb, rows, w, grad)
        if gs != 1:
            for i in range(job.n_params):
                grad[i] = grad[i] * gs
        loss = loss * loss_scale
        if alpha != 0:
            squares = 0
            c = <floating>(alpha / rows)
            for l in range(net.n_layers):
                W = params + net.w_off[l]
                gW = grad + net.w_off[l]
                size = net.sizes[l] * net.sizes[l + 1]
                squares += dot(size, W, W)
                for i in range(size):
                    gW[i] = gW[i] + c * W[i]
            loss = loss + 0.5 * alpha * squares / rows
        total[0] += loss * rows
        if job.optimizer == 1 and sk_eps >= 0:
            job.eps = sk_eps / sqrt(1.0 - pow(job.beta2, <double>(job.t + 1)))
        job.t += 1
        update(job, params, params, 0, job.n_params)
        start += rows
        if clock() - last_signal >= CLOCKS_PER_SEC / 50:  # Ctrl-C check, ~every 20 ms
            last_signal = clock()
            with gil:
                if PyErr_CheckSignals() == -1:
                    status = PY_ERROR
                    break
    return status


def sklearn_epoch(plan, params, X, Y, order, Py_ssize_t batch_size, optimizer, *,
                  double loss_scale, double grad_scale, double alpha, double sk_eps,
                  stop, scratch=None):
    """One epoch of scikit-learn's stochastic solver (see ``run_sklearn_epoch``), with
    the GIL released; returns Σ L_sk·B over the batches (the caller divides by n).
    ``order``: the epoch's sample order (int64, a permutation of range(n)) or None."""
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
    if job.optimizer == 1 and sk_eps >= 0:
        optimizer.eps = job.eps
    if status == PY_ERROR:
        _reraise()
    if status == STOPPED:
        raise KeyboardInterrupt
    return total


cdef int _reraise() except -1:
    return -1  # the exception set by PyErr_CheckSignals propagates from here
