//! Comments: the person's in the period, and the weak ones (short, or
//! nothing but stock phrases).

use super::super::open_work::rref;
use super::Scope;
use crate::domain::Comment;
use crate::metrics::{Figure, RecordKind, RecordRef, Rule, Unit, Value};

/// A comment is weak when it is short or says nothing but stock phrases.
pub fn is_weak_comment(text: &str, min_chars: usize, phrases: &[String]) -> bool {
    let trimmed = text.trim();
    if trimmed.chars().count() < min_chars {
        return true;
    }
    let mut rest: String = trimmed
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect();
    // Longest phrases first, so "не дозвонился" goes before "дозвонился".
    let mut sorted: Vec<&String> = phrases.iter().collect();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    for phrase in sorted {
        rest = rest.replace(phrase.as_str(), " ");
    }
    rest.trim().is_empty()
}

/// The comment figures of a person.
pub(super) struct CommentFigures {
    pub(super) weak_comments: Figure,
    pub(super) comments: Figure,
    pub(super) weak_comment_share: Figure,
}

/// The person's comments in the period, and the weak ones among them.
pub(super) fn my_comments<'a>(s: &Scope<'a>) -> (Vec<&'a Comment>, Vec<&'a Comment>) {
    let rules = s.rules;
    let mine: Vec<&Comment> = s
        .crm
        .comments
        .iter()
        .filter(|c| s.mine(&c.employee_id) && s.in_period(c.at))
        .collect();
    let weak: Vec<&Comment> = mine
        .iter()
        .copied()
        .filter(|c| {
            is_weak_comment(
                &c.text,
                rules.weak_comment_min_chars,
                rules.weak_comment_phrases,
            )
        })
        .collect();
    (mine, weak)
}

fn comment_refs(comments: &[&Comment]) -> Vec<RecordRef> {
    comments
        .iter()
        .map(|c| rref(RecordKind::Comment, &c.source, c.external_id.as_str()))
        .collect()
}

/// Weak comments, all comments in the period, and the weak share.
pub(super) fn comment_figures(
    all: usize,
    weak: usize,
    min_chars: usize,
    records: Option<(&[&Comment], &[&Comment])>,
) -> CommentFigures {
    let share = if all == 0 {
        0.0
    } else {
        weak as f64 / all as f64
    };
    let weak_comments = Figure::count_of(
        "weak_comments",
        Rule::new("weak_comments")
            .with("min_chars", min_chars)
            .with("n", weak)
            .with("of", all),
        weak,
        records.map(|(_, w)| comment_refs(w)).unwrap_or_default(),
    );
    let weak_comment_share = Figure {
        key: "weak_comment_share",
        value: share,
        unit: Unit::Ratio,
        rule: Rule::new("weak_comment_share")
            .with("n", weak)
            .with("of", all)
            .with("share", Value::Share(share)),
        records: Vec::new(),
    };
    let comments = Figure::count_of(
        "comments",
        Rule::new("comments").with("n", all),
        all,
        records.map(|(a, _)| comment_refs(a)).unwrap_or_default(),
    );
    CommentFigures {
        weak_comments,
        comments,
        weak_comment_share,
    }
}
