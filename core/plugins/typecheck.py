"""A small runtime check of a plugin's answer against a hook's return annotation.

Enough for the shapes hooks use: a class, ``None``, unions, ``Literal``,
``Sequence[X]``, ``list[X]``, ``tuple[X, ...]``, ``Mapping[K, V]``, ``Any``,
and dataclasses, whose fields are checked against their own annotations, so
a contract type carrying garbage (a number where the core expects text) is
refused at the boundary and charged to the plugin, not found later by the
core while it renders a page.

Containers are checked entry by entry up to :data:`ENTRIES_CHECKED` entries:
an answer may carry a mapping over the whole catalogue (a recommender's
reasons), and checking it all on every request would cost more than the
request. Entries beyond are checked where the core reads them, and a fault
found there is charged to the plugin too (``PluginManager.blame``).
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import functools
import re
import types
import typing
from itertools import islice
from typing import Any

ENTRIES_CHECKED = 64


def matches(value: Any, annotation: Any) -> bool:
    if annotation is Any or annotation is typing.Any:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, tuple, cabc.Sequence):
        container = {list: list, tuple: tuple}.get(origin, (list, tuple))
        if not isinstance(value, container):
            return False
        return all(matches(item, args[0]) for item in islice(value, ENTRIES_CHECKED)) if args else True
    if origin in (dict, cabc.Mapping):
        if not isinstance(value, cabc.Mapping):
            return False
        if not args:
            return True
        key_type, value_type = args
        return all(matches(k, key_type) and matches(v, value_type) for k, v in islice(value.items(), ENTRIES_CHECKED))
    if origin is not None:
        return isinstance(value, origin)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation) and _fields_match(value)
    return True


def mismatch(value: Any, annotation: Any) -> str:
    """Why ``value`` does not match ``annotation``, naming the first bad part ("" when it matches)."""
    return "" if matches(value, annotation) else _why(value, annotation, "the answer")


def _why(value: Any, annotation: Any, where: str) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, tuple, cabc.Sequence) and isinstance(value, (list, tuple)) and args:
        for n, item in enumerate(islice(value, ENTRIES_CHECKED)):
            if not matches(item, args[0]):
                return _why(item, args[0], f"{where}[{n}]")
    if origin in (dict, cabc.Mapping) and isinstance(value, cabc.Mapping) and args:
        for key, item in islice(value.items(), ENTRIES_CHECKED):
            if not matches(key, args[0]):
                return f"{where} has the key {describe(key)}; expected {type_name(args[0])}"
            if not matches(item, args[1]):
                return _why(item, args[1], f"{where}[{key!r}]")
    if isinstance(annotation, type) and isinstance(value, annotation) and dataclasses.is_dataclass(value):
        for name, hint in _field_hints(type(value)):
            field_value = getattr(value, name, None)
            if not matches(field_value, hint):
                return _why(field_value, hint, f"{where}.{name}")
    return f"{where} is {describe(value)}; expected {type_name(annotation)}"


def _fields_match(value: Any) -> bool:
    if not dataclasses.is_dataclass(value):
        return True
    return all(matches(getattr(value, name, None), hint) for name, hint in _field_hints(type(value)))


@functools.cache
def _field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    """The dataclass's fields and their resolved annotations (none when they cannot be resolved)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation naming something only imported for type checkers
        return ()
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.name in hints)


def describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__}: {text[:120]}"


def type_name(annotation: Any) -> str:
    """``Sequence[IceServer]`` rather than ``collections.abc.Sequence[core....IceServer]``."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", str(annotation))
