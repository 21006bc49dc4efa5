"""The adapters installed in this environment, found through the ``exchange.adapters`` entry points."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from adapters.base import Adapter, Places

GROUP = "exchange.adapters"


class UnknownProfile(LookupError):
    """No installed adapter has the requested name (or it does not serve the media type), or none was
    named where the media type has no default; ``profiles`` names the inbound adapters that read it."""

    def __init__(self, profile: str, profiles: tuple[str, ...] = ()) -> None:
        super().__init__(profile)
        self.profile = profile
        self.profiles = profiles


class UnsupportedMediaType(LookupError):
    """No installed adapter reads the media type."""


@cache
def installed() -> dict[str, type[Adapter]]:
    """Every installed adapter class by name, sorted by name."""
    found: dict[str, type[Adapter]] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        adapter = entry.load()
        if not (isinstance(adapter, type) and issubclass(adapter, Adapter)) or adapter.name != entry.name:
            raise TypeError(f"entry point {entry.name!r} is not an Adapter named {entry.name!r}")
        found[entry.name] = adapter
    return found


def get(name: str, places: Places) -> Adapter:
    try:
        return installed()[name](places)
    except KeyError:
        raise UnknownProfile(name) from None


def select_inbound(media_type: str, profile: str | None, places: Places) -> Adapter:
    """The adapter that reads ``media_type``: the one named by ``profile``, else the type's default;
    ``UnsupportedMediaType`` when none reads it, ``UnknownProfile`` when the profile is missing or wrong."""
    media_type = media_type.lower()
    readers = tuple(name for name, a in installed().items() if a.inbound and media_type in a.media_types)
    if not readers:
        raise UnsupportedMediaType(media_type)
    if profile:
        if profile not in readers:
            raise UnknownProfile(profile, readers)
        return installed()[profile](places)
    for adapter in installed().values():
        if adapter.inbound and media_type in adapter.default_for:
            return adapter(places)
    raise UnknownProfile("", readers)
