"""Activation kernels: a = f(z) and δ ← δ ⊙ f′(z), elementwise (softmax: per row), with
the constants of PyTorch's definitions. The catalogue ``fastprop.activations`` states the
same functions in NumPy; ``ActivationCode`` (``_codes.pxd``) names them."""

from libc.math cimport erf, erff, exp, expf, expm1, expm1f, log1p, log1pf, tanh, tanhf
from cython cimport floating

from _codes cimport ELU, EXP, GELU, GELU_TANH, IDENTITY, LEAKY_RELU, RELU, SELU, SIGMOID
from _codes cimport SILU, SOFTMAX, SOFTPLUS, TANH


cdef inline floating _exp(floating x) noexcept nogil:
    if floating is double:
        return exp(x)
    else:
        return expf(x)


cdef inline floating _sigmoid(floating z) noexcept nogil:
    # σ(z) = 1 / (1 + e^(−z))  (SciPy's expit; exact 0 or 1 in the far tails, never NaN)
    return 1 / (1 + _exp(-z))


cdef inline floating _tanh(floating x) noexcept nogil:
    if floating is double:
        return tanh(x)
    else:
        return tanhf(x)


cdef inline floating _erf(floating x) noexcept nogil:
    if floating is double:
        return erf(x)
    else:
        return erff(x)


cdef inline floating _expm1(floating x) noexcept nogil:
    if floating is double:
        return expm1(x)
    else:
        return expm1f(x)


cdef inline floating _log1p(floating x) noexcept nogil:
    if floating is double:
        return log1p(x)
    else:
        return log1pf(x)


# The constants of GELU, SELU and softplus, as PyTorch defines them.
cdef enum:
    SOFTPLUS_THRESHOLD = 20      # softplus(z) = z above it (β = 1)

cdef inline double _SQRT1_2() noexcept nogil:      # 1/√2
    return 0.70710678118654752440

cdef inline double _INV_SQRT_2PI() noexcept nogil:  # 1/√(2π)
    return 0.39894228040143267794

cdef inline double _SQRT_2_OVER_PI() noexcept nogil:  # √(2/π)
    return 0.79788456080286535588

cdef inline double _GELU_CUBIC() noexcept nogil:   # the tanh approximation's 0.044715
    return 0.044715

cdef inline double _SELU_SCALE() noexcept nogil:   # λ
    return 1.0507009873554804934193349852946

cdef inline double _SELU_ALPHA() noexcept nogil:   # α
    return 1.6732632423543772848170429916717


cdef inline void activate(int act, floating* z, floating* a, Py_ssize_t rows,
                          Py_ssize_t cols, floating slope) noexcept nogil:
    """a = f(z) elementwise (softmax: per row). ``a`` may be ``z`` (in place)."""
    cdef Py_ssize_t i, j, n = rows * cols
    cdef floating m, s, v
    if act == IDENTITY:
        if a != z:
            for i in range(n):
                a[i] = z[i]
    elif act == RELU:
        for i in range(n):
            a[i] = z[i] if z[i] > 0 else 0
    elif act == LEAKY_RELU:
        for i in range(n):
            a[i] = z[i] if z[i] > 0 else slope * z[i]
    elif act == SIGMOID:
        for i in range(n):
            a[i] = _sigmoid(z[i])
    elif act == TANH:
        for i in range(n):
            a[i] = _tanh(z[i])
    elif act == GELU:       # a = z·Φ(z) = z/2·(1 + erf(z/√2))
        for i in range(n):
            a[i] = <floating>0.5 * z[i] * (1 + _erf(z[i] * <floating>_SQRT1_2()))
    elif act == GELU_TANH:  # a = z/2·(1 + tanh(√(2/π)·(z + 0.044715·z³)))
        for i in range(n):
            v = z[i]
            a[i] = <floating>0.5 * v * (1 + _tanh(<floating>_SQRT_2_OVER_PI() *
                                                  (v + <floating>_GELU_CUBIC() * v * v * v)))
    elif act == SILU:       # a = z·σ(z) = z / (1 + e^(−z))
        for i in range(n):
            a[i] = z[i] / (1 + _exp(-z[i]))
    elif act == ELU:        # a = z if z > 0 else e^z − 1   (α = 1)
        for i in range(n):
            a[i] = z[i] if z[i] > 0 else _expm1(z[i])
    elif act == SELU:       # a = λ·z if z > 0 else λ·α·(e^z − 1)
        for i in range(n):
            a[i] = <floating>_SELU_SCALE() * z[i] if z[i] > 0 else \
                <floating>(_SELU_SCALE() * _SELU_ALPHA()) * _expm1(z[i])
    elif act == SOFTPLUS:   # a = log(1 + e^z), = z above the threshold (20)
        for i in range(n):
            a[i] = z[i] if z[i] > SOFTPLUS_THRESHOLD else _log1p(_exp(z[i]))
    elif act == EXP:        # a = e^z (the rate of a Poisson output)
        for i in range(n):
            a[i] = _exp(z[i])
    elif act == SOFTMAX:  # a_j = e^(z_j − max z) / Σ_k e^(z_k − max z)
        for i in range(rows):
            m = z[i * cols]
            for j in range(1, cols):
                if z[i * cols + j] > m:
                    m = z[i * cols + j]
            s = 0
            for j in range(cols):
                v = _exp(z[i * cols + j] - m)
                a[i * cols + j] = v
                s += v
            for j in range(cols):
                a[i * cols + j] = a[i * cols + j] / s


