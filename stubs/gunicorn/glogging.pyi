# The part of gunicorn's logger this project uses; gunicorn ships no type hints.
import logging

from gunicorn.app.base import Config

class Logger:
    cfg: Config
    error_log: logging.Logger
    access_log: logging.Logger
    def __init__(self, cfg: Config) -> None: ...
    def setup(self, cfg: Config) -> None: ...
    @property
    def access_log_enabled(self) -> bool: ...
