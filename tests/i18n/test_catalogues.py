"""The message catalogues: Hindi and Spanish translate every message, keep every placeholder, compile.

``locale/<lang>/LC_MESSAGES/django.po`` (Python and templates) and ``djangojs.po``
(the browser scripts) are made by ``manage.py makemessages`` and translated by hand;
``scripts/_venv.sh`` compiles them. A message added to the code without a translation
fails here, and so does a ``%(name)s`` or ``{name}`` lost or renamed in a translation,
which would crash or garble the page at run time.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from .pofiles import placeholders, read

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
DOMAINS = ["django", "djangojs"]
#: Plural forms of each language, as Django's own catalogues have them (they must agree to merge).
PLURAL_FORMS = {
    "hi": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=3; plural=n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;",
}
CATALOGUES = [(language, domain) for language in LANGUAGES for domain in DOMAINS]


def catalogue(language: str, domain: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


def messages(language: str, domain: str):
    return [entry for entry in read(catalogue(language, domain)) if entry.msgid and not entry.obsolete]


def test_the_site_speaks_english_hindi_and_spanish():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "hi", "es"]
    assert LANGUAGES == ["hi", "es"]


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_message_is_translated_and_none_is_fuzzy(language, domain):
    entries = messages(language, domain)
    assert len(entries) > (300 if domain == "django" else 30), "the catalogue is missing or nearly empty"
    untranslated = [entry.msgid for entry in entries if not entry.msgstr or not all(entry.msgstr.values())]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}/{domain}.po"
    assert fuzzy == [], f"fuzzy entries in {language}/{domain}.po"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_plural_forms_are_complete(language, domain):
    header = next(entry for entry in read(catalogue(language, domain)) if not entry.msgid and not entry.obsolete)
    assert f"Plural-Forms: {PLURAL_FORMS[language]}" in header.msgstr[0]
    forms = int(PLURAL_FORMS[language].split("nplurals=")[1].split(";")[0])
    plurals = [entry for entry in messages(language, domain) if entry.msgid_plural]
    for entry in plurals:
        assert sorted(entry.msgstr) == list(range(forms)), f"{entry.msgid!r} needs {forms} forms in {language}"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_placeholders_survive_translation(language, domain):
    broken = []
    for entry in messages(language, domain):
        if entry.msgid_plural:
            wanted = sorted(set(placeholders(entry.msgid)) | set(placeholders(entry.msgid_plural)))
            for text in entry.msgstr.values():
                # A singular may spell out "one"; every form keeps the other placeholders.
                have = sorted(set(placeholders(text)))
                if not set(have) <= set(wanted) or len(set(wanted) - set(have)) > 1:
                    broken.append((entry.msgid, text))
        elif placeholders(entry.msgstr.get(0, "")) != placeholders(entry.msgid):
            broken.append((entry.msgid, entry.msgstr.get(0, "")))
    assert broken == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_msgfmt_accepts_the_catalogue(language, domain, tmp_path):
    """What compilemessages runs, with gettext's own format checks."""
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), str(catalogue(language, domain))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
