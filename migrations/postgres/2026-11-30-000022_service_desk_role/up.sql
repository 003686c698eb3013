-- The service desk's role.
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('requester', 'implementer', 'cab_member', 'change_manager', 'manager', 'admin', 'service_desk'));
