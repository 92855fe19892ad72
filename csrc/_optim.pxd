"""Optimizer updates: one pass over the flat parameter buffer (``fastprop.optim`` rules).

Each update reads the parameters p from ``cur`` and writes the new ones to ``nxt`` (a
second buffer), so the parameters before the step stay available if it must be undone.
It returns 0 when every new parameter (and Adam's second moment) is finite, 1 otherwise:
p′ − p′ is 0 for finite p′
and NaN for inf or NaN, and an integer OR of (p′ − p′ != 0) vectorises (a floating-point
sum would force one serial add per parameter).
Scalars are rounded to the buffer's dtype first, as NumPy does with Python floats.
"""

from libc.math cimport pow, sqrt, sqrtf
from cython cimport floating


cdef inline floating _decayed(floating g, floating p, floating wd) noexcept nogil:
    """The gradient with L2 weight decay: g + wd·p (g itself when wd = 0)."""
    return g + wd * p if wd != 0 else g


cdef inline int sgd_update(Py_ssize_t n, const floating* cur, floating* nxt,
                                const floating* grad, floating* velocity, double lr_,
                                double momentum_, bint nesterov,
                                double weight_decay_) noexcept nogil:
    """g ← ∂L/∂p + wd·p ;  v ← μ·v + g ;  d ← g + μ·v (nesterov) or v (μ > 0) or g ;
    p′ = p − lr·d."""
    cdef floating lr = <floating>lr_, mu = <floating>momentum_, wd = <floating>weight_decay_
    cdef floating g, v, p
    cdef int bad = 0
    cdef Py_ssize_t i
    for i in range(n):
        p = cur[i]
        g = _decayed(grad[i], p, wd)
        if mu != 0:
            v = velocity[i] * mu
            v = v + g
            velocity[i] = v
            g = g + mu * v if nesterov else v
        p = p - lr * g
        nxt[i] = p
        bad |= (p - p) != 0
    return bad


cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is double:
        return sqrt(x)
    else:
        return sqrtf(x)


cdef inline int adam_update(Py_ssize_t n, const floating* cur, floating* nxt,
                                 const floating* grad, floating* m, floating* v,
                                 floating* vmax, double lr_, double beta1, double beta2,
                                 double eps_, double weight_decay_, bint decoupled,
                                 long t) noexcept nogil:
    """Adam:   g ← ∂L/∂p + wd·p ;   AdamW (decoupled): p ← p·(1 − lr·wd), g = ∂L/∂p ;
    m ← β₁·m + (1 − β₁)·g ;  v ← β₂·v + (1 − β₂)·g² ;  v̂ = max(v̂, v) with amsgrad
    (``vmax`` not NULL), else v̂ = v ;  p′ = p − lr/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + eps)."""
    cdef floating b1 = <floating>beta1, b2 = <floating>beta2
    cdef floating c1 = <floating>(1 - beta1), c2 = <floating>(1 - beta2)
    cdef floating step = <floating>(lr_ / (1 - pow(beta1, <double>t)))
    cdef floating corr2 = <floating>sqrt(1 - pow(beta2, <double>t))
    cdef floating eps = <floating>eps_, wd = <floating>weight_decay_
    cdef floating shrink = <floating>(1 - lr_ * weight_decay_)
    cdef floating g, mi, vi, p, denom
    cdef int bad = 0
    cdef Py_ssize_t i
    for i in range(n):
        p = cur[i]
        g = grad[i]
        if wd != 0:
            if decoupled:
                p = p * shrink
            else:
                g = g + wd * p
        mi = m[i] * b1
        mi = mi + c1 * g
        m[i] = mi
        vi = v[i] * b2
        vi = vi + c2 * g * g
        v[i] = vi
        if vmax != NULL:
            if vmax[i] > vi:
                vi = vmax[i]
            vmax[i] = vi
        denom = _sqrt(vi) / corr2 + eps
        p = p - step * (mi / denom)
        nxt[i] = p
        bad |= ((p - p) != 0) | ((vi - vi) != 0)  # an overflowed v would freeze p
    return bad


cdef inline int rmsprop_update(Py_ssize_t n, const floating* cur, floating* nxt,
                               const floating* grad, floating* square_avg,
                               floating* buf, floating* grad_avg, double lr_,
                               double alpha_, double eps_, double momentum_,
                               double weight_decay_) noexcept nogil:
    """g ← ∂L/∂p + wd·p ;  s ← α·s + (1 − α)·g² ;  centered (``grad_avg`` not NULL):
    ḡ ← ḡ + (1 − α)·(g − ḡ), d = √(s − ḡ²) + eps, else d = √s + eps ;
    momentum (``buf`` not NULL): b ← μ·b + g/d, p′ = p − lr·b ; else p′ = p − lr·g/d."""
    cdef floating lr = <floating>lr_, alpha = <floating>alpha_, eps = <floating>eps_
    cdef floating c = <floating>(1 - alpha_), mu = <floating>momentum_
    cdef floating wd = <floating>weight_decay_
    cdef floating g, si, avg, p, b, ga
    cdef int bad = 0
    cdef Py_ssize_t i
    for i in range(n):
        p = cur[i]
        g = _decayed(grad[i], p, wd)
        si = square_avg[i] * alpha
        si = si + c * g * g
        square_avg[i] = si
        if grad_avg != NULL:  # (PyTorch's lerp, weight 1 − α < ½: ḡ + w·(g − ḡ))
            ga = grad_avg[i]
            ga = ga + c * (g - ga)
            grad_avg[i] = ga
            avg = _sqrt(si - ga * ga) + eps
        else:
            avg = _sqrt(si) + eps
        if buf != NULL:
            b = buf[i] * mu
            b = b + g / avg
            buf[i] = b
            p = p - lr * b
        else:
            p = p - lr * (g / avg)
        nxt[i] = p
        bad |= ((p - p) != 0) | ((si - si) != 0)
    return bad


cdef inline int adagrad_update(Py_ssize_t n, const floating* cur, floating* nxt,
                               const floating* grad, floating* total, double lr_,
                               double lr_decay, double eps_, double weight_decay_,
                               long t) noexcept nogil:
    """g ← ∂L/∂p + wd·p ;  η = lr / (1 + (t − 1)·lr_decay) ;  Σ ← Σ + g² ;
    p′ = p − η·g / (√Σ + eps)."""
    cdef floating clr = <floating>(lr_ / (1 + (t - 1) * lr_decay))
    cdef floating eps = <floating>eps_, wd = <floating>weight_decay_
    cdef floating g, si, p
    cdef int bad = 0
    cdef Py_ssize_t i
    for i in range(n):
        p = cur[i]
        g = _decayed(grad[i], p, wd)
        si = total[i] + g * g
        total[i] = si
        p = p - clr * (g / (_sqrt(si) + eps))
        nxt[i] = p
        bad |= ((p - p) != 0) | ((si - si) != 0)
    return bad
