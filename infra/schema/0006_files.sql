-- Evidence files and issued documents (issue 17 item 1, ADR 033): the bytes live in the file
-- store (a directory or an S3 bucket) under their SHA-256; this table says who uploaded each,
-- when, and what its bytes were sniffed to be. It cannot be rebuilt from the log (an upload
-- is not an event until a command cites it), so it is migrated here. A file no event cites
-- is collected after a grace period (`supervision files collect`), its row with it.
CREATE TABLE IF NOT EXISTS supervision_files (
    key text PRIMARY KEY,            -- the store's key: sha256/ab/<hash> or sealed/<subject>/<hash>
    sha256 text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,
    name text NOT NULL,
    uploaded_by text NOT NULL,       -- the account's id
    unit_code text,                  -- a unit liaison's unit
    subject_id uuid,                 -- sealed for this data subject
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS supervision_files_sha256 ON supervision_files (sha256);
CREATE INDEX IF NOT EXISTS supervision_files_uploaded_at ON supervision_files (uploaded_at);
