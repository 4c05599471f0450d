"""A person's browser as our upload routes see it, in process: the login cookie, the page
token, and the requests the uploader (or tus-js-client) makes.

    browser = Uploader(svc, "mum")
    started = browser.start("Birthday.mp4", size=10).json()
    browser.patch(started, 0, b"0123456789")
"""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.testclient import TestClient

from homemovies_core.sessions import COOKIE_NAME
from homemovies_core.web import routes

TUS = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}


def app_client(svc) -> TestClient:
    return TestClient(Starlette(routes=routes.build(svc)))


class Uploader:
    def __init__(self, svc, user: str | None, http: TestClient | None = None) -> None:
        self.http = http or app_client(svc)
        self.page = ""
        if user is not None:
            session = svc.sessions.start(user, device="test", address="127.0.0.1", via="password")
            self.http.cookies.set(COOKIE_NAME, svc.sessions.cookie_value(session))
            self.page = svc.uploads.tokens.page(user)[0]

    def start(
        self, name: str, size: int, *, modified: int = 1_700_000_000_000, folder="Family/", **more
    ) -> httpx.Response:
        body = {"name": name, "size": size, "modified": modified, "folder": folder, **more}
        return self.http.post("/api/uploads", json=body, headers={"X-HM-Upload": self.page})

    def listing(self) -> list[dict]:
        answer = self.http.get("/api/uploads", headers={"X-HM-Upload": self.page})
        assert answer.status_code == 200, answer.text
        return answer.json()["uploads"]

    @staticmethod
    def token(started: dict) -> dict[str, str]:
        return {"X-HM-Upload": started["token"]}

    def head(self, started: dict) -> httpx.Response:
        return self.http.head(started["tus_url"], headers={**self.token(started), **TUS})

    def patch(self, started: dict, offset: int, data: bytes, **headers: str) -> httpx.Response:
        sent = {**self.token(started), **TUS, "Upload-Offset": str(offset), **headers}
        return self.http.patch(started["tus_url"], content=data, headers=sent)

    def send(self, started: dict, data: bytes, chunk: int = 1 << 20) -> None:
        """Every byte from the server's offset on, in tus PATCHes of `chunk` bytes."""
        offset = int(self.head(started).headers["upload-offset"])
        while offset < len(data):
            answer = self.patch(started, offset, data[offset : offset + chunk])
            assert answer.status_code == 204, answer.text
            offset = int(answer.headers["upload-offset"])

    def post(self, started: dict, what: str, body: dict | None = None) -> httpx.Response:
        url = f"/api/uploads/{started['id']}/{what}"
        return self.http.post(url, json=body or {}, headers=self.token(started))

    def cancel(self, started: dict) -> httpx.Response:
        return self.http.delete(f"/api/uploads/{started['id']}", headers=self.token(started))
