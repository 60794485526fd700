-- Notifications (issue 15 item 7, ADR 026): what changes after a notification is made. The
-- notifications themselves are a read model (projections/notifications.py), made from the log
-- and rebuilt with the same ids; these tables are not, so a rebuild never forgets that a
-- notification was read or delivered, and never sends one again.

-- Each account's channels: an e-mail address and a webhook (a DingTalk-style group robot's
-- URL); NULL for a channel the account does not use. The console's inbox needs no setting.
CREATE TABLE IF NOT EXISTS supervision_notification_settings (
    account_id uuid PRIMARY KEY,
    email text,
    webhook_url text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- When the reader marked a notification read (消息中心).
CREATE TABLE IF NOT EXISTS supervision_notification_reads (
    notification_id text PRIMARY KEY,
    account_id uuid NOT NULL,
    read_at timestamptz NOT NULL
);

-- One delivery of a notification on a channel, to the address the account had when the
-- dispatcher took the notification up: tried until delivered (at least once), with back-off.
CREATE TABLE IF NOT EXISTS supervision_deliveries (
    notification_id text NOT NULL,
    channel text NOT NULL,
    address text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    attempts int NOT NULL DEFAULT 0,
    next_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX IF NOT EXISTS supervision_deliveries_due_idx
    ON supervision_deliveries (next_at) WHERE status IN ('pending', 'retrying');

-- How far the dispatcher has taken notifications up into deliveries (one row).
CREATE TABLE IF NOT EXISTS supervision_dispatch_cursor (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position bigint NOT NULL
);
INSERT INTO supervision_dispatch_cursor (position) VALUES (0) ON CONFLICT DO NOTHING;
