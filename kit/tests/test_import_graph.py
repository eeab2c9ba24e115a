"""The kit's modules import each other without a cycle.

Every module under kit/src/capstone is parsed (not imported), and every `import capstone...` and
`from capstone... import ...` is an edge, wherever it stands: at the top, inside a function, under
`if TYPE_CHECKING:`. Importing a.b.c also runs the __init__ of a.b (and of a), so those packages
are edges too, except the packages the importing module is itself inside: they are already being
imported when it runs (a package's __init__ that imports its own submodule is not a cycle).
Imports by name at run time (importlib.import_module, as the gate registry loads the gates) are
not edges: they are how a layer below finds the layer above without importing it.
"""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"
ROOT_PACKAGE = "capstone"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((SOURCE / ROOT_PACKAGE).rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The kit modules `name` imports (the modules themselves, not yet their packages)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..y import z
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from package import module` imports the module
            found |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known}
    return {target for target in found if target == ROOT_PACKAGE or target.startswith(ROOT_PACKAGE + ".")}


def ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    graph = {}
    for name, path in found.items():
        own = set(ancestors(name)) | {name}
        edges = set()
        for target in imported(name, path, known):
            for module in [*ancestors(target), target]:
                if module in known and module not in own:
                    edges.add(module)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_kits_imports():
    graph = import_graph()
    assert len(graph) > 40
    # a top-level import, a function-level import, a `from package import module`
    assert "capstone.checkpoints.registry" in graph["capstone.checkpoints.gates.integrity"]
    assert "capstone.checkpoints.approval" in graph["capstone.checkpoints.gates.integrity"]
    assert "capstone.checkpoints.context" in graph["capstone.checkpoints.check"]
    assert "capstone.checkpoints.evidence" in graph["capstone.checkpoints.gates.robust_inference"]
    assert "capstone.pipeline.splits" in graph["capstone.checkpoints.evidence"]


def test_a_made_up_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_kit_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles in the kit:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_registry_imports_no_gate():
    graph = import_graph()
    assert not {name for name in graph["capstone.checkpoints.registry"] if name.startswith("capstone.")}


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(ROOT_PACKAGE):
                offenders += [
                    f"{name}: from {node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert not offenders, "\n".join(offenders)
