-- The service desk's role. SQLite cannot change a CHECK constraint: the table is made
-- again with the new list of roles and its rows copied (nothing refers to it).
CREATE TABLE user_roles_new (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('requester', 'implementer', 'cab_member', 'change_manager', 'manager', 'admin', 'service_desk')),
    PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles_new (user_id, role) SELECT user_id, role FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_new RENAME TO user_roles;
CREATE INDEX user_roles_role ON user_roles (role, user_id);
