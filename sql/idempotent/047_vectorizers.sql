-- Vectorizers: a table kept searchable. Each row with text is a document
-- (source 'vectorizer:<id>:<key>') written by triggers on the table; an
-- updated row is a new version of its source (040_ingest.sql), swapped in
-- atomically once embedded. Chunks carry {"vectorizer": "<schema.table>",
-- "key": {<primary key>}} and the row's metadata.
--
-- Rights: the expressions are SQL the table's owner wrote; they run in the
-- trigger with the rights of whoever writes the row (as any trigger would),
-- never inside a SECURITY DEFINER function, and resolve names with
-- search_path = pg_catalog. Only rag._vectorizer_write runs as the rag
-- owner: it checks that the session's role may write the table that way
-- and that the vectorizer's owner may write the row's tenant.
-- Dropping the table drops its triggers; its documents stay until
-- rag.drop_vectorizer(<the table's old oid>) by the vectorizer's owner.

-- The row-level statement the trigger runs on NEW ($1): key, text, title,
-- tenant and metadata; or with key_only, key and tenant (for OLD).
CREATE OR REPLACE FUNCTION rag._vectorizer_query(source_table regclass, key_columns name[], text_expr text,
    title_expr text, tenant_column name, metadata_expr text, key_only boolean) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('SELECT jsonb_build_object(%s) AS key, %s AS tenant%s FROM (SELECT ($1).*) AS %I',
                  (SELECT string_agg(format('%L, %I', k, k), ', ' ORDER BY o) FROM unnest(key_columns) WITH ORDINALITY u(k, o)),
                  CASE WHEN tenant_column IS NULL THEN 'NULL::text' ELSE format('(%I)::text', tenant_column) END,
                  CASE WHEN NOT key_only THEN
                      format(', (%s)::text AS body, (%s)::text AS title, (%s)::jsonb AS metadata',
                             text_expr, coalesce(title_expr, 'NULL'), coalesce(metadata_expr, 'NULL'))
                  ELSE '' END,
                  (SELECT c.relname FROM pg_class c WHERE c.oid = source_table))
$$;

-- The trigger: SECURITY INVOKER (the writer's rights). Arguments: the
-- vectorizer's id, the statement over NEW, the statement over OLD.
CREATE OR REPLACE FUNCTION rag._vectorizer_trigger() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id int := TG_ARGV[0]::int;
    r record;
    v_old_key jsonb;
    v_old_tenant text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM rag._vectorizer_write(v_id, 'truncate', NULL, NULL, NULL, NULL, NULL);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE TG_ARGV[2] INTO v_old_key, v_old_tenant USING OLD;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM rag._vectorizer_write(v_id, 'delete', v_old_key, NULL, NULL, v_old_tenant, NULL);
        RETURN NULL;
    END IF;
    EXECUTE TG_ARGV[1] INTO r USING NEW;
    PERFORM rag._vectorizer_write(v_id, lower(TG_OP), r.key, r.body, r.title, r.tenant, r.metadata,
                                  v_old_key, v_old_tenant);
    RETURN NULL;
END;
$$;

-- One row's change, as the rag owner, for whoever may make it through the table.
CREATE OR REPLACE FUNCTION rag._vectorizer_write(vectorizer_id int, op text, key jsonb, body text, title text,
    tenant text, metadata jsonb, old_key jsonb DEFAULT NULL, old_tenant text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v rag.vectorizers;
    v_priv text := CASE op WHEN 'insert' THEN 'INSERT' WHEN 'update' THEN 'UPDATE' WHEN 'delete' THEN 'DELETE'
                           WHEN 'truncate' THEN 'TRUNCATE' END;
    v_prefix text := 'vectorizer:' || vectorizer_id || ':';
    v_source text := 'vectorizer:' || vectorizer_id || ':' || key::text;
    v_tenant text;
    v_meta jsonb := coalesce(metadata, '{}');
BEGIN
    SELECT * INTO v FROM rag.vectorizers x WHERE x.id = vectorizer_id;
    IF op = 'insert' AND EXISTS (SELECT 1 FROM rag.documents d WHERE d.source = v_source) THEN
        v_priv := 'UPDATE';  -- over a row's document: with INSERT alone, no replacing another row's text
    END IF;
    IF NOT FOUND OR v_priv IS NULL OR NOT coalesce(has_table_privilege(rag.caller(), v.source_table, v_priv), false) THEN
        RAISE EXCEPTION 'role % may not % rows of the table of vectorizer %', rag.caller(), coalesce(op, 'write'),
            vectorizer_id USING ERRCODE = '42501';
    END IF;
    IF op = 'truncate' THEN
        DELETE FROM rag.documents d WHERE d.source LIKE v_prefix || '%';
        RETURN;
    END IF;
    IF key IS NULL THEN
        RAISE EXCEPTION 'a vectorizer row needs its key' USING ERRCODE = '22004';
    END IF;
    IF op = 'delete' OR (op = 'update' AND (old_key IS DISTINCT FROM key OR old_tenant IS DISTINCT FROM tenant)) THEN
        -- A deleted row, or an update that changed the key or the tenant: the old source goes.
        PERFORM rag._delete_source(
            CASE WHEN v.tenant_column IS NULL THEN v.default_tenant
                 ELSE coalesce(nullif(btrim(CASE WHEN op = 'delete' THEN tenant ELSE old_tenant END), ''),
                               v.default_tenant) END,
            v_prefix || coalesce(CASE WHEN op = 'delete' THEN key ELSE old_key END, key)::text);
        IF op = 'delete' THEN
            RETURN;
        END IF;
    END IF;
    v_tenant := CASE WHEN v.tenant_column IS NULL THEN v.default_tenant
                     ELSE coalesce(nullif(btrim(tenant), ''), v.default_tenant) END;
    IF NOT rag.role_may_write_tenant(v.owner, v_tenant) THEN
        RAISE EXCEPTION 'the owner of vectorizer % (role %) may not write tenant %', vectorizer_id, v.owner, v_tenant
            USING ERRCODE = '42501', HINT = 'a DBA grants a tenant with rag.grant_tenant(role, tenant)';
    END IF;
    IF body IS NULL OR body !~ '[[:alnum:]]' THEN  -- nothing to search: no document
        PERFORM rag._delete_source(v_tenant, v_source);
        RETURN;
    END IF;
    IF jsonb_typeof(v_meta) <> 'object' THEN
        RAISE EXCEPTION 'the metadata of vectorizer % must be a JSON object, got a JSON %', vectorizer_id,
            jsonb_typeof(v_meta) USING ERRCODE = '22023';
    END IF;
    -- The hash covers the source and title: two rows with the same text are
    -- two documents, and a new title is a new version.
    PERFORM rag._store_document(body, title,
        v_meta || jsonb_build_object('vectorizer', (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                                                      JOIN pg_namespace n ON n.oid = c.relnamespace
                                                     WHERE c.oid = v.source_table), 'key', key),
        v_tenant, v_source, NULL, v.chunk_size, v.chunk_overlap,
        sha256(convert_to(v_source || E'\x1f' || coalesce(title, '') || E'\x1f' || body, 'UTF8')));
END;
$$;

-- The registry row, as the rag owner (the caller owns the table: checked
-- again here, this function being callable directly).
CREATE OR REPLACE FUNCTION rag._register_vectorizer(source_table regclass, key_columns name[], text_expr text,
    title_expr text, tenant_column name, default_tenant text, metadata_expr text, chunk_size int, chunk_overlap int)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id int;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = source_table AND pg_has_role(rag.caller(), c.relowner, 'USAGE')) THEN
        RAISE EXCEPTION 'role % does not own table %', rag.caller(), source_table USING ERRCODE = '42501';
    END IF;
    INSERT INTO rag.vectorizers (source_table, key_columns, text_expr, title_expr, tenant_column, default_tenant,
                                 metadata_expr, chunk_size, chunk_overlap, owner)
    VALUES (source_table, key_columns, text_expr, title_expr, tenant_column, default_tenant, metadata_expr,
            chunk_size, chunk_overlap, rag.caller())
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

-- Removes the registry row and (unless kept) the documents; returns how
-- many documents went. The table's owner, or for a table already dropped
-- the vectorizer's owner or a DBA.
CREATE OR REPLACE FUNCTION rag._unregister_vectorizer(source_table regclass, keep_documents boolean) RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v rag.vectorizers;
    v_n int := 0;
BEGIN
    SELECT * INTO v FROM rag.vectorizers x WHERE x.source_table = _unregister_vectorizer.source_table;
    IF NOT FOUND OR NOT (
        EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = v.source_table AND pg_has_role(rag.caller(), c.relowner, 'USAGE'))
        OR (NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = v.source_table)
            AND (v.owner = rag.caller() OR rag.caller_is_dba()))) THEN
        RAISE EXCEPTION 'table % has no vectorizer you own', source_table USING ERRCODE = '42704';
    END IF;
    IF NOT keep_documents THEN
        DELETE FROM rag.documents d WHERE d.source LIKE 'vectorizer:' || v.id || ':%';
        GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    DELETE FROM rag.vectorizers x WHERE x.id = v.id;
    RETURN v_n;
