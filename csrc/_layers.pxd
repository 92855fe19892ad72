"""Dense-layer kernels: forward, fused loss + output delta, backward.

Vocabulary of the worked examples. For a batch of B rows, layer l maps a_l (B × n_in)
through W_l (n_in × n_out) and b_l (n_out):

    forward    z = a_l·W_l + b_l ;  a_{l+1} = f(z)       (activation fused: _activations.pxd)
    output     L and δ = ∂L/∂z of the last layer, in one pass       (see output_loss_delta)
    backward   ∂L/∂W_l = a_lᵀ·δ_l ;  ∂L/∂b_l = Σ_rows δ_l
               δ_{l−1} = (δ_l·W_lᵀ) ⊙ f′(a_l)                     (derivative fused)

Products go through ``_blas.gemm`` (fastprop's own kernels or BLAS, given the workspace's
``pack`` scratch) when the layer is big enough to pay for the call, through plain loops
otherwise (``BLAS_MIN_FLOPS``). All arrays are row-major and contiguous.
"""

from libc.math cimport exp, log, log1p
from libc.string cimport memcpy, memset
from cython cimport floating

from _activations cimport times_derivative
from _blas cimport gemm
from _codes cimport BCE, CROSS_ENTROPY, HUBER, MAE, MSE, POISSON, SOFTMAX

# Below this many multiply-adds (rows × n_in × n_out) a product runs in plain loops:
# a BLAS call's fixed cost (argument checks, threading, packing) exceeds the arithmetic.
# Measured with benchmarks/gemm_threshold.py (SciPy's OpenBLAS, 335 layer shapes, 1 thread,
# AMD EPYC Zen 3 / AVX2; results/gemm_threshold.json): loops lose from a few hundred
# multiply-adds on (one-output-column layers worst); 512 keeps the mean slowdown against
# the better method per shape at 1.11 (float32) / 1.04 (float64), against 1.18 / 1.15 at 4096.
cdef enum:
    BLAS_MIN_FLOPS = 512


cdef inline void dense_forward(const floating* a_in, const floating* W, const floating* b,
                               floating* z, Py_ssize_t rows, Py_ssize_t n_in,
                               Py_ssize_t n_out, void* pack) noexcept nogil:
    """z = a_in·W + b  (b may be NULL: no bias).

    Through BLAS the bias is fused into the product: z is filled with b row by row and
    the GEMM adds a_in·W to it (beta = 1), which also spares BLAS its zeroing of z."""
    cdef Py_ssize_t r, k, j
    cdef floating x, s0, s1, s2, s3
    cdef floating* zr
    cdef const floating* ar
    cdef const floating* wk
    if rows * n_in * n_out >= BLAS_MIN_FLOPS:
        if b != NULL:
            for r in range(rows):
                memcpy(z + r * n_out, b, n_out * sizeof(floating))
        gemm(False, False, <int>rows, <int>n_out, <int>n_in, a_in, <int>n_in, W,
             <int>n_out, b != NULL, z, <int>n_out, pack)
        return
    # The loops: each z_rj summed in registers, four outputs at a time (a store and a
    # reload of z per term would chain every multiply-add behind the store of the last).
    for r in range(rows):
        ar = a_in + r * n_in
        zr = z + r * n_out
        j = 0
        while j + 4 <= n_out:
            s0 = s1 = s2 = s3 = 0
            for k in range(n_in):
                x = ar[k]
                wk = W + k * n_out + j
                s0 = s0 + x * wk[0]
                s1 = s1 + x * wk[1]
                s2 = s2 + x * wk[2]
                s3 = s3 + x * wk[3]
            if b != NULL:
                s0, s1, s2, s3 = s0 + b[j], s1 + b[j + 1], s2 + b[j + 2], s3 + b[j + 3]
            zr[j], zr[j + 1], zr[j + 2], zr[j + 3] = s0, s1, s2, s3
            j += 4
        while j < n_out:
            s0 = 0
            for k in range(n_in):
                s0 = s0 + ar[k] * W[k * n_out + j]
            zr[j] = s0 + b[j] if b != NULL else s0
            j += 1


