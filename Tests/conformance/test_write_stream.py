"""The bidirectional Write stream (google.firestore.v1.Firestore/Write) through the Python GAPIC
client's write(): the protocol the mobile SDKs and the JS SDK under Node use.

Handshake (database, no writes) → stream id and token; each later request's writes are one atomic
commit answered with write results and a commit time.  Conformance tests run on the selected
target; the differential test runs one script on both servers and compares the shapes and error
codes of the answers.
"""

import time

import grpc
import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud.firestore_v1.services.firestore import FirestoreClient
from google.cloud.firestore_v1.services.firestore.transports import FirestoreGrpcTransport
from google.cloud.firestore_v1.types import common, document, firestore as fs, write as w
from google.protobuf import timestamp_pb2

import conftest
from conftest import OWNER, new_project


def gapic(server):
    channel = grpc.insecure_channel(server.hostport)
    return FirestoreClient(transport=FirestoreGrpcTransport(channel=channel)), channel


@pytest.fixture
def client(server):
    c, channel = gapic(server)
    yield c
    channel.close()


def db(project):
    return f"projects/{project}/databases/(default)"


def update(project, path, **fields):
    return w.Write(update=document.Document(
        name=f"{db(project)}/documents/{path}",
        fields={k: {"integer_value": v} for k, v in fields.items()}))


def run(client, requests_, project=None, metadata=None):
    """All responses of one stream, then the error that ended it (or None).

    Like the real SDKs, the call carries `google-cloud-resource-prefix` (the official emulator
    takes the project from it rather than from the request)."""
    if metadata is None:
        metadata = [("authorization", "Bearer owner")]
        if project:
            metadata.append(("google-cloud-resource-prefix", db(project)))
    out = []
    try:
        for r in client.write(iter(requests_), metadata=list(metadata)):
            out.append(r)
    except gexc.GoogleAPICallError as e:
        return out, e
    return out, None


def get_doc(server, project, path):
    return requests.get(f"{server.base}/v1/{db(project)}/documents/{path}", headers=OWNER, timeout=15)


def test_handshake_answers_with_a_stream_id_and_token_and_nothing_else(client, project):
    out, err = run(client, [fs.WriteRequest(database=db(project))], project)
    assert err is None
    assert len(out) == 1
    assert out[0].stream_id and out[0].stream_token
    assert not out[0].write_results and not out[0].commit_time


def test_each_request_is_one_commit_with_results_and_commit_time(client, server, project):
    out, err = run(client, [
        fs.WriteRequest(database=db(project)),
        fs.WriteRequest(stream_token=b"0", writes=[update(project, "c/a", n=1)]),
        fs.WriteRequest(stream_token=b"1", writes=[update(project, "c/b", n=2), update(project, "c/c", n=3)]),
    ], project)
    assert err is None, err
    assert len(out) == 3
    tokens = [r.stream_token for r in out]
    assert len(set(tokens)) == 3, "every response carries a new token"
    assert [len(r.write_results) for r in out[1:]] == [1, 2]
    for r in out[1:]:
        assert r.commit_time
        assert all(x.update_time == r.commit_time for x in r.write_results)
    assert out[2].commit_time > out[1].commit_time
    for path, n in (("c/a", 1), ("c/b", 2), ("c/c", 3)):
        got = get_doc(server, project, path)
        assert got.status_code == 200
        assert got.json()["fields"]["n"] == {"integerValue": str(n)}


def test_transforms_report_their_results(client, project):
    write = update(project, "c/t", n=1)
    write.update_transforms = [
        w.DocumentTransform.FieldTransform(field_path="at", set_to_server_value="REQUEST_TIME"),
        w.DocumentTransform.FieldTransform(field_path="n2", increment={"integer_value": 5}),
    ]
    out, err = run(client, [fs.WriteRequest(database=db(project)),
                            fs.WriteRequest(stream_token=out_token(0), writes=[write])], project)
    assert err is None, err
    results = out[1].write_results[0].transform_results
    assert len(results) == 2
    assert results[1].integer_value == 5


def out_token(n):
    return str(n).encode()


def test_a_failing_write_leaves_the_whole_request_unapplied(client, server, project):
    missing = w.Write(update=document.Document(name=f"{db(project)}/documents/c/missing"),
                      current_document=common.Precondition(exists=True))
    out, err = run(client, [fs.WriteRequest(database=db(project)),
                            fs.WriteRequest(stream_token=b"0", writes=[update(project, "c/atom", n=1), missing])], project)
    assert len(out) == 1
    assert isinstance(err, gexc.NotFound)
    assert get_doc(server, project, "c/atom").status_code == 404


def test_writes_reach_listeners_and_queries_like_commits(client, server, project):
    out, err = run(client, [fs.WriteRequest(database=db(project)),
                            fs.WriteRequest(stream_token=b"0", writes=[update(project, "people/x", age=30)])], project)
    assert err is None
    r = requests.post(f"{server.base}/v1/{db(project)}/documents:runQuery", headers=OWNER, timeout=15,
                      json={"structuredQuery": {"from": [{"collectionId": "people"}]}})
    assert [x["document"]["name"].rsplit("/", 1)[1] for x in r.json() if "document" in x] == ["x"]


def test_a_request_without_writes_is_acknowledged_with_a_token(client, project):
    out, err = run(client, [fs.WriteRequest(database=db(project)), fs.WriteRequest(stream_token=b"0")], project)
    assert err is None
    assert len(out) == 2 and out[1].stream_token and not out[1].write_results


