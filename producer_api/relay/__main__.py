"""`python -m producer_api.relay`: the outbox relay, until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
from types import FrameType

import structlog
from prometheus_client import start_http_server

from platform_common.logs import configure_logging
from producer_api.database import migrate, open_engine
from producer_api.relay.delivery import SchemaGuidMissingError, SchemaNotRegisteredError
from producer_api.relay.service import Relay
from producer_api.settings import RelaySettings

log = structlog.get_logger("producer_api.relay")


def main() -> None:
    settings = RelaySettings.from_environment("relay")
    configure_logging(settings.log_level)
    settings.log_effective("relay")
    migrate(open_engine(settings.database_url.get_secret_value(), pool_size=1))
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    relay = Relay(settings)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        relay.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("relay_started", topic=settings.events_topic)
    try:
        relay.run()
    except SchemaNotRegisteredError as error:
        log.error("schema_not_registered", detail=str(error))
        raise SystemExit(
            f"relay stopped: the event schema is not registered ({error}); "
            "run `make register-schemas`"
        ) from None
    except SchemaGuidMissingError as error:
        log.error("schema_guid_missing", detail=str(error))
        raise SystemExit(f"relay stopped: {error}") from None
    finally:
        relay.close()
    log.info("relay_stopped")


if __name__ == "__main__":
    main()
