"""Property tests over the OpenAPI schema (schemathesis): no input is ever answered with a 500.

Public GETs run unauthenticated; the writes run with a key of the role they need, so their
bodies reach the handlers. ``/map`` (a 1 MB page per call) and ``/siting`` (a solver run per
call) are covered by tests/test_api.py instead.
"""
from __future__ import annotations

import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app

with warnings.catch_warnings():  # starlette >= 1 warns when only httpx (not httpx2) is installed
    warnings.filterwarnings("ignore", message=".*httpx2")
    import starlette.testclient  # noqa: F401

_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def app(router, tmp_path_factory):
    return create_app(router=router, state_dir=tmp_path_factory.mktemp("schemathesis-state"))


@pytest.fixture(scope="module")
def keys(app) -> dict[str, str]:
    from api.deps import ensure_state

    store = ensure_state(app).store
    return {"dispatcher": store.create_key("dispatcher"), "planner": store.create_key("planner")}


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(method="GET").exclude(path="/map").parametrize()
@_SETTINGS
def test_public_gets_never_fail_with_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])


@schema.include(method=["POST", "PATCH"]).exclude(path="/siting").parametrize()
@_SETTINGS
def test_writes_with_a_key_never_fail_with_a_server_error(case, keys):
    role = "planner" if case.path.startswith("/scenarios") else "dispatcher"
    case.call_and_validate(headers={"X-API-Key": keys[role]}, checks=[not_a_server_error])
