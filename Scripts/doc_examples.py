#!/usr/bin/env python3
"""Writes every Swift code example of README.md and the DocC articles into a test target, so `make test` compiles
them and an example that no longer compiles fails the test command.

Each example becomes one function in Tests/DocumentationExamplesTests/<Article>.swift. Declarations at the start of
a line (struct, enum, extension, class, protocol, func) go to file scope; the rest is the function's body. The
examples' own imports are replaced by one umbrella: `import RLFineTuning`, which re-exports every library target, when
the article's examples import only library targets (those RLFineTuning re-exports, and Foundation) and the article
documents one, else `import RLFineTuningExperiments` (the library, the built-in task, the toy worlds and the
experiments). So an example of the library that uses an experiment target without importing it fails to compile. The
functions are compiled, not called: examples may read files the reader has and the tests do not.

What an example takes from the reader (a model, a tokenizer, the prompts) is declared once per article in an HTML
comment, which neither GitHub nor DocC shows, and becomes every example function's parameters:

    <!-- example inputs: sftModel: GPT, tokenizer: any Tokenizer -->

Blocks whose first line is `// Package.swift` (manifest fragments) are skipped.

Usage:  python3 Scripts/doc_examples.py          # (re)write the test files
        python3 Scripts/doc_examples.py --check  # fail when the committed files differ from the docs
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DocumentationExamplesTests")
LIBRARY_UMBRELLA = os.path.join(ROOT, "Sources", "RLFineTuning", "RLFineTuning.swift")
DECLARATION = re.compile(r"^(public |private |fileprivate |internal )?(struct|enum|extension|final class|class|protocol|func) ")


def articles():
    yield "README", os.path.join(ROOT, "README.md")
    for path in sorted(glob.glob(os.path.join(ROOT, "Sources", "*", "*.docc", "*.md"))):
        yield os.path.splitext(os.path.basename(path))[0], path


def library_modules():
    """The modules the library umbrella re-exports, and Foundation."""
    text = open(LIBRARY_UMBRELLA, encoding="utf-8").read()
    return set(re.findall(r"^@_exported import (\w+)", text, re.M)) | {"Foundation", "RLFineTuning"}


def umbrella(name, blocks):
    """The umbrella an article's examples compile against: the library's when they import only library modules and
    the article is the README or documents a library target."""
    imported = {m for block in blocks for m in re.findall(r"^(?:@testable )?import (\w+)", block, re.M)}
    library = library_modules()
    if imported <= library and (name == "README" or name in library):
        return "RLFineTuning"
    return "RLFineTuningExperiments"


def render(name, path):
    text = open(path, encoding="utf-8").read()
    blocks = [b for b in re.findall(r"```swift\n(.*?)```", text, re.S) if not b.startswith("// Package.swift")]
    if not blocks:
        return None
    inputs = re.search(r"<!-- example inputs: (.*?) -->", text, re.S)
    parameters = " ".join(inputs.group(1).split()) if inputs else ""
    relative = os.path.relpath(path, ROOT)
    identifier = re.sub(r"\W", "_", name)
    declarations, functions = [], []
    for number, block in enumerate(blocks, start=1):
        lines = block.rstrip("\n").split("\n")
        body = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("import ") or line.startswith("@testable import "):
                i += 1
            elif DECLARATION.match(line):
                # A declaration runs to the first line at column 0 that closes it.
                start = i
                while i < len(lines) and not (i > start and lines[i].startswith("}")):
                    i += 1
                declarations.extend(lines[start:i + 1])
                i += 1
            else:
                body.append(line)
                i += 1
        while body and not body[0].strip():
            body.pop(0)
        function = [f"/// Example {number} of {relative}.",
                    f"func documentationExample_{identifier}_{number}({parameters}) throws {{"]
        function += [("    " + line) if line else "" for line in body]
        # Examples often end on a value the reader would go on to use; mark each top-level constant as used so the
        # warnings-as-errors build does not fail on an example for being short.
        names = []
        for line in body:
            match = re.match(r"(?:let|var) (?:\((.*?)\)|(\w+))", line)
            if match:
                names += [n.strip().split(":")[0].strip() for n in (match.group(1) or match.group(2)).split(",")]
        names = [n for n in dict.fromkeys(names) if n and n != "_"]
        if names:
            function.append("    _ = (" + ", ".join(names) + (",)" if len(names) == 1 else ")"))
        function += ["}", ""]
        functions += function
    out = [f"// Generated by Scripts/doc_examples.py from {relative}; edit the article, not this file.",
           "import Foundation", f"import {umbrella(name, blocks)}", ""]
    out += declarations + ([""] if declarations else [])
    out += functions
    return f"{identifier}.swift", "\n".join(out).rstrip("\n") + "\n"


def main():
    wanted = dict(filter(None, (render(name, path) for name, path in articles())))
    wanted["DocumentationExamplesTests.swift"] = (
        "// Generated by Scripts/doc_examples.py. The other files of this target hold the examples of README.md and\n"
        "// the DocC articles as functions; that they compile is the test. This case keeps the target a test bundle.\n"
        "import XCTest\n\nfinal class DocumentationExamplesTests: XCTestCase {\n"
        f"    func testEveryExampleCompiles() {{ XCTAssertEqual({len(wanted)}, {len(wanted)}) }}\n}}\n")
    present = {f: open(os.path.join(OUT, f), encoding="utf-8").read() for f in os.listdir(OUT)} if os.path.isdir(OUT) else {}
    if "--check" in sys.argv:
        stale = sorted(set(wanted) ^ set(present) | {f for f in wanted if present.get(f) != wanted[f]})
        if stale:
            sys.exit(f"doc_examples: {', '.join(stale)} differ from the docs; run python3 Scripts/doc_examples.py and commit")
        print(f"doc_examples: {len(wanted) - 1} articles' examples are up to date")
        return
    os.makedirs(OUT, exist_ok=True)
    for name in set(present) - set(wanted):
        os.remove(os.path.join(OUT, name))
    for name, content in wanted.items():
        if present.get(name) != content:
            with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
                f.write(content)
    print(f"doc_examples: wrote {len(wanted) - 1} articles' examples to {os.path.relpath(OUT, ROOT)}")


main()
