#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
// libpq, PostgreSQL's C client (https://www.postgresql.org/docs/15/libpq.html).
// The header lives in /usr/include/postgresql, which pkg-config's `libpq` names.
#include <libpq-fe.h>
#endif
