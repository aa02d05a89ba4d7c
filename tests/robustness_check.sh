#!/bin/sh
# Every row of docs/robustness.md names tests that exist: each `ctest-name` or `ctest-name:function`
# in the table's last column must be registered in this build (ctest -N) and each function must be
# defined in tests/ or fuzz/. Rows marked "(TSan build)" may name a test that only the TSan build
# registers (its add_test must be in tests/CMakeLists.txt); LEFT_OUT lists the tests this build does
# not register on purpose (the TSan build's one-threaded ones), comma-separated: their functions are
# still checked.
# Usage: robustness_check.sh CTEST_COMMAND BUILD_DIR SOURCE_DIR [LEFT_OUT]
set -u
ctest=$1 build=$2 src=$3 left_out=,${4:-},
doc=$src/docs/robustness.md
[ -f "$doc" ] || { echo "missing $doc"; exit 1; }
registered=$("$ctest" --test-dir "$build" -N | sed -n 's/^ *Test *#[0-9]*: *//p')
[ -n "$registered" ] || { echo "ctest -N lists no tests in $build"; exit 1; }
rows=$(grep '^| [a-z]' "$doc" | grep -v '^| class |')
[ -n "$rows" ] || { echo "$doc: no table rows"; exit 1; }
fail=0 n=0
printf '%s\n' "$rows" > "$build/robustness_rows.txt"
while IFS= read -r row; do
    n=$((n + 1))
    cell=$(printf '%s\n' "$row" | awk -F'|' '{print $(NF-1)}')
    names=$(printf '%s\n' "$cell" | grep -o '`[^`]*`' | tr -d '`')
    if [ -z "$names" ]; then
        echo "row $n names no test: $row"
        fail=1
        continue
    fi
    for entry in $names; do
        test=${entry%%:*}
        func=
        [ "$test" = "$entry" ] || func=${entry#*:}
        case $left_out in *",$test,"*) registered="$registered
$test" ;; esac
        if ! printf '%s\n' "$registered" | grep -qx "$test"; then
            case $row in
            *"(TSan build)"*)
                if grep -q "add_test(NAME $test " "$src/tests/CMakeLists.txt"; then
                    continue
                fi ;;
            esac
            echo "row $n: ctest test '$test' is not registered: $row"
            fail=1
        fi
        if [ -n "$func" ] && ! grep -rqE "(^|[^a-z0-9_])$func\(" "$src/tests" "$src/fuzz" --include='*.c'; then
            echo "row $n: function '$func' is not defined in tests/ or fuzz/"
            fail=1
        fi
    done
done < "$build/robustness_rows.txt"
rm -f "$build/robustness_rows.txt"
[ $fail -eq 0 ] && echo "docs/robustness.md: $n rows, every named test exists"
exit $fail
