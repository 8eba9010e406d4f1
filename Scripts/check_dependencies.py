#!/usr/bin/env python3
"""Checks that Package.swift declares exactly the package modules each target imports.

    python3 Scripts/check_dependencies.py                  (from the repository root; runs `swift package dump-package`)
    python3 Scripts/check_dependencies.py --manifest FILE  (FILE: the JSON `swift package dump-package` wrote)

SwiftPM lets a target import any module that happens to be built before it, including modules of the package that it
only reaches through another target's dependencies. Such an import compiles today and breaks when the other target
drops that dependency, or in a clean build whose order differs. So every target must declare each package module it
imports, and a declared dependency that is never imported is an edge that only slows builds and misleads readers.

A "package module" is any non-test target of this package, the system-library target COpenBLAS included; Foundation,
Dispatch, XCTest, Glibc and other toolchain modules are not. An import is any form of the statement (`import X`,
`@testable import X`, `@_exported import X`, `@preconcurrency import X`, `import struct X.Y`, `import X.Sub`), and a
`canImport(X)` condition counts as a use of X too: its answer depends on whether X was built first, so X must be a
declared dependency for it to be stable. Comments and string literals are ignored, so code examples in documentation
comments do not count.
An import inside `#if` counts too: a dependency that only a package trait enables (`.target(name: "CMPI", condition:
.when(traits: ["MPI"]))`, imported under `#if MPI`) is checked like any other, whichever traits are enabled.

The library must also stand alone: every target that the `RLFineTuning` umbrella re-exports may depend only on
targets that it re-exports too, on system libraries and on C targets, never on an experiment target (a built-in task,
a toy world, an experiment runner) that only the `RLFineTuningExperiments` umbrella brings in.

Exit status 0 when the manifest matches the imports and the library stands alone, 1 with one line per problem
otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys

# `import` with optional attributes before it and an optional kind (`import struct X.Y`) after it.
IMPORT = re.compile(
    r"^[ \t]*(?:@[A-Za-z_]\w*(?:\([^)\n]*\))?[ \t]+)*import[ \t]+"
    r"(?:(?:typealias|struct|class|enum|protocol|let|var|func)[ \t]+)?([A-Za-z_]\w*)",
    re.MULTILINE,
)
CAN_IMPORT = re.compile(r"\bcanImport\(\s*([A-Za-z_]\w*)")


RAW_OPENING = re.compile(r'#*"')


def string_end(source, i):
    """The index just past the string literal that starts at `i`: single-line, multi-line or raw (`#"…"#`)."""
    n = len(source)
    hashes = len(RAW_OPENING.match(source, i).group(0)) - 1
    start = i + hashes
    multiline = source.startswith('"""', start)
    quote = '"""' if multiline else '"'
    closing = quote + "#" * hashes
    escape = "\\" + "#" * hashes
    j = start + len(quote)
    while j < n:
        if source.startswith(closing, j):
            return j + len(closing)
        if source.startswith(escape + "(", j):
            j = interpolation_end(source, j + len(escape) + 1)
            continue
        if source.startswith(escape, j):
            j += len(escape) + 1
            continue
        if source[j] == "\n" and not multiline:
            return j
        j += 1
    return n


def interpolation_end(source, j):
    """The index just past the `)` that closes an interpolation whose contents start at `j`."""
    depth, n = 1, len(source)
    while j < n and depth:
        if RAW_OPENING.match(source, j):
            j = string_end(source, j)
            continue
        depth += {"(": 1, ")": -1}.get(source[j], 0)
        j += 1
    return j


