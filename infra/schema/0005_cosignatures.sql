-- Witnesses' co-signatures of checkpoints (issue 16 item 2): a witness — a process of its own,
-- run by another party with only HTTP access (`supervision witness run`) — checks that the
-- log grew consistently from what it saw before and signs the new checkpoint's digest with
-- its own key. Verifiers can then demand M of N named witnesses. Append-only, like the log.

CREATE TABLE IF NOT EXISTS supervision_cosignatures (
    id bigserial PRIMARY KEY,
    seq bigint NOT NULL,             -- the checkpoint's number (supervision_checkpoints.seq)
    key_id text NOT NULL,
    public_key bytea NOT NULL,
    signature bytea NOT NULL,
    signed_at timestamptz NOT NULL,
    UNIQUE (seq, key_id)
);

DROP TRIGGER IF EXISTS supervision_cosignatures_append_only ON supervision_cosignatures;
CREATE TRIGGER supervision_cosignatures_append_only BEFORE UPDATE OR DELETE ON supervision_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();
DROP TRIGGER IF EXISTS supervision_cosignatures_no_truncate ON supervision_cosignatures;
CREATE TRIGGER supervision_cosignatures_no_truncate BEFORE TRUNCATE ON supervision_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION supervision_append_only();
