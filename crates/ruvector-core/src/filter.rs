//! Mongo-style metadata filters, parsed once into a [`Filter`] and evaluated per vector.
//!
//! ```json
//! { "section": "web", "size": { "$gte": 1000, "$lt": 50000 },
//!   "$or": [ { "tags.role": { "$in": ["program", "library"] } }, { "essential": true } ] }
//! ```
//! * A key that is not an operator is a field path; dots walk nested objects (`"a.b.c"`).
//! * A bare value means equality; an object of operators applies each of them (all must hold).
//! * Field operators: `$eq $ne $gt $gte $lt $lte $in $nin $exists $not`.
//!   Top-level operators: `$and $or` (non-empty arrays of filters) and `$not` (a filter).
//! * Equality against an array field matches when the array equals the value or holds it.
//!   `$gt`-style comparisons hold only between two numbers or two strings.
//! * `$ne` and `$nin` also match documents where the field is missing (as in MongoDB).
//!
//! Anything else is a [`FilterError`] naming the offending part.

use serde_json::{Map, Value};

/// The deepest nesting of `$and`/`$or`/`$not` accepted.
pub const MAX_FILTER_DEPTH: usize = 32;

/// Why a filter was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The filter (or a part that must be one) is not a JSON object.
    #[error("{at}: a filter must be a JSON object of field conditions and $and/$or/$not")]
    NotAnObject {
        /// Where in the filter.
        at: String,
    },
    /// An operator this engine does not know.
    #[error("{at}: unknown operator {op:?}; use $eq $ne $gt $gte $lt $lte $in $nin $exists $not $and $or")]
    UnknownOperator {
        /// Where in the filter.
        at: String,
        /// The operator.
        op: String,
    },
    /// An operator got an operand of the wrong type.
    #[error("{at}: {op} needs {expected}")]
    BadOperand {
        /// Where in the filter.
        at: String,
        /// The operator.
        op: &'static str,
        /// What it needs.
        expected: &'static str,
    },
    /// An object mixes operators with plain keys, so it is neither a value nor conditions.
    #[error("{at}: an object mixes $operators with plain keys; use only one kind")]
    MixedObject {
        /// Where in the filter.
        at: String,
    },
    /// Nested deeper than [`MAX_FILTER_DEPTH`].
    #[error("filter nests deeper than {MAX_FILTER_DEPTH} levels")]
    TooDeep,
    /// An empty field path, or one with an empty segment.
    #[error("{at}: empty field path segment")]
    EmptyPath {
        /// Where in the filter.
        at: String,
    },
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// All must hold (an empty list always holds).
    And(Vec<Filter>),
    /// At least one must hold.
    Or(Vec<Filter>),
    /// Must not hold.
    Not(Box<Filter>),
    /// A condition on one field.
    Field {
        /// Path segments (`"a.b"` → `["a", "b"]`).
        path: Vec<String>,
        /// The condition on the value found there (if any).
        cond: Cond,
    },
}

/// A condition on one field's value (`None` when the field is missing).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Equal (or, for an array field, contains).
    Eq(Value),
    /// Not `Eq`.
    Ne(Value),
    /// Greater than.
    Gt(Value),
    /// Greater or equal.
    Gte(Value),
    /// Less than.
    Lt(Value),
    /// Less or equal.
    Lte(Value),
    /// `Eq` to any.
    In(Vec<Value>),
    /// `Eq` to none.
    Nin(Vec<Value>),
    /// Present (`true`) or missing (`false`).
    Exists(bool),
    /// All hold.
    All(Vec<Cond>),
    /// Does not hold.
    Not(Box<Cond>),
}

/// The fuzz target's and the property test's entry point: parses `filter` (JSON text) and,
/// when it is a filter, checks it against `doc` (JSON text; anything else counts as no
/// metadata) and checks that `$not` of it is its complement. `None` when `filter` is not
/// JSON. Must return for any input, never panic; a broken invariant panics.
pub fn check_bytes(filter: &[u8], doc: &[u8]) -> Option<Result<bool, FilterError>> {
    let v: Value = serde_json::from_slice(filter).ok()?;
    let doc: Option<Value> = serde_json::from_slice(doc).ok();
    let parsed = Filter::parse(&v).map(|f| f.matches(doc.as_ref()));
    if let Ok(m) = parsed {
        let not = Filter::parse(&serde_json::json!({ "$not": v }));
        if let Ok(n) = not {
            assert_eq!(n.matches(doc.as_ref()), !m, "$not is the complement");
        }
    }
    Some(parsed)
}

impl Filter {
    /// Parses a JSON filter; see the module docs for the language.
    pub fn parse(v: &Value) -> Result<Filter, FilterError> {
        parse_filter(v, "filter", 0)
    }

    /// True when `metadata` (`None`: the vector has none) satisfies the filter.
    pub fn matches(&self, metadata: Option<&Value>) -> bool {
        match self {
            Filter::And(fs) => fs.iter().all(|f| f.matches(metadata)),
            Filter::Or(fs) => fs.iter().any(|f| f.matches(metadata)),
            Filter::Not(f) => !f.matches(metadata),
            Filter::Field { path, cond } => {
                let mut cur = metadata;
                for seg in path {
                    cur = cur.and_then(|v| v.as_object()).and_then(|o| o.get(seg));
                }
                cond.holds(cur)
            }
        }
    }
}

