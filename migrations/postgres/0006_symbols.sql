-- PostgreSQL dialect of ../0006_symbols.sql: BIGINT for SQLite's INTEGER, BYTEA for BLOB, identity ids (see 0001).
-- The PDBs of each version's symbol package (.snupkg): the symbol server's index (read into
-- memory at start, so a lookup runs no SQL) and what a re-upload or a hard delete replaces.
CREATE TABLE symbol_files (
    version_key  BIGINT NOT NULL REFERENCES package_versions(id) ON DELETE CASCADE,
    file_lower   TEXT NOT NULL,   -- the PDB's file name, SSQP's {file}
    key_lower    TEXT NOT NULL,   -- SSQP key: PDB id GUID (simple form) + FFFFFFFF
    checksum     TEXT NOT NULL,   -- SHA256:<hex> of the PDB with its id zeroed (SymbolChecksum)
    stored_name  TEXT NOT NULL,   -- file beside the package in the store
    PRIMARY KEY (version_key, file_lower, key_lower)
);
