"""Import and export in the official export format, both ways, against the official emulator
where it is installed and against the export it made and the repository keeps
(testdata/exports, written by testdata/exports/make-official-export)."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest
import requests

import conftest
from export_helpers import (EXPORTS, PROJECT, docs_url, flint_bin, normalized, run_flint, served, start_official,
                            write_values)

pytestmark = pytest.mark.usefixtures("flint_target")


@pytest.fixture
def flint_target(target_kind):
    if target_kind != "flint":
        pytest.skip("Flint's import, export and snapshots are exercised against Flint itself")


def expected():
    with open(os.path.join(EXPORTS, "expected.json")) as f:
        return json.load(f)


def imported(path, *extra):
    server = conftest.start_flint(["--no-engine", "--import", path, *extra])
    try:
        return served(server.base)
    finally:
        server.stop()


def only(docs, database):
    return {k: v for k, v in docs.items() if k.startswith(database + "/")}


EXPORTED_DATABASES = (("(default)", "firestore_export"), ("named-db", "named"))


def export_each_database(base, directory):
    """POST :export (firebase-tools' body) once per database, each into its own export name."""
    for database, name in EXPORTED_DATABASES:
        r = requests.post(f"{base}/emulator/v1/projects/{PROJECT}:export", json={
            "database": f"projects/{PROJECT}/databases/{database}",
            "export_directory": str(directory), "export_name": name}, timeout=60)
        assert r.status_code == 200, r.text


def assert_each_database_imports(directory, before):
    """Each database's export, imported by Flint, serves what `before` held for that database."""
    for database, name in EXPORTED_DATABASES:
        got = imported(str(directory / name))
        assert normalized(only(got, database)) == normalized(only(before, database))


def test_the_official_emulators_export_in_firebase_tools_layout_imports_identically():
    got = imported(os.path.join(EXPORTS, "official-default"))
    assert normalized(only(got, "(default)")) == normalized(only(expected(), "(default)"))


def test_the_official_emulators_export_of_a_named_database_imports_identically():
    # gcloud's layout, named by its directory and by its metadata file.
    for path in ("official-named/named", "official-named/named/named.overall_export_metadata"):
        got = imported(os.path.join(EXPORTS, path))
        assert normalized(only(got, "named-db")) == normalized(only(expected(), "named-db"))
        assert all(v is None for v in only(got, "(default)").values())


def test_import_project_moves_documents_and_their_references():
    server = conftest.start_flint(["--no-engine", "--import", os.path.join(EXPORTS, "official-default"),
                                   "--import-project", "elsewhere"])
    try:
        r = requests.get(docs_url(server.base, "(default)", "values/all", project="elsewhere"), timeout=10)
        assert r.status_code == 200
        assert r.json()["fields"]["reference"]["referenceValue"] == \
            "projects/elsewhere/databases/(default)/documents/values/all"
        assert requests.get(docs_url(server.base, "(default)", "values/all"), timeout=10).status_code == 404
    finally:
        server.stop()


def test_flints_export_endpoint_round_trips_every_value_type(tmp_path):
    source = conftest.start_flint(["--no-engine"])
    try:
        write_values(source.base)
        before = served(source.base)
        export_each_database(source.base, tmp_path)
    finally:
        source.stop()
    assert_each_database_imports(tmp_path, before)


def test_export_on_exit_and_the_export_command_write_every_database(tmp_path):
    data = str(tmp_path / "store.sqlite")
    on_exit = tmp_path / "on-exit"
    server = conftest.start_flint(["--no-engine", "--data", data, "--export-on-exit", str(on_exit)])
    write_values(server.base)
    before = served(server.base)
    server.stop()  # SIGTERM: graceful shutdown writes the export
    assert (on_exit / "firebase-export-metadata.json").exists()
    assert normalized(imported(str(on_exit))) == normalized(before)

    command = tmp_path / "command"
    result = run_flint("export", str(command), "--data", data)
    assert result.returncode == 0, result.stderr
    assert "Exported 8 documents" in result.stdout
    assert normalized(imported(str(command))) == normalized(before)
    # Exporting again replaces the previous export whole, leaving no temporary directory behind.
    result = run_flint("export", str(command), "--data", data, "--project", PROJECT, "--database", "named-db")
    assert result.returncode == 0, result.stderr
    assert "Exported 2 documents" in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["command", "on-exit", "store.sqlite", "store.sqlite-shm", "store.sqlite-wal"] \
        or sorted(os.listdir(tmp_path)) == ["command", "on-exit", "store.sqlite"]


def test_the_official_emulator_exports_and_flint_imports_identically(tmp_path):
    official = start_official()
    try:
        write_values(official.base)
        theirs = served(official.base)
        export_each_database(official.base, tmp_path)
    finally:
        official.stop()
    assert_each_database_imports(tmp_path, theirs)


def test_flint_exports_and_the_official_emulator_seeds_from_it_identically(tmp_path):
    server = conftest.start_flint(["--no-engine", "--export-on-exit", str(tmp_path / "export")])
    write_values(server.base)
    ours = served(server.base)
    server.stop()
    metadata = tmp_path / "export" / "firestore_export" / "firestore_export.overall_export_metadata"
    assert metadata.exists()
    official = start_official(f"--seed_from_export={metadata}")
    try:
        theirs = served(official.base)
    finally:
        official.stop()
    # One export holds every database: each document's key names its database.
    assert normalized(theirs) == normalized(ours)


def test_an_import_logs_its_count_and_rate():
    export = os.path.join(EXPORTS, "official-default")
    server = conftest.start_flint(["--no-engine", "--import", export])
    try:
        lines = [line for line in server.output if "import: " in line]
        assert any("import: 6 of 6 documents (" in line and "/s)" in line for line in lines), lines
    finally:
        server.stop()


# ---------------------------------------------------------------- damaged exports


def damaged_copy(tmp_path, damage):
    target = tmp_path / "export"
    shutil.copytree(os.path.join(EXPORTS, "official-default"), target)
    output = target / "firestore_export" / "all_namespaces" / "all_kinds" / "output-0"
    damage(output)
    return target


def failed_start(path, data=None):
    args = ["start", "--no-engine", "--port", "0", "--import", str(path)]
    if data:
        args += ["--data", data]
    result = run_flint(*args, timeout=60)
    assert result.returncode != 0
    return result.stdout + result.stderr


def test_a_corrupt_record_stops_the_start_naming_the_file_and_record_and_imports_nothing(tmp_path):
    def flip(output):
        data = bytearray(output.read_bytes())
        data[200] ^= 0xFF
        output.write_bytes(bytes(data))
    data = str(tmp_path / "store.sqlite")
    message = failed_start(damaged_copy(tmp_path, flip), data)
    # Byte 200 lies in the second record (the first is 92 bytes with its header).
    assert "output-0: record 1 (byte 92): checksum mismatch" in message, message
    assert "Nothing was imported" in message
    server = conftest.start_flint(["--no-engine", "--data", data])
    try:
        assert all(v is None for v in served(server.base).values())
    finally:
        server.stop()


def test_a_truncated_file_stops_the_start(tmp_path):
    def cut(output):
        output.write_bytes(output.read_bytes()[:-50])
    message = failed_start(damaged_copy(tmp_path, cut))
    assert "output-0" in message and "truncated" in message, message


def test_a_missing_output_file_is_a_partial_export(tmp_path):
    message = failed_start(damaged_copy(tmp_path, lambda output: output.unlink()))
    assert "output-0" in message and "missing" in message, message


def test_a_directory_without_an_export_is_refused(tmp_path):
    message = failed_start(tmp_path)
    assert "no firebase-export-metadata.json" in message, message


def test_the_export_endpoint_refuses_a_missing_directory(tmp_path):
    server = conftest.start_flint(["--no-engine"])
    try:
        r = requests.post(f"{server.base}/emulator/v1/projects/{PROJECT}:export",
                          json={"export_directory": str(tmp_path / "nope"), "export_name": "x"}, timeout=10)
        assert r.status_code == 400 and "not an existing directory" in r.json()["error"]["message"]
        r = requests.post(f"{server.base}/emulator/v1/projects/{PROJECT}:export",
                          json={"export_directory": str(tmp_path), "export_name": "../x"}, timeout=10)
        assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    finally:
        server.stop()


def test_an_interrupted_export_leaves_the_previous_one_intact(tmp_path):
    data = str(tmp_path / "store.sqlite")
    server = conftest.start_flint(["--no-engine", "--data", data])
    try:
        # Enough documents that the export takes a while.
        for chunk in range(20):
            writes = [{"update": {"name": f"projects/{PROJECT}/databases/(default)/documents/bulk/d{chunk}-{i}",
                                  "fields": {"i": {"integerValue": str(i)}, "pad": {"stringValue": "p" * 200}}}}
                      for i in range(500)]
            r = requests.post(docs_url(server.base, "(default)") + ":commit", json={"writes": writes}, timeout=60)
            assert r.status_code == 200
    finally:
        server.stop()
    # Killed early or late: before the swap, the directory holds the previous export whole; after
    # it, the new one whole. Both have the same file names, so the documents tell which.
    for delay in (0.05, 0.3):
        target = tmp_path / f"export-{delay}"
        shutil.copytree(os.path.join(EXPORTS, "official-default"), target)
        proc = subprocess.Popen([flint_bin(), "export", str(target), "--data", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        server = conftest.start_flint(["--no-engine", "--import", str(target)])
        try:
            r = requests.get(docs_url(server.base, "(default)", "bulk/d19-499", project=PROJECT), timeout=10)
            if r.status_code == 200:
                r = requests.post(docs_url(server.base, "(default)", project=PROJECT) + ":runAggregationQuery", json={
                    "structuredAggregationQuery": {"structuredQuery": {"from": [{"collectionId": "bulk"}]},
                                                   "aggregations": [{"alias": "n", "count": {}}]}}, timeout=30)
                assert r.json()[0]["result"]["aggregateFields"]["n"]["integerValue"] == "10000", delay
            else:
                assert normalized(only(served(server.base), "(default)")) == normalized(only(expected(), "(default)")), delay
        finally:
            server.stop()
