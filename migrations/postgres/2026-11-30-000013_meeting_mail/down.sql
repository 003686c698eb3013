DROP INDEX cab_meetings_agenda_due;
ALTER TABLE cab_meetings DROP COLUMN agenda_sent_at;
