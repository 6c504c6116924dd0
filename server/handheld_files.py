"""The file system the handheld pages are served from.

A path the operating system cannot name (a NUL byte, `GET /%00`) is a missing page, not a
server error: the OS refuses it with ValueError before any lookup.
"""

from __future__ import annotations

from typing import Any

from litestar.file_system import BaseLocalFileSystem
from litestar.types import PathType
from litestar.types.file_types import FileInfo


class HandheldFiles(BaseLocalFileSystem):
    async def info(self, path: PathType, **kwargs: Any) -> FileInfo:
        if "\x00" in str(path):
            raise FileNotFoundError(path)
        return await super().info(path, **kwargs)
