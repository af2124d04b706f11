//! Dashboard members and their sessions. Tokens (session, invitation) are stored as their
//! SHA-256 only: a copy of the database signs nobody in.

use super::{int, opt_int, opt_text, text};
use leadform_core::access::Role;
use serde::{Deserialize, Serialize};
use worker::{D1Database, Result};

/// A member as the dashboard lists them: never a hash.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// False until the invitation is accepted.
    pub active: bool,
    pub created_at: i64,
}

/// What signing in needs of a member.
pub struct Credentials {
    pub member: Member,
    pub password_hash: Option<String>,
}

#[derive(Deserialize)]
struct MemberRow {
    id: String,
    email: String,
    role: String,
    password_hash: Option<String>,
    created_at: i64,
}

impl From<MemberRow> for Credentials {
    fn from(row: MemberRow) -> Self {
        Credentials {
            member: Member {
                id: row.id,
                email: row.email,
                // The CHECK constraint keeps other text out; viewer is the safe reading.
                role: Role::parse(&row.role).unwrap_or(Role::Viewer),
                active: row.password_hash.is_some(),
                created_at: row.created_at,
            },
            password_hash: row.password_hash,
        }
    }
}

const COLUMNS: &str = "id, email, role, password_hash, created_at";

pub async fn by_email(db: &D1Database, email: &str) -> Result<Option<Credentials>> {
    let row: Option<MemberRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM members WHERE email = ?1"))
        .bind(&[text(email)])?
        .first(None)
        .await?;
    Ok(row.map(Credentials::from))
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Member>> {
    let row: Option<MemberRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM members WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(|r| Credentials::from(r).member))
}

/// The members of `ids` that exist, in the order of `ids` (an email post-action's
/// `recipientIds`).
pub async fn of_ids(db: &D1Database, ids: &[String]) -> Result<Vec<Member>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<MemberRow> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM members WHERE id IN (SELECT value FROM json_each(?1))"
        ))
        .bind(&[text(&serde_json::to_string(ids)?)])?
        .all()
        .await?
        .results()?;
    let found: Vec<Member> = rows.into_iter().map(|r| Credentials::from(r).member).collect();
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|m| &m.id == id).cloned())
        .collect())
}

pub async fn list(db: &D1Database) -> Result<Vec<Member>> {
    let rows: Vec<MemberRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM members ORDER BY created_at, id"))
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| Credentials::from(r).member).collect())
}

pub async fn count_admins(db: &D1Database) -> Result<i64> {
    #[derive(Deserialize)]
    struct N {
        n: i64,
    }
    let row: Option<N> = db
        .prepare("SELECT COUNT(*) AS n FROM members WHERE role = 'admin' AND password_hash IS NOT NULL")
        .first(None)
        .await?;
    Ok(row.map(|r| r.n).unwrap_or(0))
}

pub struct NewMember<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
    pub invite_hash: Option<&'a str>,
    pub invite_expires_at: Option<i64>,
    pub invited_by: Option<&'a str>,
    pub now: i64,
}

/// Inserts a member; false when the email is taken.
pub async fn insert(db: &D1Database, m: &NewMember<'_>) -> Result<bool> {
    let result = db
        .prepare(
            "INSERT INTO members (id, email, role, password_hash, invite_hash, invite_expires_at, invited_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&[
            text(m.id),
            text(m.email),
            text(m.role.as_str()),
            opt_text(m.password_hash),
            opt_text(m.invite_hash),
            opt_int(m.invite_expires_at),
            opt_text(m.invited_by),
            int(m.now),
        ])?
        .run()
        .await?;
    Ok(changes(&result) > 0)
}

/// Accepts an invitation: sets the password and spends the token. `None` when the token
/// is unknown, spent or expired.
pub async fn accept_invite(
    db: &D1Database,
    invite_hash: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<Member>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let row: Option<Id> = db
        .prepare(
            "UPDATE members SET password_hash = ?2, invite_hash = NULL, invite_expires_at = NULL
             WHERE invite_hash = ?1 AND invite_expires_at > ?3 RETURNING id",
        )
        .bind(&[text(invite_hash), text(password_hash), int(now)])?
        .first(None)
        .await?;
    match row {
        Some(Id { id }) => get(db, &id).await,
        None => Ok(None),
    }
}

