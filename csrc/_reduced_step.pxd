"""A synchronous step over MPI (``fastprop.distributed``): this rank's sums, their sum
over the ranks from a Python callable (the all-reduce), then one process's update with
the mean. Runs without the GIL except for that call; the driver is ``_engine.pyx``'s
``run_epochs`` when its job has a ``reduce``.
"""

from libc.math cimport isfinite
from libc.string cimport memcpy, memset
from cython cimport floating

from _codes cimport DIVERGED_LOSS, DIVERGED_UPDATE, PY_ERROR
from _signals cimport call_raised
from _step cimport Job, Net, clip_and_update, loss_and_grad, sum_squares


cdef inline int reduced_step(Job* job, const floating* cur, floating* nxt, const floating* x,
                             const floating* y, const floating* rw, Py_ssize_t rows,
                             double weight, double* loss_sum,
                             double* weight_sum) noexcept nogil:
    """One synchronous step over MPI. This rank's sums over its ``rows`` (of weight Σ w =
    ``weight``; none when its shard has run out) go into ``job.sums`` — [Σ w·g | Σ w·L |
    Σ w | 1 if any of them is not finite] — which ``job.reduce`` replaces by their sums
    over the ranks; then g = Σ w·g / Σ w, the mean over every rank's rows, is clipped and
    applied as one process's step is (``clip_and_update``), the same on every rank.
    ``loss_sum`` and ``weight_sum`` get the Σ w·L and Σ w of all ranks. Returns 0,
    PY_ERROR (the reduce raised: kept in ``job.pending``), DIVERGED_LOSS (a rank's sums
    were not finite: nothing updated) or DIVERGED_UPDATE. No row weighs anything on any
    rank: no step (``nxt`` = ``cur``)."""
    cdef const Net* net = &job.net
    cdef floating* grad = <floating*>job.grad
    cdef floating* sums = <floating*>job.sums
    cdef Py_ssize_t i, l, n = job.n_params, end = job.n_params
    cdef floating w = <floating>weight
    cdef double squares = 0
    cdef bint finite = True
    if rows > 0:
        sums[n] = <floating>(loss_and_grad(net, cur, x, y, rw, rows, &job.work, grad) *
                             weight)
        sums[n + 1] = w
        finite = isfinite(sums[n])
        for i in range(n):
            sums[i] = grad[i] * w
            finite &= isfinite(sums[i])
        sums[n + 2] = 0 if finite else 1
    else:
        memset(sums, 0, (n + 3) * sizeof(floating))
    if call_raised(job.reduce, &job.pending):
        return PY_ERROR
    if sums[n + 2] > 0:
        return DIVERGED_LOSS
    loss_sum[0], weight_sum[0] = sums[n], sums[n + 1]
    if sums[n + 1] == 0:
        memcpy(nxt, cur, n * sizeof(floating))
        return 0
    job.t += 1
    for i in range(n):
        grad[i] = sums[i] / sums[n + 1]
    if job.clip_norm > 0:  # Σ g², layer by layer as train_step sums it
        for l in range(net.n_layers - 1, -1, -1):
            squares += sum_squares(grad + net.w_off[l], end - net.w_off[l])
            end = net.w_off[l]
    return DIVERGED_UPDATE if clip_and_update(job, cur, nxt, squares) else 0
