#!/usr/bin/env bash
# Fuzzes the file readers with libFuzzer through the Swift toolchain (swiftc -sanitize=fuzzer,address):
#   safetensors      Safetensors.readWithMetadata                    (Sources/TensorCore)
#   tokenizer-json   BPETokenizer(tokenizerJSON:)                    (Sources/Tokenizers)
#   vocab-merges     BPETokenizer(vocabularyFile:mergesFile:)        (Sources/Tokenizers)
#   jsonl            JSONLReader for every record shape, then writer  (Sources/TrainingData)
#   gpt2-encode      GPT-2 BPE encoding of arbitrary bytes, decoded back (Sources/Tokenizers, Vocabularies/GPT2)
#   chat-template    ChatTemplate over arbitrary messages            (Sources/TrainingData)
#   arguments        CommandLineArguments and --config loading       (Sources/Runs)
#   peft-adapter     LoRAAdapters.loadPEFT: adapter_config.json, NUL,  (Sources/LanguageModels)
#                    then adapter_model.safetensors
# Each target is the module's sources plus Fuzz/Targets/<entry points>, compiled as one module into .build/fuzz/.
# A module that imports other package modules (TensorCore: Randomness, JSON; Tokenizers and TrainingData: JSON; Runs:
# TrainingCore and below, Validation; LanguageModels: TensorCore, NeuralNetworks, Tokenizers, Validation; Tokenizers and
# NeuralNetworks: Validation) is linked against them,
# each built first as its own instrumented static library into .build/fuzz/modules/.
# Each runs SECONDS (default 60) from a copy of its seed corpus (Fuzz/Corpus/<target>, made by
# Fuzz/Corpus/make_corpus.py) and prints its inputs run, edges covered and corpus size; a crash is saved under
# .build/fuzz/artifacts/<target>/ and fails the script.
#
#   Scripts/fuzz.sh                     # every target, 60 s each
#   Scripts/fuzz.sh 300 safetensors     # one target, 5 minutes
# `make fuzz` runs it; it is not part of `make test`.
set -uo pipefail

SECONDS_PER_TARGET=${1:-60}
shift || true
KNOWN="safetensors tokenizer-json vocab-merges jsonl gpt2-encode chat-template arguments peft-adapter"
TARGETS=${*:-$KNOWN}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/.build/fuzz
mkdir -p "$BUILD/modules"
cd "$ROOT" || exit 2

