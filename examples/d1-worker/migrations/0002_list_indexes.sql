-- Indexes for GET /todos, which lists todos oldest first (sort('createdAt').limit(100)), for one
-- user or for everyone. Written by d1SchemaSql({ collections: ['todos'], indexes: { todos:
-- ['createdAt', ['userId', 'createdAt']] } }): each index holds, per field, the sort key Pocket's SQL
-- orders by (type first, then value), then _id, so a list reads the 100 rows it returns instead of
-- every todo it matches.
--
-- 0001's idx_todos_created (copied from the guide) indexes json_extract(data, '$._id'), which no
-- query uses (ids are the _id column): it only costs writes, so it goes.
DROP INDEX IF EXISTS idx_todos_created;
CREATE INDEX IF NOT EXISTS "pocket_todos_createdAt_i2e36d" ON "pocket_todos" (CASE json_type(data, '$.createdAt') WHEN 'object' THEN CAST(x'01' || json_extract(data, '$.createdAt') AS BLOB) WHEN 'array' THEN CAST(x'02' || json_extract(data, '$.createdAt') AS BLOB) WHEN 'true' THEN x'0301' WHEN 'false' THEN x'0300' ELSE ifnull(json_extract(data, '$.createdAt'), -9e999) END, _id);
CREATE INDEX IF NOT EXISTS "pocket_todos_userId__createdAt_1ts57bk" ON "pocket_todos" (CASE json_type(data, '$.userId') WHEN 'object' THEN CAST(x'01' || json_extract(data, '$.userId') AS BLOB) WHEN 'array' THEN CAST(x'02' || json_extract(data, '$.userId') AS BLOB) WHEN 'true' THEN x'0301' WHEN 'false' THEN x'0300' ELSE ifnull(json_extract(data, '$.userId'), -9e999) END, CASE json_type(data, '$.createdAt') WHEN 'object' THEN CAST(x'01' || json_extract(data, '$.createdAt') AS BLOB) WHEN 'array' THEN CAST(x'02' || json_extract(data, '$.createdAt') AS BLOB) WHEN 'true' THEN x'0301' WHEN 'false' THEN x'0300' ELSE ifnull(json_extract(data, '$.createdAt'), -9e999) END, _id);
