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
    assert "3 kept, 0 broken" in result.stdout


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


#: A plugins/ tree of the real shape whose plugins import what they must not (and one that does not).
CONTROL_PLUGINS = {
    "payments/honest/__init__.py": (
        "from core.plugins import PluginMeta, hookimpl\nfrom core.plugins.contracts.payments import PaymentStart\n"
    ),
    "payments/sneaky/__init__.py": "from core.plugins import breaker\nfrom core.plugins.manager import get_manager\n",
    "payments/sneaky/ledger.py": "import core.payments.services.ledger\n",
    "video/sneaky/__init__.py": "from peerlearn.settings import base\n",
    "video/neighbour/__init__.py": "from plugins.payments.honest import hookimpl\n",
    "recommenders/common.py": "from core.plugins import Recommender\n",
}


def test_the_allowlist_fails_a_plugin_that_imports_a_core_internal(tmp_path):
    """A control on the real .importlinter: the same core and site, with plugins that import what they must not.

    ``core.plugins.breaker`` and ``core.plugins.manager`` are inside
    ``core.plugins`` yet not its public API, which a blocklist of core apps let through.
    """
    (tmp_path / "core").symlink_to(ROOT / "core")
    (tmp_path / "peerlearn").symlink_to(ROOT / "site")
    for name, source in {"__init__.py": "", **CONTROL_PLUGINS}.items():
        path = tmp_path / "plugins" / name
        for package in [path.parent, *path.parent.parents]:
            if package == tmp_path:
                break
            package.mkdir(parents=True, exist_ok=True)
            (package / "__init__.py").touch()
        path.write_text(source)
    result = subprocess.run(
        [*LINT, "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=tmp_path, capture_output=True, text=True
    )
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Contracts: 1 kept, 2 broken." in report, report
    for line in [
        "plugins.payments.sneaky -> core.plugins.breaker",
        "plugins.payments.sneaky -> core.plugins.manager",
        "plugins.payments.sneaky.ledger -> core.payments.services.ledger",
        "plugins.video.sneaky -> peerlearn.settings.base",
        "plugins.video.neighbour -> plugins.payments.honest",
    ]:
        assert line in report, f"{line} not reported:\n{report}"
    assert "plugins.payments.honest ->" not in report, "the public API is allowed"
    assert "plugins.recommenders.common ->" not in report
