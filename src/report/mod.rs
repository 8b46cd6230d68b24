//! Report models assembled from the figures, and their text forms.

pub mod alerts;
pub mod digest;
pub mod figures;
pub mod figures_text;
pub mod funnel;
pub mod kpi;
pub mod slices;
pub mod visibility;
pub mod weekly;
