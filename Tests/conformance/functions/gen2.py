"""2nd-gen Cloud Functions written with firebase-functions, served by functions-framework.

Each handler records what it received by writing a `captures/{kind}-{orderId}-{n}` document back
into the same emulator, through its own Firestore client (FIRESTORE_EMULATOR_HOST, GCLOUD_PROJECT).
"""
import os

from firebase_functions import firestore_fn
from google.cloud import firestore

_db = None


def _client():
    global _db
    if _db is None:
        _db = firestore.Client(project=os.environ["GCLOUD_PROJECT"])
    return _db


def _snap(s):
    if s is None:
        return None
    return {"data": s.to_dict(), "exists": s.exists, "id": s.id,
            "createTime": s.create_time.isoformat() if s.create_time else None,
            "updateTime": s.update_time.isoformat() if s.update_time else None}


def _record(kind, event, before, after):
    _client().collection("captures").document(f"{kind}-{event.params['orderId']}-{event.id}").set({
        "kind": kind, "eventId": event.id, "type": event.type, "params": event.params,
        "document": event.document, "time": event.time.isoformat(),
        "before": _snap(before), "after": _snap(after),
    })


@firestore_fn.on_document_created(document="orders/{orderId}")
def created(event):
    _record("created", event, None, event.data)


@firestore_fn.on_document_updated(document="orders/{orderId}")
def updated(event):
    _record("updated", event, event.data.before, event.data.after)


@firestore_fn.on_document_deleted(document="orders/{orderId}")
def deleted(event):
    _record("deleted", event, event.data, None)


@firestore_fn.on_document_written(document="orders/{orderId}")
def written(event):
    _record("written", event, event.data.before, event.data.after)
