//! What an account is for, and the attributes that rules look at.

use std::fmt;

use crate::{AccountId, CurrencyCode, Location, SectorCode};

/// What an account is for. Rules and supply policies treat kinds
/// differently (a basic income pays members; demurrage often spares funds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKind {
    /// A person in the community.
    Member,
    /// A business that sells to members.
    Merchant,
    /// A collective fund, such as the one demurrage feeds.
    Fund,
    /// A reserve backing exchange links to other currencies.
    Reserve,
    /// The account from which an issuer creates money.
    Issuer,
}

impl AccountKind {
    /// Every kind, in declaration order.
    pub const ALL: [AccountKind; 5] = [
        AccountKind::Member,
        AccountKind::Merchant,
        AccountKind::Fund,
        AccountKind::Reserve,
        AccountKind::Issuer,
    ];

    /// The lowercase name used in currency files.
    pub fn name(self) -> &'static str {
        match self {
            AccountKind::Member => "member",
            AccountKind::Merchant => "merchant",
            AccountKind::Fund => "fund",
            AccountKind::Reserve => "reserve",
            AccountKind::Issuer => "issuer",
        }
    }

    /// The kind with the given file name, if any.
    pub fn from_name(name: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// A stable one-byte code for canonical encodings.
    pub fn code(self) -> u8 {
        match self {
            AccountKind::Member => 1,
            AccountKind::Merchant => 2,
            AccountKind::Fund => 3,
            AccountKind::Reserve => 4,
            AccountKind::Issuer => 5,
        }
    }

    /// The kind with the given one-byte code, if any.
    pub fn from_code(code: u8) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The facts about an account that rules decide on: who it is, what it is
/// for, where it is and what trade it is in.
///
/// Rules compile these into a per-account profile once, when the account is
/// opened or changed, so that a payment only reads precomputed answers.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountAttributes {
    /// The account's id.
    pub id: AccountId,
    /// The currency the account holds.
    pub currency: CurrencyCode,
    /// What the account is for.
    pub kind: AccountKind,
    /// Where the account holder is, if known. An account with no location is
    /// outside every perimeter.
    pub location: Option<Location>,
    /// The trades the account holder is in; empty for a private person.
    pub sectors: Vec<SectorCode>,
}
