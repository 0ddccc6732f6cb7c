"""The README's contract: two commands, CI runs the test one, and the Python API example works."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _bash_blocks() -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", README, flags=re.S)]


def test_two_commands_install_run_and_test():
    app, tests = _bash_blocks()[:2]
    assert "requirements.txt" in app and "streamlit run serve.py" in app
    assert "requirements-dev.txt" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    tests = _bash_blocks()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines()


def test_torch_is_pinned_to_the_cpu_build():
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().split()
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


@pytest.mark.slow
def test_readme_python_api_runs():
    start = README.index("```python\n", README.index("## Python API")) + len("```python\n")
    code = README[start:README.index("```", start)]
    out = subprocess.run([sys.executable, "-c", code + "\nprint(codes.shape)"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "(1797, 2)"
