"""The console's pages, one blueprint per section: parse the request, ask, render."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from console.dead_letters import DeadLetterReader
from console.flow import FlowReader
from console.flow_history import FlowHistory
from console.lake_query import QuerySandbox
from console.lake_reader import LakeReader
from console.registry_reader import RegistryReader
from console.settings import ConsoleSettings


@dataclass(frozen=True)
class ConsoleServices:
    settings: ConsoleSettings
    registry: RegistryReader
    flow: FlowReader
    history: FlowHistory
    dead_letters: DeadLetterReader
    lake: LakeReader
    queries: QuerySandbox

    def close(self) -> None:
        """Stop the flow's sampler; close the Kafka clients, the lake's catalog connections
        and the query database."""
        self.history.close()
        self.flow.close()
        self.dead_letters.close()
        self.lake.close()
        self.queries.close()


def services() -> ConsoleServices:
    found: ConsoleServices = current_app.extensions["console"]
    return found