/// The member an unspent, unexpired invitation names.
pub async fn by_invite(db: &D1Database, invite_hash: &str, now: i64) -> Result<Option<Member>> {
    let row: Option<MemberRow> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM members WHERE invite_hash = ?1 AND invite_expires_at > ?2"
        ))
        .bind(&[text(invite_hash), int(now)])?
        .first(None)
        .await?;
    Ok(row.map(|r| Credentials::from(r).member))
}

/// The `email_hash` of a client's own row: the address as a whole, locked once it is over
/// its rate limit of failed sign-ins (a SHA-256 in hex is never `*`).
pub const ANY_EMAIL: &str = "*";

/// Where failed sign-ins of an email from a client stand: (consecutive failures, locked
/// until), the lock being the pair's or the whole address's ([`ANY_EMAIL`]), whichever
/// ends later.
pub async fn failures(db: &D1Database, email_hash: &str, client: &str) -> Result<(u32, Option<i64>)> {
    #[derive(Deserialize)]
    struct Row {
        email_hash: String,
        failures: i64,
        locked_until: Option<i64>,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT email_hash, failures, locked_until FROM signin_failures
             WHERE client = ?2 AND email_hash IN (?1, ?3)",
        )
        .bind(&[text(email_hash), text(client), text(ANY_EMAIL)])?
        .all()
        .await?
        .results()?;
    let failures = rows
        .iter()
        .find(|r| r.email_hash == email_hash)
        .map_or(0, |r| r.failures.clamp(0, u32::MAX as i64) as u32);
    let locked_until = rows.iter().filter_map(|r| r.locked_until).max();
    Ok((failures, locked_until))
}

/// Counts a failed sign-in of an email from a client, locking the pair until `locked_until`
/// when given. Incremented in SQL, so simultaneous failures all count.
pub async fn record_failure(
    db: &D1Database,
    email_hash: &str,
    client: &str,
    locked_until: Option<i64>,
    now: i64,
) -> Result<()> {
    db.prepare(
        "INSERT INTO signin_failures (email_hash, client, failures, locked_until, updated_at) VALUES (?1, ?2, 1, ?3, ?4)
         ON CONFLICT (email_hash, client) DO UPDATE SET failures = failures + 1,
           locked_until = COALESCE(?3, locked_until), updated_at = ?4",
    )
    .bind(&[text(email_hash), text(client), opt_int(locked_until), int(now)])?
    .run()
    .await?;
    Ok(())
}

/// A success from a client clears its count for that email.
pub async fn clear_failures(db: &D1Database, email_hash: &str, client: &str) -> Result<()> {
    db.prepare("DELETE FROM signin_failures WHERE email_hash = ?1 AND client = ?2")
        .bind(&[text(email_hash), text(client)])?
        .run()
        .await?;
    Ok(())
}

/// Another active admin than `?1` exists: a condition inside the write itself, so two
/// admins demoting each other at once cannot both succeed.
const ANOTHER_ADMIN: &str =
    "EXISTS (SELECT 1 FROM members o WHERE o.role = 'admin' AND o.password_hash IS NOT NULL AND o.id != ?1)";

/// Changes a member's role and ends their sessions, so the new role applies at once. False
/// when nothing changed: no such member, or it would leave no active admin.
pub async fn set_role(db: &D1Database, id: &str, role: Role) -> Result<bool> {
    let results = db
        .batch(vec![
            db.prepare(format!(
                "UPDATE members SET role = ?2 WHERE id = ?1
                   AND (?2 = 'admin' OR role != 'admin' OR password_hash IS NULL OR {ANOTHER_ADMIN})"
            ))
            .bind(&[text(id), text(role.as_str())])?,
            // Only when the role changed (`changes()` is the UPDATE's, in this transaction).
            db.prepare("DELETE FROM sessions WHERE member_id = ?1 AND changes() > 0")
                .bind(&[text(id)])?,
        ])
        .await?;
    Ok(results.first().map(changes).unwrap_or(0) > 0)
}

