"""fastprop's benchmark harness: ``python -m benchmarks`` (or ``fastprop bench`` in a
checkout). See benchmarks/README.md for the method and the recorded results."""

#: Tells ``fastprop._bench`` that this ``benchmarks`` package is fastprop's harness.
IS_FASTPROP_HARNESS = True
