"""Every problem of a message at once, not only the first.

msgspec stops at the first field that does not fit; an OMS whose message is refused wants
the whole list, to fix it in one go. `every_problem(Struct, data)` walks the decoded JSON
field by field (into nested structs and lists of them) and converts each value alone, so
each misfit is reported with its path.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

import msgspec
import msgspec.inspect

MAX_PROBLEMS = 200


def every_problem(struct_type: type[msgspec.Struct], data: Any) -> list[dict[str, str]]:
    """[{field, message}] for everything wrong in `data` as a `struct_type`; [] if it fits."""
    problems: list[dict[str, str]] = []
    _check(struct_type, data, "", problems)
    if not problems:  # what a field alone cannot show: cross-field rules in __post_init__
        try:
            msgspec.convert(data, struct_type)
        except msgspec.ValidationError as err:
            problems.append({"field": _path_of(err, ""), "message": _message(err)})
    return problems[:MAX_PROBLEMS]


def _check(hint: Any, value: Any, path: str, problems: list[dict[str, str]]) -> None:
    struct = _struct_in(hint)
    if struct is not None and (value is not None or not _optional(hint)):
        _check_struct(struct, value, path, problems)
        return
    item = _list_item(hint)
    if item is not None and _struct_in(item) is not None and isinstance(value, list):
        try:  # the list's own limits (length) first, then each element
            msgspec.convert(value, _without_item_structs(hint))
        except msgspec.ValidationError as err:
            problems.append({"field": path, "message": _message(err)})
        for i, element in enumerate(value):
            _check(item, element, f"{path}[{i}]", problems)
        return
    try:
        msgspec.convert(value, hint)
    except msgspec.ValidationError as err:
        problems.append({"field": _path_of(err, path), "message": _message(err)})


def _check_struct(
    struct: type[msgspec.Struct], value: Any, path: str, problems: list[dict[str, str]]
) -> None:
    if not isinstance(value, dict) or struct.__struct_config__.tag_field is not None:
        # Not an object, or a tagged union member: one conversion says what is wrong.
        try:
            msgspec.convert(value, struct)
        except msgspec.ValidationError as err:
            problems.append({"field": _path_of(err, path), "message": _message(err)})
        return
    hints = typing.get_type_hints(struct, include_extras=True)
    fields = struct.__struct_fields__
    info = msgspec.inspect.type_info(struct)
    required = {f.name for f in info.fields if f.required}  # type: ignore[attr-defined]
    for name in fields:
        where = f"{path}.{name}" if path else name
        if name not in value:
            if name in required:
                problems.append(
                    {"field": where, "message": f"Object missing required field `{name}`"}
                )
            continue
        _check(hints[name], value[name], where, problems)
    if struct.__struct_config__.forbid_unknown_fields:
        for name in value:
            if name not in fields:
                where = f"{path}.{name}" if path else name
                problems.append(
                    {"field": where, "message": f"Object contains unknown field `{name}`"}
                )


def _bare(hint: Any) -> Any:
    return get_args(hint)[0] if get_origin(hint) is typing.Annotated else hint


def _members(hint: Any) -> tuple[Any, ...]:
    hint = _bare(hint)
    if get_origin(hint) in (Union, types.UnionType):
        return tuple(_bare(a) for a in get_args(hint))
    return (hint,)


def _optional(hint: Any) -> bool:
    return type(None) in _members(hint)


def _struct_in(hint: Any) -> type[msgspec.Struct] | None:
    """The one Struct a hint stands for (maybe Optional), or None."""
    found = [m for m in _members(hint) if isinstance(m, type) and issubclass(m, msgspec.Struct)]
    others = [m for m in _members(hint) if m is not type(None) and m not in found]
    return found[0] if len(found) == 1 and not others else None


def _list_item(hint: Any) -> Any:
    bare = _bare(hint)
    if get_origin(bare) is list:
        return get_args(bare)[0]
    return None


def _without_item_structs(hint: Any) -> Any:
    """The list's hint with its items as plain objects: checks only the list's own limits."""
    if get_origin(hint) is typing.Annotated:
        return typing.Annotated[list[Any], *hint.__metadata__]
    return list[Any]


def _message(err: msgspec.ValidationError) -> str:
    return str(err).split(" - at `", 1)[0]


def _path_of(err: msgspec.ValidationError, path: str) -> str:
    text = str(err)
    if " - at `$" not in text:
        return path
    inner = text.rsplit(" - at `$", 1)[1].rstrip("`")
    return f"{path}{inner}" if path else inner.lstrip(".")
