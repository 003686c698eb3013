DROP TABLE change_incidents;
