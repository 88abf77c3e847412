"""The databroker writer: Get before Put, a record parsed only when someone else wrote it, the size cap."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pomgate.controller import databroker
from pomgate.controller.databroker import DatabrokerConfigWriter, DatabrokerError, DatabrokerSettings
from pomgate.controller.pomerium_config import config_bytes, encode_route

ROUTE = {"from": "https://a.example.com", "to": ["http://10.0.0.1:80"], "id": '{"n":"a","ns":"d","h":"a","p":"/"}'}


class FakeClient:
    """Holds one record; counts Gets and Puts."""

    def __init__(self, limit: int = databroker.MESSAGE_LIMIT) -> None:
        self.settings = DatabrokerSettings(url="http://fake:1", message_limit=limit)
        self.record: bytes | None = None
        self.gets = 0
        self.puts = 0

    async def get_config(self) -> bytes | None:
        self.gets += 1
        return self.record

    async def put_config(self, config: bytes) -> None:
        self.puts += 1
        self.record = config


def write(writer: DatabrokerConfigWriter, document: bytes) -> bool:
    return asyncio.run(writer.write(document))


def test_each_change_reads_then_puts_and_parses_only_a_foreign_record(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FakeClient()
    writer = DatabrokerConfigWriter(client)  # type: ignore[arg-type]
    compared: list[Any] = []
    real_same_config = databroker.same_config
    monkeypatch.setattr(databroker, "same_config", lambda a, b: compared.append(1) or real_same_config(a, b))
    first = config_bytes([encode_route(ROUTE)], [])
    second = config_bytes([encode_route({**ROUTE, "to": ["http://10.0.0.2:80"]})], [])
    assert write(writer, first) and (client.gets, client.puts) == (1, 1)
    assert not write(writer, first) and client.gets == 1  # unchanged: not even a Get
    assert write(writer, second) and (client.gets, client.puts) == (2, 2)
    assert compared == []  # the record was our own last write: no parsing
    client.record = first  # someone else writes
    third = config_bytes([encode_route({**ROUTE, "to": ["http://10.0.0.3:80"]})], [])
    assert write(writer, third) and client.puts == 3
    assert compared == [1]  # compared as a message, found different from the record, put
    writer.forget()
    client.record = second
    assert not write(writer, second) and client.puts == 3  # the record already holds it
    assert compared == [1, 1]


def test_a_record_over_the_message_limit_is_refused_with_its_size() -> None:
    client = FakeClient(limit=2048)
    writer = DatabrokerConfigWriter(client)  # type: ignore[arg-type]
    big = config_bytes([encode_route({**ROUTE, "name": "x" * 1500})], [])
    with pytest.raises(DatabrokerError, match=f"the config is {len(big):,} bytes, over the 2,048"):
        write(writer, big)
    assert client.puts == 0