def strip_comments_and_strings(source):
    """The source with comments and string literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(source)

    def blank(text):
        return "".join(c if c == "\n" else " " for c in text)

    while i < n:
        if source.startswith("//", i):
            j = source.find("\n", i)
            j = n if j < 0 else j
        elif source.startswith("/*", i):
            # Swift block comments nest.
            depth, j = 1, i + 2
            while j < n and depth:
                if source.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif source.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
        elif RAW_OPENING.match(source, i):
            j = string_end(source, i)
        else:
            out.append(source[i])
            i += 1
            continue
        out.append(blank(source[i:j]))
        i = j
    return "".join(out)


def modules_used(source):
    """Module names the source imports or tests with canImport."""
    code = strip_comments_and_strings(source)
    return set(IMPORT.findall(code)) | set(CAN_IMPORT.findall(code))


def dependency_names(target):
    """The names of the targets and products a target of the dumped manifest depends on."""
    names = []
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.append(dependency[kind][0])
    return names


def target_directory(target, root):
    if target.get("path"):
        return os.path.join(root, target["path"])
    folder = "Tests" if target["type"] == "test" else "Sources"
    return os.path.join(root, folder, target["name"])


def swift_files(directory, excluded):
    """The .swift files under a target's directory, minus its excluded paths."""
    excluded = [os.path.normpath(os.path.join(directory, e)) for e in excluded]
    for folder, subfolders, files in os.walk(directory):
        subfolders[:] = sorted(d for d in subfolders if os.path.normpath(os.path.join(folder, d)) not in excluded)
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(".swift") and os.path.normpath(path) not in excluded:
                yield path


# The umbrella target whose dependencies are the library; the check that the library stands alone is skipped in a
# package without it.
LIBRARY_UMBRELLA = "RLFineTuning"


def layering_problems(targets, root):
    """One message per dependency of a library target (one the library umbrella depends on) on a Swift target outside
    the library."""
    by_name = {t["name"]: t for t in targets}
    umbrella = by_name.get(LIBRARY_UMBRELLA)
    if umbrella is None:
        return []
    library = set(dependency_names(umbrella)) & set(by_name)

    def outside_library(name):
        target = by_name.get(name)
        if target is None or name in library or target["type"] == "system":
            return False
        return any(swift_files(target_directory(target, root), target.get("exclude", [])))  # C targets are leaves

    problems = []
    for name in sorted(library):
        for dependency in sorted(set(dependency_names(by_name[name]))):
            if outside_library(dependency):
                problems.append(f"{name}: is in the library ({LIBRARY_UMBRELLA} re-exports it) but depends on {dependency}, "
                                f"which {LIBRARY_UMBRELLA} does not re-export; move what {name} needs from {dependency} "
                                "into the library, or move the code that needs it above the library")
    return problems


def check(manifest, root):
    """One message per problem: undeclared imports of package modules, declared targets never imported, and library
    targets that depend on targets outside the library."""
    targets = manifest["targets"]
    package_modules = {t["name"] for t in targets if t["type"] != "test"}
    problems = []
    for target in sorted(targets, key=lambda t: t["name"]):
        if target["type"] == "system":
            continue
        name = target["name"]
        used = set()
        for path in swift_files(target_directory(target, root), target.get("exclude", [])):
            with open(path, encoding="utf-8") as f:
                used |= modules_used(f.read())
        used = (used & package_modules) - {name}
        declared = set(dependency_names(target)) & package_modules
        for module in sorted(used - declared):
            problems.append(f"{name}: imports {module} but does not declare it as a dependency")
        for module in sorted(declared - used):
            problems.append(f"{name}: declares {module} as a dependency but never imports it")
    return problems + layering_problems(targets, root)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package-path", default=".", help="the package root (default: the current directory)")
    parser.add_argument("--manifest", help="a file holding the JSON of `swift package dump-package`")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.package_path)
    if args.manifest:
        with open(args.manifest, encoding="utf-8") as f:
            manifest = json.load(f)
    else:
        dump = subprocess.run(["swift", "package", "--package-path", root, "dump-package"],
                              capture_output=True, text=True)
        if dump.returncode != 0:
            sys.stderr.write(dump.stderr)
            sys.stderr.write("check_dependencies: `swift package dump-package` failed\n")
            return 2
        manifest = json.loads(dump.stdout)
    problems = check(manifest, root)
    for problem in problems:
        print(f"Package.swift: {problem}")
    if problems:
        print(f"check_dependencies: {len(problems)} problem(s); make each target's dependencies in Package.swift "
              "match its imports, and keep the library below the experiments")
        return 1
    checked = sum(1 for t in manifest["targets"] if t["type"] != "system")
    print(f"check_dependencies: the dependencies of all {checked} targets match their imports, and the library "
          "stands alone")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