/// Removes a member (their sessions go with them, ON DELETE CASCADE). False when nothing
/// changed: no such member, or it is the last active admin.
pub async fn remove(db: &D1Database, id: &str) -> Result<bool> {
    let result = db
        .prepare(format!(
            "DELETE FROM members WHERE id = ?1 AND (role != 'admin' OR password_hash IS NULL OR {ANOTHER_ADMIN})"
        ))
        .bind(&[text(id)])?
        .run()
        .await?;
    Ok(changes(&result) > 0)
}

/// A signed-in session as a request sees it.
#[derive(Clone)]
pub struct Session {
    pub member: Member,
    pub csrf: String,
    pub token_hash: String,
}

pub async fn start_session(
    db: &D1Database,
    token_hash: &str,
    member_id: &str,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    db.batch(vec![
        // Sign-in is also when a member's expired sessions are cleared away.
        db.prepare("DELETE FROM sessions WHERE member_id = ?1 AND expires_at <= ?2")
            .bind(&[text(member_id), int(now)])?,
        db.prepare(
            "INSERT INTO sessions (token_hash, member_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&[
            text(token_hash),
            text(member_id),
            text(csrf),
            int(now),
            int(expires_at),
        ])?,
    ])
    .await?;
    Ok(())
}

/// The live session of this token, with its member, in one read.
pub async fn session(db: &D1Database, token_hash: &str, now: i64) -> Result<Option<Session>> {
    #[derive(Deserialize)]
    struct Csrf {
        csrf: String,
    }
    let found = db
        .prepare(
            "SELECT s.csrf, m.id, m.email, m.role, m.password_hash, m.created_at
             FROM sessions s JOIN members m ON m.id = s.member_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND m.password_hash IS NOT NULL",
        )
        .bind(&[text(token_hash), int(now)])?
        .all()
        .await?;
    // One row read twice: as the member's columns, and for its CSRF token (`#[serde(flatten)]`
    // would read D1's numbers as floats).
    let member: Option<MemberRow> = found.results()?.into_iter().next();
    let csrf: Option<Csrf> = found.results()?.into_iter().next();
    Ok(member.zip(csrf).map(|(member, csrf)| Session {
        member: Credentials::from(member).member,
        csrf: csrf.csrf,
        token_hash: token_hash.to_string(),
    }))
}

/// Sets a member's new password and ends every session of theirs, in one batch.
pub async fn set_password(db: &D1Database, id: &str, password_hash: &str) -> Result<()> {
    db.batch(vec![
        db.prepare("UPDATE members SET password_hash = ?2 WHERE id = ?1")
            .bind(&[text(id), text(password_hash)])?,
        db.prepare("DELETE FROM sessions WHERE member_id = ?1")
            .bind(&[text(id)])?,
    ])
    .await?;
    Ok(())
}

/// Ends every session of member `id` but `keep`.
pub async fn end_other_sessions(db: &D1Database, id: &str, keep: &str) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE member_id = ?1 AND token_hash != ?2")
        .bind(&[text(id), text(keep)])?
        .run()
        .await?;
    Ok(())
}

/// How many live sessions member `id` has besides `keep`.
pub async fn other_sessions(db: &D1Database, id: &str, keep: &str, now: i64) -> Result<i64> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = db
        .prepare(
            "SELECT COUNT(*) AS n FROM sessions WHERE member_id = ?1 AND token_hash != ?2 AND expires_at > ?3",
        )
        .bind(&[text(id), text(keep), int(now)])?
        .first(None)
        .await?;
    Ok(row.map_or(0, |c| c.n))
}

pub async fn end_session(db: &D1Database, token_hash: &str) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE token_hash = ?1")
        .bind(&[text(token_hash)])?
        .run()
        .await?;
    Ok(())
}

fn changes(result: &worker::D1Result) -> i64 {
    result.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) as i64
}
