"""A small runtime check of a value against a hook's return annotation.

Enough for the shapes hooks use: a class, ``None``, unions, ``Sequence[X]``,
``list[X]``, ``Mapping[K, V]`` and ``Any``.
"""

from __future__ import annotations

import collections.abc as cabc
import re
import types
import typing
from typing import Any


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
        return all(matches(item, args[0]) for item in value) if args else True
    if origin in (dict, cabc.Mapping):
        if not isinstance(value, cabc.Mapping):
            return False
        if not args:
            return True
        key_type, value_type = args
        return all(matches(k, key_type) and matches(v, value_type) for k, v in value.items())
    if origin is not None:
        return isinstance(value, origin)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__}: {text[:120]}"


def type_name(annotation: Any) -> str:
    """``Sequence[IceServer]`` rather than ``collections.abc.Sequence[core....IceServer]``."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", str(annotation))
