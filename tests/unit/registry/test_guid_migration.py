"""Migration 0004 gives the schemas stored before it their GUIDs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from registry.guid import schema_guid
from registry.schema import SchemaReference
from registry.storage import open_store


def test_schemas_stored_before_guids_get_confluents(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("registry").joinpath("migrations"))
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        rows = [
            (1, '"int"', "[]", None),
            (
                2,
                '{"type":"record","name":"R","fields":[{"name":"a","type":"A"}]}',
                '[{"name": "A", "subject": "a-value", "version": 1}]',
                '{"properties": {"owner": "team"}}',
            ),
        ]
        for schema_id, text, references, metadata in rows:
            connection.execute(
                sa.text(
                    "INSERT INTO schemas (id, fingerprint, schema_type, schema_text,"
                    " \"references\", metadata) VALUES (:id, :fp, 'AVRO', :text, :refs, :md)"
                ),
                {
                    "id": schema_id,
                    "fp": str(schema_id),
                    "text": text,
                    "refs": references,
                    "md": metadata,
                },
            )
    engine.dispose()

    store = open_store(url)
    store.migrate()
    with store.read() as tx:
        plain = tx.schema_by_id(schema_id=1)
        referencing = tx.schema_by_id(schema_id=2)
    store.close()
    assert plain is not None and plain.guid == "ef524ea1-b91e-7317-3d93-8ade36c1db32"
    assert referencing is not None
    assert referencing.guid == schema_guid(
        referencing.text, [SchemaReference("A", "a-value", 1)], {"properties": {"owner": "team"}}
    )
