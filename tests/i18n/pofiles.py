"""A small reader of gettext ``.po`` files, enough to check the project's catalogues."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

#: ``%(name)s``, ``%s``, ``%d``, ``%(count)d``, ``%.1f``..., and ``{name}`` (str.format / JS templates).
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{(\w*)\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip()) if text.strip() else ""


def read(path: Path) -> list[Entry]:
    """Every entry of ``path``, the header (empty msgid) included."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int | None] | None = None
    started = False

    def finish() -> None:
        nonlocal current, started
        if started:
            entries.append(current)
        current = Entry()
        started = False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#~"):
            current.obsolete = True
            started = True
            continue
        if line.startswith("#,"):
            if started and (current.msgid or current.msgstr):
                finish()
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            if target is None:
                raise ValueError(f"{path}:{number}: a string continues nothing")
            name, index = target
            piece = _unquote(line)
            if name == "msgstr":
                current.msgstr[index or 0] += piece
            else:
                setattr(current, name, (getattr(current, name) or "") + piece)
            continue
        if keyword == "msgctxt" or (keyword == "msgid" and current.msgstr):
            finish()
        started = True
        current.line = current.line or number
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            index = int(match.group(1))
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        elif keyword == "msgstr":
            current.msgstr[0] = _unquote(rest)
            target = ("msgstr", 0)
        elif keyword in {"msgid", "msgid_plural", "msgctxt"}:
            setattr(current, keyword, _unquote(rest))
            target = (keyword, None)
        else:
            raise ValueError(f"{path}:{number}: unknown keyword {keyword!r}")
    finish()
    return entries


def placeholders(text: str) -> list[str]:
    """The format placeholders of ``text``, sorted: named ones by name, positional ones by kind."""
    found = []
    for match in PLACEHOLDER.finditer(text.replace("%%", "")):
        whole, named, braced = match.group(0), match.group(1), match.group(2)
        if named:
            found.append(f"%({named})")
        elif braced is not None:
            found.append("{" + braced + "}")
        else:
            found.append("%" + whole[-1])
    return sorted(found)
