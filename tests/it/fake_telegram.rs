//! A Bot API server of our own on loopback, for what teloxide_tests cannot
//! do: 429 with retry_after, a blocked chat, long polling. It answers like
//! Telegram (the JSON teloxide parses) and records every call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request the bot made: the method (lower case) and its body.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub body: String,
}

#[derive(Default)]
pub struct Script {
    /// Chats that answer "bot was blocked by the user".
    pub blocked: Vec<i64>,
    /// How many sendMessage calls get a 429 first.
    pub flood: u32,
    /// Updates handed out by getUpdates, once each.
    pub updates: Vec<Value>,
    /// How long each send* call waits before it is answered (it is recorded
    /// on arrival): a slow Telegram, to stop a sender mid-delivery.
    pub delay_ms: u64,
    /// The messages sent so far, by (chat, message id): what
    /// editMessageText may edit. Ids count from 101.
    pub sent: HashMap<(i64, i64), String>,
    /// Telegram's flood limit: sendMessage calls beyond this many in any
    /// second get a 429 with retry_after (0: no limit).
    pub per_second: usize,
    /// When the sendMessage calls let through arrived (for `per_second`).
    pub let_through: std::collections::VecDeque<std::time::Instant>,
    /// Whether it has `sendRichMessage` (Bot API 10.1+); without it, it
    /// answers as an older server: 404 "Not Found: method not found".
    pub rich: bool,
}

pub struct FakeTelegram {
    pub url: String,
    pub calls: Arc<Mutex<Vec<Call>>>,
    script: Arc<Mutex<Script>>,
}

impl Call {
    /// The chat the request was for.
    pub fn chat(&self) -> i64 {
        chat_of(&self.body)
    }
}

impl FakeTelegram {
    pub fn calls(&self, method: &str) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// The chat of each message it accepted (not answered 429 or refused).
    pub fn delivered(&self) -> Vec<i64> {
        let s = self.script.lock().unwrap();
        s.sent.keys().map(|(chat, _)| *chat).collect()
    }
}

fn message(chat: i64, id: i64, text: &str) -> Value {
    json!({
        "message_id": id, "date": 1_700_000_000,
        "chat": {"id": chat, "type": "private", "first_name": "U"},
        "from": {"id": 1, "is_bot": true, "first_name": "Pulse", "username": "pulse_bot"},
        "text": text
    })
}

fn photo_message(chat: i64) -> Value {
    json!({
        "message_id": 102, "date": 1_700_000_000,
        "chat": {"id": chat, "type": "private", "first_name": "U"},
        "photo": [{"file_id": "f", "file_unique_id": "u", "width": 10, "height": 10}]
    })
}

/// The chat id in a request body, JSON or multipart.
fn chat_of(body: &str) -> i64 {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return v["chat_id"].as_i64().unwrap_or_default();
    }
    // multipart: name="chat_id"\r\n\r\n<id>\r\n
    body.split("name=\"chat_id\"")
        .nth(1)
        .and_then(|rest| rest.trim_start().lines().next())
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_default()
}

