"""A 1st-gen (background) function served by functions-framework's `event` signature: it gets
the Firestore JSON envelope and records it as a `captures/legacy-{n}` document."""
import json
import os

from google.cloud import firestore


def legacy(data, context):
    db = firestore.Client(project=os.environ["GCLOUD_PROJECT"])
    db.collection("captures").document(f"legacy-{context.event_id}").set({
        "kind": "legacy", "eventId": context.event_id, "type": context.event_type,
        "resource": json.dumps(context.resource, sort_keys=True), "timestamp": context.timestamp,
        "data": json.dumps(data, sort_keys=True),
    })
