"""The pluggy project name, entry-point group, hook markers and the version of the plugin API."""

import pluggy

PROJECT_NAME = "peerlearn"
ENTRY_POINT_GROUP = "peerlearn.plugins"

#: The version of the public plugin API (``core.plugins`` and the modules it re-exports), semver,
#: independent of the product's version: a plugin's ``PluginMeta.core_versions`` is checked against
#: it. Changes are listed in ``core/plugins/CHANGELOG.md``, which also states the deprecation policy.
API_VERSION = "0.5.0"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
