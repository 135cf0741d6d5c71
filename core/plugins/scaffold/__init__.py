"""``manage.py startplugin``: write a complete plugin package from the templates beside this module.

The templates are ``string.Template`` files (``$name`` placeholders, ``$$`` for a dollar sign):
``common/`` for every kind (pyproject with the entry point, README, the contract test) and one
folder per kind with its plugin module (and, for payments, the harness the contract suite drives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from packaging.version import Version

from ..markers import API_VERSION

TEMPLATES = Path(__file__).resolve().parent
NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

KINDS = {
    "recommender": ("Recommender", "RecommenderContract", "Scores mentors and sessions by recent activity."),
    "payment": ("Gateway", "PaymentGatewayContract", "Takes payments from a wallet at once, at checkout."),
    "video": ("Backend", "VideoBackendContract", "Sends the participants of a session to an external meeting room."),
}

_NOTES = {
    "recommender": "Its family is `trending`: the site's trending weight (Settings > Recommendations) applies.",
    "payment": (
        "Set the wallet service's API address and key in its settings; learners then see *$title* at checkout,\n"
        "type their wallet id, and the booking is confirmed in the same request."
    ),
    "video": "Choose it under *Settings > Rooms* (backend `$name`) once its meeting server is set.",
}


class ScaffoldError(ValueError):
    """A name or place the package cannot be written with; the message says why."""


@dataclass(frozen=True)
class Written:
    directory: Path
    files: list[Path]
    dist: str
    package: str


def _values(kind: str, name: str, title: str, author: str) -> dict[str, str]:
    suffix, contract, description = KINDS[kind]
    package = f"peerlearn_{name}"
    values = {
        "kind": kind,
        "name": name,
        "title": title or name.replace("_", " ").capitalize(),
        "author": author,
        "description": description,
        "dist": f"peerlearn-{name.replace('_', '-')}",
        "package": package,
        "class_name": "".join(part.capitalize() for part in name.split("_")) + suffix,
        "contract": contract,
        "test_imports": f"from peerlearn_testing import {contract}\n",
        "api_version": API_VERSION,
        "api_minor": ".".join(str(n) for n in Version(API_VERSION).release[:2]),
        "env_prefix": name.upper(),
        "extra_entry_points": "",
    }
    if kind == "payment":
        values["extra_entry_points"] = (
            "\n# The contract suite's harness (a local copy of the wallet API).\n"
            '[project.entry-points."peerlearn.payment_harnesses"]\n'
            f'{name} = "{package}.harness:Harness"\n'
        )
    values["kind_notes"] = "\n" + Template(_NOTES[kind]).substitute(values)
    return values


def files_for(kind: str, values: dict[str, str]) -> dict[str, str]:
    """Relative path -> rendered text of every file of the package."""
    package = values["package"]
    sources = {
        "pyproject.toml": TEMPLATES / "common" / "pyproject.toml.tmpl",
        "README.md": TEMPLATES / "common" / "README.md.tmpl",
        "tests/test_contract.py": TEMPLATES / "common" / "test_contract.py.tmpl",
        f"{package}/plugin.py": TEMPLATES / kind / "plugin.py.tmpl",
    }
    if kind == "payment":
        sources[f"{package}/harness.py"] = TEMPLATES / kind / "harness.py.tmpl"
    rendered = {path: Template(source.read_text()).substitute(values) for path, source in sources.items()}
    rendered[f"{package}/__init__.py"] = f'"""{values["title"]}: a PeerLearn {kind} plugin."""\n'
    return rendered


def write_plugin(
    kind: str, name: str, directory: Path, *, project_root: Path, title: str = "", author: str = ""
) -> Written:
    """Write the package for ``kind`` and ``name`` into ``directory`` (new or empty, outside the project)."""
    if kind not in KINDS:
        raise ScaffoldError(f"Unknown kind {kind!r}: choose one of {', '.join(KINDS)}.")
    if not NAME.match(name):
        raise ScaffoldError("NAME is the plugin's entry-point name: lower-case letters, digits and _, 2 to 41 long.")
    directory = directory.resolve()
    root = project_root.resolve()
    if directory == root or root in directory.parents:
        raise ScaffoldError(f"Write the plugin outside the project ({root}): it is a package of its own.")
    if directory.exists() and any(directory.iterdir()):
        raise ScaffoldError(f"{directory} exists and is not empty.")
    values = _values(kind, name, title, author or "Your name")
    written = []
    for relative, text in files_for(kind, values).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return Written(directory, written, values["dist"], values["package"])
