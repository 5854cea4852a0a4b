-- The table Pocket's D1 storage uses for the "todos" collection (default table prefix "pocket_").
-- These are the columns Pocket expects: the whole document is JSON text in `data`.
CREATE TABLE IF NOT EXISTS pocket_todos (
  _id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  created_at INTEGER DEFAULT (unixepoch()),
  updated_at INTEGER DEFAULT (unixepoch())
);

-- No index on json_extract(data, '$._id'): ids are the _id column (the primary key), so no query
-- would use one. (This file once made idx_todos_created that way; 0002 drops it where it exists.)

-- GET /todos?userId=… filters on userId; an expression index written exactly like Pocket's
-- compiled SQL (json_extract(data, '$.userId')) lets SQLite use it.
CREATE INDEX IF NOT EXISTS idx_todos_user
ON pocket_todos(json_extract(data, '$.userId'));
