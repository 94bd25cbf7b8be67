"""The code packages import each other without cycles and only along the layers.

The rules, and how the sources are read without importing them: :mod:`tests.unit.import_graph`.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.import_graph import (
    ROOT,
    Import,
    adapter_violations,
    collect_imports,
    cycle_report,
    find_cycles,
    layer_report,
    layer_violations,
    runtime_graph,
    write_tree,
)


def test_no_module_imports_in_a_circle() -> None:
    report = cycle_report(ROOT)
    assert not report, report


def test_no_module_imports_in_a_circle_even_for_the_type_checker() -> None:
    # A reader follows TYPE_CHECKING imports too: a circle there is a circle in the design.
    report = cycle_report(ROOT, type_checking=True)
    assert not report, report


def test_imports_follow_the_layers() -> None:
    report = layer_report(ROOT)
    assert not report, report


def test_the_checker_finds_a_two_module_cycle_through_relative_and_function_imports(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "adapters/__init__.py": "",
        "adapters/api/__init__.py": "from adapters.api import app\n",
        "adapters/api/app.py": "from . import deps\n",
        "adapters/api/deps.py": "def service() -> None:\n    from .app import create\n",
    })
    assert find_cycles(runtime_graph(collect_imports(tmp_path))) == [
        ["adapters.api.app", "adapters.api.deps", "adapters.api.app"]
    ]


def test_the_checker_finds_an_upward_import(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "domain/__init__.py": "",
        "domain/case.py": (
            "import sqlite3\nfrom eventsourcing import domain\n"
            "from eventsourcing.application import Application\n"
        ),
        "workflows/__init__.py": "",
        "workflows/engine.py": "import structlog\nfrom eventsourcing.persistence import Recording\n",
        "projections/__init__.py": "",
        "projections/views.py": (
            "from typing import TYPE_CHECKING\nfrom workflows import engine\n"
            "if TYPE_CHECKING:\n    import adapters.api\n"
        ),
        "adapters/__init__.py": "",
        "adapters/api.py": "import httpx\nfrom projections.views import View\n",
    })
    assert layer_violations(collect_imports(tmp_path)) == [
        "domain.case imports eventsourcing.application "
        "(layer domain may not import eventsourcing.application)",
        "domain.case imports sqlite3 (layer domain may not import sqlite3)",
        "projections.views imports adapters.api (layer projections may not import layer adapters)",
        "workflows.engine imports structlog (layer workflows may not import structlog)",
    ]


def test_a_type_checking_only_import_makes_no_cycle(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "adapters/__init__.py": "",
        "adapters/app.py": "from adapters.deps import Service\n",
        "adapters/deps.py": (
            "import typing\nif typing.TYPE_CHECKING:\n    from adapters.app import Config\n"
            "else:\n    import json\n"
        ),
    })
    imports = collect_imports(tmp_path)
    assert find_cycles(runtime_graph(imports)) == []
    assert Import("adapters.deps", "adapters.app", 3, type_checking=True) in imports
    assert Import("adapters.deps", "json", 5, type_checking=False) in imports


def test_a_package_importing_its_submodules_is_no_cycle_but_an_outside_import_runs_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "adapters/__init__.py": "",
        "adapters/settings.py": "def digest() -> None:\n    from adapters.scheduler.digest import parse\n",
        "adapters/scheduler/__init__.py": "from adapters.scheduler.digest import parse\nfrom . import lock\n",
        "adapters/scheduler/digest.py": "from adapters.scheduler.messages import Digest\n",
        "adapters/scheduler/messages.py": "",
        "adapters/scheduler/lock.py": "from adapters.settings import Settings\n",
    })
    assert find_cycles(runtime_graph(collect_imports(tmp_path))) == [
        ["adapters.scheduler", "adapters.scheduler.lock", "adapters.settings", "adapters.scheduler"]
    ]


def test_the_driven_side_never_uses_the_driving_side_or_the_composition_root() -> None:
    violations = adapter_violations(collect_imports(ROOT))
    assert not violations, "\n".join(violations)


def test_the_checker_finds_a_driven_module_using_the_composition_root(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "adapters/__init__.py": "",
        "adapters/bootstrap.py": "",
        "adapters/driven/__init__.py": "",
        "adapters/driven/outbox.py": "from adapters.bootstrap import Caretrail\n",
    })
    assert adapter_violations(collect_imports(tmp_path)) == [
        "adapters.driven.outbox imports adapters.bootstrap (adapters.driven may not use adapters.bootstrap)"
    ]
