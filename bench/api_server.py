"""`python -m bench.api_server`: the users API plus the write-path benchmark's baseline route.

`POST /_bench/users` validates the body as `POST /users` does and inserts the user alone,
with the API's own statement, in the same server: the difference between the two routes is
what the outbox row costs.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, Response

from producer_api import routes
from producer_api.__main__ import serve
from producer_api.app import create_app
from producer_api.errors import UsernameConflictError
from producer_api.models import parse_new_user
from producer_api.settings import ApiSettings
from producer_api.users import INSERT_USER, StoredUser, user_parameters

USER_ALONE_PATH = "/_bench/users"
_INSERT_USER = sa.text(INSERT_USER)

user_alone = Blueprint("bench", __name__)


@user_alone.post(USER_ALONE_PATH)
def create_user_alone() -> Response:
    """The user without its event; 201, or the errors `POST /users` would answer."""
    user = parse_new_user(routes.json_body())
    with routes.context().engine.begin() as connection:
        row = connection.execute(_INSERT_USER, user_parameters(user)).mappings().one_or_none()
    if row is None:
        raise UsernameConflictError
    return routes.created(StoredUser(**row))


def create_bench_app(settings: ApiSettings | None = None) -> Flask:
    app = create_app(settings)
    app.register_blueprint(user_alone)
    return app


if __name__ == "__main__":
    serve(ApiSettings.from_environment("api"), load_app=create_bench_app)
