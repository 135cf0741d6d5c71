"""Import rules of the house, checked by import-linter (also run by .ci/run).

Run in a subprocess so the check sees the source tree, not the test process's imports.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"]


def lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--config", str(config), "--no-cache"], cwd=ROOT, capture_output=True, text=True)


def test_core_never_imports_plugins_and_plugins_use_only_the_public_api():
    result = lint(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_checker_does_catch_a_forbidden_import(tmp_path):
    """A control: the same tool fails on an import that does exist (core.accounts -> core.taxonomy)."""
    config = tmp_path / "control.ini"
    config.write_text(
        "[importlinter]\nroot_packages =\n    core\n\n"
        "[importlinter:contract:control]\nname = control\ntype = forbidden\n"
        "source_modules =\n    core.accounts\nforbidden_modules =\n    core.taxonomy\n"
    )
    result = lint(config)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
