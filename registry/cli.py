"""`python -m registry.cli`: register and check the schemas folder, hash users-file passwords.

``register`` and ``check`` talk to the registry only through the unmodified confluent-kafka
``SchemaRegistryClient``, so they work against Confluent Schema Registry as well as this one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from werkzeug.security import generate_password_hash

from contract.compatibility import (
    AmbiguousFieldError,
    CompatibilityLevel,
    ExistingSchema,
    Incompatibility,
)
from contract.error_codes import ErrorCode
from contract.registry_client import (
    BASIC_AUTH_VARIABLE,
    CA_FILE_VARIABLE,
    REGISTRY_UNREACHABLE,
    is_schema_not_found,
    registry_client_config,
)
from contract.schema_folder import SchemaFile, SchemaFolderError, SubjectFolder, read_schemas_dir
from registry.errors import InvalidSchemaError
from registry.schema import PLAIN, ParsedSchema
from registry.schema_types import check_compatibility, parse_schema

DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081"
# Confluent's default for a subject without compatibility.txt.
DEFAULT_LEVEL = CompatibilityLevel.BACKWARD

_schemas_dir_option = click.option(
    "--schemas-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help=(
        "Folder with one folder per subject: 1.avsc, 2.avsc, … (or .json, .proto) and "
        "compatibility.txt."
    ),
)
_registry_url_option = click.option(
    "--registry-url",
    envvar="REGISTRY_URL",
    default=DEFAULT_REGISTRY_URL,
    show_default=True,
    help="Schema Registry base URL (env REGISTRY_URL).",
)
_basic_auth_option = click.option(
    "--basic-auth",
    envvar=BASIC_AUTH_VARIABLE,
    default=None,
    metavar="USER:PASSWORD",
    help="Credentials when the registry has a users file (env REGISTRY_BASIC_AUTH).",
)
_ca_file_option = click.option(
    "--ca-file",
    envvar=CA_FILE_VARIABLE,
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of the authorities that sign an https registry's certificate "
    "(env REGISTRY_CA_FILE; default: the system's).",
)


@click.group()
def main() -> None:
    """Tools for the schemas folder and the Schema Registry."""


def _read_folder(schemas_dir: Path) -> list[SubjectFolder]:
    try:
        return read_schemas_dir(schemas_dir)
    except SchemaFolderError as error:
        # A broken layout stops the command before anything is sent to the registry.
        raise click.ClickException(str(error)) from error


def _client(
    registry_url: str, basic_auth: str | None, ca_file: Path | None
) -> SchemaRegistryClient:
    return SchemaRegistryClient(
        registry_client_config(registry_url, basic_auth=basic_auth, ca_file=ca_file)
    )


def _registry_message(error: SchemaRegistryError) -> str:
    return f"{error.error_message} (HTTP {error.http_status_code}, error_code {error.error_code})"


def _unreachable(registry_url: str, error: Exception) -> click.ClickException:
    return click.ClickException(f"cannot reach the registry at {registry_url}: {error}")


# -- register ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    subject: str
    file: str
    version: str
    schema_id: str
    status: str


def _register_subject(
    client: SchemaRegistryClient, folder: SubjectFolder
) -> tuple[list[_Row], list[str]]:
    """Apply the level, then register the files in order; rows for the table and problems."""
    rows: list[_Row] = []
    problems: list[str] = []
    if folder.level is not None:
        try:
            client.set_compatibility(folder.subject, folder.level.value)
        except SchemaRegistryError as error:
            problems.append(
                f"{folder.subject}: setting compatibility {folder.level.value} failed: "
                f"{_registry_message(error)}"
            )
            # Registering under a level other than the folder's could accept what it refuses.
            return rows, problems
    for file in folder.files:
        schema = Schema(file.text, file.schema_type)
        try:
            status = "already registered"
            try:
                found = client.lookup_schema(folder.subject, schema)
            except SchemaRegistryError as error:
                if not is_schema_not_found(error):
                    raise
                client.register_schema(folder.subject, schema)
                status = "new"
                # register_schema gives only the id; the lookup also gives the version.
                found = client.lookup_schema(folder.subject, schema)
        except SchemaRegistryError as error:
            rows.append(_Row(folder.subject, file.name, "-", "-", "FAILED"))
            problems.append(f"{folder.subject} {file.path}: {_registry_message(error)}")
            # Later files would get version numbers that no longer match their names.
            return rows, problems
        if found.version != file.number:
            status += f", MISMATCH: registry version {found.version}"
            problems.append(
                f"{folder.subject} {file.path}: the registry holds this schema as version "
                f"{found.version}, not {file.number}: the subject's history in the registry "
                "differs from the folder"
            )
        rows.append(
            _Row(folder.subject, file.name, str(found.version), str(found.schema_id), status)
        )
    return rows, problems


def _print_table(rows: list[_Row]) -> None:
    header = _Row("SUBJECT", "FILE", "VERSION", "ID", "STATUS")
    table = [header, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in ("subject", "file", "version")]
    id_width = max(len(r.schema_id) for r in table)
    for r in table:
        click.echo(
            f"{r.subject:<{widths[0]}}  {r.file:<{widths[1]}}  {r.version:>{widths[2]}}  "
            f"{r.schema_id:>{id_width}}  {r.status}"
        )


@main.command()
@_schemas_dir_option
@_registry_url_option
@_basic_auth_option
@_ca_file_option
@click.pass_context
def register(
    ctx: click.Context,
    schemas_dir: Path,
    registry_url: str,
    basic_auth: str | None,
    ca_file: Path | None,
) -> None:
    """Set each subject's level and register its schema files, oldest first.

    Idempotent: files already registered are reported with their ids, nothing is added.
    """
    folders = _read_folder(schemas_dir)
    rows: list[_Row] = []
    problems: list[str] = []
    client = _client(registry_url, basic_auth, ca_file)
    try:
        for folder in folders:
            subject_rows, subject_problems = _register_subject(client, folder)
            rows += subject_rows
            problems += subject_problems
    except REGISTRY_UNREACHABLE as error:
        raise _unreachable(registry_url, error) from error
    finally:
        client.close()
    _print_table(rows)
    for problem in problems:
        click.echo(f"ERROR {problem}", err=True)
    if problems:
        ctx.exit(1)


# -- check ------------------------------------------------------------------------------------


def _describe(incompatibility: Incompatibility) -> str:
    # "backward" means the new schema is the reader (see contract.compatibility).
    who = (
        "new cannot read old" if incompatibility.direction == "backward" else "old cannot read new"
    )
    field = f", field {incompatibility.field_path}" if incompatibility.field_path else ""
    detail = f": {incompatibility.detail}" if incompatibility.detail else ""
    return f"{incompatibility.kind} at {incompatibility.path}{field} ({who}){detail}"


def _compare(
    folder: SubjectFolder,
    newest: SchemaFile,
    parsed: ParsedSchema,
    existing: list[ExistingSchema],
    level: CompatibilityLevel,
    source: str,
) -> bool:
    """Print the verdict of ``newest`` against ``existing``; True when it is compatible."""
    head = f"{folder.subject} {newest.name}:"
    if not existing:
        click.echo(f"{head} compatible: no earlier {source} version to compare with")
        return True
    try:
        result = check_compatibility(parsed, existing, level)
    except AmbiguousFieldError as error:
        click.echo(f"{head} INVALID against {source} versions: {error}")
        return False
    for verdict in result.verdicts:
        for incompatibility in verdict.incompatibilities:
            click.echo(
                f"{head} INCOMPATIBLE with {source} version {verdict.version} under "
                f"{level.value}: {_describe(incompatibility)}"
            )
    if result.is_compatible:
        compared = existing if level.transitive else existing[-1:]
        versions = ", ".join(str(e.version) for e in compared)
        plural = "s" if len(compared) > 1 else ""
        click.echo(
            f"{head} compatible with {source} version{plural} {versions} under {level.value}"
        )
    return result.is_compatible


def _registry_level(client: SchemaRegistryClient, subject: str) -> CompatibilityLevel:
    try:
        return CompatibilityLevel.parse(client.get_compatibility(subject))
    except SchemaRegistryError as error:
        if error.error_code != ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED:
            raise
    return CompatibilityLevel.parse(client.get_compatibility())


def _check_live(
    client: SchemaRegistryClient, folder: SubjectFolder, newest: SchemaFile, parsed: ParsedSchema
) -> bool:
    """Compare the newest file with the registry's versions, here and by asking the registry."""
    head = f"{folder.subject} {newest.name}:"
    try:
        versions = client.get_versions(folder.subject)
    except SchemaRegistryError as error:
        if error.error_code != ErrorCode.SUBJECT_NOT_FOUND:
            raise
        click.echo(f"{head} new subject: not in the registry yet")
        return True
    level = _registry_level(client, folder.subject)
    if folder.level is not None and folder.level is not level:
        click.echo(
            f"{head} note: the registry's level is {level.value}, compatibility.txt says "
            f"{folder.level.value} (register applies it)"
        )
    existing: list[ExistingSchema] = []
    for version in versions:
        stored = client.get_version(folder.subject, version).schema
        text = stored.schema_str or ""
        try:
            parsed_version = parse_schema(stored.schema_type or "AVRO", text, PLAIN)
            existing.append(ExistingSchema(version, parsed_version, text))
        except InvalidSchemaError as error:
            click.echo(f"{head} cannot read registry version {version}: {error.message}")
            return False
    ok = _compare(folder, newest, parsed, existing, level, "registry")
    schema = Schema(newest.text, newest.schema_type)
    answers = [("latest", client.test_compatibility(folder.subject, schema, "latest"))]
    if level.transitive:
        answers.append(("all", client.test_compatibility_all_versions(folder.subject, schema)))
    for against, compatible in answers:
        if not compatible:
            ok = False
            click.echo(
                f"{head} INCOMPATIBLE with registry version {against} under {level.value}: "
                "the registry itself says so"
            )
    return ok


