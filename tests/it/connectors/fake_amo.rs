//! An amoCRM account on loopback that answers API v4 like its reference:
//! bearer token, HAL pages (`_page`, `_links.next`, `_embedded`) with
//! `limit` (events at most 100) and `page`, `filter[...][from]` on Unix
//! times, HTTP 204 for an empty page, problem JSON for errors, and the
//! faults a test asks for.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::server::{self, Request, Response, Server};

pub const TOKEN: &str = "long-lived-token";

#[derive(Default, Clone)]
pub struct Account {
    pub users: Vec<Value>,
    pub pipelines: Vec<Value>,
    pub leads: Vec<Value>,
    pub events: Vec<Value>,
    pub tasks: Vec<Value>,
    pub lead_notes: Vec<Value>,
    pub contact_notes: Vec<Value>,
}

#[derive(Default)]
pub struct Faults {
    /// Every Nth request answers 429 (0: never).
    pub too_many_every: u64,
    /// After this many answers of this path (`leads/notes`), every
    /// request gets a 500.
    pub outage_after: Option<(String, u64)>,
    /// Paths that answer 403.
    pub forbidden: Vec<String>,
}

pub struct State {
    pub account: Account,
    pub faults: Faults,
    pub requests: u64,
    pub answered: u64,
    pub answered_by_path: std::collections::HashMap<String, u64>,
    pub rate_limited: u64,
}

pub struct FakeAmo {
    pub server: Server,
    pub state: Arc<Mutex<State>>,
}

impl FakeAmo {
    pub fn set_faults(&self, faults: Faults) {
        self.state.lock().unwrap().faults = faults;
    }
    pub fn account(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

fn problem(status: u16, title: &str, detail: &str) -> Response {
    Response::json(
        status,
        &json!({ "title": title, "type": "https://httpstatus.es/".to_owned() + &status.to_string(), "status": status, "detail": detail }),
    )
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

fn page(base: &str, r: &Request, rows: Vec<&Value>, key: &str, max_limit: usize) -> Response {
    let limit = r
        .param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .min(max_limit);
    let number = r
        .param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let chunk: Vec<Value> = rows
        .iter()
        .skip((number - 1) * limit)
        .take(limit)
        .map(|v| (*v).clone())
        .collect();
    if chunk.is_empty() {
        return Response {
            status: 204,
            headers: Vec::new(),
            body: String::new(),
        };
    }
    let link = |n: usize| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &r.query {
            if k != "page" {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &n.to_string());
        json!({ "href": format!("{base}{}?{}", r.path, q.finish()) })
    };
    let mut links = json!({ "self": link(number) });
    if number * limit < rows.len() {
        links["next"] = link(number + 1);
    }
    Response::json(
        200,
        &json!({ "_page": number, "_links": links, "_embedded": { key: chunk } }),
    )
}

fn since(r: &Request, field: &str) -> impl Fn(&Value) -> bool {
    let from = r
        .param(&format!("filter[{field}][from]"))
        .and_then(|v| v.parse::<i64>().ok());
    let field = field.to_owned();
    move |row: &Value| from.is_none_or(|f| int(&row[&field]) >= f)
}

fn answer(base: &str, state: &Mutex<State>, r: &Request) -> Response {
    let mut guard = state.lock().unwrap();
    let s: &mut State = &mut guard;
    s.requests += 1;
    if r.headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return problem(
            401,
            "Unauthorized",
            "Authorization token is invalid or expired",
        );
    }
    let f = &s.faults;
    if f.too_many_every > 0 && s.requests.is_multiple_of(f.too_many_every) {
        s.rate_limited += 1;
        let mut resp = problem(429, "Too Many Requests", "Too many requests");
        resp.headers.push(("retry-after".into(), "0".into()));
        return resp;
    }
    if r.method != "GET" {
        return problem(405, "Method Not Allowed", "");
    }
    let Some(path) = r.path.strip_prefix("/api/v4/") else {
        return problem(404, "Not Found", "");
    };
    if let Some((p, n)) = &f.outage_after
        && s.answered_by_path.get(p).copied().unwrap_or(0) >= *n
    {
        return problem(500, "Internal Server Error", "");
    }
    if f.forbidden.iter().any(|p| p == path) {
        return problem(403, "Forbidden", "Access denied");
    }
    let a = &s.account;
    let resp = match path {
        "users" => page(base, r, a.users.iter().collect(), "users", 250),
        "leads/pipelines" => Response::json(
            200,
            &json!({ "_total_items": a.pipelines.len(), "_links": {"self": {"href": format!("{base}{}", r.path)}},
                      "_embedded": { "pipelines": a.pipelines } }),
        ),
        "leads" => {
            let keep = since(r, "updated_at");
            page(
                base,
                r,
                a.leads.iter().filter(|l| keep(l)).collect(),
                "leads",
                250,
            )
        }
        "events" => {
            let keep = since(r, "created_at");
            let types: Vec<&str> = r
                .param("filter[type]")
                .unwrap_or_default()
                .split(',')
                .collect();
            let rows = a
                .events
                .iter()
                .filter(|e| keep(e) && types.contains(&e["type"].as_str().unwrap_or_default()));
            // Newest first, as the events list is.
            let mut rows: Vec<&Value> = rows.collect();
            rows.reverse();
            page(base, r, rows, "events", 100)
        }
        "tasks" => {
            let keep = since(r, "updated_at");
            page(
                base,
                r,
                a.tasks.iter().filter(|t| keep(t)).collect(),
                "tasks",
                250,
            )
        }
        "leads/notes" | "contacts/notes" => {
            let keep = since(r, "updated_at");
            let types = r.params("filter[note_type][]");
            let notes = if path == "leads/notes" {
                &a.lead_notes
            } else {
                &a.contact_notes
            };
            let rows = notes
                .iter()
                .filter(|n| {
                    keep(n)
                        && (types.is_empty()
                            || types.contains(&n["note_type"].as_str().unwrap_or_default()))
                })
                .collect();
            page(base, r, rows, "notes", 250)
        }
        _ => problem(404, "Not Found", ""),
    };
    s.answered += 1;
    *s.answered_by_path.entry(path.to_owned()).or_default() += 1;
    resp
}

pub async fn start(account: Account) -> FakeAmo {
    let state = Arc::new(Mutex::new(State {
        account,
        faults: Faults::default(),
        requests: 0,
        answered: 0,
        answered_by_path: Default::default(),
        rate_limited: 0,
    }));
    let shared = state.clone();
    let base: Arc<Mutex<String>> = Arc::default();
    let base_for_answer = base.clone();
    let server = server::start(Arc::new(move |r: &Request| {
        let base = base_for_answer.lock().unwrap().clone();
        answer(&base, &shared, r)
    }))
    .await;
    *base.lock().unwrap() = server.base.clone();
    FakeAmo { server, state }
}
