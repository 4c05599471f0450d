"""Multipart uploads through a write PAR, in the fake OCI server, as Oracle documents them
("Pre-Authenticated Request Object URLs in Object Storage", Putting a Large Object):

    PUT <PAR URL> with `opc-multipart: true`   -> {"uploadId", "accessUri", ...}
    PUT <endpoint><accessUri><part number>     -> one part
    POST <endpoint><accessUri>                 -> commit (every part uploaded, in order)
    DELETE <endpoint><accessUri>               -> abort

with `access-control-allow-origin: *` on every answer and CORS preflights granted, because a
browser on the app's origin does all of it. The PARs are made with the real SDK."""

from __future__ import annotations

import os
import re
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import oci
import pytest

from tests.fake_oci import write_oci_config

NS = "fakens"
BUCKET = "movies"
NAME = ".uploads/abc123.mp4"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def oci_config(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return oci.config.from_file(str(write_oci_config(tmp_path_factory.mktemp("oci"))), "DEFAULT")


@pytest.fixture
def client(server, oci_config):
    return oci.object_storage.ObjectStorageClient(oci_config, service_endpoint=server.endpoint)


def write_par(client, server, object_name: str = NAME, access: str = "ObjectWrite"):
    details = oci.object_storage.models.CreatePreauthenticatedRequestDetails(
        name="hm:up:test",
        access_type=access,
        object_name=object_name,
        time_expires=datetime.now(UTC) + timedelta(hours=1),
    )
    par = client.create_preauthenticated_request(NS, BUCKET, details).data
    return par, server.endpoint + par.access_uri


def start(http: httpx.Client, par_url: str) -> dict:
    answer = http.put(par_url, headers={"opc-multipart": "true"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    return answer.json()


def test_a_write_par_takes_a_multipart_upload_as_oracle_documents(client, server):
    _par, url = write_par(client, server)
    parts = [os.urandom(MIB + 17), os.urandom(MIB), os.urandom(4321)]
    with httpx.Client() as http:
        made = start(http, url)
        assert made["object"] == NAME and made["namespace"] == NS and made["bucket"] == BUCKET
        pattern = rf"^/p/[^/]+/n/{NS}/b/{BUCKET}/u/\.uploads/abc123\.mp4/id/{made['uploadId']}/$"
        assert re.match(pattern, made["accessUri"])
        upload = server.endpoint + made["accessUri"]
        for number in (3, 1, 2):  # any order: the object is put together by part number
            answer = http.put(f"{upload}{number}", content=parts[number - 1])
            assert answer.status_code == 200
            assert answer.headers["etag"] and answer.headers["access-control-allow-origin"] == "*"
            assert "etag" in answer.headers["access-control-expose-headers"]
        committed = http.post(upload)
        assert committed.status_code == 200
        assert committed.headers["opc-multipart-md5"].endswith("-3")
        assert committed.headers["access-control-allow-origin"] == "*"
    assert server.model.get_object_bytes(BUCKET, NAME) == b"".join(parts)
    assert server.model.list_uploads(BUCKET) == []
    sent = [r for r in server.model.requests("ParUploadPart")]
    assert sorted(r.size for r in sent) == sorted(len(p) for p in parts)  # bytes counted


def test_preflights_are_granted_for_what_the_browser_asks(client, server):
    _par, url = write_par(client, server)
    with httpx.Client() as http:
        for method, wanted in (("PUT", "opc-multipart,content-type"), ("POST", ""), ("DELETE", "")):
            answer = http.options(
                url,
                headers={
                    "Origin": "http://127.0.0.1:8501",
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": wanted,
                },
            )
            assert answer.status_code == 200
            assert answer.headers["access-control-allow-origin"] == "*"
            assert method in answer.headers["access-control-allow-methods"].split(",")
            assert answer.headers["access-control-allow-headers"] == (wanted or "*")
    assert server.model.counts["CorsPreflight"] == 3


def test_an_upload_url_reaches_only_its_own_upload(client, server):
    _par, url = write_par(client, server)
    _other_par, other_url = write_par(client, server, ".uploads/other.mp4")
    _read_par, read_url = write_par(client, server, NAME, access="ObjectRead")
    with httpx.Client() as http:
        mine = server.endpoint + start(http, url)["accessUri"]
        theirs = start(http, other_url)
        # Another upload's id under my token, my id under another object's name: nothing.
        forged = mine.replace(mine.split("/id/")[1].strip("/"), theirs["uploadId"])
        assert http.put(forged + "1", content=b"x").json()["message"] == "PAR does not exist"
        elsewhere = mine.replace("abc123.mp4", "other.mp4")
        assert http.put(elsewhere + "1", content=b"x").status_code == 404
        # A read PAR cannot start an upload; a write PAR cannot start one of another object.
        assert http.put(read_url, headers={"opc-multipart": "true"}).status_code == 404
        sideways = url.replace("abc123.mp4", "sneaky.mp4")
        assert http.put(sideways, headers={"opc-multipart": "true"}).status_code == 404
        assert http.put(mine + "1", content=b"ok").status_code == 200


def test_deleting_the_write_par_ends_its_upload_urls(client, server):
    par, url = write_par(client, server)
    with httpx.Client() as http:
        upload = server.endpoint + start(http, url)["accessUri"]
        assert http.put(upload + "1", content=b"part").status_code == 200
        client.delete_preauthenticated_request(NS, BUCKET, par.id)
        assert http.put(upload + "2", content=b"late").status_code == 404
        assert http.post(upload).status_code == 404
    assert server.model.list_uploads(BUCKET)  # still there, for the app's sweep to abort


def test_abort_through_the_upload_url_drops_the_parts(client, server):
    _par, url = write_par(client, server)
    with httpx.Client() as http:
        upload = server.endpoint + start(http, url)["accessUri"]
        assert http.put(upload + "1", content=b"part one").status_code == 200
        aborted = http.delete(upload)
        assert aborted.status_code == 204 and aborted.headers["access-control-allow-origin"] == "*"
        assert http.put(upload + "2", content=b"too late").status_code == 404
    assert server.model.list_uploads(BUCKET) == []
    assert NAME not in server.model.object_names(BUCKET)


def test_a_part_cut_short_stores_nothing(client, server):
    """A closed tab stops a part mid-body: OCI keeps no half part, so the browser resends
    the whole part, and the fake must not store a short one."""
    _par, url = write_par(client, server)
    with httpx.Client() as http:
        made = start(http, url)
    where = urlsplit(server.endpoint)
    with socket.create_connection((where.hostname, where.port)) as sock:
        sock.sendall(
            f"PUT {made['accessUri']}1 HTTP/1.1\r\nHost: {where.netloc}\r\n"
            f"Content-Length: {MIB}\r\n\r\n".encode()
            + b"only the beginning"
        )
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1024) == b""  # closed without an answer
    assert server.model.list_parts(BUCKET, NAME, made["uploadId"]) == []
