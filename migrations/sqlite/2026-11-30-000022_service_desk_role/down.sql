CREATE TABLE user_roles_old (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('requester', 'implementer', 'cab_member', 'change_manager', 'manager', 'admin')),
    PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles_old (user_id, role) SELECT user_id, role FROM user_roles WHERE role <> 'service_desk';
DROP TABLE user_roles;
ALTER TABLE user_roles_old RENAME TO user_roles;
CREATE INDEX user_roles_role ON user_roles (role, user_id);
