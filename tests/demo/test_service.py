"""The demo service is a real HTTP server whose faults behave as the scenario needs."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from forensics_tui.demo.service import DemoService, Fault


@pytest.fixture
def service() -> Iterator[DemoService]:
    with DemoService(token="t0ken-for-tests") as svc:
        yield svc


def _client(svc: DemoService, token: str | None = None) -> httpx.Client:
    auth = token if token is not None else svc.token
    return httpx.Client(
        base_url=svc.base_url, headers={"Authorization": f"Bearer {auth}"}, timeout=0.5
    )


def test_binds_loopback_random_port(service: DemoService) -> None:
    assert service.base_url.startswith("http://127.0.0.1:")
    assert service.port > 0


def test_healthy_endpoints(service: DemoService) -> None:
    with _client(service) as client:
        stock = client.get("/warehouse/stock", params={"prefix": "BOL"})
        assert stock.status_code == 200
        assert [i["sku"] for i in stock.json()["items"]] == ["BOL-050", "BOL-080"]
        upsert = client.post("/records/upsert", json={"batch": 1, "records": [{"sku": "x"}]})
        assert upsert.json() == {"upserted": 1, "batch": 1}
        note = client.post("/notify", json={"text": "hi"})
        assert note.status_code == 201 and note.json()["delivered"] is True


def test_wrong_token_is_401(service: DemoService) -> None:
    with _client(service, token="nope") as client:
        assert client.get("/warehouse/stock").status_code == 401


def test_faults_apply_to_chosen_requests_only(service: DemoService) -> None:
    service.set_faults({"upsert": Fault("token_expired", frozenset({2}))})
    with _client(service) as client:
        bodies = [
            client.post("/records/upsert", json={"batch": n, "records": []}).json()
            for n in (1, 2, 3)
        ]
    assert bodies[0] == {"upserted": 0, "batch": 1}
    assert bodies[1]["error"] == "token_expired"
    assert bodies[2] == {"upserted": 0, "batch": 3}


def test_rate_limit_has_retry_after(service: DemoService) -> None:
    service.set_faults({"upsert": Fault("rate_limited")})
    with _client(service) as client:
        response = client.post("/records/upsert", json={"records": []})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "12"


def test_schema_drift_changes_shape(service: DemoService) -> None:
    service.set_faults({"stock": Fault("schema_drift")})
    with _client(service) as client:
        item = client.get("/warehouse/stock").json()["items"][0]
    assert "qty" not in item and isinstance(item["quantity"], str)
    assert isinstance(item["location"], dict)


def test_timeout_fault_outlasts_client(service: DemoService) -> None:
    service.set_faults({"stock": Fault("timeout", delay_s=1.0)})
    started = time.monotonic()
    with _client(service) as client, pytest.raises(httpx.TimeoutException):
        client.get("/warehouse/stock")
    assert time.monotonic() - started < 1.0


def test_faults_context_restores_health(service: DemoService) -> None:
    with service.faults({"notify": Fault("unavailable")}), _client(service) as client:
        assert client.post("/notify", json={"text": "x"}).status_code == 503
    with _client(service) as client:
        assert client.post("/notify", json={"text": "x"}).status_code == 201
