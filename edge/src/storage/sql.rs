//! A WHERE clause built from optional filters. D1 binds numbered parameters (`?1`, `?2`),
//! so each `?` of a clause is numbered as it is added; values never enter the SQL text.

use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Result};

pub struct Sql {
    text: String,
    values: Vec<JsValue>,
}

impl Sql {
    /// A statement whose text already uses `?1` for `first`.
    pub fn new(text: String, first: JsValue) -> Self {
        Sql {
            text,
            values: vec![first],
        }
    }

    /// Adds ` AND <clause>`, its one `?` bound to `value`.
    pub fn and(&mut self, clause: &str, value: JsValue) {
        self.and_all(clause, &[value]);
    }

    /// Adds ` AND <clause>`, its `?`s bound to `values` in order.
    pub fn and_all(&mut self, clause: &str, values: &[JsValue]) {
        self.text.push_str(" AND ");
        let mut values = values.iter();
        for c in clause.chars() {
            if c == '?' {
                self.values.push(values.next().cloned().unwrap_or(JsValue::NULL));
                self.text.push_str(&format!("?{}", self.values.len()));
            } else {
                self.text.push(c);
            }
        }
    }

    /// Appends text that binds nothing (ORDER BY, LIMIT of a number we computed).
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    pub fn prepare(self, db: &D1Database) -> Result<D1PreparedStatement> {
        db.prepare(self.text).bind(&self.values)
    }
}
