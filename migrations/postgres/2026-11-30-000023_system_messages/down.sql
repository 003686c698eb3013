DROP TABLE system_message_updates;
DROP TABLE system_messages;
