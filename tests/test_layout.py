"""The code layout follows the data flow: no import circles, loader imports nothing from graph, a docstring per module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("graph", "loader")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            out[_module_name(p)] = p
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules imported by one module (at any depth in the file: lazy imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                mod = ".".join(anchor + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets.append(mod)
            targets.extend(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            targets.extend(a.name for a in node.names)
        for t in targets:
            t = _strip_package_prefix(t)
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def _strip_package_prefix(mod: str) -> str:
    return mod[len("msckg."):] if mod.startswith("msckg.") else mod


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    edges = {}
    for name, path in mods.items():
        # a package's __init__ is imported with any of its modules; edges to it are not circles of code
        edges[name] = {m for m in _imports(name, path, known) if not (name.startswith(m + ".") and mods[m].name == "__init__.py")}
    return edges


def test_loader_imports_nothing_from_graph():
    bad = {n: sorted(m for m in deps if m.split(".")[0] == "graph") for n, deps in _graph().items() if n.startswith("loader")}
    assert not {k: v for k, v in bad.items() if v}, f"loader must not import graph: {bad}"


def test_no_import_circles():
    edges = _graph()
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_every_module_says_what_it_is():
    missing = [str(p.relative_to(ROOT)) for p in _modules().values() if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing, f"modules without a one-line docstring: {missing}"


def test_graph_is_grouped_by_stage():
    loose = sorted(p.name for p in (ROOT / "graph").glob("*.py") if p.name not in {"__init__.py", "paths.py", "safety.py"})
    assert not loose, f"modules directly under graph/ (put them in the folder of their stage): {loose}"


def test_every_package_and_data_folder_installs_under_msckg():
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(conf["packages"])
    dirs = conf["package-dir"]
    assert all(p == "msckg" or p.startswith("msckg.") for p in listed), "only msckg.* is installed (no top-level graph or loader)"
    wanted = {"msckg"}
    for pkg, folder in dirs.items():
        base = ROOT / folder
        for d in [base, *sorted(p for p in base.rglob("*") if p.is_dir() and "__pycache__" not in p.parts)]:
            has_code = (d / "__init__.py").is_file()
            has_data = any(f.is_file() for f in d.iterdir())
            # a data folder (no __init__.py) inside a package is a package to setuptools too: list it,
            # or setuptools warns on every install; only folders of generated files are left out
            if has_code or (has_data and not (d / ".gitignore").exists() and d.name != "__pycache__"):
                wanted.add(".".join([pkg, *d.relative_to(base).parts]))
    assert wanted == listed, f"pyproject.toml [tool.setuptools] packages: missing {sorted(wanted - listed)}, extra {sorted(listed - wanted)}"
