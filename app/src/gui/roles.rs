//! Who is using the window, and so what it shows. A role changes what is shown
//! and enabled; it is not access control, and the window says so.

use serde::{Deserialize, Serialize};

/// The three users of the ux spec (§2, row 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Loads data, runs studies, saves projects, exports reports: everything.
    #[default]
    Steward,
    /// Reviews a saved project or report without the raw data; runs nothing.
    Reviewer,
    /// Reads the outcome in plain sentences; no settings to tune.
    Clinician,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Steward, Role::Reviewer, Role::Clinician];

    pub fn label(self) -> &'static str {
        match self {
            Role::Steward => "Steward",
            Role::Reviewer => "IRB reviewer",
            Role::Clinician => "Clinician",
        }
    }

    /// What the role shows, for the picker's hover text and the banner.
    pub fn description(self) -> &'static str {
        match self {
            Role::Steward => {
                "Data steward: load data, run and tune studies, save projects and export reports."
            }
            Role::Reviewer => {
                "IRB reviewer: open a saved project without its raw data, read the results and \
                 export the report with its sign-off fields. Nothing can be run."
            }
            Role::Clinician => {
                "Clinician: the results in plain sentences with the privacy label; no settings \
                 to tune and nothing to run."
            }
        }
    }

    /// Whether studies can be run and tuned (the Protect and Audit screens).
    pub fn runs_studies(self) -> bool {
        self == Role::Steward
    }

    /// Whether opening a project also loads its cohort (a reviewer needs only the
    /// stored results, and may not have the data).
    pub fn loads_cohort(self) -> bool {
        self == Role::Steward
    }

    /// Whether the Report screen shows the technical sections and their choice.
    pub fn shows_details(self) -> bool {
        self != Role::Clinician
    }
}

/// Said wherever a role hides something, so that nobody mistakes it for security.
pub const ROLE_NOTE: &str = "Roles change what this window shows and enables; they do not \
                             restrict access. Anyone can switch role in the top bar.";
