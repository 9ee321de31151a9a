// Private to host/registry: the ordered schema migrations, one text per dialect per step.
#pragma once

#include "db.h"

namespace locus::registry::db {

// Step i brings the schema from version i to i+1. Append only: never edit a shipped step.
// Both dialects build the same tables, columns and indexes.
int migration_count();
const char* migration(Dialect d, int step);

}  // namespace locus::registry::db