fn answer(method: &str, body: &str, script: &Mutex<Script>) -> Value {
    let mut s = script.lock().unwrap();
    let chat = chat_of(body);
    if method.starts_with("send") && s.blocked.contains(&chat) {
        return json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"});
    }
    match method {
        "getme" => json!({"ok": true, "result": {
            "id": 1, "is_bot": true, "first_name": "Pulse", "username": "pulse_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false}}),
        "getwebhookinfo" => {
            json!({"ok": true, "result": {"url": "", "has_custom_certificate": false, "pending_update_count": 0}})
        }
        "getupdates" => {
            let offset = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v["offset"].as_i64())
                .unwrap_or(0);
            let fresh: Vec<Value> = s
                .updates
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                .cloned()
                .collect();
            json!({"ok": true, "result": fresh})
        }
        "sendmessage" => {
            if s.per_second > 0 {
                let now = std::time::Instant::now();
                while s
                    .let_through
                    .front()
                    .is_some_and(|t| now.duration_since(*t).as_secs_f64() >= 1.0)
                {
                    s.let_through.pop_front();
                }
                if s.let_through.len() >= s.per_second {
                    return json!({"ok": false, "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1}});
                }
                s.let_through.push_back(now);
            }
            if s.flood > 0 {
                s.flood -= 1;
                return json!({"ok": false, "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1}});
            }
            let text = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v["text"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let id = 101 + s.sent.len() as i64;
            s.sent.insert((chat, id), text.clone());
            json!({"ok": true, "result": message(chat, id, &text)})
        }
        "editmessagetext" => {
            let v = serde_json::from_str::<Value>(body).unwrap_or_default();
            let id = v["message_id"].as_i64().unwrap_or_default();
            let text = v["text"].as_str().unwrap_or_default().to_owned();
            match s.sent.get_mut(&(chat, id)) {
                Some(had) => {
                    *had = text.clone();
                    json!({"ok": true, "result": message(chat, id, &text)})
                }
                None => json!({"ok": false, "error_code": 400,
                    "description": "Bad Request: message to edit not found"}),
            }
        }
        "sendrichmessage" if s.rich => {
            let id = 101 + s.sent.len() as i64;
            s.sent.insert((chat, id), String::new());
            json!({"ok": true, "result": {"message_id": id, "date": 1_700_000_000,
                "chat": {"id": chat, "type": "private", "first_name": "U"}}})
        }
        "sendrichmessage" => {
            json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
        }
        "sendphoto" => json!({"ok": true, "result": photo_message(chat)}),
        "sendmediagroup" => {
            let n = body.matches("\"type\":\"photo\"").count().max(2);
            json!({"ok": true, "result": (0..n).map(|_| photo_message(chat)).collect::<Vec<_>>()})
        }
        _ => json!({"ok": true, "result": true}),
    }
}

/// Starts the server on a free port of 127.0.0.1.
pub async fn start(script: Script) -> FakeTelegram {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let script = Arc::new(Mutex::new(script));
    let (recorded, kept) = (calls.clone(), script.clone());
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (calls, script) = (recorded.clone(), script.clone());
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                // Several requests per connection (keep-alive).
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut headers = HashMap::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':') {
                            headers.insert(k.trim().to_lowercase(), v.trim().to_owned());
                        }
                    }
                    let mut body = Vec::new();
                    if let Some(len) = headers.get("content-length").and_then(|l| l.parse().ok()) {
                        body.resize(len, 0);
                        if reader.read_exact(&mut body).await.is_err() {
                            return;
                        }
                    } else if headers
                        .get("transfer-encoding")
                        .is_some_and(|t| t.contains("chunked"))
                    {
                        loop {
                            let mut size = String::new();
                            reader.read_line(&mut size).await.unwrap_or(0);
                            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                            let mut chunk = vec![0; n + 2];
                            if reader.read_exact(&mut chunk).await.is_err() {
                                return;
                            }
                            if n == 0 {
                                break;
                            }
                            body.extend_from_slice(&chunk[..n]);
                        }
                    }
                    let path = request_line.split_whitespace().nth(1).unwrap_or_default();
                    let method = path.rsplit('/').next().unwrap_or_default().to_lowercase();
                    let body = String::from_utf8_lossy(&body).into_owned();
                    if method == "getupdates" {
                        // Long polling: with nothing new, hold the request a little.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    calls.lock().unwrap().push(Call {
                        method: method.clone(),
                        body: body.clone(),
                    });
                    let delay = script.lock().unwrap().delay_ms;
                    if delay > 0 && method.starts_with("send") {
                        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                    }
                    let reply = answer(&method, &body, &script).to_string();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
                        reply.len()
                    );
                    if reader
                        .get_mut()
                        .write_all(response.as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    FakeTelegram {
        url,
        calls,
        script: kept,
    }
}
