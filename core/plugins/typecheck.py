"""A small runtime check of a plugin's answer against a hook's return annotation.

Enough for the shapes hooks use: a class, ``None``, unions, ``Literal``,
``Sequence[X]``, ``list[X]``, ``tuple[X, ...]``, ``Mapping[K, V]``, ``Any``.
An instance of a contract type is checked against what the type promises:
a dataclass's fields, an abstract provider's annotated attributes (a
gateway's ``identifier``, a recommender's ``family``). So an answer carrying
garbage (a number where the core expects text) is refused at the boundary and
charged to the plugin, not found later by the core while it renders a page.

Containers are checked entry by entry up to :data:`ENTRIES_CHECKED` entries:
an answer may carry a mapping over the whole catalogue (a recommender's
reasons), and checking it all on every request would cost more than the
request. Entries beyond are checked where the core reads them, and a fault
found there is charged to the plugin too (``PluginManager.blame``).
"""

from __future__ import annotations

import abc
import collections.abc as cabc
import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable
from itertools import islice
from typing import Any, ClassVar

ENTRIES_CHECKED = 32
_MISSING = object()


def matches(value: Any, annotation: Any) -> bool:
    return _checker(annotation)(value)


def _any(value: Any) -> bool:
    return True


@functools.cache
def _checker(annotation: Any) -> Callable[[Any], bool]:
    """A function that checks a value against ``annotation``, built once per annotation.

    Answers are checked on every request (five recommenders' scores per list),
    so the typing introspection happens here, once, not per value.
    """
    if annotation is Any or annotation is typing.Any:
        return _any
    if annotation is None or annotation is type(None):
        return lambda value: value is None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        members = tuple(_checker(arg) for arg in args)
        return lambda value: any(check(value) for check in members)
    if origin is typing.Literal:
        return lambda value: any(value is arg or (type(value) is type(arg) and value == arg) for arg in args)
    if origin in (list, tuple, cabc.Sequence):
        container = {list: list, tuple: tuple}.get(origin, (list, tuple))
        if not args:
            return lambda value: isinstance(value, container)
        item = _checker(args[0])
        return lambda value: isinstance(value, container) and all(map(item, islice(value, ENTRIES_CHECKED)))
    if origin in (dict, cabc.Mapping):
        if not args:
            return lambda value: isinstance(value, cabc.Mapping)
        key, item = _checker(args[0]), _checker(args[1])
        return lambda value: (
            isinstance(value, cabc.Mapping)
            and all(key(k) and item(v) for k, v in islice(value.items(), ENTRIES_CHECKED))
        )
    if origin is not None:
        return lambda value: isinstance(value, origin)
    if annotation is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if isinstance(annotation, type):
        if not _promised(annotation):
            return lambda value: isinstance(value, annotation)

        attributes: tuple[tuple[str, Callable[[Any], bool]], ...] | None = None

        def check(value: Any) -> bool:
            nonlocal attributes
            if attributes is None:  # built on first use: a contract may refer to itself
                attributes = tuple((name, _checker(hint)) for name, hint in _promised(annotation))
            return isinstance(value, annotation) and all(ok(getattr(value, name, _MISSING)) for name, ok in attributes)

        return check
    return _any


def mismatch(value: Any, annotation: Any) -> str:
    """Why ``value`` does not match ``annotation``, naming the first bad part ("" when it matches)."""
    return "" if matches(value, annotation) else _why(value, annotation, "the answer")


def _why(value: Any, annotation: Any, where: str) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        classes = [arg for arg in args if isinstance(arg, type) and isinstance(value, arg)]
        if len(classes) == 1:  # the member it claims to be: say what is wrong inside it
            return _why(value, classes[0], where)
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
    if isinstance(annotation, type) and isinstance(value, annotation):
        for name, hint in _promised(annotation):
            attribute = getattr(value, name, _MISSING)
            if attribute is _MISSING:
                return f"{where} has no {name}; expected {type_name(hint)}"
            if not matches(attribute, hint):
                return _why(attribute, hint, f"{where}.{name}")
    return f"{where} is {describe(value)}; expected {type_name(annotation)}"


@functools.cache
def _promised(cls: type) -> tuple[tuple[str, Any], ...]:
    """What ``cls`` promises about an instance: a dataclass's fields, an ABC's annotated attributes.

    Empty for other classes, and when an annotation cannot be resolved (a name imported only for type checkers).
    """
    if not dataclasses.is_dataclass(cls) and not isinstance(cls, abc.ABCMeta):
        return ()
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        return ()
    names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else list(hints)
    promised = []
    for name in names:
        hint = hints.get(name, Any)
        if typing.get_origin(hint) is ClassVar:
            hint = typing.get_args(hint)[0] if typing.get_args(hint) else Any
        promised.append((name, hint))
    return tuple(promised)


def describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__}: {text[:120]}"


def type_name(annotation: Any) -> str:
    """``Sequence[IceServer]`` rather than ``collections.abc.Sequence[core....IceServer]``."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", str(annotation))
