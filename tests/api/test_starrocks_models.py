"""The StarRocks answers and load options: read without pydantic, refused in pydantic's words.

An answer of the wrong shape is the cluster's problem told as a StarRocksError (a hostile FE on
loopback); options given as declared cost no pydantic import (a fresh interpreter); text to convert,
as the window's form gives it, and refusals go through pydantic, field by field, as they always did.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import ROOT
from pydantic import ValidationError

from gui.api.starrocks import LoadOptions, StarRocksClient, StarRocksError, TxnReply
from gui.api.transport import TransportConfig


@pytest.fixture
def odd_fe() -> Iterator[str]:
    """An FE whose transaction answers carry a transaction id that is not a number."""

    class Odd(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = json.dumps({"Status": "OK", "Label": "lb1", "TxnId": "soon", "Message": ""}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Odd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_answer_of_the_wrong_shape_is_a_starrocks_error_naming_the_key(odd_fe: str) -> None:
    async def go() -> None:
        async with StarRocksClient(odd_fe, "root", "pw", TransportConfig(retries=0)) as client:
            wrong = "unexpected answer from .*TxnId should be int, not 'soon'"
            with pytest.raises(StarRocksError, match=wrong):
                await client.begin("db1", "t", "lb1")

    asyncio.run(go())


def test_options_given_as_declared_and_answers_need_no_pydantic() -> None:
    code = (
        "import sys\n"
        "from gui.api.starrocks import LoadOptions, TxnReply\n"
        "o = LoadOptions(column_separator=',', max_filter_ratio=0.1, skip_header=1, strict_mode=True,\n"
        "                where='id > 1', compression='gzip')\n"
        "r = TxnReply.model_validate({'Status': 'OK', 'TxnId': 7, 'NumberLoadedRows': 3})\n"
        "print(sorted(o.headers()), r.txn_id, r.number_loaded_rows, 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("] ")[1].split() == ["7", "3", "False"]


def test_text_from_a_form_is_converted_and_refusals_name_each_field() -> None:
    o = LoadOptions.model_validate({"format": "csv", "max_filter_ratio": "0.25", "skip_header": "2"})
    assert (o.max_filter_ratio, o.skip_header) == (0.25, 2)
    assert o.headers() == {"max_filter_ratio": "0.25", "skip_header": "2"}
    with pytest.raises(ValidationError) as refused:
        LoadOptions.model_validate({"max_filter_ratio": "lots", "column_separator": "", "where": "a\nb"})
    problems = {str(e["loc"][0]): e["msg"] for e in refused.value.errors()}
    assert set(problems) == {"max_filter_ratio", "column_separator", "where"}
    assert problems["column_separator"] == "Value error, a separator cannot be empty"
    assert "line feed" in problems["where"]
    assert refused.value.title == "LoadOptions"
    # The format rules, once every field is valid.
    with pytest.raises(ValidationError, match="apply to CSV loads only"):
        LoadOptions(format="json", skip_header=1)
    with pytest.raises(ValidationError, match="skip_header"):
        LoadOptions(skip_header=-1)


def test_answers_read_by_key_or_name_and_dump_as_sent() -> None:
    sent: dict[str, Any] = {"Status": "OK", "TxnId": "12", "Label": "lb", "NewKey": [1]}
    reply = TxnReply.model_validate(sent)
    assert (reply.ok, reply.txn_id, reply.label, reply.message) == (True, 12, "lb", "")
    assert TxnReply.model_validate({"status": "OK", "txn_id": 12, "label": "lb"}).txn_id == 12
    reply.raw, reply.answered_by = sent, "be http://127.0.0.1:8040"
    dumped = reply.model_dump(by_alias=True)
    assert dumped["Status"] == "OK" and dumped["TxnId"] == 12 and dumped["NewKey"] == [1]
    assert "raw" not in dumped and "answered_by" not in dumped
    with pytest.raises(ValueError, match="Status is missing"):
        TxnReply.model_validate({"Message": "no status"})
