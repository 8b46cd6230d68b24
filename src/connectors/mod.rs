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
