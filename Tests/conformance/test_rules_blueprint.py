"""rules/firestore.rules end to end: the customer-intelligence rule set loaded into Flint, driven
through the Python SDK (gRPC, with firebase-style mock user tokens) and REST."""

import os
import time

import pytest
import requests

from conftest import OWNER, REPO_ROOT, new_project
from rules_corpus import mock_claims, token

RULES = open(os.path.join(REPO_ROOT, "rules", "firestore.rules")).read()
PHONE = "9876543210"
OTHER = "9711023334"
CUSTOMER = mock_claims("cust-1", phone_number="+91" + PHONE, firebase={"sign_in_provider": "phone", "identities": {}})
STRANGER = mock_claims("cust-2", phone_number="+91" + OTHER)
ADMIN = mock_claims("staff-1", email="ops@example.com", admin=True)


def fields(**kw):
    out = {}
    for k, v in kw.items():
        if isinstance(v, bool):
            out[k] = {"booleanValue": v}
        elif isinstance(v, int):
            out[k] = {"integerValue": str(v)}
        elif isinstance(v, str):
            out[k] = {"stringValue": v}
        elif isinstance(v, list):
            out[k] = {"arrayValue": {"values": [{"mapValue": {"fields": fields(**x)}} for x in v]}}
    return out


@pytest.fixture
def bp(server):
    project = new_project("bp")
    r = requests.put(f"{server.base}/emulator/v1/projects/{project}:securityRules",
                     json={"rules": {"files": [{"name": "firestore.rules", "content": RULES}]}})
    assert r.status_code == 200, r.text
    root = f"{server.base}/v1/projects/{project}/databases/(default)/documents"
    seed = {
        f"customers/{PHONE}": fields(phone=PHONE, name="Rohit", trustScore=82, loyaltyTier="repeat", totalOrders=12),
        f"customers/{OTHER}": fields(phone=OTHER, name="Asha", trustScore=50, loyaltyTier="new", totalOrders=1),
        "orders/ORD_1": fields(customerPhone=PHONE, total=249, internalStatus="approved"),
        "orders/ORD_2": fields(customerPhone=OTHER, total=999, internalStatus="approved"),
        "notifications/n1": fields(customerPhone=PHONE, template="order_confirmed"),
    }
    for path, f in seed.items():
        assert requests.patch(f"{root}/{path}", json={"fields": f}, headers=OWNER).status_code == 200
    return server, project, root


def as_user(claims):
    return {"Authorization": "Bearer " + token(claims)} if claims else {}


def sdk_client(server, project, claims):
    from google.cloud import firestore
    os.environ["FIRESTORE_EMULATOR_HOST"] = server.hostport
    client = firestore.Client(project=project)
    metadata = [(k, v) for k, v in client._rpc_metadata if k != "authorization"]
    if claims:
        metadata.append(("authorization", "Bearer " + token(claims)))
    client._rpc_metadata_internal = metadata
    return client


def test_customer_reads_only_their_own_profile_over_rest(bp):
    server, project, root = bp
    assert requests.get(f"{root}/customers/{PHONE}", headers=as_user(CUSTOMER)).status_code == 200
    denied = requests.get(f"{root}/customers/{OTHER}", headers=as_user(CUSTOMER))
    assert denied.status_code == 403
    assert denied.json()["error"]["status"] == "PERMISSION_DENIED"
    assert "Missing or insufficient permissions." in denied.json()["error"]["message"]
    assert requests.get(f"{root}/customers/{PHONE}").status_code == 403


def test_customer_lists_only_their_own_orders_through_the_sdk(bp):
    server, project, _ = bp
    from google.api_core.exceptions import PermissionDenied
    db = sdk_client(server, project, CUSTOMER)
    mine = [d.id for d in db.collection("orders").where("customerPhone", "==", PHONE).stream()]
    assert mine == ["ORD_1"]
    with pytest.raises(PermissionDenied):
        list(db.collection("orders").stream())
    with pytest.raises(PermissionDenied):
        list(db.collection("orders").where("customerPhone", "==", OTHER).stream())
    assert db.document("orders/ORD_1").get().exists
    with pytest.raises(PermissionDenied):
        db.document("orders/ORD_2").get()
    assert db.collection("orders").where("customerPhone", "==", PHONE).count().get()[0][0].value == 1


