-- Endring initial schema (SQLite). Keep in step with ../../postgres/ of the same name.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- NULL: follow the browser (Accept-Language) and the service's time zone.
    language TEXT CHECK (language IN ('nb', 'en')),
    timezone TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('requester', 'implementer', 'cab_member', 'change_manager', 'manager', 'admin')),
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role, user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE cis (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    criticality INTEGER NOT NULL CHECK (criticality BETWEEN 1 AND 4),
    owner_email TEXT NOT NULL
);

CREATE TABLE templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    implementation_plan TEXT NOT NULL,
    backout_plan TEXT NOT NULL,
    test_plan TEXT NOT NULL,
    max_duration_minutes INTEGER NOT NULL CHECK (max_duration_minutes > 0),
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE template_cis (
    template_id INTEGER NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    ci_id INTEGER NOT NULL REFERENCES cis (id),
    PRIMARY KEY (template_id, ci_id)
);

CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    title_search TEXT NOT NULL,
    description TEXT NOT NULL,
    justification TEXT NOT NULL,
    change_type TEXT NOT NULL CHECK (change_type IN ('standard', 'normal', 'emergency')),
    state TEXT NOT NULL CHECK (state IN ('draft', 'assess', 'authorize', 'scheduled', 'implement', 'review', 'closed', 'rejected', 'cancelled')),
    requester_id INTEGER NOT NULL REFERENCES users (id),
    implementer_id INTEGER REFERENCES users (id),
    template_id INTEGER REFERENCES templates (id),
    planned_start TIMESTAMP,
    planned_end TIMESTAMP,
    actual_start TIMESTAMP,
    actual_end TIMESTAMP,
    implementation_plan TEXT NOT NULL,
    backout_plan TEXT NOT NULL,
    test_plan TEXT NOT NULL,
    risk_score INTEGER NOT NULL DEFAULT 0,
    risk_level TEXT NOT NULL DEFAULT 'low' CHECK (risk_level IN ('low', 'medium', 'high', 'very_high')),
    risk_factors TEXT NOT NULL DEFAULT '[]',
    risk_override_reason TEXT,
    closure_code TEXT CHECK (closure_code IN ('successful', 'successful_with_issues', 'failed', 'backed_out')),
    closure_notes TEXT,
    review TEXT,
    decision_round INTEGER NOT NULL DEFAULT 1,
    submitted_at TIMESTAMP,
    decided_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (planned_end IS NULL OR planned_start IS NULL OR planned_end > planned_start)
);
CREATE INDEX changes_state_start ON changes (state, planned_start);
CREATE INDEX changes_type_id ON changes (change_type, id);
CREATE INDEX changes_requester ON changes (requester_id, id);
CREATE INDEX changes_implementer ON changes (implementer_id, planned_start);
CREATE INDEX changes_planned_start ON changes (planned_start);

CREATE TABLE change_cis (
    change_id INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    ci_id INTEGER NOT NULL REFERENCES cis (id),
    PRIMARY KEY (change_id, ci_id)
);
CREATE INDEX change_cis_ci ON change_cis (ci_id, change_id);

CREATE TABLE risk_answers (
    change_id INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (change_id, question)
);

CREATE TABLE votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    voter_id INTEGER NOT NULL REFERENCES users (id),
    as_manager BOOLEAN NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX votes_change_round ON votes (change_id, round, id);

CREATE TABLE blackouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX blackouts_starts ON blackouts (starts_at);

CREATE TABLE blackout_cis (
    blackout_id INTEGER NOT NULL REFERENCES blackouts (id) ON DELETE CASCADE,
    ci_id INTEGER NOT NULL REFERENCES cis (id),
    PRIMARY KEY (blackout_id, ci_id)
);

-- One row: the head of the audit hash chain. Every write transaction updates it first,
-- which serialises writers on both backends and hands out gap-free sequence numbers.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    touched_at TIMESTAMP NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash, touched_at)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '1970-01-01 00:00:00');

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    change_id INTEGER REFERENCES changes (id),
    actor_id INTEGER REFERENCES users (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_change ON audit_events (change_id, seq);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    change_id INTEGER REFERENCES changes (id),
    recipient_id INTEGER REFERENCES users (id),
    recipient_email TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_change ON outbox (change_id);
