#!/usr/bin/env python3
"""Load the sample customers and orders into Firestore with the Firebase Admin SDK.

    export FIRESTORE_EMULATOR_HOST=127.0.0.1:8080    # Flint or the official emulator
    python testdata/seed.py                          # customers, then orders
    python testdata/seed.py --customers-only
    python testdata/seed.py --orders-only --project my-project

Without FIRESTORE_EMULATOR_HOST it writes to the real Firestore of the project, with
Application Default Credentials (gcloud auth application-default login).

Project: --project, else GCLOUD_PROJECT, else GOOGLE_CLOUD_PROJECT, else "demo-flint" against
an emulator (production: the project of the default credentials).

Files (next to this script unless --customers/--orders say otherwise):
  customers.json  a list of customer profiles; each is written to customers/{phone}.
  orders.json     a list of orders; "_id" (removed from the fields) names orders/{_id},
                  an order without "_id" gets an automatic ID through add().
Values: the string "server_timestamp" becomes the server's commit time, a string that is an
RFC 3339 UTC time ("2025-10-10T09:42:00Z") becomes a timestamp, JSON integers stay integers
and numbers with a fraction become doubles. An order without "createdAt" gets the server time.

Re-running is safe: documents with a fixed ID are overwritten (set), not duplicated, so the
collections return to the sample state; only server timestamps move forward.
"""

import argparse
import datetime
import json
import os
import re
import sys

import firebase_admin
from firebase_admin import credentials, firestore

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_TIMESTAMP_MARK = "server_timestamp"
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


class EmulatorCredential(credentials.Base):
    """Emulators take no credentials; the SDK still needs a credential object."""

    def get_credential(self):
        from google.auth.credentials import AnonymousCredentials
        return AnonymousCredentials()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    only = p.add_mutually_exclusive_group()
    only.add_argument("--customers-only", action="store_true", help="write customers only")
    only.add_argument("--orders-only", action="store_true", help="write orders only")
    p.add_argument("--project", help="project ID (default: $GCLOUD_PROJECT, "
                                     "$GOOGLE_CLOUD_PROJECT, or demo-flint on an emulator)")
    p.add_argument("--database", default="(default)", help="database ID (default: (default))")
    p.add_argument("--customers", default=os.path.join(HERE, "customers.json"),
                   help="customers file (default: %(default)s)")
    p.add_argument("--orders", default=os.path.join(HERE, "orders.json"),
                   help="orders file (default: %(default)s)")
    return p.parse_args(argv)


def connect(args):
    emulator = os.environ.get("FIRESTORE_EMULATOR_HOST")
    project = (args.project or os.environ.get("GCLOUD_PROJECT")
               or os.environ.get("GOOGLE_CLOUD_PROJECT"))
    if emulator:
        project = project or "demo-flint"
        cred = EmulatorCredential()
    else:
        cred = credentials.ApplicationDefault()
    app = firebase_admin.initialize_app(cred, {"projectId": project} if project else None,
                                        name="seed")
    if args.database == "(default)":
        db = firestore.client(app)
    else:
        db = firestore.client(app, database_id=args.database)
    where = f"emulator {emulator}" if emulator else "production Firestore"
    return app, db, db.project, where


def to_firestore(value):
    """JSON value -> value for the SDK (sentinels and timestamps resolved)."""
    if isinstance(value, str):
        if value == SERVER_TIMESTAMP_MARK:
            return firestore.SERVER_TIMESTAMP
        if RFC3339.match(value):
            return parse_time(value)
        return value
    if isinstance(value, dict):
        return {k: to_firestore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_firestore(v) for v in value]
    return value


def parse_time(s):
    # fromisoformat accepts "Z" only from Python 3.11 on, and at most 6 fraction digits
    s = s.replace("Z", "+00:00")
    m = re.match(r"^(.*\.\d{6})\d+(.*)$", s)
    if m:
        s = m.group(1) + m.group(2)
    return datetime.datetime.fromisoformat(s)


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise SystemExit(f"seed: {path} must hold a JSON list of objects")
    return data


def seed_customers(db, customers):
    coll = db.collection("customers")
    for c in customers:
        phone = c.get("phone")
        if not isinstance(phone, str) or not phone or "/" in phone:
            raise SystemExit(f"seed: customer without a usable phone: {c.get('name')!r}")
        coll.document(phone).set(to_firestore(c))
    return len(customers)


def seed_orders(db, orders):
    coll = db.collection("orders")
    fixed = added = 0
    for o in orders:
        fields = {k: v for k, v in o.items() if k != "_id"}
        data = to_firestore(fields)
        data.setdefault("createdAt", firestore.SERVER_TIMESTAMP)
        if o.get("_id"):
            coll.document(o["_id"]).set(data)
            fixed += 1
        else:
            coll.add(data)
            added += 1
    return fixed, added


def known_phones(customers, path):
    if customers is None:
        try:
            customers = load(path)
        except (OSError, ValueError, SystemExit):
            return None
    return {c.get("phone") for c in customers}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    customers = None if args.orders_only else load(args.customers)
    orders = None if args.customers_only else load(args.orders)
    app, db, project, where = connect(args)
    print(f"seeding project {project!r}, database {args.database!r} on {where}")
    try:
        if customers is not None:
            n = seed_customers(db, customers)
            print(f"customers: {n} written to customers/{{phone}}")
        if orders is not None:
            fixed, added = seed_orders(db, orders)
            phones = {o.get("customerPhone") for o in orders}
            line = (f"orders: {fixed + added} written to orders/"
                    + (f" ({fixed} with fixed IDs, {added} with automatic IDs)" if added else "")
                    + f"; {len(phones)} customer phones")
            known = known_phones(customers, args.customers)
            if known is not None:
                line += f", {len(phones - known)} not in {os.path.basename(args.customers)}"
            print(line)
    finally:
        firebase_admin.delete_app(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
