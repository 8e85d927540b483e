"""The HTTP transport against a real (tiny) HTTP server on the loopback interface."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eaeu.exchange.errors import PeerUnavailable
from eaeu.exchange.transport import MEDIA_TYPE, MESSAGES_PATH, HttpTransport, TransportReply
from eaeu.testing import free_port_block

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJ2IjoxfQ.c2ln"


class Peer(ThreadingHTTPServer):
    """A peer node that answers every POST with the answer it is given, and remembers requests."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PeerHandler)
        self.answer = (200, "application/json", b'{"receipt": "r"}')
        self.delay = 0.0
        self.requests = []

    def handle_error(self, request, client_address):
        pass  # the client that timed out has gone before the answer is written

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class PeerHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.server.requests.append((self.path, dict(self.headers), self.rfile.read(length)))
        time.sleep(self.server.delay)
        status, content_type, body = self.server.answer
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def peer():
    server = Peer()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def transport():
    client = HttpTransport(timeout=2.0)
    yield client
    client.close()


def unavailable(transport, endpoint, *, match):
    with pytest.raises(PeerUnavailable, match=match) as raised:
        transport.post(endpoint, TOKEN)
    assert raised.value.reason == "exchange.unreachable"


class TestDelivering:
    def test_posts_the_envelope_as_jose_to_the_exchange_endpoint(self, peer, transport):
        reply = transport.post(peer.endpoint, TOKEN)
        assert reply == TransportReply(200, {"receipt": "r"})
        [(path, headers, body)] = peer.requests
        assert path == MESSAGES_PATH == "/exchange/v1/messages"
        assert headers["content-type"] == MEDIA_TYPE == "application/jose"
        assert headers["accept"] == "application/json"
        assert body == TOKEN.encode("ascii")

    def test_joins_an_endpoint_that_ends_with_a_slash(self, peer, transport):
        transport.post(f"{peer.endpoint}/", TOKEN)
        assert peer.requests[0][0] == "/exchange/v1/messages"

    def test_returns_a_refusal_as_a_reply_not_an_error(self, peer, transport):
        problem = {"status": 409, "reason": "exchange.duplicate", "receipt": "first"}
        peer.answer = (409, "application/problem+json", json.dumps(problem).encode())
        assert transport.post(peer.endpoint, TOKEN) == TransportReply(409, problem)

    def test_reuses_one_connection_for_several_envelopes(self, peer, transport):
        for _ in range(3):
            assert transport.post(peer.endpoint, TOKEN).status == 200
        assert len(peer.requests) == 3

    def test_closes_its_connection_pool(self):
        client = HttpTransport()
        client.close()
        assert client._client.is_closed


class TestPeerUnavailable:
    def test_says_so_when_nobody_listens(self, transport):
        endpoint = f"http://127.0.0.1:{free_port_block(1)}"
        unavailable(transport, endpoint, match=f"{endpoint} did not answer: ConnectError")

    def test_says_so_when_the_answer_is_not_json(self, peer, transport):
        peer.answer = (502, "text/html", b"<html>Bad gateway</html>")
        unavailable(transport, peer.endpoint, match="did not answer: JSONDecodeError")

    @pytest.mark.parametrize("body", [b"[]", b'"ok"', b"null", b"42"])
    def test_says_so_when_the_answer_is_json_but_not_an_object(self, peer, transport, body):
        peer.answer = (200, "application/json", body)
        unavailable(transport, peer.endpoint, match="answered with something other than JSON")

    def test_says_so_when_the_answer_takes_longer_than_the_timeout(self, peer):
        peer.delay = 0.5
        impatient = HttpTransport(timeout=0.1)
        try:
            unavailable(impatient, peer.endpoint, match="did not answer: ReadTimeout")
        finally:
            impatient.close()
