-- Changes brought in from another tool's CSV export (`endring import changes`): where each
-- came from, its id and state there, its original dates and people as the file named
-- them, and the import that brought it. (source, original_id) is unique, so running an
-- import again skips what it already brought in.
CREATE TABLE change_imports (
    change_id INTEGER PRIMARY KEY REFERENCES changes (id),
    import_id TEXT NOT NULL,
    source TEXT NOT NULL,
    original_id TEXT NOT NULL,
    original_state TEXT NOT NULL,
    original_requester TEXT NOT NULL,
    original_implementer TEXT NOT NULL,
    original_created_at TIMESTAMP,
    original_closed_at TIMESTAMP,
    line INTEGER NOT NULL,
    UNIQUE (source, original_id)
);
