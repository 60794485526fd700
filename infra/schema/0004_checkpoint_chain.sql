-- Checkpoints form their own chain (issue 16 item 1): a version-2 checkpoint signs the log's
-- id (its first chain hash), its sequence number among the log's checkpoints, the Merkle root
-- (RFC 9162) of the chain up to its index and the hash of the previous checkpoint's signed
-- message, beside what version 1 signed. Version-1 rows keep NULL there and verify as signed.

ALTER TABLE supervision_checkpoints
    ADD COLUMN IF NOT EXISTS version smallint NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS log_id bytea,
    ADD COLUMN IF NOT EXISTS seq bigint,
    ADD COLUMN IF NOT EXISTS root bytea,
    ADD COLUMN IF NOT EXISTS prev bytea;

-- One checkpoint a place in the checkpoints' chain: two signers racing cannot both add one.
CREATE UNIQUE INDEX IF NOT EXISTS supervision_checkpoints_seq ON supervision_checkpoints (seq);
