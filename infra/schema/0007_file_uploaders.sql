-- Uploads (issue 17, ADR 033): one row per file and uploader, so that a second uploader of the
-- same bytes reads its own upload and renews its grace period; and a file once found cited
-- by an event is marked so (an event is never undone), so the collector passes it by.
ALTER TABLE supervision_files DROP CONSTRAINT IF EXISTS supervision_files_pkey;
ALTER TABLE supervision_files ADD PRIMARY KEY (key, uploaded_by);
ALTER TABLE supervision_files ADD COLUMN IF NOT EXISTS cited boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS supervision_files_uncited ON supervision_files (uploaded_at, key)
    WHERE NOT cited AND subject_id IS NULL;
