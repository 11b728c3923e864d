DROP TABLE IF EXISTS event_commands;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS event_store_meta;
