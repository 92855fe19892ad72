"""One training step over flat buffers: the structs that describe a network, its
workspace and a training job, and the passes (forward, loss, backward, update) that the
epoch drivers (``_engine.pyx``, ``_sklearn_epoch.pyx``) run. Everything here runs
without the GIL and trusts its arguments: the drivers check them (``_checks.pxd``).
"""

from libc.math cimport isfinite, sqrt
from libc.string cimport memcpy
from cpython.ref cimport PyObject
from libc.stdint cimport int64_t, uint64_t
from cython cimport floating

from _codes cimport ADAGRAD, ADAM, ADAMW, DIVERGED_LOSS, DIVERGED_UPDATE, DONE, PY_ERROR
from _codes cimport RMSPROP, SGD, STOPPED
from _activations cimport activate, times_derivative
from _blas cimport dot
from _layers cimport dense_backward, dense_forward, output_loss_delta
from _optim cimport adagrad_update, adam_update, rmsprop_update, sgd_update
from _order cimport FASTPROP_DROPOUT_SALT, FASTPROP_GAMMA, KeyIndex, mix64
from _signals cimport Pending

# An optimizer's kernel arguments besides lr and weight decay (``kernel_arguments`` of its
# class in fastprop.optim), and its state buffers (``state_names``), at most this many.
cdef enum:
    MAX_HYPER = 8
    MAX_STATE = 4
    ADAM_BETA2 = 1       # Adam's arguments: beta1, beta2, eps
    ADAM_EPS = 2
    CLIP_BLOCK = 4096    # parameters scaled and clamped, then updated, at a time


ctypedef struct Net:
    Py_ssize_t n_layers
    const Py_ssize_t* sizes     # n_layers + 1 layer sizes
    const int* act              # activation code of each layer
    const Py_ssize_t* w_off     # offset of W_l in the flat buffer
    const Py_ssize_t* b_off     # offset of b_l, or NULL (no biases)
    int loss
    double slope
    double loss_param           # Huber's δ
    const double* dropout       # rate of each layer's output a_l (index l), or NULL


ctypedef struct Work:           # one workspace buffer, sized for `rows` samples
    void* base
    void* pack                  # its first MM_PACK_BYTES: the products' packing (_mm.pxd)
    const Py_ssize_t* a_off     # a_l (l = 1 … L−1) at base + a_off[l]
    const Py_ssize_t* z_off     # z_{l−1}, whose f(z) is a_l, at base + z_off[l] when the
                                # activation's f′ needs z (GELU, SiLU, softplus); else −1
    const Py_ssize_t* m_off     # with dropout on a_l: its keep scales at base + m_off[l]
    const Py_ssize_t* h_off     # and a_l ⊙ mask (the next layer's input); else −1
    uint64_t drop_stream        # the step's dropout stream (fastprop.dropout), and
    bint dropping               # whether this pass draws masks (training steps only)
    Py_ssize_t z_out, a_out, d0, d1, xb, yb


ctypedef struct Job:            # everything train() needs, prepared with the GIL
    Net net
    Work work
    const void* X
    const void* Y
    Py_ssize_t n, batch, n_params
    void* params
    void* backup
    const void* weights         # one weight per sample, or NULL
    void* batch_weights         # a batch's weights, gathered (shuffled epochs)
    bint backup_valid           # backup holds the parameters before the latest update
    void* grad
    int optimizer               # OptimizerCode
    double lr, weight_decay
    const double* lrs           # the learning rate of each epoch of the call, or NULL
    double clip_norm            # > 0: the gradient scaled to global L2 norm ≤ clip_norm
    double unclipped_squares    # Σ g² up to which no step can be clipped (see train_step)
    double clip_value           # > 0: each gradient component clamped to [−v, v]
    double hyper[MAX_HYPER]     # the optimizer's other kernel arguments, in its order
    void* state[MAX_STATE]      # its state buffers (flat, like params), in its order
    long t
    Py_ssize_t epochs
    uint64_t first_epoch, seed
    bint shuffle
    int64_t* order
    KeyIndex* keys
    double* losses
    uint64_t drop_seed, drop_first_epoch  # dropout's seed and first epoch
    volatile char* stop
    Pending pending             # an exception raised by a signal handler (_signals.pxd)
    Py_ssize_t fail_epoch, fail_batch
    # Synchronous steps over MPI (fastprop.distributed); reduce NULL: one process alone.
    PyObject* reduce            # called once a step: sums[] ← its sum over the ranks
    void* sums                  # n_params + 3: [Σ w·g | Σ w·L | Σ w | 1 if not finite]
    Py_ssize_t steps            # steps per epoch: the most batches any rank's shard has


