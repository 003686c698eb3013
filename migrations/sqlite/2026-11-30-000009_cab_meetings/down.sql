DROP TABLE cab_meetings;
