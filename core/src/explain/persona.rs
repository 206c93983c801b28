//! The attackers GenoPriv tests against, named by the harm they are after
//! (Cummings et al. 2021: users care which concrete leak is prevented).

/// An attacker described in plain words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Persona {
    pub title: &'static str,
    pub description: &'static str,
}

/// Membership inference: is Alice in the study?
pub const MEMBERSHIP_ATTACKER: Persona = Persona {
    title: "Someone who has Alice's DNA and wants to know if she is in the study",
    description: "This person holds Alice's genotypes, for example from a consumer test, a \
        relative's upload or a sample she left behind. They compare her DNA with the release \
        to guess whether she took part. If the study is about a disease, learning that she \
        took part can reveal that she has it, or that she was studied because of it.",
};

/// Label inference: is Alice a case or a control?
pub const LABEL_ATTACKER: Persona = Persona {
    title: "Someone who wants to learn whether Alice is a case or a control",
    description: "This person already knows or suspects that Alice is in the study and wants \
        her status: whether she has the condition being studied. They use the release to guess \
        it. Guessing right for people outside the study as often as for people in it only \
        shows population patterns; guessing right more often for people in the study reveals \
        something about Alice herself.",
};

/// Every persona, in the order the audit screen shows them.
pub const PERSONAS: [Persona; 2] = [MEMBERSHIP_ATTACKER, LABEL_ATTACKER];
