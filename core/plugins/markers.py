"""The pluggy project name, entry-point group and hook markers."""

import pluggy

PROJECT_NAME = "peerlearn"
ENTRY_POINT_GROUP = "peerlearn.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
