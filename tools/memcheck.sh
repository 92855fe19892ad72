#!/usr/bin/env bash
# Run every compiled kernel under valgrind memcheck and report the errors that involve
# fastprop's extension modules (Python and NumPy themselves are not what we check here).
# Usage: tools/memcheck.sh [python]   (python: an interpreter with fastprop installed)
set -euo pipefail
python=${1:-python}
here="$(cd "$(dirname "$0")" && pwd)"
log="$(mktemp -t fastprop-memcheck.XXXXXX.log)"
# The compiled modules, as setup.py lists them (read without building anything).
modules=$("$python" -c "import runpy, sys; print('|'.join(runpy.run_path(sys.argv[1], run_name='memcheck')['EXTENSION_MODULES']))" "$here/../setup.py")
PYTHONMALLOC=malloc valgrind --tool=memcheck --error-limit=no --track-origins=yes \
    --num-callers=30 --log-file="$log" "$python" "$here/memcheck_driver.py"
total=$(grep -c -E "^==[0-9]+== (Invalid (read|write)|Conditional jump|Use of uninitialised|Syscall param)" "$log" || true)
# An error is attributable to fastprop when its stack mentions one of our modules.
ours=$(awk -v mods="($modules)" '
            /^==[0-9]+== (Invalid (read|write)|Conditional jump|Use of uninitialised|Syscall param)/{inblk=1; hit=0; next}
            inblk && /^==[0-9]+== *$/{if (hit) n++; inblk=0; next}
            inblk && ($0 ~ (mods "\\.(c|cpython)") || /fastprop/){hit=1}
            END{print n+0}' "$log")
echo "valgrind log: $log"
grep -E "ERROR SUMMARY" "$log" | tail -1
echo "memcheck errors in total: $total; involving fastprop's modules: $ours"
[ "$ours" -eq 0 ]
