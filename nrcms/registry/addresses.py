"""How a place and an address are written: 甘亭镇东韩村三组, never 甘亭镇东韩村东韩村三组.

Names repeat in two ways. A village group may carry its village's name (“东韩村三组” under 东韩村), and the
detailed address a clerk types often starts with the village or group (“东韩村一组 12 号” for a household in
东韩村一组). Every page, printout and export composes addresses here, so the rule lives in one place.
Pure Python: no Django."""

from __future__ import annotations

from collections.abc import Sequence


def _merged(names: Sequence[str]) -> list[str]:
    """Drop a name that the next one repeats: [甘亭镇, 东韩村, 东韩村三组] → [甘亭镇, 东韩村三组]."""
    out: list[str] = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        if out and name.startswith(out[-1]):
            out[-1] = name
        else:
            out.append(name)
    return out


def place_name(names: Sequence[str]) -> str:
    """The names of a region and its ancestors (top first, county left out) as one place name."""
    return "".join(_merged(names))


def address(names: Sequence[str], detail: str, *, county: str = "") -> str:
    """The place name followed by the detailed address, without the part of the detail that repeats the place:
    ([甘亭镇, 东韩村, 一组], "东韩村一组 12 号") → 甘亭镇东韩村一组12 号; ([甘亭镇, 东韩村], "东韩村三组") → 甘亭镇东韩村三组.
    A detail that starts with the county's name and the whole place (户县甘亭镇…) loses that too."""
    parts = _merged(names)
    detail = (detail or "").strip()
    repeats = ["".join([county, *parts])] if county else []
    repeats += ["".join(parts[i:]) for i in range(len(parts))]  # the longest repeated tail first
    for repeated in repeats:
        if repeated and detail.startswith(repeated):
            detail = detail[len(repeated):].lstrip()
            break
    return "".join(parts) + detail