END;
$$;

-- Keeps `source_table` searchable; returns the vectorizer's id. text, title
-- and metadata are SQL expressions over the table's columns (metadata gives
-- a jsonb object); tenant names a column (NULL: every row in
-- default_tenant). The caller must own the table; its primary key is the
-- key. Existing rows are loaded at once (their embedding is queued).
-- SECURITY INVOKER: the expressions are checked and the rows read with the
-- caller's rights.
CREATE OR REPLACE FUNCTION rag.create_vectorizer(source_table regclass, text text, tenant name DEFAULT NULL,
    metadata text DEFAULT NULL, title text DEFAULT NULL, default_tenant text DEFAULT 'default',
    chunk_size int DEFAULT 1000, chunk_overlap int DEFAULT 200)
RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel record;
    v_keys name[];
    v_new text;
    v_old text;
    v_id int;
    r record;
    x record;
    v_type text;
BEGIN
    SELECT c.oid, c.relkind, c.relowner, format('%I.%I', n.nspname, c.relname) AS name INTO v_rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source_table;
    IF NOT FOUND OR v_rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', source_table USING ERRCODE = '42809';
    END IF;
    IF NOT pg_has_role(current_user, v_rel.relowner, 'USAGE') THEN
        RAISE EXCEPTION 'role % does not own table %', current_user, v_rel.name USING ERRCODE = '42501',
            HINT = 'the table''s owner creates its vectorizer';
    END IF;
    IF create_vectorizer.text IS NULL OR btrim(create_vectorizer.text) = '' THEN
        RAISE EXCEPTION 'text must be an SQL expression over the table''s columns' USING ERRCODE = '22023',
            HINT = 'e.g. text => ''name || '''' '''' || description''';
    END IF;
    IF default_tenant IS NULL OR btrim(default_tenant) = '' OR chunk_size IS NULL OR chunk_overlap IS NULL THEN
        RAISE EXCEPTION 'default_tenant, chunk_size and chunk_overlap must not be empty' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM rag._vectorizer_of(source_table)) THEN
        RAISE EXCEPTION 'table % already has a vectorizer', v_rel.name USING ERRCODE = '42710',
            HINT = 'drop it first with rag.drop_vectorizer';
    END IF;
    SELECT array_agg(a.attname ORDER BY k.o) INTO v_keys
      FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, o)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = source_table AND i.indisprimary;
    IF v_keys IS NULL THEN
        RAISE EXCEPTION 'table % has no primary key', v_rel.name USING ERRCODE = '22023',
            HINT = 'a vectorizer finds a row''s document by the row''s primary key: add one';
    END IF;
    IF tenant IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = source_table
                                             AND a.attname = tenant AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'table % has no column %', v_rel.name, tenant USING ERRCODE = '42703';
    END IF;
    v_new := rag._vectorizer_query(source_table, v_keys, create_vectorizer.text, title, tenant, metadata, false);
    v_old := rag._vectorizer_query(source_table, v_keys, NULL, NULL, tenant, NULL, true);
    BEGIN  -- the expressions, planned over a NULL row (USING: one statement only)
        EXECUTE format('%s LIMIT 0', replace(v_new, '($1).*', format('($1::%s).*', v_rel.name))) USING NULL::text;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'the vectorizer''s expressions do not work on %: %', v_rel.name, SQLERRM
            USING ERRCODE = '22023', HINT = 'text and title are SQL expressions over the table''s columns, metadata'
            ' one giving a jsonb object; names resolve with search_path = pg_catalog: qualify your functions';
    END;
    IF metadata IS NOT NULL THEN
        EXECUTE format('SELECT pg_typeof((%s))::text FROM (SELECT ($1::%s).*) AS %I', metadata, v_rel.name,
                       (SELECT c.relname FROM pg_class c WHERE c.oid = source_table)) INTO v_type USING NULL::text;
        IF v_type NOT IN ('jsonb', 'json') THEN
            RAISE EXCEPTION 'metadata must be an expression giving a jsonb object, not a %', v_type
                USING ERRCODE = '22023', HINT = 'e.g. metadata => ''jsonb_build_object(''''price'''', price)''';
        END IF;
    END IF;
    v_id := rag._register_vectorizer(source_table, v_keys, create_vectorizer.text, title, tenant, default_tenant,
                                     metadata, chunk_size, chunk_overlap);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW'
                   ' EXECUTE FUNCTION rag._vectorizer_trigger(%L, %L, %L)',
                   'rag_vectorizer_' || v_id, v_rel.name, v_id, v_new, v_old);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION rag._vectorizer_trigger(%L)',
                   'rag_vectorizer_' || v_id || '_truncate', v_rel.name, v_id);
    BEGIN  -- the existing rows; one bad row undoes the whole vectorizer
        FOR x IN EXECUTE format('SELECT t AS row FROM %s t', v_rel.name) LOOP
            EXECUTE v_new INTO r USING x.row;
            PERFORM rag._vectorizer_write(v_id, 'insert', r.key, r.body, r.title, r.tenant, r.metadata);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'loading the rows of % failed: %', v_rel.name, SQLERRM USING ERRCODE = SQLSTATE,
            HINT = 'nothing was created; fix the row or the expressions and call rag.create_vectorizer again';
    END;
    RETURN v_id;
END;
$$;

-- Whether a table has a vectorizer (the registry is the rag owner's).
CREATE OR REPLACE FUNCTION rag._vectorizer_of(source_table regclass) RETURNS SETOF int
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT x.id FROM rag.vectorizers x WHERE x.source_table = _vectorizer_of.source_table $$;

-- Stops keeping the table searchable: its triggers and registry row go, and
-- its documents unless keep_documents. The table's rows are not touched.
-- Returns how many documents were removed.
CREATE OR REPLACE FUNCTION rag.drop_vectorizer(source_table regclass, keep_documents boolean DEFAULT false)
RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n int;
    t record;
BEGIN
    v_n := rag._unregister_vectorizer(source_table, coalesce(keep_documents, false));
    -- a dropped table took its triggers with it
    FOR t IN SELECT tr.tgname, format('%I.%I', n.nspname, c.relname) AS rel
               FROM pg_trigger tr JOIN pg_class c ON c.oid = tr.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE tr.tgrelid = source_table AND tr.tgname ~ '^rag_vectorizer_[0-9]+(_truncate)?$' LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', t.tgname, t.rel);
    END LOOP;
    RETURN v_n;
END;
$$;
