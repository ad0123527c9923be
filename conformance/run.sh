#!/bin/sh
# Conformance runner (SPEC §9, conformance/README.md).
#     sh conformance/run.sh BUILD_DIR [--quick]     (from the repository root)
# Decodes every stream of conformance/streams.txt on every instruction-set
# path this CPU has (--cpu=scalar, avx2, avxvnni, avx512) with 1 and 2
# threads and compares the XXH3-64 of the RGB pixels with the manifest;
# re-encodes every source image with the recorded quality on the same
# paths and compares the XXH3-64 of the stream bytes. --quick (used under
# ASan by tests/cli/conformance.sh) decodes every stream with the best path
# and 2 threads only, adds the scalar path with 1 thread and the encoder
# check for streams of at most 128x128 padded pixels (SPEC §3.2), and skips
# the encoder check above 256x256 (the 4100x8 and 3x4099 streams): the
# scalar code under ASan is slow with a trained model.
# Then does the same for conformance/context/streams.txt, the streams of the
# checkerboard-context test model (SPEC §6.1; regen_context.py), with the
# model file its "# weights" line names, and decodes the default streams
# with the default model's g_s lite (--lite, SPEC §8.7) against
# conformance/lite.txt (regen_lite.py).
# Prints PASS/FAIL per stream and a summary; exits 1 on any failure,
# including vectors made with another model than the embedded one (or
# than the named model file).
set -u
B=${1:?usage: conformance/run.sh BUILD_DIR [--quick]}
QUICK=0
[ "${2:-}" = --quick ] && QUICK=1
M=conformance/streams.txt
LC_ALL=C
export LC_ALL
T=$(mktemp -d "${TMPDIR:-/tmp}/dlic-conf.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
HASH=$B/conformance/pixhash
for x in "$B/dlic-dec" "$B/dlic-enc" "$B/dlic-info" "$HASH"; do
    [ -x "$x" ] || { echo "conformance: FAIL: $x missing (make tools $HASH)"; exit 1; }
done

# Instruction-set paths this CPU has (the library's requirements, cpu.c).
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has() { for f in "$@"; do case " $flags " in *" $f "*) ;; *) return 1 ;; esac; done; }
paths=scalar
has avx2 fma && paths="$paths avx2"
has avx2 fma avx_vnni && paths="$paths avxvnni"
has avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni && paths="$paths avx512"
best=${paths##* }
all_combos=
for p in $paths; do all_combos="$all_combos $p:1 $p:2"; done
[ $QUICK -eq 1 ] && mode=", quick" || mode=

# Stale vectors: the streams name the model they were made with, and a
# manifest other than the default one names its model file (# weights).
# Sets WOPT (the tools' --weights option) and C (the manifest's folder).
check_model() {
    C=$(dirname "$1")
    wfile=$(sed -n 's/^# weights \(.*\)$/\1/p' "$1")
    WOPT=
    [ -z "$wfile" ] || WOPT="--weights $wfile"
    want_model=$(sed -n 's/^# model \([0-9a-f]\{16\}\).*/\1/p' "$1")
    have_model=$("$B/dlic-info" --model $wfile | sed -n 's/^Model id: *\([0-9a-f]\{16\}\).*/\1/p')
    if [ -z "$have_model" ] || [ "$want_model" != "$have_model" ]; then
        regen="sh conformance/regen.sh"
        [ -z "$wfile" ] || regen="/usr/bin/python3 conformance/regen_context.py"
        echo "conformance: FAIL: stale vectors: $1 was made with model" \
             "${want_model:-?}, ${wfile:-the embedded model} is ${have_model:-?};" \
             "run '$regen' (conformance/README.md)"
        return 1
    fi
    echo "conformance: $1: model $have_model, paths: $paths$mode"
}

# decode_check OPTIONS LABEL STREAM CPU THREADS WANT [HINT]: decodes with
# dlic-dec OPTIONS on that path and thread count; sets why on a failure or
# on pixels other than WANT (then with HINT).
decode_check() {
    rm -f "$T/out.ppm"
    # shellcheck disable=SC2086
    if ! "$B/dlic-dec" -quiet $1 --cpu="$4" --threads "$5" "$3" -o "$T/out.ppm" </dev/null 2>"$T/err"; then
        why="$2 --cpu=$4 --threads $5: $(head -n 1 "$T/err")"
    else
        got=$("$HASH" "$T/out.ppm")
        [ "$got" = "$6" ] || why="$2 --cpu=$4 --threads $5: pixels $got, want $6${7:+ $7}"
    fi
    runs=$((runs + 1))
}

# report NAME: PASS or FAIL (with why) for one stream, counted.
report() {
    if [ -z "$why" ]; then
        pass=$((pass + 1))
        echo "PASS $1"
    else
        fail=$((fail + 1))
        echo "FAIL $1: $why"
    fi
}

# Every stream of manifest $1.
run_manifest() {
    check_model "$1" || { fail=$((fail + 1)); return; }
    while read -r name src q w h colour bytes shash ehash phash esc desc; do
        case $name in ''|'#'*) continue ;; esac
        s=$C/streams/$name.dlic
        why=
        combos=$all_combos encode=1
        if [ $QUICK -eq 1 ]; then
            area=$(( (w + 63) / 64 * (h + 63) / 64 ))      # in 64x64 blocks
            combos="$best:2"
            [ $area -le 4 ] && combos="scalar:1 $best:2"
            [ $area -le 16 ] || encode=0
        fi
        if [ ! -f "$s" ]; then
            why="missing $s"
        elif [ "$("$HASH" -b "$s")" != "$shash" ]; then
            why="$s differs from the manifest (stream hash)"
        fi
        for c in $combos; do
            [ -z "$why" ] || break
            p=${c%:*} n=${c#*:}
            decode_check "$WOPT" decode "$s" "$p" "$n" "$phash"
            [ -n "$why" ] || [ "$src" = - ] || [ "$ehash" = - ] || [ $encode -eq 0 ] || {
                rm -f "$T/out.dlic"
                if ! "$B/dlic-enc" -quiet $WOPT --cpu="$p" --threads "$n" -q "$q" "conformance/sources/$src" \
                        -o "$T/out.dlic" </dev/null 2>"$T/err"; then
                    why="encode --cpu=$p --threads $n: $(head -n 1 "$T/err")"
                else
                    got=$("$HASH" -b "$T/out.dlic")
                    [ "$got" = "$ehash" ] ||
                        why="encode --cpu=$p --threads $n: stream $got, want $ehash"
                fi
                runs=$((runs + 1))
            }
        done
        report "$name"
    done < "$1"
}

# The default model's g_s lite (SPEC §8.7): every stream of streams.txt
# decoded with --lite on the same paths and thread counts, against
# conformance/lite.txt.
run_lite() {
    L=conformance/lite.txt
    check_model "$L" || { fail=$((fail + 1)); return; }
    want_lite=$(sed -n 's/^# lite xxh64:\([0-9a-f]\{16\}\).*/\1/p' "$L")
    have_lite=$("$B/dlic-info" --model | sed -n 's/^Lite id: *\([0-9a-f]\{16\}\).*/\1/p')
    if [ "$want_lite" != "$have_lite" ]; then
        echo "conformance: FAIL: stale vectors: $L was made with g_s lite" \
             "${want_lite:-?}, the embedded model's is ${have_lite:-none};" \
             "run '/usr/bin/python3 conformance/regen_lite.py build'"
        fail=$((fail + 1))
        return
    fi
    while read -r name phash; do
        case $name in ''|'#'*) continue ;; esac
        s=conformance/streams/$name.dlic
        why=
        combos=$all_combos
        [ $QUICK -eq 1 ] && combos="$best:2"
        [ -f "$s" ] || why="missing $s"
        for c in $combos; do
            [ -z "$why" ] || break
            decode_check --lite "decode --lite" "$s" "${c%:*}" "${c#*:}" "$phash" \
                "(a new g_s lite? run 'sh conformance/regen.sh')"
        done
        report "lite $name"
    done < "$L"
}

pass=0 fail=0 runs=0
run_manifest conformance/streams.txt
run_manifest conformance/context/streams.txt
run_lite

total=$((pass + fail))
if [ $total -eq 0 ]; then
    echo "conformance: FAIL: no streams in $M"
    exit 1
fi
echo "conformance: $pass/$total streams pass ($runs decode/encode runs, paths: $paths)"
[ $fail -eq 0 ]
