"""The dependency rules of ARCHITECTURE.md, checked by import-linter's contracts."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run([lint, str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _imports_of(path: Path, module: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports, wherever the import statement is
    (inside functions and TYPE_CHECKING blocks too: both still tie the modules together)."""
    base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            parts = base.split(".")
            target = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            target = ".".join(part for part in (target, node.module or "") if part)
            candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in candidates if name in known and name != module)
    return found


def test_no_import_cycle_inside_services() -> None:
    """The layers contract orders the floors; this also keeps the modules of one floor
    (the API areas) from importing each other in a circle."""
    src = ROOT / "src"
    modules = {
        ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__"): path
        for path in (src / "iamd" / "services").rglob("*.py")
    }
    known = set(modules)
    graph = {name: _imports_of(path, name, known) for name, path in modules.items()}
    # Depth-first search for a back edge.
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        trail.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                return trail[trail.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[name] = 2
        trail.pop()
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name)
            assert cycle is None, "import cycle: " + " -> ".join(cycle)
