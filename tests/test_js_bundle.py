"""aeviz/ui/components/bundle.py: each component's script is its modules, whole, dependencies first, each once, with
only their `import` lines taken out; and it refuses what a concatenation would change (a name not exported, a
cycle, a top-level name in two modules, a default export outside the entry, an import it cannot read)."""

from pathlib import Path

import pytest

from aeviz.ui.components import bundle

# every component's entry module (the one with Streamlit's `export default` mount function)
ENTRIES = tuple(sorted(p.name for p in bundle.JS_DIR.glob("*.js") if "\nexport default " in p.read_text()))
assert {"latent_map.js", "latent_path.js", "threshold.js", "traversal.js"} <= set(ENTRIES)


def _without_imports(path: Path) -> str:
    lines, skipping = [], False
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("import"):
            skipping = True
        if not skipping:
            lines.append(line)
        elif line.rstrip().endswith(";"):
            skipping = False
    return "".join(lines)


@pytest.mark.parametrize("entry", ENTRIES)
def test_script_is_the_whole_modules_in_dependency_order(entry):
    names = bundle.order(entry)
    assert names[-1] == entry and len(set(names)) == len(names) and names[:2] == ["activations.js", "maths.js"]
    js = bundle.script(entry)
    assert "\nimport " not in js and js.count("export default") == 1
    at = [js.index(_without_imports(bundle.JS_DIR / n)) for n in names]  # each module whole, unchanged
    assert at == sorted(at)
    for i, name in enumerate(names):  # everything a module imports comes before it
        text = (bundle.JS_DIR / name).read_text()
        for dep in {d for d in names if f'from "./{d}"' in text}:
            assert names.index(dep) < i, (name, dep)


def test_every_module_is_used_by_a_component():
    used = set().union(*(bundle.order(e) for e in ENTRIES))
    assert used == {p.name for p in bundle.JS_DIR.glob("*.js")}


def test_each_file_is_at_most_about_400_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in bundle.JS_DIR.glob("*.js")}
    assert max(sizes.values()) <= 420, sizes


def _modules(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.js").write_text(text)
    return tmp_path


@pytest.mark.parametrize("files, message", [
    ({"a": 'import { nope } from "./b.js";\nexport default function f() {}\n', "b": "export function yes() {}\n"},
     "does not export"),
    ({"a": 'import { b } from "./b.js";\nexport default function f() {}\n',
      "b": 'import { a } from "./c.js";\nexport function b() {}\n', "c": 'import { b } from "./b.js";\nexport const a = 1;\n'},
     "import cycle"),
    ({"a": 'import { b } from "./b.js";\nfunction helper() {}\nexport default function f() {}\n',
      "b": "function helper() {}\nexport function b() {}\n"}, "declared in both"),
    ({"a": 'import { b } from "./b.js";\nexport default function f() {}\n',
      "b": "export function b() {}\nexport default function g() {}\n"}, "only the entry"),
    ({"a": 'import * as b from "./b.js";\nexport default function f() {}\n', "b": "export function b() {}\n"},
     "write imports as"),
    ({"a": 'import { b as c } from "./b.js";\nexport default function f() {}\n', "b": "export function b() {}\n"},
     "write imports as"),
    ({"a": 'import { b } from "./missing.js";\nexport default function f() {}\n'}, "no module missing.js"),
])
def test_refuses_what_concatenation_would_change(tmp_path, files, message):
    with pytest.raises(ValueError, match=message):
        bundle.script("a.js", _modules(tmp_path, **files))


def test_multiline_import_and_order(tmp_path):
    root = _modules(tmp_path, a='import {\n  b,\n  c,\n} from "./b.js";\nimport { d } from "./d.js";\n'
                                  "export default function f() { return b + c + d; }\n",
                    b='import { d } from "./d.js";\nexport const b = d;\nexport const c = 2;\n', d="export const d = 1;\n")
    assert bundle.order("a.js", root) == ["d.js", "b.js", "a.js"]
    js = bundle.script("a.js", root)
    assert "import" not in js.split("\n", 1)[1] and js.index("export const d") < js.index("export const b")
