#ifndef CFLINT_SQLITE_H
#define CFLINT_SQLITE_H

#include <stdint.h>

/// Process-wide SQLite settings that only the C API can make (sqlite3_config is variadic).
/// Call before SQLite is first used: turns off memory-usage statistics, which take a global
/// mutex on every allocation. Returns an SQLite result code (SQLITE_MISUSE once SQLite runs).
int flint_sqlite_configure(void);

/// What a column of `flint_rows` holds.
enum { FLINT_ROWS_INTEGER = 1, FLINT_ROWS_TEXT = 2, FLINT_ROWS_BLOB = 3 };

/// Rows held in memory, for `INSERT … SELECT c0, c1, … FROM flint_rows(?)`: one statement inserts
/// them all, without SQLite starting the statement again for every row. `cells` holds two numbers
/// per cell, row by row: an integer and 0, or the offset of its bytes in `bytes` and their count.
/// The memory must stay valid and unchanged while the statement runs.
typedef struct flint_rows {
    int64_t count;
    int32_t columns;
    const int32_t *types;
    const unsigned char *bytes;
    const int64_t *cells;
} flint_rows;

/// Registers the `flint_rows` table-valued function (columns c0…c7) on a connection.
int flint_rows_register(void *db);

/// Binds `rows` to parameter `index` of `statement` as the argument of `flint_rows(?)`.
int flint_rows_bind(void *statement, int index, const flint_rows *rows);

#endif