# ---------------------------------------------------------------------- dropout
cdef inline uint64_t step_stream(uint64_t seed, uint64_t epoch, uint64_t batch) noexcept nogil:
    """mix(mix((s ⊕ σ) + γ·(e + 1)) + γ·(b + 1)): one training step's dropout stream."""
    cdef uint64_t gamma = FASTPROP_GAMMA
    return mix64(mix64((seed ^ FASTPROP_DROPOUT_SALT) + gamma * (epoch + 1)) +
                 gamma * (batch + 1))


cdef inline uint64_t layer_stream(uint64_t stream, Py_ssize_t layer) noexcept nogil:
    """mix(stream + γ·(l + 1)): layer l's stream within a step."""
    cdef uint64_t gamma = FASTPROP_GAMMA
    return mix64(stream + gamma * <uint64_t>(layer + 1))


cdef inline void drop_units(double rate, const floating* a, floating* mask, floating* kept,
                            Py_ssize_t n, uint64_t stream) noexcept nogil:
    """mask_i = 1/(1 − p) if u_i ≥ p else 0, u_i = (mix(stream + γ·(i + 1)) >> 11)·2⁻⁵³;
    kept_i = a_i·mask_i (``fastprop.dropout``)."""
    cdef uint64_t gamma = FASTPROP_GAMMA
    cdef floating scale = <floating>(1 / (1 - rate))
    cdef double u
    cdef Py_ssize_t i
    for i in range(n):
        u = <double>(mix64(stream + gamma * <uint64_t>(i + 1)) >> 11) * 1.1102230246251565e-16
        mask[i] = scale if u >= rate else 0
        kept[i] = a[i] * mask[i]


# ---------------------------------------------------------------------- the passes
cdef inline void forward(const Net* net, const floating* params, const floating* x,
                  Py_ssize_t rows, const Work* w) noexcept nogil:
    """a_0 = x ; z_l = a_l·W_l + b_l ; a_{l+1} = f_l(z_l). Hidden a_l in place of z_l,
    unless f′ needs z (then both are kept); the output layer keeps both z (for the loss)
    and ŷ = a_L."""
    cdef floating* base = <floating*>w.base
    cdef const floating* a_in = x
    cdef floating* out
    cdef Py_ssize_t l, last = net.n_layers - 1, n_in, n_out
    for l in range(net.n_layers):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        out = base + w.a_off[l + 1] if l != last else NULL
        if l == last:
            out = base + w.z_out
        elif w.z_off[l + 1] >= 0:
            out = base + w.z_off[l + 1]
        dense_forward(a_in, params + net.w_off[l],
                      params + net.b_off[l] if net.b_off != NULL else NULL,
                      out, rows, n_in, n_out, w.pack)
        if l == last:
            activate(net.act[l], out, base + w.a_out, rows, n_out, <floating>net.slope)
        else:
            a_in = base + w.a_off[l + 1]
            activate(net.act[l], out, <floating*>a_in, rows, n_out, <floating>net.slope)
            if w.dropping and w.m_off[l + 1] >= 0:  # a_l ⊙ mask: the next layer's input
                drop_units(net.dropout[l + 1], a_in, base + w.m_off[l + 1],
                           base + w.h_off[l + 1], rows * n_out,
                           layer_stream(w.drop_stream, l + 1))
                a_in = base + w.h_off[l + 1]