cdef inline void dense_backward(const floating* a_in, const floating* W, const floating* delta,
                                floating* grad_W, floating* grad_b, floating* delta_in,
                                Py_ssize_t rows, Py_ssize_t n_in, Py_ssize_t n_out,
                                void* pack) noexcept nogil:
    """∂L/∂W = a_inᵀ·δ ; ∂L/∂b = Σ_rows δ (grad_b may be NULL) ;
    δ_in = δ·Wᵀ (delta_in may be NULL: first layer). The caller multiplies δ_in by f′."""
    cdef Py_ssize_t r, k, j
    cdef floating x, s
    cdef const floating* dr
    cdef const floating* wk
    cdef floating* gk
    cdef bint blas = rows * n_in * n_out >= BLAS_MIN_FLOPS
    if blas:
        gemm(True, False, <int>n_in, <int>n_out, <int>rows, a_in, <int>n_in, delta,
             <int>n_out, False, grad_W, <int>n_out, pack)
    elif rows == 0:
        memset(grad_W, 0, n_in * n_out * sizeof(floating))
    else:  # the first row's terms written, the later rows' added (no zeroing pass)
        for k in range(n_in):
            x = a_in[k]
            gk = grad_W + k * n_out
            for j in range(n_out):
                gk[j] = x * delta[j]
        for r in range(1, rows):
            dr = delta + r * n_out
            for k in range(n_in):
                x = a_in[r * n_in + k]
                gk = grad_W + k * n_out
                for j in range(n_out):
                    gk[j] += x * dr[j]
    if grad_b != NULL:
        for j in range(n_out):
            grad_b[j] = delta[j] if rows > 0 else 0
        for r in range(1, rows):
            dr = delta + r * n_out
            for j in range(n_out):
                grad_b[j] += dr[j]
    if delta_in == NULL:
        return
    if blas:
        gemm(False, True, <int>rows, <int>n_in, <int>n_out, delta, <int>n_out, W,
             <int>n_out, False, delta_in, <int>n_in, pack)
        return
    for r in range(rows):
        dr = delta + r * n_out
        for k in range(n_in):
            wk = W + k * n_out
            s = 0
            for j in range(n_out):
                s += dr[j] * wk[j]
            delta_in[r * n_in + k] = s


cdef inline double _softplus_minus_yz(double z, double y) noexcept nogil:
    # softplus(z) − y·z = max(z, 0) − y·z + log(1 + e^(−|z|)): finite for any z
    return (z if z > 0 else 0) - y * z + log1p(exp(-z if z > 0 else z))


cdef inline double _cross_entropy_row(const floating* z, const floating* y,
                                      Py_ssize_t k) noexcept nogil:
    """One row's −Σ_j y_j·log softmax(z)_j = logsumexp(z) − Σ_j y_j·z_j."""
    cdef Py_ssize_t j
    cdef double m = z[0], s = 0, zy = 0
    for j in range(1, k):
        if z[j] > m:
            m = z[j]
    for j in range(k):
        s += exp(z[j] - m)
        zy += y[j] * z[j]
    return m + log(s) - zy


cdef inline void _softmax_jacobian(const floating* a, floating* delta, Py_ssize_t rows,
                                   Py_ssize_t k) noexcept nogil:
    """δ ← ∂L/∂z from g = ∂L/∂ŷ (in δ) through softmax: δ_j = ŷ_j·(g_j − Σ_i g_i·ŷ_i)."""
    cdef Py_ssize_t i, j
    cdef floating dot, g
    for i in range(rows):
        dot = 0
        for j in range(k):
            dot += delta[i * k + j] * a[i * k + j]
        for j in range(k):
            g = delta[i * k + j]
            delta[i * k + j] = a[i * k + j] * (g - dot)


cdef inline double _weight_sum(const floating* rw, Py_ssize_t rows, floating* delta,
                               Py_ssize_t k) noexcept nogil:
    """Σ_r w_r, in order in float64; when every row weighs 0 the batch has no loss and
    no gradient (not 0/0): δ (when wanted) is set to 0."""
    cdef double sw = 0
    cdef Py_ssize_t i
    for i in range(rows):
        sw += rw[i]
    if sw == 0 and delta != NULL:
        for i in range(rows * k):
            delta[i] = 0
    return sw


cdef inline double _pointwise(int loss, double z, double a, double y, double param,
                              double* g) noexcept nogil:
    """One output's loss ℓ of mae, huber or poisson, and g = ∂ℓ/∂ŷ (∂ℓ/∂z for poisson,
    computed from the log-rate z with ŷ = a = e^z); ``param`` is Huber's δ.

    mae      ℓ = |ŷ − y|                             g = sign(ŷ − y)
    huber    ℓ = ½d² if |d| ≤ δ else δ(|d| − ½δ)     g = d if |d| ≤ δ else δ·sign(d)
    poisson  ℓ = e^z − y·z                           g = e^z − y
    """
    cdef double d = a - y, m = d if d > 0 else -d
    if loss == MAE:
        g[0] = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
        return m
    if loss == HUBER:
        if m <= param:
            g[0] = d
            return 0.5 * d * d
        g[0] = param if d > 0 else -param
        return param * (m - 0.5 * param)
    g[0] = d  # poisson
    return a - y * z


cdef inline double _pointwise_loss_delta(int loss, int out_act, const floating* z,
                                         const floating* a, const floating* y,
                                         const floating* rw, floating* delta,
                                         Py_ssize_t rows, Py_ssize_t k, floating slope,
                                         double param) noexcept nogil:
    """``output_loss_delta`` of mae, huber and poisson (means over rows and outputs; with
    row weights, row r's terms × w_r and B → Σ w), then f′ for mae and huber."""
    cdef Py_ssize_t i, j
    cdef double total = 0, row, g, sw = rows
    cdef floating c
    if rw != NULL:
        sw = _weight_sum(rw, rows, delta, k)
        if sw == 0:
            return 0
    for i in range(rows):
        row = 0
        c = <floating>((rw[i] if rw != NULL else 1.0) / (sw * k))
        for j in range(k):
            row += _pointwise(loss, z[i * k + j], a[i * k + j], y[i * k + j], param, &g)
            if delta != NULL:
                delta[i * k + j] = <floating>g * c
        total += row * (rw[i] if rw != NULL else 1.0)
    if delta != NULL and loss != POISSON:  # poisson's g is already ∂ℓ/∂z
        if out_act == SOFTMAX:
            _softmax_jacobian(a, delta, rows, k)
        else:
            times_derivative(out_act, z, a, delta, rows * k, slope)
    return total / (sw * k)


