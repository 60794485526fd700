-- The baseline: the event log's own tables, exactly as `supervision migrate` made them before
-- versioned migrations (ADR 023). The event log and its hash chain, the log's metadata, the
-- idempotency records, the signed checkpoints, the SQL functions that append and chain events,
-- the triggers that notify changes of accounts and units, the read-access log, the console's
-- sessions, the data subjects' keys and the Merkle store: none of these can be rebuilt.
--
-- Every statement may run again on a database that already has these objects (a database
-- made by the previous version is adopted by running this migration over it): tables and
-- indexes IF NOT EXISTS, functions OR REPLACE, triggers dropped and made again, and the
-- composite type skipped when it exists. The two DROP FUNCTIONs remove what still older
-- versions left (a chain function without arguments, a trigger function of accounts only).
--
-- Applied migrations are never edited: a change is a new file, 0002_… and on.

DO $$ BEGIN
    CREATE TYPE "public"."stored_event_uuid" AS (originator_id "uuid", originator_version bigint, topic text, state bytea);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS "public"."supervision_events" (
    originator_id "uuid" NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

CREATE UNIQUE INDEX IF NOT EXISTS "supervision_events_notification_id_idx" ON "public"."supervision_events" (notification_id ASC);

CREATE OR REPLACE FUNCTION "public"."es_insert_events_uuid"(events "public"."stored_event_uuid"[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$BEGIN    SET LOCAL lock_timeout = '0s';    NOTIFY "supervision_events";    RETURN QUERY    INSERT INTO "public"."supervision_events" AS t (    originator_id, originator_version, topic, state)    SELECT originator_id, originator_version, topic, state    FROM unnest(events)    RETURNING notification_id;END;$BODY$;

CREATE TABLE IF NOT EXISTS "public"."supervision_chain" (
    ledger_index bigint PRIMARY KEY,
    position bigint NOT NULL UNIQUE,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL
);

CREATE TABLE IF NOT EXISTS "public"."supervision_log_meta" (
    key text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE IF NOT EXISTS "public"."supervision_idempotency" (
    principal text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    status_code int NOT NULL,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

CREATE TABLE IF NOT EXISTS "public"."supervision_checkpoints" (
    id bigserial PRIMARY KEY,
    ledger_index bigint NOT NULL,
    hash bytea NOT NULL,
    created_at timestamptz NOT NULL,
    algorithm text NOT NULL,
    key_id text NOT NULL,
    signature bytea NOT NULL,
    public_key bytea NOT NULL
);

DROP FUNCTION IF EXISTS "public"."supervision_chain_extend"();

-- Appends the chain rows of the events at `new_positions`: the ones the calling transaction
-- inserted, and no others. Called under the events table's EXCLUSIVE lock, right after the
-- insert; an event put in the table by hand is never chained by the next command (it stays
-- without a chain row, and verification names it). It hashes what infra/chain.py hashes,
-- byte for byte (int8send/int4send are big-endian; uuid::text is the canonical lowercase
-- form), and the tests check both against each other.
CREATE OR REPLACE FUNCTION "public"."supervision_chain_extend"(new_positions bigint[]) RETURNS bigint
LANGUAGE plpgsql AS $body$
DECLARE
    head_index bigint;
    head_hash bytea;
    head_position bigint;
    previous bytea;
    e record;
    indexes bigint[] := '{}';
    positions bigint[] := '{}';
    prevs bytea[] := '{}';
    hashes bytea[] := '{}';
BEGIN
    SELECT c.ledger_index, c.hash, c.position INTO head_index, head_hash, head_position
      FROM "public"."supervision_chain" c ORDER BY c.ledger_index DESC LIMIT 1;
    IF NOT FOUND THEN
        head_index := 0;
        head_hash := decode(repeat('00', 32), 'hex');
        head_position := 0;
    END IF;
    FOR e IN SELECT notification_id, originator_id, originator_version, topic, state
               FROM "public"."supervision_events"
              WHERE notification_id = ANY(new_positions) AND notification_id > head_position
              ORDER BY notification_id LOOP
        head_index := head_index + 1;
        previous := head_hash;
        head_hash := sha256(previous
            || int4send(8) || int8send(head_index)
            || int4send(8) || int8send(e.notification_id)
            || int4send(octet_length(convert_to(e.originator_id::text, 'UTF8')))
            || convert_to(e.originator_id::text, 'UTF8')
            || int4send(8) || int8send(e.originator_version::bigint)
            || int4send(octet_length(convert_to(e.topic, 'UTF8'))) || convert_to(e.topic, 'UTF8')
            || int4send(32) || sha256(e.state));
        indexes := indexes || head_index;
        positions := positions || e.notification_id;
        prevs := prevs || previous;
        hashes := hashes || head_hash;
    END LOOP;
    INSERT INTO "public"."supervision_chain" (ledger_index, position, prev_hash, hash)
         SELECT * FROM unnest(indexes, positions, prevs, hashes);
    RETURN head_index;
END
$body$;

-- One command's whole write: lock (so insert order is commit order, as in the library's
-- recorder), notify the projection runners, insert, chain, keep the idempotency record.
CREATE OR REPLACE FUNCTION "public"."supervision_events_append"(
    new_events "public"."stored_event_uuid"[], idem_principal text, idem_key text,
    idem_fingerprint text, idem_status int, idem_body jsonb) RETURNS SETOF bigint
LANGUAGE plpgsql AS $body$
DECLARE
    positions bigint[];
BEGIN
    LOCK TABLE "public"."supervision_events" IN EXCLUSIVE MODE;
    NOTIFY "supervision_events";
    WITH inserted AS (
        INSERT INTO "public"."supervision_events" (originator_id, originator_version, topic, state)
        SELECT originator_id, originator_version, topic, state FROM unnest(new_events)
        RETURNING notification_id)
    SELECT array_agg(notification_id ORDER BY notification_id) INTO positions FROM inserted;
    PERFORM "public"."supervision_chain_extend"(positions);
    IF idem_key IS NOT NULL THEN
        INSERT INTO "public"."supervision_idempotency" (principal, key, fingerprint, status_code, body)
        VALUES (idem_principal, idem_key, idem_fingerprint, idem_status,
                idem_body || jsonb_build_object('position', positions[array_length(positions, 1)]));
    END IF;
    RETURN QUERY SELECT unnest(positions);
END
$body$;

-- A batch of commands' writes in one transaction (infra/group_commit.py): one lock, one
-- NOTIFY and one chain extension; each command's events and idempotency record in its own
-- exception block, so a command that conflicts fails alone.
CREATE OR REPLACE FUNCTION "public"."supervision_events_append_batch"(
    new_events "public"."stored_event_uuid"[], first_event int[], last_event int[],
    idem_principal text[], idem_key text[], idem_fingerprint text[], idem_status int[],
    idem_body jsonb[]) RETURNS TABLE (out_command int, out_positions bigint[], out_failure text)
LANGUAGE plpgsql AS $body$
DECLARE
    i int;
    positions bigint[];
    chained bigint[] := '{}';
    failed_table text;
BEGIN
    LOCK TABLE "public"."supervision_events" IN EXCLUSIVE MODE;
    NOTIFY "supervision_events";
    FOR i IN 1 .. coalesce(array_length(first_event, 1), 0) LOOP
        BEGIN
            WITH inserted AS (
                INSERT INTO "public"."supervision_events" (originator_id, originator_version, topic, state)
                SELECT originator_id, originator_version, topic, state
                  FROM unnest(new_events[first_event[i]:last_event[i]])
                RETURNING notification_id)
            SELECT array_agg(notification_id ORDER BY notification_id) INTO positions
              FROM inserted;
            IF idem_key[i] IS NOT NULL THEN
                INSERT INTO "public"."supervision_idempotency"
                       (principal, key, fingerprint, status_code, body)
                VALUES (idem_principal[i], idem_key[i], idem_fingerprint[i], idem_status[i],
                        idem_body[i] || jsonb_build_object(
                            'position', positions[array_length(positions, 1)]));
            END IF;
            out_command := i; out_positions := positions; out_failure := NULL;
            chained := chained || positions;
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS failed_table = TABLE_NAME;
            out_command := i; out_positions := NULL;
            out_failure := CASE WHEN failed_table = 'supervision_idempotency' THEN 'idempotency'
                                ELSE 'events' END;
        END;
        RETURN NEXT;
    END LOOP;
    PERFORM "public"."supervision_chain_extend"(chained);
END
$body$;

-- Processes that keep accounts or units in memory forget them when one changes
-- (api/runtime/kept.py): each kind's trigger notifies its channel in the transaction of the
-- event, delivered at commit. Other events pass the triggers' WHEN tests and nothing else.
CREATE OR REPLACE FUNCTION supervision_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify(TG_ARGV[0], NEW.originator_id::text); RETURN NULL; END $$;

DROP FUNCTION IF EXISTS supervision_accounts_notify() CASCADE;

DROP TRIGGER IF EXISTS "supervision_accounts_changed" ON "supervision_events";

CREATE TRIGGER "supervision_accounts_changed" AFTER INSERT ON "supervision_events" FOR EACH ROW WHEN (NEW.topic LIKE 'domain.accounts:%') EXECUTE FUNCTION supervision_notify_change('supervision_accounts');

DROP TRIGGER IF EXISTS "supervision_units_changed" ON "supervision_events";

CREATE TRIGGER "supervision_units_changed" AFTER INSERT ON "supervision_events" FOR EACH ROW WHEN (NEW.topic LIKE 'domain.units:%') EXECUTE FUNCTION supervision_notify_change('supervision_units');

CREATE TABLE IF NOT EXISTS "supervision_read_access" (
    id bigserial PRIMARY KEY,
    accessed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id text NOT NULL,
    actor_name text NOT NULL,
    actor_role text NOT NULL,
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    path text NOT NULL
);

CREATE INDEX IF NOT EXISTS "supervision_read_access_subject" ON "supervision_read_access" (subject_id, id);

CREATE INDEX IF NOT EXISTS "supervision_read_access_actor" ON "supervision_read_access" (actor_id, id);

CREATE TABLE IF NOT EXISTS "supervision_console_sessions" (
    id text PRIMARY KEY,
    token_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz
);

CREATE INDEX IF NOT EXISTS "supervision_console_sessions_open" ON "supervision_console_sessions" (token_hash) WHERE ended_at IS NULL;

CREATE TABLE IF NOT EXISTS "supervision_subject_keys" (
    subject_id uuid PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    unit_code text NOT NULL,
    algorithm text NOT NULL,
    key bytea,
    lookup bytea UNIQUE,
    label bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    shredded_at timestamptz
);

CREATE TABLE IF NOT EXISTS "supervision_merkle" (
    level smallint NOT NULL,
    index bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (level, index)
);
