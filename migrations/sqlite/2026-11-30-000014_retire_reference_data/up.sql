-- Reference data is retired, never deleted while referenced: a retired CI or template is
-- no longer offered or accepted for new work, a retired blackout no longer freezes
-- anything; changes, templates and the audit trail keep what they named.
ALTER TABLE cis ADD COLUMN retired_at TIMESTAMP;
ALTER TABLE templates ADD COLUMN retired_at TIMESTAMP;
ALTER TABLE blackouts ADD COLUMN retired_at TIMESTAMP;
