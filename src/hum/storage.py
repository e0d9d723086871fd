"""Where seed files are read from and corpora published to: a local path, or an fsspec URL (`s3://`, `gs://`, ...).

A local path keeps the plain `open` and `pathlib` calls, so local runs read exactly what they read before. A URL is
read through fsspec; its protocol's package (s3fs, gcsfs: the `storage` extra) and credentials are the user's: the
protocol's own environment (`AWS_*`, `GOOGLE_APPLICATION_CREDENTIALS`) or fsspec's configuration
(`FSSPEC_S3_ENDPOINT_URL`, `~/.config/fsspec/*.json`), which also reaches the filesystems that `datasets` opens, so
nothing secret is written into params.yaml.

A corpus is published file by file, its card and then its manifest last: a reader that finds the manifest finds
every file it lists, on a bucket where no folder can be swapped in at once.
"""

from __future__ import annotations

import io
import re
from pathlib import Path, PurePath, PurePosixPath
from typing import IO, Any

from hum.errors import HumInputError

Location = Path | str  # a local path, or a URL kept as its text: a Path would fold `s3://b/k` into `s3:/b/k`
LAST = ("README.md", "manifest.json")  # written after every other file, in this order; the manifest marks a whole corpus
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")  # two letters at least, so that a Windows drive is no scheme


class PublishError(ValueError):
    """A corpus that cannot be published where asked: no corpus to copy, or another corpus in the way."""


def is_url(path: Location) -> bool:
    """Whether a configured path names a file through fsspec (`s3://b/k`, `file:///abs`), not a local path."""
    return isinstance(path, str) and _SCHEME.match(path) is not None


def location(path: Location) -> Location:
    """A configured path as hum reads it: a URL as its text, anything else as a local Path (as before URLs)."""
    return path if is_url(path) else Path(path)


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URL (or local path) and the path inside it; a protocol it cannot serve names the URL."""
    import fsspec  # noqa: PLC0415 - local runs never need it

    try:
        fs, inner = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # a protocol's package missing, or an unknown protocol
        raise HumInputError(url, "file", "<url>", f"{exc} (protocol packages: pip install 'hum[storage]')") from exc
    return fs, inner


def open_input(path: Location) -> IO[bytes]:
    """A file opened to read its bytes: `open` for a local path, fsspec for a URL.

    An fsspec file is wrapped in a C `BufferedReader`: fsspec's own line iteration is Python, 10-25x slower per line.
    """
    if not is_url(path):
        return open(path, "rb")
    fs, inner = filesystem(str(path))
    return io.BufferedReader(fs.open(inner, "rb"))


def is_file(path: Location) -> bool:
    """Whether a file is there; a URL asks its filesystem, and one it cannot ask (credentials, network) names the URL."""
    if not is_url(path):
        return Path(path).is_file()
    fs, inner = filesystem(str(path))
    try:
        return bool(fs.isfile(inner))
    except OSError as exc:
        raise HumInputError(path, "file", "<url>", f"cannot reach it: {exc}") from exc


def size(path: Location) -> int | None:
    """A file's size in bytes, None when no file is there: one question to a bucket where `is_file` and a size ask two."""
    if not is_url(path):
        local = Path(path)
        return local.stat().st_size if local.is_file() else None
    fs, inner = filesystem(str(path))
    try:
        info = fs.info(inner)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HumInputError(path, "file", "<url>", f"cannot reach it: {exc}") from exc
    return int(info["size"]) if info.get("type") == "file" else None


class Tree:
    """Files below one or more roots, local or behind URLs of one filesystem, for loaders that walk folders (BRAT).

    Paths are pure paths (a local `Path`, or the filesystem's own posix path of a URL), so that names are worked out
    the same way for both; reading and listing go through the tree, and `where` gives what messages and readers name.
    """

    def __init__(self, fs: Any = None) -> None:
        self.fs = fs  # None: local, through pathlib as before URLs

    @classmethod
    def of(cls, paths: list[Location]) -> tuple[Tree, list[PurePath]]:
        """The tree of configured paths, all local or all URLs of one protocol, and each path in it."""
        urls = [str(p) for p in paths if is_url(p)]
        if not urls:
            return cls(), [Path(p) for p in paths]
        if len(urls) != len(paths) or len({u.split("://", 1)[0] for u in urls}) > 1:
            raise HumInputError(", ".join(map(str, paths)), "file", "<url>", "paths of more than one filesystem (local and URLs)")
        found = [filesystem(url) for url in urls]
        return cls(found[0][0]), [PurePosixPath(inner) for _, inner in found]

    def is_dir(self, path: PurePath) -> bool:
        return Path(path).is_dir() if self.fs is None else bool(self.fs.isdir(str(path)))

    def is_file(self, path: PurePath) -> bool:
        return Path(path).is_file() if self.fs is None else bool(self.fs.isfile(str(path)))

    def children(self, folder: PurePath) -> list[PurePath]:
        """The entries of a folder (files and folders), in no particular order."""
        if self.fs is None:
            return list(Path(folder).iterdir())
        return [PurePosixPath(p) for p in self.fs.ls(str(folder), detail=False)]

    def read_bytes(self, path: PurePath) -> bytes:
        return Path(path).read_bytes() if self.fs is None else bytes(self.fs.cat_file(str(path)))

    def where(self, path: PurePath) -> Location:
        """The path as a reader opens it and a message names it: the local Path, or the URL."""
        return Path(path) if self.fs is None else str(self.fs.unstrip_protocol(str(path)))


def publish(folder: Path, url: str, *, overwrite: bool = False) -> list[str]:
    """Copy a built corpus folder to `url`; the names in the order written, none when this very corpus is there already.

    A destination that holds anything else (another manifest, or files without one: an unfinished copy or another
    folder) is refused unless `overwrite`; then its manifest goes first, so that no reader takes the mix of old and new
    files that follows for a corpus, and the files the new corpus lacks go too.
    """
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    if "manifest.json" not in names:
        raise PublishError(f"{folder}: no manifest.json, so no built corpus (the mix stage writes one)")
    fs, root = filesystem(url)
    root = root.rstrip("/")
    present = {str(p).removeprefix(f"{root}/") for p in fs.find(root)}
    if "manifest.json" in present and fs.cat_file(f"{root}/manifest.json") == (folder / "manifest.json").read_bytes():
        return []
    if present and not overwrite:
        held = "another corpus" if "manifest.json" in present else f"files ({len(present)}) but no manifest.json"
        raise PublishError(f"{url}: holds {held}; --overwrite replaces it")
    for name in [*(n for n in reversed(LAST) if n in present), *sorted(present - set(names) - set(LAST))]:
        fs.rm_file(f"{root}/{name}")
    ordered = [*(n for n in names if n not in LAST), *(n for n in LAST if n in names)]
    for folder_url in sorted({f"{root}/{name}".rsplit("/", 1)[0] for name in ordered}):
        fs.makedirs(folder_url, exist_ok=True)
    for name in ordered:
        fs.put_file(str(folder / name), f"{root}/{name}")
    return ordered
