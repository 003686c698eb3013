-- Approve/Reject links in emails: only the SHA-256 of each token is stored, bound to one
-- voter, one change, one decision round and one decision, with an expiry.
CREATE TABLE vote_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    change_id INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    voter_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX vote_tokens_voter ON vote_tokens (change_id, voter_id, round);