cdef inline double output_loss_delta(int loss, int out_act, const floating* z,
                                     const floating* a, const floating* y,
                                     const floating* rw, floating* delta,
                                     Py_ssize_t rows, Py_ssize_t k, floating slope,
                                     double param) noexcept nogil:
    """Return the batch's mean loss and write δ = ∂L/∂z of the output layer.

    mse            L = Σ (ŷ − y)² / (B·k)            δ = 2(ŷ − y)/(B·k) ⊙ f′(z)
                   (softmax output: δ_j = ŷ_j·(g_j − Σ_i g_i·ŷ_i) with g = ∂L/∂ŷ)
    bce            L = Σ softplus(z) − y·z / (B·k)   δ = (ŷ − y)/(B·k)
    cross_entropy  L = Σ_rows (logsumexp(z) − Σ_j y_j·z_j) / B      δ = (ŷ − y)/B
    mae, huber, poisson: ``_pointwise`` (``param``: Huber's δ).
    ``delta`` may be NULL (loss only). With row weights ``rw`` (else NULL) the mean over
    the B rows becomes the weighted mean: each row's terms × w_r, and B → Σ_r w_r (a
    batch whose weights are all 0 has loss 0 and δ = 0).
    """
    if loss == MAE or loss == HUBER or loss == POISSON:
        return _pointwise_loss_delta(loss, out_act, z, a, y, rw, delta, rows, k, slope,
                                     param)
    if rw != NULL:
        return _weighted_loss_delta(loss, out_act, z, a, y, rw, delta, rows, k, slope)
    cdef Py_ssize_t i, j, n = rows * k
    cdef double total = 0, d
    cdef floating scale
    if loss == BCE:
        scale = 1 / <floating>(n)
        for i in range(n):
            total += _softplus_minus_yz(z[i], y[i])
            if delta != NULL:
                delta[i] = (a[i] - y[i]) * scale
        return total / n
    if loss == CROSS_ENTROPY:
        scale = 1 / <floating>(rows)
        for i in range(rows):
            total += _cross_entropy_row(z + i * k, y + i * k, k)
            if delta != NULL:
                for j in range(k):
                    delta[i * k + j] = (a[i * k + j] - y[i * k + j]) * scale
        return total / rows
    # mse
    scale = 2 / <floating>(n)
    for i in range(n):
        d = a[i] - y[i]
        total += d * d
    if delta == NULL:
        return total / n
    for i in range(n):
        delta[i] = (a[i] - y[i]) * scale
    if out_act == SOFTMAX:
        _softmax_jacobian(a, delta, rows, k)
    else:
        times_derivative(out_act, z, a, delta, n, slope)
    return total / n


cdef inline double _weighted_loss_delta(int loss, int out_act, const floating* z,
                                        const floating* a, const floating* y,
                                        const floating* rw, floating* delta,
                                        Py_ssize_t rows, Py_ssize_t k,
                                        floating slope) noexcept nogil:
    """``output_loss_delta`` with row weights: L = Σ_r w_r·ℓ_r / Σ_r w_r, where ℓ_r is row
    r's loss (mean over its k outputs for mse and bce), and δ_r = w_r·(δ of ℓ_r)/Σ w."""
    cdef Py_ssize_t i, j
    cdef double total = 0, row, d
    cdef floating c
    cdef double sw = _weight_sum(rw, rows, delta, k)
    if sw == 0:
        return 0
    for i in range(rows):
        row = 0
        if loss == CROSS_ENTROPY:
            row = _cross_entropy_row(z + i * k, y + i * k, k)
            c = <floating>(rw[i] / sw)
        elif loss == BCE:
            for j in range(k):
                row += _softplus_minus_yz(z[i * k + j], y[i * k + j])
            c = <floating>(rw[i] / (sw * k))
        else:  # mse
            for j in range(k):
                d = a[i * k + j] - y[i * k + j]
                row += d * d
            c = <floating>(2 * rw[i] / (sw * k))
        total += rw[i] * row
        if delta != NULL:
            for j in range(k):
                delta[i * k + j] = (a[i * k + j] - y[i * k + j]) * c
    if loss != CROSS_ENTROPY:
        total /= k
    if delta != NULL and loss == MSE:
        if out_act == SOFTMAX:
            _softmax_jacobian(a, delta, rows, k)
        else:
            times_derivative(out_act, z, a, delta, rows * k, slope)
    return total / sw
