cdef extern from "fpenv.h" nogil:
    unsigned long fastprop_flush_denormals()
    void fastprop_restore_fpenv(unsigned long old)
