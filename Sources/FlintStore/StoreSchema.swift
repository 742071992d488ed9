import GRDB

/// Named migrations of the SQLite schema.
///
/// `scopes` names each collection (kind 0: parent path + collection id) and each collection group
/// (kind 1: collection id only). Documents live under their collection's scope; the per-field
/// index holds one row per (scope, field, encoded value, document), written for the collection
/// scope and, for nested collections, also for the group scope, so both kinds of query are range scans.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-documents-and-index") { db in
            try db.execute(
                sql: """
                    CREATE TABLE databases(
                        id INTEGER PRIMARY KEY,
                        project TEXT NOT NULL,
                        name TEXT NOT NULL,
                        UNIQUE(project, name));
                    CREATE TABLE scopes(
                        id INTEGER PRIMARY KEY,
                        db INTEGER NOT NULL,
                        kind INTEGER NOT NULL,
                        parent TEXT NOT NULL,
                        cid TEXT NOT NULL,
                        UNIQUE(db, kind, parent, cid));
                    CREATE TABLE documents(
                        scope INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        create_time INTEGER NOT NULL,
                        update_time INTEGER NOT NULL,
                        fields BLOB NOT NULL,
                        PRIMARY KEY(scope, id)) WITHOUT ROWID;
                    CREATE TABLE field_index(
                        scope INTEGER NOT NULL,
                        field TEXT NOT NULL,
                        value BLOB NOT NULL,
                        doc BLOB NOT NULL,
                        PRIMARY KEY(scope, field, value, doc)) WITHOUT ROWID;
                    CREATE TABLE clock(
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        last_commit INTEGER NOT NULL);
                    INSERT INTO clock VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v2-document-counts") { db in
            // Per-collection document counts, kept by every insert and delete, so COUNT(*) of a
            // collection costs the same at any size.
            try db.execute(
                sql: """
                    ALTER TABLE scopes ADD COLUMN doc_count INTEGER NOT NULL DEFAULT 0;
                    UPDATE scopes SET doc_count = (SELECT count(*) FROM documents WHERE documents.scope = scopes.id);
                    """)
        }
        migrator.registerMigration("v3-document-history") { db in
            // Replaced and deleted versions, kept for an hour so reads at a past readTime (and
            // read-only transactions) see a consistent snapshot. The current version stays in
            // `documents`; a version here was the document from valid_from until valid_to.
            try db.execute(
                sql: """
                    CREATE TABLE versions(
                        scope INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        valid_to INTEGER NOT NULL,
                        valid_from INTEGER NOT NULL,
                        create_time INTEGER NOT NULL,
                        fields BLOB NOT NULL,
                        PRIMARY KEY(scope, id, valid_to)) WITHOUT ROWID;
                    CREATE INDEX versions_by_age ON versions(valid_to);
                    """)
        }
        migrator.registerMigration("v4-trigger-outbox") { db in
            // Trigger events not yet delivered, written in the same transaction as the write
            // that caused them, so a committed write's events survive a crash.
            try db.execute(
                sql: """
                    CREATE TABLE outbox(
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        trigger TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        project TEXT NOT NULL,
                        database TEXT NOT NULL,
                        path TEXT NOT NULL,
                        commit_time INTEGER NOT NULL,
                        depth INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        before_fields BLOB, before_create INTEGER, before_update INTEGER,
                        after_fields BLOB, after_create INTEGER, after_update INTEGER);
                    """)
        }
        migrator.registerMigration("v5-index-exemptions") { db in
            // The exemptions the index rows were written under, so a start with different ones
            // rebuilds the rows of the collection groups that changed.
            try db.execute(
                sql: """
                    CREATE TABLE index_exemptions(
                        grp TEXT NOT NULL,
                        field TEXT NOT NULL,
                        PRIMARY KEY(grp, field)) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v6-drop-clock") { db in
            // Commit times resume after the newest stored time; this table was never written.
            try db.execute(sql: "DROP TABLE clock")
        }
        migrator.registerMigration("v7-outbox-auth") { db in
            // Who made each event's write, for `…withAuthContext` deliveries; events kept from
            // before are `unknown`.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN auth_type TEXT NOT NULL DEFAULT 'unknown';
                    ALTER TABLE outbox ADD COLUMN auth_id TEXT;
                    """)
        }
        return migrator
    }
}
