//! The weekly report as an email: HTML with a plain-text alternative carrying
//! the same figures, charts inline by Content-ID, the workbook attached.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error(
        "{what} {value:?} is not an email address (expected \"Name <user@example.com>\" or \"user@example.com\")"
    )]
    Address { what: &'static str, value: String },
    #[error("building the message failed: {0}")]
    Build(String),
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What goes into the message.
pub struct EmailContent<'a> {
    pub from: &'a str,
    pub to: &'a [String],
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    /// The HTML body, with images referenced as `cid:<name>`.
    pub html: String,
    pub text: String,
    /// Inline PNGs by Content-ID.
    pub images: Vec<(String, Vec<u8>)>,
    /// An attachment: file name, bytes, MIME type.
    pub attachment: Option<(String, Vec<u8>, &'a str)>,
}

fn mailbox(what: &'static str, value: &str) -> Result<Mailbox, EmailError> {
    value.parse().map_err(|_| EmailError::Address {
        what,
        value: value.to_owned(),
    })
}

pub fn build_message(c: EmailContent<'_>) -> Result<Message, EmailError> {
    let build = |e: &dyn std::fmt::Display| EmailError::Build(e.to_string());
    let png = ContentType::parse("image/png").map_err(|e| build(&e))?;
    let mut related = MultiPart::related().singlepart(SinglePart::html(c.html));
    for (cid, bytes) in c.images {
        related = related.singlepart(Attachment::new_inline(cid).body(bytes, png.clone()));
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(c.text))
        .multipart(related);
    let body = match c.attachment {
        Some((name, bytes, mime)) => {
            let kind = ContentType::parse(mime).map_err(|e| build(&e))?;
            MultiPart::mixed()
                .multipart(alternative)
                .singlepart(Attachment::new(name).body(bytes, kind))
        }
        None => MultiPart::mixed().multipart(alternative),
    };
    let mut builder = Message::builder()
        .from(mailbox("from", c.from)?)
        .subject(c.subject);
    if let Some(reply_to) = c.reply_to {
        builder = builder.reply_to(mailbox("reply_to", reply_to)?);
    }
    for to in c.to {
        builder = builder.to(mailbox("to", to)?);
    }
    builder.multipart(body).map_err(|e| build(&e))
}
