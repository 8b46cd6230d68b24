//! A Bitrix24 portal on loopback that answers an inbound webhook like the
//! REST reference shows: list methods with `filter`/`order`/`select`/
//! `start` (50 a page, `next` and `total`, none of them for `start: -1`),
//! `crm.stagehistory.list` under `result.items`, `batch`, error codes with
//! their HTTP statuses, and the faults a test asks for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use super::server::{self, Request, Response, Server};

pub const USER: &str = "1";
pub const SECRET: &str = "k3y5ecr3t";

#[derive(Default, Clone)]
pub struct Portal {
    pub users: Vec<Value>,
    pub categories: Vec<Value>,
    /// Stages by ENTITY_ID (`DEAL_STAGE`, `DEAL_STAGE_1`).
    pub statuses: HashMap<String, Vec<Value>>,
    pub deals: Vec<Value>,
    pub history: Vec<Value>,
    pub activities: Vec<Value>,
    pub comments: Vec<Value>,
    pub calls: Vec<Value>,
}

#[derive(Default)]
pub struct Faults {
    /// Every Nth request answers 503 QUERY_LIMIT_EXCEEDED (0: never).
    pub query_limit_every: u64,
    /// Methods that answer 429 OPERATION_TIME_LIMIT once.
    pub time_limit_once: Vec<String>,
    /// After this many answers of this method, every request gets a 500.
    pub outage_after: Option<(String, u64)>,
    /// The next N requests answer 500 (then it recovers).
    pub blips: u64,
    /// Methods the webhook has no scope for.
    pub forbidden: Vec<String>,
    /// Methods the portal does not have (a module switched off).
    pub missing: Vec<String>,
    /// Methods whose first command inside a `batch` answers, once, the
    /// command's `OPERATION_TIME_LIMIT` under `result_error` (HTTP 200).
    pub batch_time_limit_once: Vec<String>,
    /// Deals whose comment list answers `ACCESS_DENIED` inside a `batch`.
    pub comments_denied: Vec<String>,
}

pub struct State {
    pub portal: Portal,
    pub faults: Faults,
    pub requests: u64,
    pub answered: u64,
    pub answered_by_method: HashMap<String, u64>,
    pub rate_limited: u64,
    comment_index: HashMap<String, Vec<Value>>,
}

pub struct FakeBitrix {
    pub server: Server,
    pub state: Arc<Mutex<State>>,
}

impl FakeBitrix {
    /// The inbound webhook URL, secret included.
    pub fn webhook(&self) -> String {
        format!("{}/rest/{USER}/{SECRET}/", self.server.base)
    }
    pub fn set_faults(&self, faults: Faults) {
        self.state.lock().unwrap().faults = faults;
    }
    pub fn portal(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
    /// A comment added to a deal's timeline (the deal itself unchanged).
    pub fn add_comment(&self, comment: Value) {
        let mut s = self.state.lock().unwrap();
        let deal = comment["ENTITY_ID"].as_str().unwrap_or_default().to_owned();
        s.comment_index
            .entry(deal)
            .or_default()
            .push(comment.clone());
        s.portal.comments.push(comment);
    }
}

fn error(status: u16, code: &str, description: &str) -> Response {
    Response::json(
        status,
        &json!({ "error": code, "error_description": description }),
    )
}

fn num(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn time(v: &Value) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(v.as_str()?).ok()
}

/// Whether a row passes a Bitrix filter (`>ID`, `>=DATE_MODIFY`, `ENTITY_ID`).
fn passes(row: &Value, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(key, want)| {
        let (op, field) = if let Some(f) = key.strip_prefix(">=") {
            (">=", f)
        } else if let Some(f) = key.strip_prefix('>') {
            (">", f)
        } else if let Some(f) = key.strip_prefix('<') {
            ("<", f)
        } else {
            ("=", key.trim_start_matches('='))
        };
        let have = row.get(field).unwrap_or(&Value::Null);
        match op {
            ">" => num(have).zip(num(want)).is_some_and(|(h, w)| h > w),
            "<" => num(have).zip(num(want)).is_some_and(|(h, w)| h < w),
            ">=" => match (time(have), time(want)) {
                (Some(h), Some(w)) => h >= w,
                _ => num(have).zip(num(want)).is_some_and(|(h, w)| h >= w),
            },
            _ => {
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                text(have) == text(want)
            }
        }
    })
}

