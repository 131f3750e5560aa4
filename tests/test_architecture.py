"""The house plan holds: layer contracts kept, no import circles, a thin CLI."""

from __future__ import annotations

from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_layer_contracts_in_pyproject_are_kept(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint_imports(no_cache=True) == 0


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_in_a_circle() -> None:
    graph = grimp.build_graph("llm_extract", exclude_type_checking_imports=True)
    # a package importing its own submodules is how packages work, not a circle between steps
    for module in [m for m in graph.modules if graph.find_children(m)]:
        for child in graph.find_children(module):
            if graph.direct_import_exists(importer=module, imported=child):
                graph.remove_import(importer=module, imported=child)
    assert _cycles(graph) == []


def test_the_cli_is_a_thin_layer() -> None:
    lines = (ROOT / "llm_extract" / "cli.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300, f"cli.py has {len(lines)} lines: move the work into the library"


def test_the_readme_layout_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1]
    package = ROOT / "llm_extract"
    names = [p.stem for p in package.glob("*.py") if p.stem != "__init__"]
    names += [p.name + "/" for p in package.iterdir() if (p / "__init__.py").exists()]
    missing = [n for n in names if f"`{n}" not in section]
    assert not missing, f"README's Architecture section does not mention {missing}"
