#!/usr/bin/env bash
# The scaling curve (1, 2, 4, 8, 16 workers) on a lent many-core machine, in one call.
#
# The machine is bare and offline: mypy (for the mypyc build) and its needs travel as
# cp312 wheels in .whl/ (see docs/speed.md for the download command).  Everything it
# prints goes to $OUT/scaling.log, each run's figures as a JSON line as soon as the run
# ends, so a call cut short at its limit still brings back every run that finished.
#
#     bench/device_scaling.sh [SECONDS]     # stop starting new work after SECONDS (520)
set -u -o pipefail
start=$(date +%s)
budget=${1:-520}
out=${OUT:-/tmp/device-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
left() { echo $((budget - ($(date +%s) - start))); }
failed=0
{
    echo "# $(date -u +%FT%TZ) $(nproc) cores, $($PY --version 2>&1), $(uname -m)"
    grep -m1 'model name' /proc/cpuinfo
    if ls .whl/*.whl >/dev/null 2>&1; then
        $PY -m pip install -q --no-index --no-deps --no-compile --disable-pip-version-check \
            .whl/*.whl || echo "# the carried wheels did not install"
    fi
    t0=$(date +%s)
    $PY -m pip install -q --no-index --no-deps --no-build-isolation --no-compile \
        --disable-pip-version-check . >"$out/build.log" 2>&1 || { echo "# the build failed"; exit 1; }
    echo "# install and build: $(($(date +%s) - t0)) s"
    # From / : the checkout's own kafkacheck/ folder is not the installed package.
    (cd / && $PY -c "from kafkacheck import compiled; print('#', compiled.describe(load=True))")
    (cd / && $PY -c "import kafkacheck.explorer._native") 2>/dev/null \
        && echo "# native core: built" || echo "# native core: NOT built (pure-Python twin)"
    # The three default cases, one round each (about 2 minutes on 16 cores).
    cases="--case kafka-spec --case replication --case controller --max-workers 16 --json"
    # Each step needs a minute left; a run that fails (counts unequal: exit 1) or is cut
    # at the budget (124) makes the whole call fail, after what finished is printed.
    run() { [ "$(left)" -gt 60 ] || return 0; timeout "$(left)" "$@" || failed=$?; }
    run $PY bench/parallel_scaling.py $cases
    # A larger state space, where a level's fixed costs weigh less (4,790,198 states).
    # On 2026-12-04 this step ran out of budget; the 16, 8 and 4-worker runs published
    # came from a second call on the warm machine, one child per count:
    #   for n in 16 8 4 2; do python3 bench/parallel_scaling.py --child replication-4 \
    #       $n parallel; done
    run $PY bench/parallel_scaling.py --case replication-4 --counts 2,4,8,16 \
        --max-workers 16 --json
    # A second round of the small cases, if there is time for it.
    run $PY bench/parallel_scaling.py $cases
    echo "# done after $(($(date +%s) - start)) s (exit $failed)"
    exit $failed
} 2>&1 | tee "$out/scaling.log"
