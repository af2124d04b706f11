//! The guard of a write batch planned before its reads: the first statement of the batch
//! checks, in the same transaction, that everything the plan assumed still holds, and
//! fails the whole batch (nothing written) when one does not. The caller then reads and
//! plans again on what is there, as it would have without the guess.

use super::int;
use super::sql::Sql;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Result};

pub struct Assumptions {
    sql: Sql,
}

impl Default for Assumptions {
    fn default() -> Self {
        // `write_guard` refuses any `ok` but 1 (CHECK): see migration 0004. COALESCE, so a
        // condition that comes out NULL fails as a CHECK too, never as another error.
        Assumptions {
            sql: Sql::new(
                "INSERT OR REPLACE INTO write_guard (id, ok) SELECT 1, COALESCE((?1".into(),
                int(1),
            ),
        }
    }
}

impl Assumptions {
    /// One more thing the plan assumed: `clause` is true, its `?`s bound to `values`.
    pub fn hold(&mut self, (clause, values): (impl AsRef<str>, Vec<JsValue>)) {
        self.sql.and_all(clause.as_ref(), &values);
    }

    /// The statement that goes first in the batch.
    pub fn statement(mut self, db: &D1Database) -> Result<D1PreparedStatement> {
        self.sql.push("), 0)");
        self.sql.prepare(db)
    }
}

/// Whether a batch led by [`Assumptions::statement`] failed because one did not hold (or a
/// lead written in it met another's, which also means: read, and plan again).
pub fn failed(err: &worker::Error) -> bool {
    super::leads::is_write_conflict(err)
}
