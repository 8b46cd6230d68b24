//! Who sees which figure groups: the one rule, applied where figures leave
//! for a reader (bot answers, `ask`, cards). A head sees every group of the
//! people in their scope; a manager sees of their own figures what
//! `[visibility] hide_from_managers` leaves them (METRICS.md, section 7).

use crate::config::Config;
use crate::domain::{FigureGroup, Role};

/// The figure groups one reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    hidden: Vec<FigureGroup>,
}

impl View {
    /// Everything: heads, owners, the admin at the command line.
    pub fn everything() -> Self {
        View { hidden: Vec::new() }
    }

    /// What a person of `role` sees under `config`.
    pub fn of(config: &Config, role: Role) -> Self {
        View {
            hidden: FigureGroup::ALL
                .into_iter()
                .filter(|g| !config.visible(role, *g))
                .collect(),
        }
    }

    pub fn shows(&self, group: FigureGroup) -> bool {
        !self.hidden.contains(&group)
    }

    /// Whether the figure named `key` (a KPI or plan figure) may be shown.
    pub fn shows_figure(&self, key: &str) -> bool {
        self.shows(FigureGroup::of(key))
    }

    /// The groups kept from this reader.
    pub fn hidden(&self) -> &[FigureGroup] {
        &self.hidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_falls_into_a_group_a_head_can_name() {
        // Each KPI figure is in one group; hiding that group hides it.
        for key in crate::domain::KPI_FIGURES {
            let group = FigureGroup::of(key);
            let view = View {
                hidden: vec![group],
            };
            assert!(!view.shows_figure(key), "{key}");
            assert!(View::everything().shows_figure(key), "{key}");
        }
        assert_eq!(FigureGroup::of("calls_without_trace"), FigureGroup::Hygiene);
        assert_eq!(FigureGroup::of("overdue_tasks"), FigureGroup::Hygiene);
        assert_eq!(FigureGroup::of("cold_calls"), FigureGroup::Telephony);
        assert_eq!(FigureGroup::of("revenue"), FigureGroup::Funnel);
        assert_eq!(FigureGroup::of("plan_completion"), FigureGroup::Plan);
        for g in FigureGroup::ALL {
            assert_eq!(FigureGroup::parse(g.name()), Some(g));
        }
    }
}
