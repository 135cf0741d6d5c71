"""``manage.py startplugin``: each kind makes a package that installs, passes its contract from outside
the project, and leaves the project's own suite green with it installed.

The packages are installed into a throwaway virtual environment that sees the
project's (a ``.pth`` file adds the project venv's site-packages), so the
project's environment is never changed. pip builds them in its usual isolated
build environment (setuptools from the package index).
"""

from __future__ import annotations

import os
import subprocess
import sysconfig
import venv
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

ROOT = Path(settings.BASE_DIR)
KINDS = ("recommender", "payment", "video")


def _env() -> dict[str, str]:
    """The outer run's environment, on the embedded default: the packages' own pytest runs make their
    own test database, which on the real stack would be this run's (same name, already in use)."""
    dropped = {"DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "DATABASE_URL", "REDIS_URL", "PEERLEARN_REQUIRE_SERVICES"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The three kinds generated, in a throwaway venv beside the project's: (venv python, package dirs)."""
    base = tmp_path_factory.mktemp("startplugin")
    packages = {}
    for kind in KINDS:
        packages[kind] = base / f"example-{kind}"
        call_command("startplugin", kind, f"example_{kind}", directory=str(packages[kind]), stdout=StringIO())
    target = base / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    host = sysconfig.get_paths()["purelib"]  # the project venv's site-packages (PeerLearn, pytest, pip)
    Path(purelib, "peerlearn-host.pth").write_text(f"import site; site.addsitedir({host!r})\n")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", *map(str, packages.values())],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return python, packages


def test_refuses_a_place_inside_the_project_and_a_taken_name(tmp_path):
    with pytest.raises(CommandError, match="outside the project"):
        call_command("startplugin", "video", "inside", directory=str(ROOT / "new-plugin"), stdout=StringIO())
    with pytest.raises(CommandError, match="installed already"):
        call_command("startplugin", "payment", "payment_manual", directory=str(tmp_path / "x"), stdout=StringIO())
    with pytest.raises(CommandError, match="lower-case"):
        call_command("startplugin", "video", "Bad-Name", directory=str(tmp_path / "y"), stdout=StringIO())
    assert not (ROOT / "new-plugin").exists()


def test_writes_a_complete_package(tmp_path):
    out = StringIO()
    call_command("startplugin", "payment", "upi_wallet", directory=str(tmp_path / "pkg"), title="UPI", stdout=out)
    files = {p.relative_to(tmp_path / "pkg").as_posix() for p in (tmp_path / "pkg").rglob("*") if p.is_file()}
    assert files == {
        "pyproject.toml",
        "README.md",
        "tests/test_contract.py",
        "peerlearn_upi_wallet/__init__.py",
        "peerlearn_upi_wallet/plugin.py",
        "peerlearn_upi_wallet/harness.py",
    }
    pyproject = (tmp_path / "pkg" / "pyproject.toml").read_text()
    assert 'upi_wallet = "peerlearn_upi_wallet.plugin"' in pyproject
    assert 'upi_wallet = "peerlearn_upi_wallet.harness:Harness"' in pyproject
    plugin = (tmp_path / "pkg" / "peerlearn_upi_wallet" / "plugin.py").read_text()
    from packaging.version import Version

    from core.plugins import API_VERSION

    api = Version(API_VERSION)
    assert f'core_versions=">={api.major}.{api.minor},<{api.major + 1}"' in plugin
    assert "SettingField(" in plugin and "confirms_at_start = True" in plugin
    compile(plugin, "plugin.py", "exec")
    assert "pip install -e" in out.getvalue()


@pytest.mark.parametrize("kind", KINDS)
def test_the_generated_code_is_lint_clean(tmp_path, kind):
    """What an author starts from passes the project's own ruff rules (run as their repository would)."""
    longest = f"clean_{kind}_".ljust(41, "x")  # the longest name allowed makes the longest lines
    call_command("startplugin", kind, longest, directory=str(tmp_path), stdout=StringIO())
    ruff = Path(sysconfig.get_paths()["scripts"]) / "ruff"
    rules = ["--isolated", "--line-length", "120"]
    check = subprocess.run([ruff, "check", *rules, "--select", "E,F,W,I,B,UP", "."], cwd=tmp_path, capture_output=True)
    assert check.returncode == 0, check.stdout.decode()[-3000:]
    formatted = subprocess.run([ruff, "format", *rules, "--check", "."], cwd=tmp_path, capture_output=True)
    assert formatted.returncode == 0, formatted.stdout.decode()[-3000:]


@pytest.mark.stackless
@pytest.mark.parametrize("kind", KINDS)
def test_the_generated_package_passes_its_contract_from_outside_the_project(installed, kind):
    python, packages = installed
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=packages[kind],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout


@pytest.mark.stackless
def test_the_projects_suite_passes_with_them_installed(installed):
    python, _ = installed
    run = subprocess.run(
        [python, "-m", "pytest", "-v", "-p", "no:randomly", "-p", "no:cacheprovider", "-x", "-m", "not e2e"]
        + ["tests/plugins/recommenders/test_contract.py", "tests/plugins/payments/test_contract.py"]
        + [
            "tests/plugins/video/test_contract.py",
            "tests/recommendations/test_services.py::test_trending_is_open_to_visitors",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for name in ("example_recommender", "example_payment", "example_video"):  # the project's suites ran them
        assert f"[{name}] PASSED" in run.stdout, name
