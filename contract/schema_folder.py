"""The schemas folder: one folder per subject holding ``1.avsc``, ``2.avsc``, … and a level.

Layout::

    schemas/
      users-value/
        compatibility.txt   one level name, e.g. BACKWARD (optional)
        1.avsc
        2.avsc
      orders-value/
        1.json              a JSON Schema
      payments-value/
        1.proto             a Protobuf schema (its imports: the known types only)

A version file's suffix says its schema type (contract.schema_types); one subject's files
are all of one type.

Every service reads version files through this module, so one rule says what a version file
is. Only the layout is checked here; whether a file holds a valid Avro schema is for
the registry's parsers (``registry.schema_types``) to say, so a bad schema can be reported
next to its file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contract.compatibility import CompatibilityLevel
from contract.schema_types import TYPES_BY_SUFFIX

LEVEL_FILE = "compatibility.txt"


class SchemaFolderError(ValueError):
    """The folder does not follow the layout (bad file name, unknown level, unreadable file)."""


@dataclass(frozen=True)
class SchemaFile:
    """One version file: its number from the file name, where it is, and what it holds."""

    number: int
    path: Path
    text: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def schema_type(self) -> str:
        """The `schemaType` its text is registered as, by its suffix."""
        return TYPES_BY_SUFFIX[self.path.suffix]


@dataclass(frozen=True)
class SubjectFolder:
    """A subject's folder: its name is the subject; files are ordered by number."""

    subject: str
    path: Path
    # None when the folder has no compatibility.txt: the registry's level then applies.
    level: CompatibilityLevel | None
    files: tuple[SchemaFile, ...]

    @property
    def newest(self) -> SchemaFile | None:
        return self.files[-1] if self.files else None

    @property
    def earlier(self) -> tuple[SchemaFile, ...]:
        """Every file but the newest, oldest first."""
        return self.files[:-1]

    def version_file(self, number: int | None = None) -> SchemaFile:
        """The file of version ``number``, or the newest when None.

        Raises:
            SchemaFolderError: the folder has no such version (or no version at all).
        """
        if number is None:
            if self.newest is None:
                raise SchemaFolderError(f"{self.path}: no version file (1.avsc, 2.avsc, …)")
            return self.newest
        for file in self.files:
            if file.number == number:
                return file
        raise SchemaFolderError(f"{self.path}: version {number} does not exist")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SchemaFolderError(f"{path}: cannot read: {error}") from error


def _read_level(path: Path) -> CompatibilityLevel | None:
    if not path.is_file():
        return None
    text = _read_text(path)
    try:
        return CompatibilityLevel.parse(text)
    except ValueError as error:
        raise SchemaFolderError(f"{path}: {error}") from error


def read_subject(path: Path) -> SubjectFolder:
    """Read one subject folder.

    Raises:
        SchemaFolderError: a version file (``.avsc``, ``.json``, ``.proto``) is not named by
            a version number (two names such as ``1.avsc`` and ``01.avsc`` give the same
            number too),
            files of two types share the folder, a file cannot be read as UTF-8, or
            compatibility.txt names no level.
    """
    by_number: dict[int, SchemaFile] = {}
    listed = path.iterdir() if path.is_dir() else iter(())
    found = sorted(file for file in listed if file.suffix in TYPES_BY_SUFFIX)
    suffixes = sorted({file.suffix for file in found})
    if len(suffixes) > 1:
        raise SchemaFolderError(f"{path}: files of two schema types ({', '.join(suffixes)})")
    for file in found:
        stem = file.stem
        # isdecimal, not int(): int() also takes "+1", " 1" and "1_0".
        if not stem.isdecimal() or not stem.isascii() or int(stem) < 1:
            raise SchemaFolderError(f"{file}: expected a version number as the name, e.g. 1.avsc")
        number = int(stem)
        if number in by_number:
            raise SchemaFolderError(f"{file}: version {number} is also {by_number[number].path}")
        by_number[number] = SchemaFile(number=number, path=file, text=_read_text(file))
    return SubjectFolder(
        subject=path.name,
        path=path,
        level=_read_level(path / LEVEL_FILE),
        files=tuple(by_number[n] for n in sorted(by_number)),
    )


def read_schemas_dir(root: Path) -> list[SubjectFolder]:
    """Every subject folder under ``root``, sorted by subject; hidden folders are skipped.

    Raises:
        SchemaFolderError: ``root`` is not a folder, or a subject folder breaks the layout.
    """
    if not root.is_dir():
        raise SchemaFolderError(f"{root}: not a folder")
    return [
        read_subject(child)
        for child in sorted(root.iterdir(), key=lambda p: p.name)
        if child.is_dir() and not child.name.startswith(".")
    ]
