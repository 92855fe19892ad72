"""fastprop's benchmark harness: ``python -m benchmarks``, run from a source checkout.
See benchmarks/README.md for the method and the recorded results. (``fastprop bench``,
which ships with the package, times fastprop alone on the same workloads.)"""
