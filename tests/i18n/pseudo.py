"""A pseudo-locale made at test time, and a finder of the English left on a page rendered in it.

Every message of the project's catalogues (and each third-party message that every site language
translates) gets a pseudo "translation": the same words with accented letters in brackets,
``Find a mentor`` -> ``[Ƒîñð å ɱéñţöŕ]``, placeholders, HTML tags and entities kept as they are. A
page rendered in that locale then shows plain ASCII English only where a string never went
through the catalogue (a hard-coded word, an untranslated plugin reason, a string formatted before
the language was known) or where it is people's own data. :func:`english_runs` finds the first
kind and leaves the second to the caller.

The catalogue is compiled with Babel, as ``deploy/compilemessages`` does: no gettext tools needed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .pofiles import read

#: The pseudo language: "en" with a private-use region (Android's accented pseudo-locale is en-XA).
#: Django then falls back to English for what it needs about the language (name, direction, formats).
CODE = "en-xa"
DOMAINS = ("django", "djangojs")

_LOWER = "åƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýž"
_UPPER = "ÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
_ACCENTS = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", _LOWER + _UPPER)
#: What a translation must keep verbatim: printf and strftime placeholders, ``{name}`` and
#: ``{{ name }}`` markers, HTML tags and entities.
_KEEP = re.compile(
    r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]"
    r"|\{\{.*?\}\}|\{[\w.]*\}"
    r"|<[^<>]*>"
    r"|&(?:#\d+|#x[0-9a-fA-F]+|\w+);"
)


def transform(text: str) -> str:
    """``text`` with every letter accented and brackets around it, placeholders, tags and entities kept."""
    if not text:
        return text
    out, at = [], 0
    for match in _KEEP.finditer(text):
        out.append(text[at : match.start()].translate(_ACCENTS))
        out.append(match.group(0))
        at = match.end()
    out.append(text[at:].translate(_ACCENTS))
    core = "".join(out)
    lead = len(core) - len(core.lstrip())
    trail = len(core) - len(core.rstrip())
    # The brackets go inside surrounding white space, so a message ending in "\n" still does.
    return core[:lead] + "[" + core[lead : len(core) - trail] + "]" + core[len(core) - trail :]


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str = ""
    context: str | None = None


def project_messages(locale_dirs: Iterable[Path], domain: str, languages: Iterable[str]) -> set[Message]:
    """Every message of ``domain`` in the ``.po`` files of ``languages`` in ``locale_dirs``.

    makemessages writes the same msgids into every language's file; the union covers a catalogue
    that one language has and another lacks.
    """
    found: set[Message] = set()
    languages = list(languages)
    for locale_dir in locale_dirs:
        for po in [Path(locale_dir) / language / "LC_MESSAGES" / f"{domain}.po" for language in languages]:
            if not po.exists():
                continue
            for entry in read(po):
                if entry.msgid and not entry.obsolete:
                    found.add(Message(entry.msgid, entry.msgid_plural, entry.msgctxt))
    return found


def translated_everywhere(locale_dirs: Iterable[Path], domain: str, languages: Iterable[str]) -> set[Message]:
    """Messages of ``domain`` that the compiled catalogues of every one of ``languages`` translate.

    For third-party apps (Django, allauth, Wagtail...): a message one site language lacks is shown
    in English to its readers, so it must stay English in the pseudo-locale too and be found.
    """
    from babel.messages.mofile import read_mo

    languages = list(languages)
    per_language: list[set[Message]] = []
    for language in languages:
        have: set[Message] = set()
        for locale_dir in locale_dirs:
            for name in {language, language.replace("-", "_"), language.split("-")[0]}:
                mo = Path(locale_dir) / name / "LC_MESSAGES" / f"{domain}.mo"
                if not mo.exists():
                    continue
                with mo.open("rb") as handle:
                    catalogue = read_mo(handle)
                for message in catalogue:
                    if not message.id:
                        continue
                    strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
                    if not all(strings):
                        continue
                    context = message.context  # Babel's reader leaves a context in bytes
                    context = context.decode() if isinstance(context, bytes) else context
                    if isinstance(message.id, (list, tuple)):
                        have.add(Message(message.id[0], message.id[1], context))
                    else:
                        have.add(Message(message.id, "", context))
        per_language.append(have)
    return set.intersection(*per_language) if per_language else set()


def write_catalogue(messages: Iterable[Message], folder: Path, domain: str) -> Path:
    """Compile the pseudo translations of ``messages`` to ``folder/<CODE>/LC_MESSAGES/<domain>.mo``."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalogue = Catalog(locale="en", domain=domain)  # two plural forms, n != 1, as English
    for message in messages:
        if message.plural:
            catalogue.add(
                (message.msgid, message.plural),
                (transform(message.msgid), transform(message.plural)),
                context=message.context,
            )
        else:
            catalogue.add(message.msgid, transform(message.msgid), context=message.context)
    target = folder / _locale_folder() / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    mo = target / f"{domain}.mo"
    with mo.open("wb") as handle:
        write_mo(handle, catalogue)
    return mo


