//! Connectors to CRM REST APIs (Bitrix24, amoCRM): each pulls what changed
//! since its cursor, maps it through the config and stores it page by page,
//! recording the cursor only after the page is stored.

pub mod amocrm;
pub mod bitrix24;
pub mod http;
pub mod mapping;
pub mod session;

/// Turns a page of a CRM's rows into records and the rows set aside.
pub type Convert<'f, P> = &'f mut (
            dyn FnMut(
    &mut P,
    Vec<serde_json::Value>,
) -> (Vec<crate::sources::Records>, Vec<crate::storage::Rejected>)
                + Send
        );

/// The outcome of a pull whose kinds ran one after another, each on its
/// own: fine when all were; else the failures, each named by its kind (a
/// storage failure first, as it is, since it concerns them all).
pub fn each_kind(
    outcomes: Vec<(&str, Result<(), crate::app::pull::PullError>)>,
) -> Result<(), crate::app::pull::PullError> {
    use crate::app::pull::PullError;
    let mut failed = Vec::new();
    for (kind, outcome) in outcomes {
        match outcome {
            Ok(()) => {}
            Err(e @ (PullError::Storage(_) | PullError::Ingest(_))) => return Err(e),
            Err(e) => failed.push((kind, e.to_string())),
        }
    }
    match failed.len() {
        0 => Ok(()),
        1 => Err(PullError::Remote(failed.remove(0).1)),
        _ => Err(PullError::Remote(
            failed
                .iter()
                .map(|(kind, e)| format!("{kind}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}