cdef inline double forward_loss(const Net* net, const floating* params, const floating* x,
                                const floating* y, const floating* rw, Py_ssize_t rows,
                                const Work* w) noexcept nogil:
    """Forward, then the fused loss and output δ (into the workspace's d0); returns L
    (the weighted mean over the rows with row weights ``rw``, else NULL)."""
    cdef floating* base = <floating*>w.base
    cdef Py_ssize_t last = net.n_layers - 1
    forward(net, params, x, rows, w)
    return output_loss_delta(net.loss, net.act[last], base + w.z_out, base + w.a_out, y,
                             rw, base + w.d0, rows, net.sizes[net.n_layers],
                             <floating>net.slope, net.loss_param)


cdef inline floating* backward_layer(const Net* net, Py_ssize_t l, const floating* params,
                              const floating* x, Py_ssize_t rows, const Work* w,
                              floating* delta, floating* grad) noexcept nogil:
    """Layer l's gradient into ``grad`` from its δ; returns δ_{l−1} (in the workspace's
    other δ buffer), or NULL for the first layer."""
    cdef floating* base = <floating*>w.base
    cdef Py_ssize_t n_in = net.sizes[l], n_out = net.sizes[l + 1]
    cdef bint masked = l > 0 and w.dropping and w.m_off[l] >= 0
    cdef const floating* a_in = x if l == 0 else base + (w.h_off[l] if masked else w.a_off[l])
    cdef floating* delta_in = NULL
    cdef floating* m
    cdef Py_ssize_t i
    if l > 0:
        delta_in = base + (w.d1 if delta == base + w.d0 else w.d0)
    dense_backward(a_in, params + net.w_off[l], delta, grad + net.w_off[l],
                   grad + net.b_off[l] if net.b_off != NULL else NULL,
                   delta_in, rows, n_in, n_out, w.pack)
    if l > 0:  # δ_{l−1} = (δ_l·W_lᵀ) [⊙ mask] ⊙ f′(z_{l−1})
        if masked:
            m = base + w.m_off[l]
            for i in range(rows * n_in):
                delta_in[i] = delta_in[i] * m[i]
        times_derivative(net.act[l - 1], base + w.z_off[l] if w.z_off[l] >= 0 else NULL,
                         base + w.a_off[l], delta_in, rows * n_in, <floating>net.slope)
    return delta_in


cdef inline double loss_and_grad(const Net* net, const floating* params, const floating* x,
                                 const floating* y, const floating* rw, Py_ssize_t rows,
                                 const Work* w, floating* grad) noexcept nogil:
    """Forward, the fused loss and output δ, then backward into ``grad``; returns L
    (row weights ``rw``: see ``forward_loss``)."""
    cdef double loss = forward_loss(net, params, x, y, rw, rows, w)
    cdef floating* delta = <floating*>w.base + w.d0
    cdef Py_ssize_t l
    for l in range(net.n_layers - 1, -1, -1):
        delta = backward_layer(net, l, params, x, rows, w, delta, grad)
    return loss


