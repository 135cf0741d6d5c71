"""``manage.py startplugin {recommender,payment,video} NAME [--directory DIR]``: a new plugin package."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.plugins.manager import get_manager
from core.plugins.scaffold import KINDS, ScaffoldError, write_plugin


class Command(BaseCommand):
    help = (
        "Write a complete PeerLearn plugin package outside the project: pyproject with the entry point, "
        "the plugin module with its metadata and settings, a passing contract test and a README."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("name", help="The plugin's entry-point name, e.g. recent_activity")
        parser.add_argument("--directory", help="Where to write it (new or empty; default ./peerlearn-<name>)")
        parser.add_argument("--title", default="", help="The name people see, e.g. 'Recent activity'")
        parser.add_argument("--author", default="", help="Who wrote it")

    def handle(self, *args, kind: str, name: str, directory: str | None = None, **options) -> None:
        if name in get_manager().plugins:
            raise CommandError(f"A plugin named {name!r} is installed already; choose another name.")
        target = Path(directory) if directory else Path.cwd() / f"peerlearn-{name.replace('_', '-')}"
        try:
            written = write_plugin(
                kind,
                name,
                target,
                project_root=Path(settings.BASE_DIR),
                title=options["title"],
                author=options["author"],
            )
        except ScaffoldError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Wrote {written.dist} ({len(written.files)} files) to {written.directory}.")
        self.stdout.write("Next, in PeerLearn's virtual environment:")
        self.stdout.write(f"  pip install -e {written.directory}")
        self.stdout.write(f"  cd {written.directory} && python -m pytest")
