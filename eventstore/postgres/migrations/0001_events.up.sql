-- Event store schema. See the package documentation of eventstore/postgres
-- for why rows carry the writing transaction's id (xid) and how readers use it.

CREATE TABLE event_store_meta (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- xid_offset is added to pg_current_xact_id() and to the snapshot xmin.
    -- It is 0 until a dump/restore makes transaction ids go backwards;
    -- Migrate then raises it so that positions keep increasing.
    xid_offset bigint NOT NULL DEFAULT 0
);
INSERT INTO event_store_meta DEFAULT VALUES;
-- One row: tell the planner (appends read it in every statement).
ANALYZE event_store_meta;

CREATE TABLE events (
    xid            bigint      NOT NULL,
    seq            bigint      GENERATED ALWAYS AS IDENTITY,
    id             uuid        NOT NULL,
    stream_id      text        NOT NULL,
    version        bigint      NOT NULL CHECK (version > 0),
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    -- json, not jsonb: json keeps the exact bytes the hash was computed over.
    data           json        NOT NULL,
    actor_id       text        NOT NULL DEFAULT '',
    actor_unit     text        NOT NULL DEFAULT '',
    command_id     text        NOT NULL DEFAULT '',
    correlation_id text        NOT NULL DEFAULT '',
    causation_id   text        NOT NULL DEFAULT '',
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL,
    prev_hash      bytea       NOT NULL,
    hash           bytea       NOT NULL,
    -- The global order: (transaction id, sequence). Readers page by it.
    CONSTRAINT events_pkey PRIMARY KEY (xid, seq),
    -- Optimistic concurrency: two appends at the same version cannot both commit.
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);

-- Idempotency: one row per (stream, command id), written in the append's transaction.
CREATE TABLE event_commands (
    stream_id     text   NOT NULL,
    command_id    text   NOT NULL,
    first_version bigint NOT NULL,
    last_version  bigint NOT NULL,
    xid           bigint NOT NULL,
    seq           bigint NOT NULL,
    CONSTRAINT event_commands_pkey PRIMARY KEY (stream_id, command_id)
);