cdef inline void times_derivative(int act, const floating* z, const floating* a,
                                  floating* delta, Py_ssize_t n,
                                  floating slope) noexcept nogil:
    """δ ← δ ⊙ f′(z). Most f′ are written with the activation's output a = f(z); GELU,
    SiLU and softplus need z itself (the workspace keeps it for them; else z is NULL)."""
    cdef Py_ssize_t i
    cdef floating v, s, t, c = <floating>_SQRT_2_OVER_PI(), k = <floating>_GELU_CUBIC()
    # (branch-free selects: random signs would make a branch mispredict half the time)
    if act == RELU:          # f′ = 1 if a > 0 else 0
        for i in range(n):
            delta[i] = delta[i] if a[i] > 0 else 0
    elif act == LEAKY_RELU:  # f′ = 1 if a > 0 else slope
        for i in range(n):
            delta[i] = delta[i] if a[i] > 0 else delta[i] * slope
    elif act == SIGMOID:     # f′ = a·(1 − a)
        for i in range(n):
            delta[i] = delta[i] * (a[i] * (1 - a[i]))
    elif act == TANH:        # f′ = 1 − a²
        for i in range(n):
            delta[i] = delta[i] * (1 - a[i] * a[i])
    elif act == GELU:        # f′ = Φ(z) + z·φ(z) = ½(1 + erf(z/√2)) + z·e^(−z²/2)/√(2π)
        for i in range(n):
            v = z[i]
            delta[i] = delta[i] * (<floating>0.5 * (1 + _erf(v * <floating>_SQRT1_2())) +
                                   v * _exp(<floating>-0.5 * v * v) *
                                   <floating>_INV_SQRT_2PI())
    elif act == GELU_TANH:   # t = tanh(c(z + k z³)): f′ = ½(1 + t) + ½z(1 − t²)·c(1 + 3k z²)
        for i in range(n):
            v = z[i]
            t = _tanh(c * (v + k * v * v * v))
            delta[i] = delta[i] * (<floating>0.5 * (1 + t) + <floating>0.5 * v * (1 - t * t) *
                                   c * (1 + 3 * k * v * v))
    elif act == SILU:        # s = σ(z): f′ = s·(1 + z·(1 − s))
        for i in range(n):
            s = _sigmoid(z[i])
            delta[i] = delta[i] * (s * (1 + z[i] * (1 - s)))
    elif act == ELU:         # f′ = 1 if a > 0 else a + 1   (e^z = a + 1)
        for i in range(n):
            delta[i] = delta[i] if a[i] > 0 else delta[i] * (a[i] + 1)
    elif act == SELU:        # f′ = λ if a > 0 else a + λ·α
        for i in range(n):
            delta[i] = delta[i] * (<floating>_SELU_SCALE() if a[i] > 0 else
                                   a[i] + <floating>(_SELU_SCALE() * _SELU_ALPHA()))
    elif act == EXP:         # f′ = e^z = a
        for i in range(n):
            delta[i] = delta[i] * a[i]
    elif act == SOFTPLUS:    # f′ = σ(z), = 1 above the threshold
        for i in range(n):
            delta[i] = delta[i] if z[i] > SOFTPLUS_THRESHOLD else delta[i] * _sigmoid(z[i])