@pytest.mark.parametrize("case,requests_,message", [
    ("no database", lambda p: [fs.WriteRequest()], "'database' must be set"),
    ("writes in handshake", lambda p: [fs.WriteRequest(database=db(p), writes=[update(p, "c/a", n=1)])],
     "'writes' must not be set"),
    ("resume", lambda p: [fs.WriteRequest(database=db(p), stream_id="0", stream_token=b"0")], "Resuming streams"),
    ("other database", lambda p: [fs.WriteRequest(database=db(p)),
                                  fs.WriteRequest(database="projects/x/databases/(default)", stream_token=b"0",
                                                  writes=[update(p, "c/a", n=1)])], "did not match"),
    ("bad document name", lambda p: [fs.WriteRequest(database=db(p)),
                                     fs.WriteRequest(stream_token=b"0",
                                                     writes=[w.Write(update=document.Document(name="bad/name"))])],
     ""),
])
def test_bad_requests_end_the_stream_with_invalid_argument(client, project, case, requests_, message):
    out, err = run(client, requests_(project), project)
    assert isinstance(err, gexc.InvalidArgument), (case, err)
    assert message in err.message


@pytest.mark.flint_only(reason="stream tokens are checked, as in production; the official emulator ignores them")
@pytest.mark.parametrize("token", [b"zzz", b"7"])
def test_a_token_the_stream_never_issued_is_refused(client, project, token):
    out, err = run(client, [fs.WriteRequest(database=db(project)),
                            fs.WriteRequest(stream_token=token, writes=[update(project, "c/a", n=1)])], project)
    assert isinstance(err, gexc.InvalidArgument)
    assert "stream token" in err.message


@pytest.mark.flint_only(reason="stream tokens are checked, as in production; the official emulator ignores them")
def test_a_token_older_than_one_already_acknowledged_is_refused(client, project):
    out, err = run(client, [fs.WriteRequest(database=db(project)),
                            fs.WriteRequest(stream_token=b"0", writes=[update(project, "c/a", n=1)]),
                            fs.WriteRequest(stream_token=b"1", writes=[update(project, "c/a", n=2)]),
                            fs.WriteRequest(stream_token=b"0", writes=[update(project, "c/a", n=3)])], project)
    assert len(out) == 3
    assert isinstance(err, gexc.InvalidArgument)


def test_a_lagging_but_issued_token_is_accepted(client, project):
    """The SDKs pipeline writes: a request may carry the token of a response before the latest."""
    out, err = run(client, [fs.WriteRequest(database=db(project)),
                            fs.WriteRequest(stream_token=b"0", writes=[update(project, "c/a", n=1)]),
                            fs.WriteRequest(stream_token=b"0", writes=[update(project, "c/a", n=2)])], project)
    assert err is None
    assert len(out) == 3


@pytest.mark.flint_only(reason="a malformed Authorization is INVALID_ARGUMENT on every RPC; the official emulator answers UNKNOWN")
def test_a_malformed_authorization_is_refused(client, project):
    out, err = run(client, [fs.WriteRequest(database=db(project))], metadata=(("authorization", "Basic xyz"),))
    assert isinstance(err, gexc.InvalidArgument)


# --------------------------------------------------------------------------- differential

def script(p):
    return [
        ("ok", [fs.WriteRequest(database=db(p)),
                fs.WriteRequest(stream_token=b"0", writes=[update(p, "c/a", n=1)]),
                fs.WriteRequest(stream_token=b"1", writes=[update(p, "c/b", n=2), update(p, "c/c", n=3)])]),
        ("empty", [fs.WriteRequest(database=db(p)), fs.WriteRequest(stream_token=b"0")]),
        ("no db", [fs.WriteRequest()]),
        ("writes in handshake", [fs.WriteRequest(database=db(p), writes=[update(p, "c/a", n=1)])]),
        ("resume", [fs.WriteRequest(database=db(p), stream_id="0", stream_token=b"0")]),
        ("precondition", [fs.WriteRequest(database=db(p)),
                          fs.WriteRequest(stream_token=b"0", writes=[update(p, "c/x", n=1), w.Write(
                              update=document.Document(name=f"{db(p)}/documents/c/zz"),
                              current_document=common.Precondition(exists=True))])]),
        ("exists", [fs.WriteRequest(database=db(p)),
                    fs.WriteRequest(stream_token=b"0", writes=[w.Write(
                        update=document.Document(name=f"{db(p)}/documents/c/a"),
                        current_document=common.Precondition(exists=False))])]),
        ("other db", [fs.WriteRequest(database=db(p)),
                      fs.WriteRequest(database="projects/x/databases/(default)", stream_token=b"0",
                                      writes=[update(p, "c/a", n=1)])]),
        ("bad name", [fs.WriteRequest(database=db(p)),
                      fs.WriteRequest(stream_token=b"0", writes=[w.Write(update=document.Document(name="bad/name"))])]),
    ]


def shape(out, err):
    return ([(bool(r.stream_id), bool(r.stream_token), len(r.write_results), bool(r.commit_time)) for r in out],
            type(err).__name__ if err else None)


@pytest.mark.differential
def test_differential_write_stream_matches_the_official_emulator():
    flint, official = conftest._server("flint"), conftest._server("official")
    p = new_project()
    (fc, fch), (oc, och) = gapic(flint), gapic(official)
    try:
        for (name, a), (_, b) in zip(script(p), script(p)):
            assert shape(*run(fc, a, p)) == shape(*run(oc, b, p)), name
    finally:
        fch.close()
        och.close()
