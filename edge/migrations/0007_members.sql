-- Dashboard members and their sessions. Passwords are PBKDF2-SHA256 hashes (core::signin);
-- session and invitation tokens are stored only as their SHA-256, like owner keys.
CREATE TABLE members (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,                 -- trimmed, lower-case
  role TEXT NOT NULL CHECK (role IN ('admin', 'sales', 'viewer')),
  password_hash TEXT,                  -- NULL until the invitation is accepted
  invite_hash TEXT,                    -- NULL once accepted
  invite_expires_at INTEGER,
  invited_by TEXT,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX members_email ON members (email);
CREATE UNIQUE INDEX members_invite ON members (invite_hash) WHERE invite_hash IS NOT NULL;

-- Failed sign-ins per email (as its SHA-256) and client address: five in a row lock that
-- pair, so a stranger can lock out only their own address, and an unknown email behaves
-- exactly like a known one (core::signin::lock_for_ms).
CREATE TABLE signin_failures (
  email_hash TEXT NOT NULL,
  client TEXT NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (email_hash, client)
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,                  -- the token every write must carry
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_member ON sessions (member_id);