def _check_subject(
    folder: SubjectFolder, client: SchemaRegistryClient | None, registry_url: str
) -> bool:
    """Print the subject's verdicts; True when every file parses and the newest is compatible."""
    newest = folder.newest
    if newest is None:
        click.echo(f"{folder.subject}: no schema files")
        return True
    parsed: dict[int, ParsedSchema] = {}
    for file in folder.files:
        try:
            parsed[file.number] = parse_schema(file.schema_type, file.text, PLAIN)
        except InvalidSchemaError as error:
            click.echo(f"{folder.subject} {file.name}: INVALID schema in {file.path}: {error}")
    if len(parsed) != len(folder.files):
        return False
    earlier = [ExistingSchema(f.number, parsed[f.number], f.text) for f in folder.earlier]
    level = folder.level or DEFAULT_LEVEL
    ok = _compare(folder, newest, parsed[newest.number], earlier, level, "folder")
    if client is None:
        return ok
    try:
        return _check_live(client, folder, newest, parsed[newest.number]) and ok
    except SchemaRegistryError as error:
        click.echo(
            f"{folder.subject} {newest.name}: ERROR from the registry: {_registry_message(error)}"
        )
        return False
    except REGISTRY_UNREACHABLE as error:
        raise _unreachable(registry_url, error) from error


@main.command(name="check")
@_schemas_dir_option
@_registry_url_option
@_basic_auth_option
@_ca_file_option
@click.option("--offline", is_flag=True, help="Compare with the earlier files only.")
@click.pass_context
def check_command(
    ctx: click.Context,
    schemas_dir: Path,
    registry_url: str,
    basic_auth: str | None,
    ca_file: Path | None,
    offline: bool,
) -> None:
    """Check each subject's newest file against its earlier files and the registry.

    Exits 1 when a file is not a valid Avro schema or the newest file is incompatible.
    """
    folders = _read_folder(schemas_dir)
    client = None if offline else _client(registry_url, basic_auth, ca_file)
    try:
        results = [_check_subject(folder, client, registry_url) for folder in folders]
    finally:
        if client is not None:
            client.close()
    if not all(results):
        ctx.exit(1)


# -- hash-password ----------------------------------------------------------------------------


@main.command(name="hash-password")
@click.option("--password-stdin", is_flag=True, help="Read the password from one stdin line.")
def hash_password(password_stdin: bool) -> None:
    """Print a password hash for the registry's users file (name:role:hash)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("the password is empty")
    click.echo(generate_password_hash(password))


if __name__ == "__main__":
    main()