sources() {
    case $1 in
        # TensorCore imports the C target CPUInfo: its object, built below, and its module map.
        safetensors) echo Sources/TensorCore/*.swift Fuzz/Targets/FuzzSafetensors.swift "$BUILD/modules/libRandomness.a" \
            "$BUILD/modules/libJSON.a" "$BUILD/CPUInfo.o" -I Sources/CPUInfo/include ;;
        tokenizer-json) echo Sources/Tokenizers/*.swift Fuzz/Targets/FuzzTokenizerJSON.swift Fuzz/Targets/TokenizerRoundTrip.swift \
            "$BUILD/modules/libJSON.a" "$BUILD/modules/libValidation.a" ;;
        vocab-merges) echo Sources/Tokenizers/*.swift Fuzz/Targets/FuzzVocabularyAndMerges.swift Fuzz/Targets/TokenizerRoundTrip.swift \
            "$BUILD/modules/libJSON.a" "$BUILD/modules/libValidation.a" ;;
        jsonl) echo Sources/TrainingData/*.swift Fuzz/Targets/FuzzJSONL.swift "$BUILD/modules/libJSON.a" ;;
        gpt2-encode) echo Sources/Tokenizers/*.swift Fuzz/Targets/FuzzGPT2Encoding.swift "$BUILD/modules/libJSON.a" \
            "$BUILD/modules/libValidation.a" ;;
        chat-template) echo Sources/TrainingData/*.swift Fuzz/Targets/FuzzChatTemplate.swift "$BUILD/modules/libJSON.a" ;;
        arguments) echo Sources/Runs/*.swift Fuzz/Targets/FuzzArguments.swift "$BUILD/modules/libTrainingCore.a" \
            "$BUILD/modules/libNeuralNetworks.a" "$BUILD/modules/libTensorCore.a" "$BUILD/modules/libRandomness.a" \
            "$BUILD/modules/libValidation.a" "$BUILD/modules/libJSON.a" "$BUILD/CPUInfo.o" -I Sources/CPUInfo/include ;;
        peft-adapter) echo Sources/LanguageModels/*.swift Fuzz/Targets/FuzzPEFTAdapter.swift \
            "$BUILD/modules/libTokenizers.a" "$BUILD/modules/libNeuralNetworks.a" "$BUILD/modules/libTensorCore.a" \
            "$BUILD/modules/libRandomness.a" "$BUILD/modules/libJSON.a" "$BUILD/modules/libValidation.a" "$BUILD/CPUInfo.o" \
            -I Sources/CPUInfo/include ;;
        *) return 1 ;;
    esac
}

# The package modules a target imports, bottom up (as in Package.swift).
modules() {
    case $1 in
        safetensors) echo Randomness JSON ;;
        tokenizer-json | vocab-merges | gpt2-encode) echo JSON Validation ;;
        jsonl | chat-template) echo JSON ;;
        arguments) echo Randomness JSON Validation TensorCore NeuralNetworks TrainingCore ;;
        peft-adapter) echo Randomness JSON Validation TensorCore NeuralNetworks Tokenizers ;;
    esac
}

# Builds package module $1 (every Swift file under Sources/$1) once per run, instrumented as the targets are, as a
# static library and a .swiftmodule in $BUILD/modules/.
built_modules=" "
build_module() {
    case $built_modules in *" $1 "*) return 0 ;; esac
    # shellcheck disable=SC2046
    swiftc -O -sanitize=fuzzer,address -parse-as-library -suppress-warnings -module-name "$1" \
        -emit-module -emit-module-path "$BUILD/modules/$1.swiftmodule" -emit-library -static -o "$BUILD/modules/lib$1.a" \
        -I "$BUILD/modules" -I Sources/COpenBLAS -I Sources/CPUInfo/include $(find "Sources/$1" -name '*.swift' | sort) \
        >"$BUILD/modules/$1.build.log" 2>&1 || return 1
    built_modules="$built_modules$1 "
}

failures=0
if ! clang -c -O2 -fsanitize=fuzzer-no-link,address -I Sources/CPUInfo/include Sources/CPUInfo/CPUInfo.c -o "$BUILD/CPUInfo.o" \
    >"$BUILD/CPUInfo.build.log" 2>&1; then
    echo "fuzz: Sources/CPUInfo/CPUInfo.c does not build (see $BUILD/CPUInfo.build.log)" >&2
    exit 2
fi
for target in $TARGETS; do
    if ! files=$(sources "$target"); then
        echo "fuzz: unknown target $target (known: $KNOWN)" >&2
        exit 2
    fi
    for module in $(modules "$target"); do
        if ! build_module "$module"; then
            echo "FAIL $target: module $module does not build (see $BUILD/modules/$module.build.log)"
            failures=$((failures + 1))
            continue 2
        fi
    done
    binary=$BUILD/$target
    # One module of the library's sources and the entry point; -parse-as-library because libFuzzer provides main.
    # shellcheck disable=SC2086
    if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -suppress-warnings -module-name Fuzz \
        -I Sources/COpenBLAS -I "$BUILD/modules" $files -o "$binary" >"$BUILD/$target.build.log" 2>&1; then
        echo "FAIL $target: does not build (see $BUILD/$target.build.log)"
        failures=$((failures + 1))
        continue
    fi
    corpus=$BUILD/corpus/$target
    artifacts=$BUILD/artifacts/$target/
    mkdir -p "$corpus" "$artifacts"
    cp -n Fuzz/Corpus/"$target"/* "$corpus"/ 2>/dev/null
    # Leak checks off: Foundation's Data(contentsOf:) leaks a 4 KiB buffer for every empty file it reads
    # (swift-foundation's readBytesFromFile, not this package); AddressSanitizer still stops at any memory error.
    if ASAN_OPTIONS=detect_leaks=0 "$binary" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 \
        -artifact_prefix="$artifacts" \
        "$corpus" >"$BUILD/$target.log" 2>&1; then
        runs=$(grep -oE '#[0-9]+' "$BUILD/$target.log" | tail -1 | tr -d '#')
        edges=$(grep -oE 'cov: [0-9]+' "$BUILD/$target.log" | tail -1 | cut -d' ' -f2)
        echo "PASS $target: ${runs:-?} inputs in ${SECONDS_PER_TARGET} s, ${edges:-?} edges covered, no crash" \
            "(corpus $(ls "$corpus" | wc -l) files)"
    else
        echo "FAIL $target: crash saved in $artifacts (log $BUILD/$target.log):"
        grep -E 'ERROR|Fatal error|precondition|SUMMARY' "$BUILD/$target.log" | head -5
        failures=$((failures + 1))
    fi
done
[ $failures -eq 0 ]
