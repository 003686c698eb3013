ALTER TABLE blackouts DROP COLUMN retired_at;
ALTER TABLE templates DROP COLUMN retired_at;
ALTER TABLE cis DROP COLUMN retired_at;
