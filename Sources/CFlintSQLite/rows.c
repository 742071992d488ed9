#include "CFlintSQLite.h"
#include <sqlite3.h>
#include <string.h>

// An eponymous table-valued function over a flint_rows (see the header): eight value columns and
// a hidden one taking the pointer.

#define FLINT_ROWS_COLUMNS 8
#define FLINT_ROWS_POINTER "flint_rows"

typedef struct {
    sqlite3_vtab_cursor base;
    const flint_rows *rows;
    int64_t row;
} rows_cursor;

// Zeroed memory from SQLite's allocator (what it frees vtabs and cursors with).
static void *zeroed(int size) {
    void *p = sqlite3_malloc(size);
    if (p) memset(p, 0, size);
    return p;
}

static int rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err) {
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, source HIDDEN)");
    if (rc != SQLITE_OK) return rc;
    sqlite3_vtab *vtab = zeroed(sizeof(sqlite3_vtab));
    if (!vtab) return SQLITE_NOMEM;
    *out = vtab;
    return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *vtab) {
    sqlite3_free(vtab);
    return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
    rows_cursor *cursor = zeroed(sizeof(rows_cursor));
    if (!cursor) return SQLITE_NOMEM;
    *out = &cursor->base;
    return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *cursor) {
    sqlite3_free(cursor);
    return SQLITE_OK;
}

// Only usable with the pointer given: flint_rows(?).
static int rows_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn == FLINT_ROWS_COLUMNS && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
            if (!c->usable) return SQLITE_CONSTRAINT;
            info->aConstraintUsage[i].argvIndex = 1;
            info->aConstraintUsage[i].omit = 1;
            info->estimatedCost = 1;
            info->orderByConsumed = 0;
            return SQLITE_OK;
        }
    }
    vtab->zErrMsg = sqlite3_mprintf("flint_rows needs its rows: flint_rows(?)");
    return SQLITE_ERROR;
}

static int rows_filter(sqlite3_vtab_cursor *base, int plan, const char *planName, int argc, sqlite3_value **argv) {
    rows_cursor *cursor = (rows_cursor *)base;
    cursor->rows = argc > 0 ? sqlite3_value_pointer(argv[0], FLINT_ROWS_POINTER) : NULL;
    cursor->row = 0;
    return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *base) {
    ((rows_cursor *)base)->row++;
    return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *base) {
    rows_cursor *cursor = (rows_cursor *)base;
    return cursor->rows == NULL || cursor->row >= cursor->rows->count;
}

static int rows_column(sqlite3_vtab_cursor *base, sqlite3_context *context, int column) {
    rows_cursor *cursor = (rows_cursor *)base;
    const flint_rows *rows = cursor->rows;
    if (column >= rows->columns) {
        sqlite3_result_null(context);
        return SQLITE_OK;
    }
    const int64_t *cell = rows->cells + 2 * (cursor->row * rows->columns + column);
    switch (rows->types[column]) {
    case FLINT_ROWS_INTEGER:
        sqlite3_result_int64(context, cell[0]);
        break;
    case FLINT_ROWS_TEXT:
        sqlite3_result_text(context, (const char *)rows->bytes + cell[0], (int)cell[1], SQLITE_STATIC);
        break;
    default:
        // An empty blob is a blob, not NULL.
        if (cell[1] == 0) sqlite3_result_zeroblob(context, 0);
        else sqlite3_result_blob(context, rows->bytes + cell[0], (int)cell[1], SQLITE_STATIC);
    }
    return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *base, sqlite_int64 *rowid) {
    *rowid = ((rows_cursor *)base)->row;
    return SQLITE_OK;
}

static sqlite3_module rows_module = {
    .iVersion = 0,
    .xCreate = NULL,  // eponymous only
    .xConnect = rows_connect,
    .xBestIndex = rows_best_index,
    .xDisconnect = rows_disconnect,
    .xDestroy = rows_disconnect,
    .xOpen = rows_open,
    .xClose = rows_close,
    .xFilter = rows_filter,
    .xNext = rows_next,
    .xEof = rows_eof,
    .xColumn = rows_column,
    .xRowid = rows_rowid,
};

int flint_rows_register(void *db) {
    return sqlite3_create_module((sqlite3 *)db, "flint_rows", &rows_module, NULL);
}

int flint_rows_bind(void *statement, int index, const flint_rows *rows) {
    return sqlite3_bind_pointer((sqlite3_stmt *)statement, index, (void *)rows, FLINT_ROWS_POINTER, NULL);
}
