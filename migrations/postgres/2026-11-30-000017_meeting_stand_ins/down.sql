DROP TABLE meeting_stand_ins;
