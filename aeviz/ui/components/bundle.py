"""The in-browser components' JavaScript: ES modules in aeviz/ui/components/js/, assembled into one script per
component when it registers (no build step, nothing fetched at run time).

`node --test` imports the modules as they are (tests/js/). Streamlit takes one inline module per component, so
`script("latent_map.js")` concatenates whole files: the entry's imports first, depth first in the order its
`import` lines name them, each module once, the entry last, each with its `import` lines removed (their `export`
keywords stay, so the script exports what its modules export). It refuses, with ValueError, anything the
concatenation would change: an import it cannot read (only `import { a, b } from "./m.js";`, on one line or more), an
imported name its module does not export, an import cycle, a top-level name declared by two modules, or an
`export default` outside the entry.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

JS_DIR = Path(__file__).resolve().parent / "js"
_IMPORT = re.compile(r'^import \{ ?([\w$]+(?:, ?[\w$]+)*),? ?\} from "\./([\w-]+\.js)";$')
_DECL = re.compile(r"^(export\s+)?(default\s+)?(?:async\s+)?(?:function\*?|class|const|let|var)\s+([\w$]+)", re.M)
_DEFAULT = re.compile(r"^export\s+default\b", re.M)


def _parse(name: str, root: Path) -> tuple[list[tuple[str, list[str]]], str, dict[str, bool]]:
    """A module's imports [(file, names)], its text without them, and its top-level names -> exported."""
    path = root / name
    if not path.is_file():
        raise ValueError(f"no module {name} in {root}")
    imports, kept = [], []
    lines = iter(path.read_text(encoding="utf-8").splitlines(keepends=True))
    for line in lines:
        if line.startswith("import"):
            statement = line
            while not statement.rstrip().endswith(";") and "\n" in statement:
                statement += next(lines, "")
            m = _IMPORT.match(" ".join(statement.split()))
            if not m:
                raise ValueError(f"{name}: write imports as `import {{ a, b }} from \"./m.js\";`: {statement!r}")
            imports.append((m.group(2), [n.strip() for n in m.group(1).split(",") if n.strip()]))
        else:
            kept.append(line)
    text = "".join(kept)
    names: dict[str, bool] = {}
    for m in _DECL.finditer(text):
        if m.group(3) in names:
            raise ValueError(f"{name}: {m.group(3)} is declared twice at the top level")
        names[m.group(3)] = bool(m.group(1))
    return imports, text, names


def order(entry: str, root: Path = JS_DIR) -> list[str]:
    """The modules `entry` needs, dependencies before the modules that import them, `entry` last."""
    done: list[str] = []

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in stack:
            raise ValueError("import cycle: " + " -> ".join(stack[stack.index(name):] + (name,)))
        if name in done:
            return
        imports, _, _ = _parse(name, root)
        for dep, wanted in imports:
            visit(dep, stack + (name,))
            exported = {n for n, e in _parse(dep, root)[2].items() if e}
            missing = [n for n in wanted if n not in exported]
            if missing:
                raise ValueError(f"{name} imports {', '.join(missing)} from {dep}, which does not export it")
        done.append(name)

    visit(entry, ())
    return done


@functools.cache
def script(entry: str, root: Path = JS_DIR) -> str:
    """The component's JS: the modules `entry` (a file in js/) needs, whole, in dependency order (see the module
    docstring); ValueError if the concatenation would not behave as the modules do."""
    names = order(entry, root)
    owner: dict[str, str] = {}
    parts = [f"// aeviz component script: {', '.join(names)}, assembled by aeviz/ui/components/bundle.py\n"]
    for name in names:
        _, text, declared = _parse(name, root)
        for n in declared:
            if n in owner:
                raise ValueError(f"{n} is declared in both {owner[n]} and {name}")
            owner[n] = name
        if name != entry and _DEFAULT.search(text):
            raise ValueError(f"{name}: only the entry module ({entry}) may have an `export default`")
        parts.append(f"\n// ---------------------------------------------------------------- js/{name}\n{text}")
    return "".join(parts)
