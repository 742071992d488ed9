#ifndef CFLINT_SQLITE_H
#define CFLINT_SQLITE_H

/// Process-wide SQLite settings that only the C API can make (sqlite3_config is variadic).
/// Call before SQLite is first used: turns off memory-usage statistics, which take a global
/// mutex on every allocation. Returns an SQLite result code (SQLITE_MISUSE once SQLite runs).
int flint_sqlite_configure(void);

#endif
