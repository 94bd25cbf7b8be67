"""Every published version of every workflow, loaded from definition files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from domain.values import WorkflowRef
from workflows.definition import DefinitionError, load_definition
from workflows.engine import Workflow

#: Definitions shipped with caretrail.
BUILTIN_DIR = Path(__file__).parent / "definitions"


class UnknownWorkflow(LookupError):
    """Raised when a case or a command names a workflow version nobody published."""

    def __init__(self, name: str, version: int | None, known: Iterable[str]) -> None:
        what = f"{name} v{version}" if version is not None else name
        super().__init__(f"unknown workflow {what} (published: {', '.join(known) or 'none'})")


class Registry:
    """Published workflow versions. A case pins the version it was identified under."""

    def __init__(self, workflows: Iterable[Workflow]) -> None:
        self._by_ref: dict[WorkflowRef, Workflow] = {}
        for workflow in workflows:
            if workflow.ref in self._by_ref:
                raise DefinitionError(str(workflow.ref), ["published twice"])
            self._by_ref[workflow.ref] = workflow

    @classmethod
    def load(cls, *directories: Path) -> Registry:
        """Load every ``*.toml`` in the built-in directory and the given ones."""
        paths = sorted(p for d in (BUILTIN_DIR, *directories) for p in d.glob("*.toml"))
        return cls(Workflow(load_definition(p)) for p in paths)

    def get(self, ref: WorkflowRef) -> Workflow:
        """The exact version a case follows."""
        try:
            return self._by_ref[ref]
        except KeyError:
            raise UnknownWorkflow(ref.name, ref.version, map(str, self._by_ref)) from None

    def latest(self, name: str) -> Workflow:
        """The newest published version of ``name`` (what new cases get)."""
        versions = [w for ref, w in self._by_ref.items() if ref.name == name]
        if not versions:
            raise UnknownWorkflow(name, None, map(str, self._by_ref))
        return max(versions, key=lambda w: w.ref.version)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._by_ref.values(), key=lambda w: (w.ref.name, w.ref.version)))