cdef inline double gather_batch(const Job* job, Py_ssize_t start, Py_ssize_t rows,
                                const floating** xb, const floating** yb,
                                const floating** wb) noexcept nogil:
    """The batch of ``rows`` samples from position ``start`` of the epoch: pointers to its
    inputs, targets and sample weights (NULL without weights), gathered into the
    workspace in the epoch's order when it is shuffled, else views of the data. Returns
    the batch's weight: Σ w over its samples, or ``rows``."""
    cdef floating* base = <floating*>job.work.base
    cdef const floating* X = <const floating*>job.X
    cdef const floating* Y = <const floating*>job.Y
    cdef const floating* sample_w = <const floating*>job.weights
    cdef floating* gathered_w = <floating*>job.batch_weights
    cdef Py_ssize_t n_in = job.net.sizes[0], k = job.net.sizes[job.net.n_layers], i
    cdef double total
    if job.shuffle:
        for i in range(rows):
            memcpy(base + job.work.xb + i * n_in, X + job.order[start + i] * n_in,
                   n_in * sizeof(floating))
            memcpy(base + job.work.yb + i * k, Y + job.order[start + i] * k,
                   k * sizeof(floating))
        xb[0] = base + job.work.xb
        yb[0] = base + job.work.yb
    else:
        xb[0] = X + start * n_in
        yb[0] = Y + start * k
    if sample_w == NULL:
        wb[0] = NULL
        return rows
    if job.shuffle:
        for i in range(rows):
            gathered_w[i] = sample_w[job.order[start + i]]
        wb[0] = gathered_w
    else:
        wb[0] = sample_w + start
    total = 0  # in order, in float64 (as the reference path sums a batch's weights)
    for i in range(rows):
        total += wb[0][i]
    return total


cdef inline int update(Job* job, const floating* cur, floating* nxt, Py_ssize_t start,
                Py_ssize_t stop) noexcept nogil:
    """The optimizer step for parameters [start, stop) of the flat buffer (``job.t`` is
    the step's number); 1 if a new parameter is not finite."""
    cdef Py_ssize_t n = stop - start
    cdef floating* g = <floating*>job.grad + start
    cdef floating* s0 = <floating*>job.state[0] + start if job.state[0] != NULL else NULL
    cdef floating* s1 = <floating*>job.state[1] + start if job.state[1] != NULL else NULL
    cdef floating* s2 = <floating*>job.state[2] + start if job.state[2] != NULL else NULL
    cdef const double* h = job.hyper
    if job.optimizer == SGD:  # momentum, nesterov; state: momentum_buffer (momentum > 0)
        return sgd_update(n, cur + start, nxt + start, g, s0, job.lr, h[0], h[1] != 0,
                          job.weight_decay)
    if job.optimizer == ADAM or job.optimizer == ADAMW:
        # beta1, beta2, eps, amsgrad; state: exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad)
        return adam_update(n, cur + start, nxt + start, g, s0, s1, s2, job.lr, h[0], h[1],
                           h[2], job.weight_decay, job.optimizer == ADAMW, job.t)
    if job.optimizer == RMSPROP:
        # alpha, eps, momentum; state: square_avg, momentum_buffer, grad_avg (centered)
        return rmsprop_update(n, cur + start, nxt + start, g, s0, s1, s2, job.lr, h[0],
                              h[1], h[2], job.weight_decay)
    if job.optimizer == ADAGRAD:  # lr_decay, eps; state: sum
        return adagrad_update(n, cur + start, nxt + start, g, s0, job.lr, h[0], h[1],
                              job.weight_decay, job.t)
    return 1  # no such optimizer (``_fill_optimizer`` refuses it): nothing is applied


cdef inline void clamp_values(floating* g, Py_ssize_t n, double limit) noexcept nogil:
    """g_i ← min(max(g_i, −v), v) (``torch.nn.utils.clip_grad_value_``); a NaN stays NaN,
    so divergence is still seen. (Each test keeps g when it fails — ``hi < g ? hi : g``
    — the form of the CPU's min/max instructions, so the loop vectorises.)"""
    cdef floating hi = <floating>limit, lo = -<floating>limit, x
    cdef Py_ssize_t i
    for i in range(n):
        x = g[i]
        x = hi if hi < x else x
        x = lo if x < lo else x
        g[i] = x


