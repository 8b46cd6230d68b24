//! Sends one rich message (Bot API `sendRichMessage`,
//! <https://core.telegram.org/bots/api#sendrichmessage>) over the HTTP
//! client the bot already uses: `chat_id`, `rich_message` (an
//! `InputRichMessage`: `html`, and `media` whose entries are
//! `InputRichMessageMedia` — `id` plus an `InputMediaPhoto` uploaded as
//! `attach://<id>`, <https://core.telegram.org/bots/api#inputrichmessagemedia>)
//! and `reply_markup` (an `InlineKeyboardMarkup`), as multipart/form-data
//! when it carries pictures. teloxide has no such method yet.

use std::time::Duration;

use serde_json::{Value, json};

use super::telegram::keyboard;
use crate::render::{Button, Chart};

/// One rich message: its HTML and the pictures it names
/// (`tg://photo?id=<chart's id>`).
#[derive(Debug, Clone, PartialEq)]
pub struct RichPart {
    pub html: String,
    /// `(id, chart)`: ids of 1-64 of A-Z a-z 0-9 _ -.
    pub media: Vec<(String, Chart)>,
}

/// One rich message as an outbox row keeps it: its HTML, and its
/// pictures as `(id, index among the row's photos)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RichRowPart {
    pub html: String,
    pub media: Vec<(String, usize)>,
}

impl RichRowPart {
    /// The part with its pictures taken from `photos`.
    pub fn with_photos(&self, photos: &[Chart]) -> RichPart {
        RichPart {
            html: self.html.clone(),
            media: self
                .media
                .iter()
                .filter_map(|(id, i)| photos.get(*i).map(|c| (id.clone(), c.clone())))
                .collect(),
        }
    }
}

/// Why a rich message did not go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RichError {
    /// The server has no `sendRichMessage` (an older or local Bot API
    /// server: "Not Found: method not found").
    #[error("the Bot API server has no sendRichMessage: {0}")]
    Unsupported(String),
    /// The chat refuses the bot (blocked, gone).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

/// The `rich_message` field: `InputRichMessage`.
pub fn input_rich_message(part: &RichPart) -> Value {
    let mut rich = json!({ "html": part.html });
    if !part.media.is_empty() {
        rich["media"] = part
            .media
            .iter()
            .map(|(id, _)| json!({ "id": id, "media": { "type": "photo", "media": format!("attach://{id}") } }))
            .collect();
    }
    rich
}

/// Sends `part` to `chat` (the buttons under it when given); the id of
/// the message it became. A `retry_after` of at most a minute is waited
/// out, up to three times.
pub async fn send_rich(
    bot: &teloxide::Bot,
    chat: i64,
    part: &RichPart,
    buttons: &[Button],
) -> Result<i64, RichError> {
    // `{api_url}/bot<token>/sendRichMessage` (the token holds a colon: a
    // path, not a relative URL to join).
    let mut url = bot.api_url();
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}/bot{}/sendRichMessage", bot.token()));
    let rich = input_rich_message(part).to_string();
    let markup = (!buttons.is_empty())
        .then(|| serde_json::to_string(&keyboard(buttons)))
        .transpose()
        .map_err(|e| RichError::Failed(e.to_string()))?;
    for _ in 0..3 {
        let mut form = reqwest::multipart::Form::new()
            .text("chat_id", chat.to_string())
            .text("rich_message", rich.clone());
        if let Some(markup) = &markup {
            form = form.text("reply_markup", markup.clone());
        }
        for (id, chart) in &part.media {
            let file = reqwest::multipart::Part::bytes(chart.png.clone())
                .file_name(chart.name.clone())
                .mime_str("image/png")
                .map_err(|e| RichError::Failed(e.to_string()))?;
            form = form.part(id.clone(), file);
        }
        let answer = bot
            .client()
            .post(url.clone())
            .multipart(form)
            .send()
            .await
            .map_err(|e| RichError::Failed(format!("sendRichMessage: {}", e.without_url())))?;
        let body: Value = answer.json().await.map_err(|e| {
            RichError::Failed(format!("sendRichMessage answered: {}", e.without_url()))
        })?;
        match read_answer(&body) {
            Answer::Sent(id) => return Ok(id),
            Answer::Wait(secs) if secs <= 60 => {
                tracing::warn!(seconds = secs, "Telegram asked to wait");
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            Answer::Wait(secs) => {
                return Err(RichError::Failed(format!("retry after {secs} s")));
            }
            Answer::Error(e) => return Err(e),
        }
    }
    Err(RichError::Failed("Telegram kept asking to wait".into()))
}

enum Answer {
    Sent(i64),
    Wait(u64),
    Error(RichError),
}

/// A Bot API answer: `{"ok": true, "result": Message}` or `{"ok": false,
/// "error_code", "description", "parameters": {"retry_after"}}`.
fn read_answer(body: &Value) -> Answer {
    if body["ok"].as_bool() == Some(true) {
        return match body["result"]["message_id"].as_i64() {
            Some(id) => Answer::Sent(id),
            None => Answer::Error(RichError::Failed(format!(
                "sendRichMessage answered without a message: {body}"
            ))),
        };
    }
    let description = body["description"].as_str().unwrap_or_default().to_owned();
    match body["error_code"].as_i64() {
        Some(429) => Answer::Wait(body["parameters"]["retry_after"].as_u64().unwrap_or(1)),
        Some(404) if description.to_lowercase().contains("method not found") => {
            Answer::Error(RichError::Unsupported(description))
        }
        Some(403) => Answer::Error(RichError::Refused(description)),
        _ => Answer::Error(RichError::Failed(format!("sendRichMessage: {description}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rich_message_names_each_picture_it_uploads() {
        let part = RichPart {
            html: "<h3>x</h3><img src=\"tg://photo?id=c0\">".into(),
            media: vec![(
                "c0".into(),
                Chart {
                    name: "heatmap.png".into(),
                    png: vec![1, 2, 3],
                },
            )],
        };
        let v = input_rich_message(&part);
        assert_eq!(v["html"], part.html);
        assert_eq!(v["media"][0]["id"], "c0");
        assert_eq!(v["media"][0]["media"]["type"], "photo");
        assert_eq!(v["media"][0]["media"]["media"], "attach://c0");
        let plain = input_rich_message(&RichPart {
            html: "<p>x</p>".into(),
            media: Vec::new(),
        });
        assert!(plain.get("media").is_none());
    }

    #[test]
    fn answers_read_as_the_bot_api_gives_them() {
        let read = |v: Value| match read_answer(&v) {
            Answer::Sent(id) => format!("sent {id}"),
            Answer::Wait(s) => format!("wait {s}"),
            Answer::Error(e) => format!("{e:?}"),
        };
        assert_eq!(
            read(json!({"ok": true, "result": {"message_id": 7}})),
            "sent 7"
        );
        assert_eq!(
            read(
                json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
            ),
            "Unsupported(\"Not Found: method not found\")"
        );
        assert_eq!(
            read(
                json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}})
            ),
            "wait 3"
        );
        assert!(read(json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})).starts_with("Refused"));
    }
}