def test_customer_creates_orders_for_themselves_only(bp):
    server, project, _ = bp
    from google.api_core.exceptions import PermissionDenied
    db = sdk_client(server, project, CUSTOMER)
    order = {"customerPhone": PHONE, "items": [{"productId": "PROD_001", "qty": 1, "price": 249}],
             "total": 249, "source": "website", "internalStatus": "created_pending"}
    db.document("orders/NEW_1").set(order)
    # The engine's in-process triggers are not judged: they approve the order and count it.
    requests.post(f"{server.base}/emulator/v1/triggers:waitForIdle", params={"timeout": "20"}).raise_for_status()
    root = f"{server.base}/v1/projects/{project}/databases/(default)/documents"
    approved = requests.get(f"{root}/orders/NEW_1", headers=OWNER).json()["fields"]
    assert "approval" in approved, approved
    with pytest.raises(PermissionDenied):
        db.document("orders/NEW_2").set(dict(order, customerPhone=OTHER))
    with pytest.raises(PermissionDenied):
        db.document("orders/NEW_3").set(dict(order, internalStatus="approved"))
    with pytest.raises(PermissionDenied):
        db.document("orders/NEW_4").set(dict(order, approval={"status": "auto_approved"}))
    with pytest.raises(PermissionDenied):
        db.document("orders/NEW_5").set(dict(order, source="admin"))
    with pytest.raises(PermissionDenied):
        db.document("orders/ORD_1").update({"total": 1})


def test_customer_never_writes_derived_fields(bp):
    server, project, _ = bp
    from google.api_core.exceptions import PermissionDenied
    db = sdk_client(server, project, CUSTOMER)
    db.document(f"customers/{PHONE}").update({"name": "Rohit V", "preferredLanguage": "en"})
    for field, value in [("trustScore", 100), ("totalOrders", 99), ("loyaltyTier", "platinum"), ("isDubious", True)]:
        with pytest.raises(PermissionDenied):
            db.document(f"customers/{PHONE}").update({field: value})
    with pytest.raises(PermissionDenied):
        db.document(f"customers/{OTHER}").update({"name": "x"})
    new_phone = "9000000001"
    me = sdk_client(server, project, mock_claims("cust-9", phone_number="+91" + new_phone))
    me.document(f"customers/{new_phone}").set({"phone": new_phone, "name": "New"})
    with pytest.raises(PermissionDenied):
        me.document(f"customers/{new_phone}").set({"phone": new_phone, "name": "New", "trustScore": 100})


def test_admins_read_everything_and_owner_bypasses_rules(bp):
    server, project, root = bp
    db = sdk_client(server, project, ADMIN)
    assert len(list(db.collection("customers").stream())) == 2
    assert len(list(db.collection("orders").stream())) == 2
    assert db.document("notifications/n1").get().exists
    stranger = requests.get(f"{root}/notifications/n1", headers=as_user(STRANGER))
    assert stranger.status_code == 403
    owner = sdk_client(server, project, None)
    owner._rpc_metadata_internal = owner._rpc_metadata_internal + [("authorization", "Bearer owner")]
    assert len(list(owner.collection("orders").stream())) == 2


def test_batch_with_one_denied_write_writes_nothing(bp):
    server, project, root = bp
    from google.api_core.exceptions import PermissionDenied
    db = sdk_client(server, project, CUSTOMER)
    batch = db.batch()
    batch.update(db.document(f"customers/{PHONE}"), {"name": "Batch"})
    batch.update(db.document(f"customers/{PHONE}"), {"trustScore": 1})
    with pytest.raises(PermissionDenied):
        batch.commit()
    doc = requests.get(f"{root}/customers/{PHONE}", headers=OWNER).json()
    assert doc["fields"]["name"]["stringValue"] == "Rohit"


def test_listener_on_a_denied_query_gets_permission_denied(bp):
    server, project, _ = bp
    db = sdk_client(server, project, CUSTOMER)
    errors, snapshots = [], []

    def on_snapshot(docs, changes, read_time):
        snapshots.append([d.id for d in docs])

    allowed = db.collection("orders").where("customerPhone", "==", PHONE).on_snapshot(on_snapshot)
    deadline = time.time() + 10
    while not snapshots and time.time() < deadline:
        time.sleep(0.05)
    allowed.unsubscribe()
    assert snapshots and snapshots[0] == ["ORD_1"]

    # The target is removed with PERMISSION_DENIED as its cause: the SDK's stream consumer stops
    # ("Error 7: Missing or insufficient permissions.") and no snapshot is raised.
    watch = db.collection("orders").on_snapshot(lambda *a: snapshots.append("unexpected"))
    deadline = time.time() + 10
    while watch._consumer.is_active and time.time() < deadline:
        time.sleep(0.05)
    assert not watch._consumer.is_active, "a denied Listen target must end the listener"
    assert "unexpected" not in snapshots
    log = requests.get(f"{server.base}/emulator/v1/projects/{project}:ruleEvaluations", params={"limit": 1}).json()
    newest = log["evaluations"][0]
    assert (newest["method"], newest["path"], newest["allowed"]) == ("list", "orders", False)
