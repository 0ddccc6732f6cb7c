"""House rule 1: the core package works without Streamlit; only aeviz.ui imports it."""

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
