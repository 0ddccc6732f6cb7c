"""House rule 1: the core package works without Streamlit; only aeviz.ui imports it."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import aeviz

ROOT = Path(__file__).resolve().parents[1]


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(aeviz.__path__, "aeviz."):
        if info.name == "aeviz.ui" or info.name.startswith("aeviz.ui."):
            continue
        names.append(info.name)
    return names


def test_core_modules_do_not_import_streamlit():
    modules = _core_modules()
    assert {"aeviz.train", "aeviz.models", "aeviz.figures", "aeviz.analysis"} <= set(modules)
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pages_do_not_do_maths():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text()
        for banned in ("import torch", "import numpy", "from sklearn", "from torch", "import sklearn"):
            assert banned not in text, f"{page.name} imports {banned.split()[-1]}"


def import_graph(package: Path, name: str) -> dict[str, set[str]]:
    """Which modules of the package at `package` (imported as `name`) each of its modules imports,
    anywhere in the file (a function's own imports too), read from the source alone; imports under
    `if TYPE_CHECKING:` are for annotations only and never run, so they are left out."""
    files = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        files[".".join([name, *parts])] = (path, is_package)
    graph = {module: set() for module in files}
    for module, (path, is_package) in files.items():
        here = module if is_package else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(), str(path))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and getattr(block.test, "id", getattr(block.test, "attr", "")) == "TYPE_CHECKING"
                       for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = ".".join(p for p in (base if node.level else "", node.module or "") if p)
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            graph[module] |= {t for t in targets if t in files and t != module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another in a circle (strongly connected, more than one), sorted."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def test_the_cycle_finder_sees_a_circle_through_a_function_import(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("from .sub import b\n\ndef f():\n    return b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def g():\n    from ..c import h\n    return h\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    (pkg / "d.py").write_text("from pkg import c\nfrom . import sub\n")
    graph = import_graph(pkg, "pkg")
    assert graph["pkg"] == {"pkg.a"} and graph["pkg.d"] == {"pkg", "pkg.c", "pkg.sub"}
    assert graph["pkg.sub.b"] == {"pkg.c"}
    assert import_cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    (pkg / "c.py").write_text("import os\n")
    assert import_cycles(import_graph(pkg, "pkg")) == []


def test_no_aeviz_modules_import_each_other_in_a_circle():
    graph = import_graph(ROOT / "aeviz", "aeviz")
    assert {"aeviz.ui.lesson", "aeviz.ui.share", "aeviz.ui.text"} <= set(graph)
    assert "aeviz.ui.text" in graph["aeviz.ui.lesson"]
    assert import_cycles(graph) == []
