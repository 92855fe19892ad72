"""Python's signal handlers, and Python callables, run from the compiled loops, which
hold no GIL.

About every 20 ms of CPU time a loop takes the GIL and runs the handlers
(``PyErr_CheckSignals``). When one raises — KeyboardInterrupt from Ctrl-C, a timeout
from SIGALRM, anything a custom handler raises — the exception is taken out of the
interpreter and kept in the loop's ``Pending`` record; the loop stops at a step boundary
and returns PY_ERROR, and its Python entry point raises the exception again
(``reraise``), so the caller sees exactly what the handler raised.
"""

from cpython.ref cimport PyObject
from libc.time cimport CLOCKS_PER_SEC, clock, clock_t

cdef extern from "Python.h":
    # Declared here without cpython.exc's `except -1`: in a noexcept function Cython would
    # print the handler's exception as "ignored" and drop it. It stays pending instead.
    int run_signal_handlers "PyErr_CheckSignals"() noexcept
    void PyErr_Fetch(PyObject** kind, PyObject** value, PyObject** traceback) noexcept
    void PyErr_Restore(PyObject* kind, PyObject* value, PyObject* traceback) noexcept
    PyObject* PyObject_CallNoArgs(PyObject* callable) noexcept
    void Py_DecRef(PyObject* obj) noexcept


ctypedef struct Pending:
    PyObject* kind              # the exception a signal handler raised, or NULL
    PyObject* value
    PyObject* traceback
    clock_t last_check


cdef inline void pending_start(Pending* p) noexcept nogil:
    p.kind = p.value = p.traceback = NULL
    p.last_check = clock()


cdef inline bint signal_raised(Pending* p) noexcept nogil:
    """Run the signal handlers when ~20 ms of CPU time have passed since the last time;
    True when one raised (its exception is then kept in ``p``)."""
    cdef clock_t now = clock()
    if now - p.last_check < CLOCKS_PER_SEC / 50:
        return False
    p.last_check = now
    with gil:
        if run_signal_handlers() == -1:
            PyErr_Fetch(&p.kind, &p.value, &p.traceback)
            return True
    return False


cdef inline bint call_raised(PyObject* callable, Pending* p) noexcept nogil:
    """Call ``callable()`` with the GIL; True when it raised (the exception then kept in
    ``p``, as a signal handler's)."""
    cdef PyObject* result
    with gil:
        result = PyObject_CallNoArgs(callable)
        if result == NULL:
            PyErr_Fetch(&p.kind, &p.value, &p.traceback)
            return True
        Py_DecRef(result)
    return False


cdef inline int reraise(Pending* p) except -1:
    """Raise the kept exception again (the GIL held, the loop returned)."""
    if p.kind == NULL:
        raise RuntimeError("a signal handler failed without an exception")
    PyErr_Restore(p.kind, p.value, p.traceback)  # takes over the references
    p.kind = p.value = p.traceback = NULL
    return -1