impl Cond {
    fn holds(&self, v: Option<&Value>) -> bool {
        match self {
            Cond::Eq(t) => v.is_some_and(|v| eq_or_contains(v, t)),
            Cond::Ne(t) => !v.is_some_and(|v| eq_or_contains(v, t)),
            Cond::Gt(t) => cmp(v, t).is_some_and(|o| o.is_gt()),
            Cond::Gte(t) => cmp(v, t).is_some_and(|o| o.is_ge()),
            Cond::Lt(t) => cmp(v, t).is_some_and(|o| o.is_lt()),
            Cond::Lte(t) => cmp(v, t).is_some_and(|o| o.is_le()),
            Cond::In(ts) => v.is_some_and(|v| ts.iter().any(|t| eq_or_contains(v, t))),
            Cond::Nin(ts) => !v.is_some_and(|v| ts.iter().any(|t| eq_or_contains(v, t))),
            Cond::Exists(want) => v.is_some() == *want,
            Cond::All(cs) => cs.iter().all(|c| c.holds(v)),
            Cond::Not(c) => !c.holds(v),
        }
    }
}

fn eq_or_contains(v: &Value, t: &Value) -> bool {
    json_eq(v, t) || matches!(v, Value::Array(items) if items.iter().any(|i| json_eq(i, t)))
}

/// Equality where numbers compare by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn cmp(v: Option<&Value>, t: &Value) -> Option<std::cmp::Ordering> {
    match (v?, t) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => None,
    }
}

fn parse_filter(v: &Value, at: &str, depth: usize) -> Result<Filter, FilterError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(FilterError::TooDeep);
    }
    let obj = v
        .as_object()
        .ok_or_else(|| FilterError::NotAnObject { at: at.into() })?;
    let mut parts = Vec::with_capacity(obj.len());
    for (key, val) in obj {
        let here = format!("{at}.{key}");
        parts.push(match key.as_str() {
            "$and" | "$or" => {
                let items =
                    val.as_array()
                        .filter(|a| !a.is_empty())
                        .ok_or(FilterError::BadOperand {
                            at: here.clone(),
                            op: if key == "$and" { "$and" } else { "$or" },
                            expected: "a non-empty array of filters",
                        })?;
                let fs = items
                    .iter()
                    .enumerate()
                    .map(|(i, f)| parse_filter(f, &format!("{here}[{i}]"), depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "$and" {
                    Filter::And(fs)
                } else {
                    Filter::Or(fs)
                }
            }
            "$not" => Filter::Not(Box::new(parse_filter(val, &here, depth + 1)?)),
            k if k.starts_with('$') => {
                return Err(FilterError::UnknownOperator {
                    at: at.into(),
                    op: k.into(),
                })
            }
            path => {
                let segs: Vec<String> = path.split('.').map(str::to_owned).collect();
                if segs.iter().any(String::is_empty) {
                    return Err(FilterError::EmptyPath { at: here });
                }
                Filter::Field {
                    path: segs,
                    cond: parse_cond(val, &here, depth + 1)?,
                }
            }
        });
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Filter::And(parts)
    })
}

fn is_operator_object(o: &Map<String, Value>, at: &str) -> Result<bool, FilterError> {
    let ops = o.keys().filter(|k| k.starts_with('$')).count();
    match ops {
        0 => Ok(false),
        n if n == o.len() => Ok(true),
        _ => Err(FilterError::MixedObject { at: at.into() }),
    }
}

fn parse_cond(v: &Value, at: &str, depth: usize) -> Result<Cond, FilterError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(FilterError::TooDeep);
    }
    let obj = match v {
        Value::Object(o) if is_operator_object(o, at)? => o,
        other => return Ok(Cond::Eq(other.clone())),
    };
    let mut conds = Vec::with_capacity(obj.len());
    for (op, val) in obj {
        let scalar = |name: &'static str| -> Result<Value, FilterError> {
            match val {
                Value::Array(_) | Value::Object(_) if name != "$eq" && name != "$ne" => {
                    Err(FilterError::BadOperand {
                        at: at.into(),
                        op: name,
                        expected: "a number or a string",
                    })
                }
                v => Ok(v.clone()),
            }
        };
        let list = |name: &'static str| -> Result<Vec<Value>, FilterError> {
            val.as_array().cloned().ok_or(FilterError::BadOperand {
                at: at.into(),
                op: name,
                expected: "an array of values",
            })
        };
        conds.push(match op.as_str() {
            "$eq" => Cond::Eq(scalar("$eq")?),
            "$ne" => Cond::Ne(scalar("$ne")?),
            "$gt" => Cond::Gt(scalar("$gt")?),
            "$gte" => Cond::Gte(scalar("$gte")?),
            "$lt" => Cond::Lt(scalar("$lt")?),
            "$lte" => Cond::Lte(scalar("$lte")?),
            "$in" => Cond::In(list("$in")?),
            "$nin" => Cond::Nin(list("$nin")?),
            "$exists" => Cond::Exists(val.as_bool().ok_or(FilterError::BadOperand {
                at: at.into(),
                op: "$exists",
                expected: "true or false",
            })?),
            "$not" => {
                if !matches!(val, Value::Object(o) if is_operator_object(o, at)?) {
                    return Err(FilterError::BadOperand {
                        at: at.into(),
                        op: "$not",
                        expected: "an object of operators",
                    });
                }
                Cond::Not(Box::new(parse_cond(val, at, depth + 1)?))
            }
            other => {
                return Err(FilterError::UnknownOperator {
                    at: at.into(),
                    op: other.into(),
                })
            }
        });
    }
    Ok(if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::All(conds)
    })
}
