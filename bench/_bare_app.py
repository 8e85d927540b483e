"""The baseline server: a bare Starlette app with one ``/healthz`` route, nothing else.

It answers the same-shaped JSON as a node's ``/healthz`` but touches no database, runs no
middleware and no thread pool (the route is ``async``). It is served the way
``eaeu node serve`` serves a node: one uvicorn process, access log off, proxy headers on,
no server header.

Run: ``python bench/_bare_app.py --port 8000``.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BODY = {
    "status": "ok",
    "state": "KZ",
    "role": "node",
    "version": "0.1.0",
    "checks": {"database": "ok"},
}


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse(BODY)


app = Starlette(routes=[Route("/healthz", healthz)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=1,
        log_level="info",
        access_log=False,
        proxy_headers=True,
        server_header=False,
    )


if __name__ == "__main__":
    main()
