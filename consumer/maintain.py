"""`python -m consumer.maintain` (`make lake-maintain`): compact and clean the Iceberg table.

Safe while lake writers run. Settings come from CONSUMER_* variables; options override them.
"""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta

import click

from consumer.lake import open_catalog
from consumer.maintenance import maintain
from consumer.settings import ConsumerSettings


@click.command()
@click.option(
    "--target-bytes", type=int, help="Compacted files' size (CONSUMER_COMPACTION_TARGET_BYTES)."
)
@click.option(
    "--retention-hours",
    type=float,
    help="Expire older snapshots (CONSUMER_SNAPSHOT_RETENTION_HOURS).",
)
@click.option(
    "--orphan-age-hours", type=float, help="Remove older orphan files (CONSUMER_ORPHAN_AGE_HOURS)."
)
def main(
    target_bytes: int | None, retention_hours: float | None, orphan_age_hours: float | None
) -> None:
    """Compact each day's small files, expire old snapshots, remove orphan files."""
    settings = ConsumerSettings.from_environment("make lake-maintain")
    if settings.format != "iceberg":
        raise click.ClickException("CONSUMER_FORMAT is not iceberg: there is no table to maintain")
    identifier = (settings.table_namespace, settings.iceberg_table)
    with closing(open_catalog(settings)) as catalog:
        if not catalog.table_exists(identifier):
            raise click.ClickException(f"the lake has no table {'.'.join(identifier)} yet")
        report = maintain(
            catalog.load_table(identifier),
            settings.events_topic,
            target_bytes=target_bytes or settings.compaction_target_bytes,
            snapshot_retention=timedelta(
                hours=settings.snapshot_retention_hours
                if retention_hours is None
                else retention_hours
            ),
            orphan_age=timedelta(
                hours=settings.orphan_age_hours if orphan_age_hours is None else orphan_age_hours
            ),
        )
    click.echo(
        f"compacted {report.files_compacted} files into {report.files_written}, "
        f"expired {report.snapshots_expired} snapshots, "
        f"removed {report.orphans_removed} orphan files"
    )


if __name__ == "__main__":
    main()