/// A page of a list the way Bitrix24 gives it.
fn list(rows: &[Value], params: &Value, upper: bool, wrap: Option<&str>) -> Value {
    let fkey = if upper { "FILTER" } else { "filter" };
    let filter = params
        .get(fkey)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Rows are in ID order: `>ID` is a cut, found by halving (big portals).
    let mut filter = filter;
    let after = filter
        .remove(">ID")
        .as_ref()
        .and_then(num)
        .unwrap_or(i64::MIN);
    let cut = rows.partition_point(|r| r.get("ID").and_then(num).unwrap_or(0) <= after);
    let mut matching: Vec<&Value> = if filter.is_empty() {
        rows[cut..].iter().collect()
    } else {
        rows[cut..].iter().filter(|r| passes(r, &filter)).collect()
    };
    let okey = if upper { "ORDER" } else { "order" };
    let descending = match params.get(okey) {
        Some(Value::Object(o)) => o.get("ID"),
        other => other,
    }
    .and_then(Value::as_str)
    .is_some_and(|d| d.eq_ignore_ascii_case("DESC"));
    if descending {
        matching.reverse();
    }
    let start = params.get("start").and_then(num).unwrap_or(0);
    let (from, counted) = if start < 0 {
        (0, false)
    } else {
        (start as usize, true)
    };
    let page: Vec<Value> = matching
        .iter()
        .skip(from)
        .take(50)
        .map(|r| (*r).clone())
        .collect();
    let result = match wrap {
        Some(key) => json!({ key: page }),
        None => json!(page),
    };
    let mut answer =
        json!({ "result": result, "time": { "start": 0.0, "finish": 0.01, "duration": 0.01 } });
    if counted {
        answer["total"] = json!(matching.len());
        if from + 50 < matching.len() {
            answer["next"] = json!(from + 50);
        }
    }
    answer
}

/// `filter[ENTITY_ID]=5&start=0` as `{"filter": {"ENTITY_ID": "5"}, "start": "0"}`.
fn query_params(query: &str) -> Value {
    let mut params = Map::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if let Some((outer, inner)) = k.split_once('[') {
            let inner = inner.trim_end_matches(']').to_owned();
            let entry = params.entry(outer.to_owned()).or_insert_with(|| json!({}));
            entry[inner] = json!(v);
        } else {
            params.insert(k.into_owned(), json!(v));
        }
    }
    Value::Object(params)
}