cdef inline void scale_and_clamp(floating* g, Py_ssize_t n, floating c,
                                 double limit) noexcept nogil:
    """g_i ← g_i·c, then clamped to [−v, v] when v = ``limit`` > 0 (as ``clamp_values``)."""
    cdef floating hi = <floating>limit, lo = -<floating>limit, x
    cdef Py_ssize_t i
    if limit > 0:
        for i in range(n):
            x = g[i] * c
            x = hi if hi < x else x
            x = lo if x < lo else x
            g[i] = x
    else:
        for i in range(n):
            g[i] = g[i] * c


cdef inline double sum_squares(const floating* g, Py_ssize_t n) noexcept nogil:
    """Σ g_i²: BLAS's dot for long vectors (accumulated in the vectors' dtype); for short
    ones, where the call would cost more than the sum (the worked examples' few weights),
    a loop in float64."""
    cdef double total = 0
    cdef Py_ssize_t i
    if n >= 64:
        return dot(n, g, g)
    for i in range(n):
        total += <double>g[i] * g[i]
    return total


cdef inline int clip_and_update(Job* job, const floating* cur, floating* nxt,
                                double squares) noexcept nogil:
    """The update of the whole gradient (Σ g² = ``squares`` when clipping by norm): g·c
    for c = clip_norm/(‖g‖ + 10⁻⁶) when below 1, then clamped to ±clip_value, block by
    block just before the block's update while it is in cache; 1 if a new parameter is
    not finite."""
    cdef floating* grad = <floating*>job.grad
    cdef double factor = 1
    cdef Py_ssize_t start, end = 0
    cdef int bad = 0
    if job.clip_norm > 0 and squares > job.unclipped_squares:  # (else: factor ≥ 1 for
        factor = job.clip_norm / (<floating>sqrt(squares) + 1e-6)  # sure, no √ or ÷)
    if <floating>factor < 1 or job.clip_value > 0:
        while end < job.n_params:
            start = end
            end = min(end + CLIP_BLOCK, job.n_params)
            scale_and_clamp(grad + start, end - start,
                            <floating>factor if <floating>factor < 1 else 1, job.clip_value)
            bad |= update(job, cur, nxt, start, end)
        return bad
    return update(job, cur, nxt, 0, job.n_params)


cdef inline int train_step(Job* job, const floating* cur, floating* nxt, const floating* x,
                           const floating* y, const floating* rw, Py_ssize_t rows,
                           double* loss) noexcept nogil:
    """One step: forward, loss, then backward layer by layer, each layer's parameters
    updated (into ``nxt``) as soon as its gradient is known, while that gradient is
    still in cache (with ``clip_value``, clamped first). With ``clip_norm`` the whole
    gradient comes first: ‖g‖ = √Σ_l ‖g_l‖² (each layer's sum of squares taken while it
    is in cache), g ← g·c/(‖g‖ + 10⁻⁶) when that factor is below 1, as PyTorch's
    ``clip_grad_norm_``, then the values clamped, then one update. Returns 0,
    DIVERGED_LOSS (nothing updated) or DIVERGED_UPDATE."""
    cdef const Net* net = &job.net
    cdef floating* grad = <floating*>job.grad
    cdef floating* delta = <floating*>job.work.base + job.work.d0
    cdef Py_ssize_t l, end = job.n_params
    cdef double squares = 0
    cdef int bad = 0
    loss[0] = forward_loss(net, cur, x, y, rw, rows, &job.work)
    if not isfinite(loss[0]):
        return DIVERGED_LOSS
    job.t += 1
    for l in range(net.n_layers - 1, -1, -1):
        delta = backward_layer(net, l, cur, x, rows, &job.work, delta, grad)
        if job.clip_norm > 0:
            squares += sum_squares(grad + net.w_off[l], end - net.w_off[l])
        else:
            if job.clip_value > 0:
                clamp_values(grad + net.w_off[l], end - net.w_off[l], job.clip_value)
            bad |= update(job, cur, nxt, net.w_off[l], end)
        end = net.w_off[l]
    if job.clip_norm > 0:
        bad = clip_and_update(job, cur, nxt, squares)
    return DIVERGED_UPDATE if bad else 0
