//! The SQL a CDR pull sends: every column as text, pages in key order from
//! a `calldate` on, and the rows no page reaches (no `calldate`).

use super::{Dialect, Param, Schema, quote_ident};

/// The key expression of a column: NULLs ordered as empty (or 0).
fn key_expr(dialect: Dialect, column: &str) -> String {
    let q = quote_ident(dialect, column);
    match column {
        "calldate" => q,
        "sequence" => format!("COALESCE({q}, 0)"),
        _ => format!("COALESCE({q}, '')"),
    }
}

/// A local `calldate` as the query compares it.
fn calldate_param(schema: &Schema, timezone: chrono_tz::Tz, n: usize) -> String {
    match schema.dialect {
        Dialect::MySql => "?".to_owned(),
        Dialect::Postgres if schema.calldate_has_zone => format!(
            "(CAST(${n} AS timestamp) AT TIME ZONE '{}')",
            timezone.name().replace('\'', "")
        ),
        Dialect::Postgres => format!("CAST(${n} AS timestamp)"),
    }
}

/// The SQL of one page and its values.
/// `SELECT <every column as text> FROM <table>`.
fn select_sql(schema: &Schema, timezone: chrono_tz::Tz) -> String {
    let d = schema.dialect;
    let select: Vec<String> = schema
        .columns
        .iter()
        .map(|c| {
            let q = quote_ident(d, c);
            match (d, c.as_str()) {
                (Dialect::MySql, _) => format!("CAST({q} AS CHAR)"),
                (Dialect::Postgres, "calldate") if schema.calldate_has_zone => format!(
                    "to_char({q} AT TIME ZONE '{}', 'YYYY-MM-DD HH24:MI:SS.US')",
                    timezone.name().replace('\'', "")
                ),
                (Dialect::Postgres, "calldate") => {
                    format!("to_char({q}, 'YYYY-MM-DD HH24:MI:SS.US')")
                }
                (Dialect::Postgres, _) => format!("CAST({q} AS TEXT)"),
            }
        })
        .collect();
    format!("SELECT {} FROM {}", select.join(", "), schema.table_sql)
}

/// The rows without a `calldate` (no page can reach them): up to `limit`.
pub fn undated_sql(schema: &Schema, timezone: chrono_tz::Tz, limit: u32) -> String {
    let q = quote_ident(schema.dialect, "calldate");
    let condition = match schema.dialect {
        // MySQL's `IS NULL` also finds the zero date of a NOT NULL
        // column, which the pages read (and set aside) already.
        Dialect::MySql => format!("{q} IS NULL AND CAST({q} AS CHAR) IS NULL"),
        Dialect::Postgres => format!("{q} IS NULL"),
    };
    format!(
        "{} WHERE {condition} LIMIT {limit}",
        select_sql(schema, timezone)
    )
}

pub fn page_sql(
    schema: &Schema,
    timezone: chrono_tz::Tz,
    from: Option<&str>,
    after: Option<&[Param]>,
    limit: u32,
) -> (String, Vec<Param>) {
    let d = schema.dialect;
    let keys = schema.key_columns();
    let key_list: Vec<String> = keys.iter().map(|k| key_expr(d, k)).collect();
    let mut sql = select_sql(schema, timezone);
    let mut params = Vec::new();
    let mut conditions = vec![format!("{} IS NOT NULL", quote_ident(d, "calldate"))];
    let placeholder = |n: usize| match d {
        Dialect::MySql => "?".to_owned(),
        Dialect::Postgres => format!("${n}"),
    };
    if let Some(from) = from {
        params.push(Param::Text(from.to_owned()));
        conditions.push(format!(
            "{} >= {}",
            quote_ident(d, "calldate"),
            calldate_param(schema, timezone, params.len())
        ));
    }
    if let Some(after) = after {
        let mut marks = Vec::new();
        for (i, p) in after.iter().enumerate() {
            params.push(p.clone());
            let n = params.len();
            marks.push(if i == 0 {
                calldate_param(schema, timezone, n)
            } else {
                placeholder(n)
            });
        }
        conditions.push(format!(
            "({}) > ({})",
            key_list.join(", "),
            marks.join(", ")
        ));
    }
    sql.push_str(" WHERE ");
    sql.push_str(&conditions.join(" AND "));
    sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", key_list.join(", ")));
    (sql, params)
}
