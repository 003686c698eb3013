DROP TABLE cab_settings;