fn run(
    portal: &Portal,
    index: &HashMap<String, Vec<Value>>,
    method: &str,
    params: &Value,
) -> Option<Value> {
    Some(match method {
        "user.get" => list(&portal.users, params, false, None),
        "crm.category.list" => list(&portal.categories, params, false, Some("categories")),
        "crm.status.list" => {
            let entity = params["filter"]["ENTITY_ID"].as_str().unwrap_or_default();
            list(
                portal
                    .statuses
                    .get(entity)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
                &json!({}),
                false,
                None,
            )
        }
        "crm.deal.list" => list(&portal.deals, params, false, None),
        "crm.stagehistory.list" => list(&portal.history, params, false, Some("items")),
        "crm.activity.list" => list(&portal.activities, params, false, None),
        "crm.timeline.comment.list" => {
            // Comments are listed per deal: look the deal's up first.
            let deal = match &params["filter"]["ENTITY_ID"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            list(
                index.get(&deal).map(Vec::as_slice).unwrap_or(&[]),
                params,
                false,
                None,
            )
        }
        "voximplant.statistic.get" => list(&portal.calls, params, true, None),
        _ => return None,
    })
}

fn answer(state: &Mutex<State>, request: &Request) -> Response {
    let mut guard = state.lock().unwrap();
    let s: &mut State = &mut guard;
    s.requests += 1;
    let parts: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let [_, user, secret, method] = parts.as_slice() else {
        return error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!");
    };
    let method = method.trim_end_matches(".json");
    if request.method != "POST" && request.method != "GET" {
        return error(405, "ERROR_METHOD_NOT_ALLOWED", "Method not allowed");
    }
    if *user != USER || *secret != SECRET {
        return error(401, "INVALID_CREDENTIALS", "Invalid request credentials");
    }
    let f = &mut s.faults;
    if f.query_limit_every > 0 && s.requests.is_multiple_of(f.query_limit_every) {
        s.rate_limited += 1;
        return error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests");
    }
    if let Some(i) = f.time_limit_once.iter().position(|m| m == method) {
        f.time_limit_once.remove(i);
        s.rate_limited += 1;
        return error(
            429,
            "OPERATION_TIME_LIMIT",
            "Method is blocked due to operation time limit.",
        );
    }
    if f.blips > 0 {
        f.blips -= 1;
        return error(500, "INTERNAL_SERVER_ERROR", "Internal server error");
    }
    if let Some((m, n)) = &f.outage_after
        && s.answered_by_method.get(m).copied().unwrap_or(0) >= *n
    {
        return error(500, "INTERNAL_SERVER_ERROR", "Internal server error");
    }
    if f.forbidden.iter().any(|m| m == method) {
        return error(
            403,
            "insufficient_scope",
            "The request requires higher privileges than provided by the webhook token",
        );
    }
    if f.missing.iter().any(|m| m == method) {
        return error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!");
    }
    let params: Value = serde_json::from_str(&request.body).unwrap_or(json!({}));
    let body = if method == "batch" {
        let mut result = Map::new();
        let mut totals = Map::new();
        let mut nexts = Map::new();
        let mut errors = Map::new();
        let cmd = params["cmd"].as_object().cloned().unwrap_or_default();
        for (key, command) in cmd {
            let command = command.as_str().unwrap_or_default();
            let (m, q) = command.split_once('?').unwrap_or((command, ""));
            let f = &mut s.faults;
            if let Some(i) = f.batch_time_limit_once.iter().position(|x| x == m) {
                f.batch_time_limit_once.remove(i);
                s.rate_limited += 1;
                errors.insert(
                    key.clone(),
                    json!({"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to operation time limit."}),
                );
                continue;
            }
            let query = query_params(q);
            if m == "crm.timeline.comment.list"
                && let Some(deal) = query["filter"]["ENTITY_ID"].as_str()
                && f.comments_denied.iter().any(|d| d == deal)
            {
                errors.insert(
                    key.clone(),
                    json!({"error": "ACCESS_DENIED", "error_description": "Access denied."}),
                );
                continue;
            }
            let Some(one) = run(&s.portal, &s.comment_index, m, &query) else {
                return error(
                    400,
                    "ERROR_BATCH_METHOD_NOT_ALLOWED",
                    "Method is not allowed for batch usage",
                );
            };
            result.insert(key.clone(), one["result"].clone());
            if let Some(t) = one.get("total") {
                totals.insert(key.clone(), t.clone());
            }
            if let Some(n) = one.get("next") {
                nexts.insert(key.clone(), n.clone());
            }
        }
        json!({ "result": {
            "result": result,
            "result_error": if errors.is_empty() { json!([]) } else { Value::Object(errors) },
            "result_total": totals,
            "result_next": if nexts.is_empty() { json!([]) } else { Value::Object(nexts) },
            "result_time": {}
        }})
    } else {
        match run(&s.portal, &s.comment_index, method, &params) {
            Some(v) => v,
            None => return error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"),
        }
    };
    s.answered += 1;
    *s.answered_by_method.entry(method.to_owned()).or_default() += 1;
    Response::json(200, &body)
}

pub async fn start(portal: Portal) -> FakeBitrix {
    let mut comment_index: HashMap<String, Vec<Value>> = HashMap::new();
    for c in &portal.comments {
        let deal = c["ENTITY_ID"].as_str().unwrap_or_default().to_owned();
        comment_index.entry(deal).or_default().push(c.clone());
    }
    let state = Arc::new(Mutex::new(State {
        comment_index,
        portal,
        faults: Faults::default(),
        requests: 0,
        answered: 0,
        answered_by_method: HashMap::new(),
        rate_limited: 0,
    }));
    let shared = state.clone();
    let server = server::start(Arc::new(move |r: &Request| answer(&shared, r))).await;
    FakeBitrix { server, state }
}
