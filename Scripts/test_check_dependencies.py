#!/usr/bin/env python3
"""Tests of check_dependencies.py on small made-up packages (no Swift toolchain needed).

    python3 Scripts/test_check_dependencies.py
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_dependencies as checker  # noqa: E402


class ModulesUsedTests(unittest.TestCase):
    def test_every_form_of_import_statement(self):
        source = "\n".join([
            "import Foundation",
            "@testable import PPO",
            "@_exported import TensorCore",
            "  @preconcurrency import LanguageModels",
            "@_spi(Internal) @testable import Tokenizers",
            "import struct Runs.RunDirectory",
            "import func Evaluation.mean",
            "import TrainingCore.Submodule",
        ])
        self.assertEqual(checker.modules_used(source),
                         {"Foundation", "PPO", "TensorCore", "LanguageModels", "Tokenizers", "Runs", "Evaluation",
                          "TrainingCore"})

    def test_can_import_counts_as_a_use(self):
        source = "#if canImport(COpenBLAS)\nimport COpenBLAS\n#elseif canImport( Accelerate )\n#endif\n"
        self.assertEqual(checker.modules_used(source), {"COpenBLAS", "Accelerate"})

    def test_comments_and_strings_do_not_count(self):
        source = "\n".join([
            "// import LineComment",
            "/// ```swift",
            "/// import DocComment",
            "/// ```",
            "/* import Block /* import Nested */",
            "import StillInBlock */",
            'let a = "import InString \\(f("x")) import AfterInterpolation"',
            'let b = """',
            "import InMultilineString",
            '"""',
            'let c = #"import InRawString "quoted" "#',
            "import Real",
        ])
        self.assertEqual(checker.modules_used(source), {"Real"})

    def test_import_must_start_a_statement(self):
        self.assertEqual(checker.modules_used("let important = 1\nfoo.import(Bar)\n"), set())


class CheckTests(unittest.TestCase):
    def package(self, files):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                f.write(text)
        return root

    @staticmethod
    def target(name, kind="regular", dependencies=(), path=None, exclude=()):
        return {"name": name, "type": kind, "path": path, "exclude": list(exclude),
                "dependencies": [{"byName": [d, None]} for d in dependencies]}

    def test_a_matching_manifest_passes(self):
        root = self.package({
            "Sources/Core/Core.swift": "import Foundation\nimport COpenBLAS\n",
            "Sources/Model/Model.swift": "import Core\nimport Dispatch\n",
            "Tests/ModelTests/ModelTests.swift": "import XCTest\n@testable import Model\nimport Core\n",
        })
        manifest = {"targets": [
            self.target("COpenBLAS", "system"),
            self.target("Core", dependencies=["COpenBLAS"]),
            self.target("Model", dependencies=["Core"]),
            self.target("ModelTests", "test", dependencies=["Model", "Core"]),
        ]}
        self.assertEqual(checker.check(manifest, root), [])

    def test_undeclared_import_and_unused_dependency_are_reported(self):
        root = self.package({
            "Sources/Core/Core.swift": "import Foundation\n",
            "Sources/Model/Model.swift": "import Core\n",
            "Sources/App/main.swift": "import Model\nimport Core\n",
        })
        manifest = {"targets": [
            self.target("Core"),
            self.target("Model", dependencies=["Core"]),
            self.target("App", "executable", dependencies=["Model", "Unrelated"]),
            self.target("Unrelated"),
        ]}
        self.assertEqual(checker.check(manifest, root), [
            "App: imports Core but does not declare it as a dependency",
            "App: declares Unrelated as a dependency but never imports it",
        ])

    def test_system_library_counts_as_a_package_module(self):
        root = self.package({"Sources/Core/Core.swift": "import COpenBLAS\n"})
        manifest = {"targets": [self.target("COpenBLAS", "system"), self.target("Core")]}
        self.assertEqual(checker.check(manifest, root),
                         ["Core: imports COpenBLAS but does not declare it as a dependency"])

    def test_custom_paths_and_excluded_folders(self):
        root = self.package({
            "Examples/demo/main.swift": "import Core\n",
            "Sources/Core/Core.swift": "\n",
            "Tests/CoreTests/CoreTests.swift": "import Core\n",
            "Tests/CoreTests/Fixtures/Unused.swift": "import Missing\n",
        })
        manifest = {"targets": [
            self.target("Core"),
            self.target("Missing"),
            self.target("demo", "executable", dependencies=["Core"], path="Examples/demo"),
            self.target("CoreTests", "test", dependencies=["Core"], exclude=["Fixtures"]),
        ]}
        self.assertEqual(checker.check(manifest, root), [])

    def test_library_targets_must_not_depend_on_targets_outside_the_library(self):
        root = self.package({
            "Sources/Core/Core.swift": "import CLib\n",
            "Sources/CLib/include/clib.h": "int f(void);\n",
            "Sources/World/World.swift": "import Core\n",
            "Sources/Algorithm/Algorithm.swift": "import Core\nimport World\n",
            "Sources/Experiment/Experiment.swift": "import Algorithm\nimport World\n",
            "Sources/RLFineTuning/RLFineTuning.swift": "@_exported import Core\n@_exported import Algorithm\n",
        })
        manifest = {"targets": [
            self.target("CLib"),
            self.target("Core", dependencies=["CLib"]),
            self.target("World", dependencies=["Core"]),
            self.target("Algorithm", dependencies=["Core", "World"]),
            self.target("Experiment", dependencies=["Algorithm", "World"]),
            self.target("RLFineTuning", dependencies=["Core", "Algorithm"]),
        ]}
        problems = checker.check(manifest, root)
        self.assertEqual(len(problems), 1, problems)
        self.assertTrue(problems[0].startswith("Algorithm: is in the library (RLFineTuning re-exports it) but depends "
                                               "on World, which RLFineTuning does not re-export"), problems[0])
        # Without the umbrella there is no library to check.
        manifest["targets"] = manifest["targets"][:-1]
        self.assertEqual(checker.layering_problems(manifest["targets"], root), [])

    def test_dependency_forms_of_the_dumped_manifest(self):
        target = {"dependencies": [{"byName": ["A", None]}, {"target": ["B", None]},
                                   {"product": ["C", "other-package", None, None]}]}
        self.assertEqual(checker.dependency_names(target), ["A", "B", "C"])

    def test_a_trait_conditioned_dependency_and_its_conditional_import(self):
        # `.target(name: "CMPI", condition: .when(traits: ["MPI"]))` as `swift package dump-package` writes it; the
        # import under `#if MPI` counts whether or not the trait is enabled, so the dependency is always checked.
        root = self.package({"Sources/Distributed/Comm.swift": "import Foundation\n#if MPI\nimport CMPI\n#endif\n"})
        manifest = {"targets": [
            self.target("CMPI", "system"),
            {"name": "Distributed", "type": "regular", "path": None, "exclude": [],
             "dependencies": [{"target": ["CMPI", {"platformNames": [], "traits": ["MPI"]}]}]},
        ]}
        self.assertEqual(checker.dependency_names(manifest["targets"][1]), ["CMPI"])
        self.assertEqual(checker.check(manifest, root), [])
        manifest["targets"][1]["dependencies"] = []
        self.assertEqual(checker.check(manifest, root), ["Distributed: imports CMPI but does not declare it as a dependency"])


if __name__ == "__main__":
    unittest.main()