def _locale_folder() -> str:
    language, _, region = CODE.partition("-")
    return f"{language}_{region.upper()}" if region else language


# --- what a reader sees ---------------------------------------------------------------------------

#: Attributes a person reads or hears: tooltips, alternative text, placeholders, accessible names,
#: and the messages the site's scripts show from ``data-`` attributes.
READ_ATTRIBUTES = {
    "title", "alt", "placeholder", "label", "aria-label", "aria-description", "aria-roledescription",
    "aria-valuetext", "aria-placeholder", "data-label", "data-confirm", "data-template", "data-none",
}  # fmt: skip
_BUTTON_INPUTS = {"submit", "button", "reset"}
_HIDDEN = {"script", "style"}


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name, value in attrs:
            if not value:
                continue
            if name in READ_ATTRIBUTES or (
                # Other data- attributes that read as prose (not JSON, nor Stimulus's "event->controller#action").
                name.startswith("data-") and " " in value.strip() and not re.search(r"^\s*[{\[]|->|#", value)
            ):
                self.pieces.append(value)
        if tag == "input" and (values.get("type") or "").lower() in _BUTTON_INPUTS and values.get("value"):
            self.pieces.append(values["value"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN:
            self._hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.pieces.append(data)


def visible_text(markup: str) -> list[str]:
    """The text nodes (not of scripts and styles) and the read attributes of an HTML page, in order."""
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    return parser.pieces


def links(markup: str) -> list[str]:
    """The ``href`` of every link of an HTML page, in order."""
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    return parser.links


#: JSON keys whose values are for programs, not people: error codes, field names.
MACHINE_KEYS = {"code", "field", "type"}


def json_text(data) -> Iterator[str]:
    """Every string value (not key, nor a machine code) of a JSON document: what an API client may show."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            if key not in MACHINE_KEYS:
                yield from json_text(value)
    elif isinstance(data, list):
        for value in data:
            yield from json_text(value)


#: iCalendar properties a calendar app shows its user.
ICS_SHOWN = ("SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT")


def ics_text(text: str) -> list[str]:
    """The shown properties of an iCalendar file, unfolded and unescaped."""
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    found = []
    for line in unfolded.splitlines():
        name, _, value = line.partition(":")
        if name.split(";")[0].upper() in ICS_SHOWN:
            found.append(re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value))
    return found


def response_text(response) -> list[str]:
    """What a person reads of a Django test client response, by its content type."""
    kind = response.get("Content-Type", "")
    if response.streaming or not kind.startswith(("text/", "application/json", "application/problem+json")):
        return []  # files: pictures, PDFs, downloads
    body = response.content.decode(response.charset or "utf-8")
    if "json" in kind:
        return list(json_text(json.loads(body)))
    if "calendar" in kind:
        return ics_text(body)
    if "html" in kind:
        return visible_text(body)
    return [body]


# --- English left ---------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
#: Not words: web and mail addresses, paths of this site, file names, code names (``plugins.video.p2p``,
#: ``refit_recommenders``) and the ``{name}`` markers a script fills in (``data-template="Started by {name}."``).
_NOT_WORDS = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w/])/[\w./?=&%-]*"
    r"|\b[\w-]+\.(?:ics|pdf|csv|png|jpe?g|svg|txt)\b|\{\w+\}|\b[a-z0-9]+(?:[._][a-z0-9]+)+\b"
)


_PSEUDO_LETTERS = set(_LOWER + _UPPER)


def _kind(word: str) -> str:
    """``english`` (plain ASCII), ``pseudo`` (every letter accented), ``letter`` (one ASCII letter), or ``other``."""
    if word.isascii():
        return "english" if len(word) > 1 else "letter"
    if all(c in _PSEUDO_LETTERS for c in word if c.isalpha()):
        return "pseudo"
    return "other"  # another script, or a name with accents of its own ("López")


def english_runs(text: str) -> list[str]:
    """The runs of words in ``text`` with at least one plain ASCII word in them.

    A pseudo word or a pseudo string's bracket ends a run; lone letters ("I", "a") and words of other
    scripts or with accents of their own ("López") stay in the run they are in.
    """
    runs = []
    for segment in re.split(r"[\[\]]", _NOT_WORDS.sub(" ", html.unescape(text))):
        current: list[str] = []
        for match in _WORD.finditer(segment):
            word = match.group(0)
            if _kind(word) == "pseudo":
                runs.append(current)
                current = []
            else:
                current.append(word)
        runs.append(current)
    return [" ".join(run) for run in runs if any(_kind(word) == "english" for word in run)]


def words(text: str) -> str:
    """``text`` as lower-case words separated by single spaces, for comparing runs with data."""
    return " ".join(match.group(0).lower() for match in _WORD.finditer(html.unescape(text)))
