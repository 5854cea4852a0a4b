-- Indexes for GET /todos, which lists todos oldest first (sort('createdAt').limit(100)), for one
-- user or for everyone. Written by d1SchemaSql({ collections: ['todos'], indexes: { todos:
-- ['createdAt', ['userId', 'createdAt']] } }): each index holds, per field, Pocket's type rank and
-- the value, then _id, exactly as Pocket's SQL sorts, so a list reads the 100 rows it returns
-- instead of every todo it matches.
CREATE INDEX IF NOT EXISTS "pocket_todos_createdAt_8qjdd0" ON "pocket_todos" (CASE json_type(data, '$.createdAt') WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END, json_extract(data, '$.createdAt'), _id);
CREATE INDEX IF NOT EXISTS "pocket_todos_userId__createdAt_qg5kkb" ON "pocket_todos" (CASE json_type(data, '$.userId') WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END, json_extract(data, '$.userId'), CASE json_type(data, '$.createdAt') WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END, json_extract(data, '$.createdAt'), _id);
