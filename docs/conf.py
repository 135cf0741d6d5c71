"""Sphinx configuration of PeerLearn's plugin reference (built offline: ``python -m sphinx -W docs docs/_build``)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")

import django  # noqa: E402

django.setup()

from core.plugins import API_VERSION  # noqa: E402

project = "PeerLearn plugins"
author = "PeerLearn developers"
release = version = API_VERSION
extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
# ref.python: re-exported names resolve to two places (both right); highlighting: the examples are templates ($name).
suppress_warnings = ["ref.python", "misc.highlighting_failure"]
