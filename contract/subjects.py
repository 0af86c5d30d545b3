"""Subject names: the value schema of topic `T` is registered under `T-value`.

That is Confluent's TopicNameStrategy, the default of every Confluent serializer, so the
registry, the relay, the consumer and `schemas/` folder names agree without configuration.
"""

from __future__ import annotations

from pathlib import Path

# The platform's event stream: UserCreated events, keyed by user id.
USER_EVENTS_TOPIC = "user-events"


def value_subject(topic: str) -> str:
    """The subject of ``topic``'s record values."""
    return f"{topic}-value"


USER_EVENTS_SUBJECT = value_subject(USER_EVENTS_TOPIC)

# The lake writer's consumer group, unless configured: whose lag the console shows.
LAKE_WRITER_GROUP = "lake-writer"


def user_events_folder(schemas_dir: Path) -> Path:
    """The folder of the platform event's schema versions, whatever its topic is called."""
    return schemas_dir / USER_EVENTS_SUBJECT
