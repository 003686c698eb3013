-- Outbound webhooks: subscriptions (an address, a secret to sign with, the event types it
-- hears, active or paused) and their deliveries, queued in the same transaction as the
-- audit event they announce and sent by the webhook worker with retries. A delivery row
-- is also the subscription's log (status, response code, times).
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    event_types TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    event_type TEXT NOT NULL,
    event_seq BIGINT,
    change_id INTEGER,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    response_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
-- Each receiver's oldest delivery still to make (its events go in order).
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, status, id);
