"""``manage.py makemessages``, also collecting ``ngettext_noop(singular, plural)``.

Django marks a message for the catalogue without translating it with ``gettext_noop``, but has no
plural twin. Plugins hand the core reasons with a count (:class:`core.plugins.Reason`), which the
core translates with the reader's plural rules; their two forms are marked with a local
``ngettext_noop`` and must reach the catalogue as one plural entry. Everything else is Django's
command, run with the same arguments.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=ngettext_noop:1,2"]
