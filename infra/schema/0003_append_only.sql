-- The log is append-only in the database itself (issue 16 item 5): no statement may UPDATE,
-- DELETE or TRUNCATE the events, their chain or the signed checkpoints, whoever sends it
-- through the service. Only someone who may change the tables' triggers (their owner, a
-- superuser, or a session in replication mode) can, and what they change is what the
-- verifiers (`supervision audit verify`, tools/verify_bundle.py, the signer) detect.

CREATE OR REPLACE FUNCTION supervision_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS supervision_events_append_only ON supervision_events;
CREATE TRIGGER supervision_events_append_only BEFORE UPDATE OR DELETE ON supervision_events
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();
DROP TRIGGER IF EXISTS supervision_events_no_truncate ON supervision_events;
CREATE TRIGGER supervision_events_no_truncate BEFORE TRUNCATE ON supervision_events
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();

DROP TRIGGER IF EXISTS supervision_chain_append_only ON supervision_chain;
CREATE TRIGGER supervision_chain_append_only BEFORE UPDATE OR DELETE ON supervision_chain
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();
DROP TRIGGER IF EXISTS supervision_chain_no_truncate ON supervision_chain;
CREATE TRIGGER supervision_chain_no_truncate BEFORE TRUNCATE ON supervision_chain
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();

DROP TRIGGER IF EXISTS supervision_checkpoints_append_only ON supervision_checkpoints;
CREATE TRIGGER supervision_checkpoints_append_only BEFORE UPDATE OR DELETE ON supervision_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();
DROP TRIGGER IF EXISTS supervision_checkpoints_no_truncate ON supervision_checkpoints;
CREATE TRIGGER supervision_checkpoints_no_truncate BEFORE TRUNCATE ON supervision_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();
