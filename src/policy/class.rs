//! The kinds of personal data the policy recognises (below keys, shapes and the policy itself).

use serde::{Deserialize, Serialize};

/// Kinds of personal data the policy recognises.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
pub enum PiiClass {
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A street or postal address.
    Address,
    /// A birthday or date of birth.
    Birthday,
    /// A government identifier (SSN, passport, national id, driver's licence).
    GovernmentId,
    /// A payment identifier (card number, IBAN, account number).
    PaymentId,
    /// An IP address.
    IpAddress,
}

impl PiiClass {
    /// Lowercase name, as shown in masks and explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiClass::Email => "email",
            PiiClass::Phone => "phone",
            PiiClass::Address => "address",
            PiiClass::Birthday => "birthday",
            PiiClass::GovernmentId => "government id",
            PiiClass::PaymentId => "payment id",
            PiiClass::IpAddress => "ip address",
        }
    }

    /// What stands in for a value of this class: `[phone withheld]`.
    pub fn mask(self) -> String {
        ["[", self.as_str(), " withheld]"].concat()
    }
}
