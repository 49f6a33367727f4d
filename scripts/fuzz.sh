#!/usr/bin/env bash
# Fuzzes every reader of a user's file (checkpoint, safetensors, IDX/gzip, CIFAR, sweep YAML,
# config.json, metrics.jsonl, summary.json, permutation.npy, sweep.json, own sequences' .npz/.safetensors/.tsv,
# train --config's YAML) with libFuzzer and AddressSanitizer.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# Each target starts from its seed corpus in Tests/Fuzz/TARGET (real files; the authors' sweep
# files too when ../shared holds them) and runs under an RSS limit, so a reader that allocates
# from a hostile length fails here. A crash stops the script with its input saved as
# .build/fuzz/crash-TARGET-*; keep it in Tests/Fuzz/TARGET/crash-NAME once fixed, where
# FuzzCorpusTests replays it in every test run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(checkpoint checkpoint-header safetensors safetensors-header idx cifar sweep config metrics summary npy plan sequence-data train-config)
rss_mb="${WRNN_FUZZ_RSS_MB:-2048}"

build=.build/fuzz
# one instrumented debug build (overflow and bounds checks on, as a user's bad input would meet
# them in a trap), with main() from libFuzzer instead of wrnn-fuzz's replay
swift build -c debug --build-path "$build" --product wrnn-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DWRNN_LIBFUZZER 2>&1 | grep -v '^\[' || true
binary="$build/debug/wrnn-fuzz"
[ -x "$binary" ] || { echo "fuzz.sh: the instrumented build failed" >&2; exit 70; }

status=0
for target in "${targets[@]}"; do
    work="$build/corpus/$target"
    mkdir -p "$work"
    cp Tests/Fuzz/"$target"/seed-* "$work"/
    if [ "$target" = sweep ] && [ -d ../shared/anchors/authors-sweeps ]; then
        cp ../shared/anchors/authors-sweeps/*.yml "$work"/
    fi
    log="$build/$target.log"
    dictionary=()
    case "$target" in checkpoint|checkpoint-header|safetensors|safetensors-header|config|metrics|summary|plan) dictionary=(-dict=Tests/Fuzz/json.dict) ;; esac
    echo "fuzz $target: ${seconds} s, RSS limit ${rss_mb} MB"
    # Swift's own crash backtracer would hold the process that ASan is reporting from
    if WRNN_FUZZ_TARGET="$target" ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no "$binary" "$work" "${dictionary[@]}" \
        -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" -max_len=65536 -timeout=10 \
        -artifact_prefix="$build/crash-$target-" -print_final_stats=1 > "$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | tr '\n' ' '; echo
    else
        status=1
        echo "fuzz $target: FAILED; the input is saved as $build/crash-$target-*; the report:" >&2
        grep -E 'ERROR|SUMMARY|Fatal error|Test unit written|out-of-memory|timeout' "$log" | head -20 >&2
    fi
done
exit $status
